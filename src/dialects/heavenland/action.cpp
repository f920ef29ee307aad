#include "dialects/heavenland/action.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>

#include "dialects/heavenland/errors.hpp"

namespace parley::dialects::heavenland {

namespace json = boost::json;

namespace {

// A non-empty string field, or nullptr.
const json::string* nonempty_string(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return nullptr;
  const json::string* s = v->if_string();
  return s && !s->empty() ? s : nullptr;
}

// An optional non-negative integer field: absent (nullopt, ok), an integer >= 0 (its value,
// saturated to SIZE_MAX), anything else (ok = false).
std::optional<std::size_t> count_field(const json::object& o, std::string_view key, bool& ok) {
  ok = true;
  const json::value* v = o.if_contains(key);
  if (!v) return std::nullopt;
  if (const std::uint64_t* u = v->if_uint64()) return static_cast<std::size_t>(*u);
  if (const std::int64_t* i = v->if_int64(); i && *i >= 0) return static_cast<std::size_t>(*i);
  ok = false;
  return std::nullopt;
}

}  // namespace

Parsed<Frame> decode_frame(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return errors::kNotJson;
  if (!v.is_object()) return errors::kNotObject;
  Frame f;
  f.object = std::move(v.as_object());
  if (const json::value* a = f.object.if_contains("action"); a && a->is_string())
    f.action = a->get_string();
  return f;
}

Parsed<LoginRequest> parse_login(const json::object& frame) {
  LoginRequest r;
  if (const json::string* token = nonempty_string(frame, "token")) {
    r.token = *token;
    return r;
  }
  const json::string* username = nonempty_string(frame, "username");
  const json::string* password = nonempty_string(frame, "password");
  if (!username || !password) return errors::kLoginFieldsMissing;
  r.username = *username;
  r.password = *password;
  return r;
}

Parsed<MessageRequest> parse_message(json::object frame) {
  MessageRequest r;
  const json::value* text = frame.if_contains("message");
  if (!text || !text->is_string()) return errors::kMessageNotString;
  r.text = text->get_string();
  if (json::value* channel = frame.if_contains("channel")) {
    if (const json::string* s = channel->if_string()) {
      if (s->empty() || s->size() > kMaxChannelBytes) return errors::kBadChannel;
      r.channel = std::string(*s);
    } else if (const std::int64_t* i = channel->if_int64()) {
      r.channel = std::to_string(*i);
    } else if (const std::uint64_t* u = channel->if_uint64()) {
      r.channel = std::to_string(*u);
    } else if (!channel->is_null()) {
      return errors::kBadChannel;
    }
  }
  r.payload.reserve(frame.size());
  for (auto& [key, value] : frame) {
    if (key == "action" || key == "user_id" || key == "timestamp" || key == "nickname") continue;
    if (key == "channel") {
      if (r.channel) r.payload.emplace(key, *r.channel);
      continue;
    }
    r.payload.emplace(key, std::move(value));
  }
  return r;
}

Parsed<HistoryRequest> parse_history(const json::object& frame, std::size_t max_limit) {
  HistoryRequest r;
  bool ok = true;
  auto limit = count_field(frame, "limit", ok);
  if (!ok) return errors::kBadLimit;
  auto offset = count_field(frame, "offset", ok);
  if (!ok) return errors::kBadOffset;
  r.limit = std::min(limit.value_or(kDefaultHistoryLimit), max_limit);
  r.offset = offset.value_or(0);
  return r;
}

}  // namespace parley::dialects::heavenland
