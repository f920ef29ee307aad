// Client payloads, both ways; and the small checks the codec exposes (uuids, versions, names).
#include <boost/json/serialize.hpp>
#include <cctype>
#include <charconv>

#include "dialects/concierge/codec.hpp"
#include "dialects/concierge/codec_json.hpp"

namespace parley::dialects::concierge {

namespace json = boost::json;
using detail::Fields;

namespace {

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

constexpr std::string_view kVariantsIn =
    "`IDENTIFY`, `MESSAGE`, `SELF_SUBSCRIBE`, `SELF_UNSUBSCRIBE`, `SELF_FETCH`, `SELF_SET_SEQ`, "
    "`SERVICE_CREATE`, `SERVICE_DELETE`, `SERVICE_FETCH`, `SERVICE_FETCH_ALL`, `CLIENT_FETCH`, "
    "`CLIENT_FETCH_ALL`";

json::value optional_json(const std::optional<std::string>& s) {
  return s ? json::value(*s) : json::value(nullptr);
}

}  // namespace

std::string_view close_reason(std::uint16_t code) {
  switch (code) {
    case close_code::fatal_decode:
      return "Failed to critical payload";
    case close_code::no_auth:
      return "No identification payload sent";
    case close_code::auth_failed:
      return "Authorization failed";
    case close_code::duplicate_auth:
      return "Duplicate name in namespace";
    case close_code::bad_secret:
      return "Secret mismatch";
    case close_code::bad_version:
      return "Version mismatch";
    case close_code::bad_auth:
      return "Name must be alphanumeric";
    case close_code::hb_failed:
      return "Heartbeat failed";
    case close_code::try_again_later:
      return "Try again later";
    default:
      return "Unknown reason";
  }
}

std::optional<std::string> normalize_uuid(std::string_view text) {
  std::string hex;
  if (text.size() == 36) {
    for (std::size_t i = 0; i < text.size(); ++i) {
      bool dash_at = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash_at != (text[i] == '-')) return std::nullopt;
      if (!dash_at) hex += text[i];
    }
  } else if (text.size() == 32) {
    hex = std::string(text);
  } else {
    return std::nullopt;
  }
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < hex.size(); ++i) {
    auto c = static_cast<unsigned char>(hex[i]);
    if (!std::isxdigit(c)) return std::nullopt;
    if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

// Dot-separated identifiers of a pre-release or build part: non-empty, [0-9A-Za-z-].
static bool valid_identifiers(std::string_view ids) {
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = ids.find('.', start);
    std::string_view id = ids.substr(start, dot - start);
    if (id.empty()) return false;
    for (char c : id)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool version_supported(std::string_view v) {
  // MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], numbers without leading zeros (semver 2.0.0).
  std::size_t plus = v.find('+');
  if (plus != std::string_view::npos && !valid_identifiers(v.substr(plus + 1))) return false;
  std::string_view head = v.substr(0, plus);
  std::size_t dash = head.find('-');
  bool prerelease = dash != std::string_view::npos;
  if (prerelease && !valid_identifiers(head.substr(dash + 1))) return false;
  std::string_view core = head.substr(0, dash);
  std::uint64_t nums[3];
  std::size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    std::size_t dot = i < 2 ? core.find('.', start) : core.size();
    if (dot == std::string_view::npos) return false;
    std::string_view n = core.substr(start, dot - start);
    if (n.empty() || (n.size() > 1 && n[0] == '0')) return false;
    auto [ptr, ec] = std::from_chars(n.data(), n.data() + n.size(), nums[i]);
    if (ec != std::errc{} || ptr != n.data() + n.size()) return false;
    start = dot + 1;
  }
  // ^0.2.0: >= 0.2.0 and < 0.3.0; a pre-release never matches a requirement without one.
  return nums[0] == 0 && nums[1] == 2 && !prerelease;
}

bool valid_client_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

std::string_view type_name(const PayloadIn& p) {
  return std::visit(
      overloaded{
          [](const in::Identify&) { return std::string_view("IDENTIFY"); },
          [](const in::SelfSubscribe&) { return std::string_view("SELF_SUBSCRIBE"); },
          [](const in::SelfUnsubscribe&) { return std::string_view("SELF_UNSUBSCRIBE"); },
          [](const in::SelfFetch&) { return std::string_view("SELF_FETCH"); },
          [](const in::SelfSetSeq&) { return std::string_view("SELF_SET_SEQ"); },
          [](const in::ServiceCreate&) { return std::string_view("SERVICE_CREATE"); },
          [](const in::ServiceDelete&) { return std::string_view("SERVICE_DELETE"); },
          [](const in::ServiceFetch&) { return std::string_view("SERVICE_FETCH"); },
          [](const in::ServiceFetchAll&) { return std::string_view("SERVICE_FETCH_ALL"); },
          [](const in::ClientFetch&) { return std::string_view("CLIENT_FETCH"); },
          [](const in::ClientFetchAll&) { return std::string_view("CLIENT_FETCH_ALL"); },
          [](const in::Message&) { return std::string_view("MESSAGE"); },
      },
      p);
}

std::variant<PayloadIn, DecodeError> decode_in(std::string_view text) {
  detail::ParsedObject parsed;
  std::string type, error;
  if (!detail::parse_tagged(text, parsed, type, error, "internally tagged enum PayloadIn"))
    return DecodeError{std::move(error)};
  Fields f(parsed.object);

  PayloadIn out;
  if (type == "IDENTIFY") {
    in::Identify p;
    f.string("name", p.name);
    f.optional_string("nickname", p.nickname);
    f.string("version", p.version);
    f.optional_string("secret", p.secret);
    f.string_list("tags", p.tags, false);
    out = std::move(p);
  } else if (type == "MESSAGE") {
    in::Message p;
    f.target("target", p.target);
    std::string_view data = parsed.raw_of("data");
    if (f.ok() && data.empty()) return DecodeError{"missing field `data`"};
    p.data = std::string(data);
    out = std::move(p);
  } else if (type == "SELF_SUBSCRIBE") {
    in::SelfSubscribe p;
    f.string("service", p.service);
    out = std::move(p);
  } else if (type == "SELF_UNSUBSCRIBE") {
    in::SelfUnsubscribe p;
    f.string("service", p.service);
    out = std::move(p);
  } else if (type == "SELF_FETCH") {
    out = in::SelfFetch{};
  } else if (type == "SELF_SET_SEQ") {
    in::SelfSetSeq p;
    f.u64("seq", p.seq);
    out = p;
  } else if (type == "SERVICE_CREATE") {
    in::ServiceCreate p;
    f.string("service", p.service);
    f.optional_string("nickname", p.nickname);
    out = std::move(p);
  } else if (type == "SERVICE_DELETE") {
    in::ServiceDelete p;
    f.string("service", p.service);
    out = std::move(p);
  } else if (type == "SERVICE_FETCH") {
    in::ServiceFetch p;
    f.string("service", p.service);
    out = std::move(p);
  } else if (type == "SERVICE_FETCH_ALL") {
    out = in::ServiceFetchAll{};
  } else if (type == "CLIENT_FETCH") {
    in::ClientFetch p;
    f.uuid("uuid", p.uuid);
    out = std::move(p);
  } else if (type == "CLIENT_FETCH_ALL") {
    out = in::ClientFetchAll{};
  } else {
    return DecodeError{"unknown variant `" + type + "`, expected one of " +
                       std::string(kVariantsIn)};
  }
  if (!f.ok()) return DecodeError{f.error};
  return out;
}

std::string encode(const PayloadIn& payload) {
  using detail::envelope;
  std::string_view type = type_name(payload);
  return std::visit(
      overloaded{
          [&](const in::Identify& p) {
            json::array tags;
            for (const auto& t : p.tags) tags.emplace_back(t);
            return envelope(type, std::nullopt,
                            {{"name", p.name},
                             {"nickname", optional_json(p.nickname)},
                             {"version", p.version},
                             {"secret", optional_json(p.secret)},
                             {"tags", std::move(tags)}});
          },
          [&](const in::SelfSubscribe& p) {
            return envelope(type, std::nullopt, {{"service", p.service}});
          },
          [&](const in::SelfUnsubscribe& p) {
            return envelope(type, std::nullopt, {{"service", p.service}});
          },
          [&](const in::SelfSetSeq& p) {
            return envelope(type, std::nullopt, {{"seq", p.seq}});
          },
          [&](const in::ServiceCreate& p) {
            return envelope(type, std::nullopt,
                            {{"service", p.service}, {"nickname", optional_json(p.nickname)}});
          },
          [&](const in::ServiceDelete& p) {
            return envelope(type, std::nullopt, {{"service", p.service}});
          },
          [&](const in::ServiceFetch& p) {
            return envelope(type, std::nullopt, {{"service", p.service}});
          },
          [&](const in::ClientFetch& p) {
            return envelope(type, std::nullopt, {{"uuid", p.uuid}});
          },
          [&](const in::Message& p) {
            return "{\"type\":\"MESSAGE\",\"target\":" +
                   json::serialize(detail::target_json(p.target)) +
                   ",\"data\":" + (p.data.empty() ? std::string("null") : p.data) + "}";
          },
          [&](const auto&) { return envelope(type, std::nullopt, {}); },
      },
      payload);
}

}  // namespace parley::dialects::concierge
