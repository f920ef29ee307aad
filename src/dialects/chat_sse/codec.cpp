#include "dialects/chat_sse/codec.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>

#include "core/uuid.hpp"

namespace parley::dialects::chat_sse {

namespace json = boost::json;

namespace {

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

}  // namespace

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !is_hex(s[i])) return false;
  }
  return true;
}

std::string normalize_uuid(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

core::Message make_message(std::string channel, std::string user, std::string text) {
  core::Message m;
  m.id = core::make_uuid();
  m.payload = json::object{{"id", m.id}, {"userId", user}, {"message", text}};
  m.channel = std::move(channel);
  m.author_name = user;  // the original has no names: other systems show the user id
  m.author_id = std::move(user);
  m.text = std::move(text);
  m.dialect = std::string(kDialect);
  return m;
}

std::string event_json(const core::Message& m) {
  // Built from the canonical fields, so a message from any system renders the same way.
  return json::serialize(json::object{{"id", m.id}, {"userId", m.author_id}, {"message", m.text}});
}

std::string event_text(const core::Message& m) {
  std::string out = "id: " + std::to_string(m.offset) + "\r\ndata: ";
  out += event_json(m);
  out += "\r\n\r\n";
  return out;
}

std::string retry_text(std::uint64_t ms) { return "retry: " + std::to_string(ms) + "\r\n\r\n"; }

std::optional<std::uint64_t> parse_offset(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

bool accepts_event_stream(std::string_view accept) {
  while (!accept.empty()) {
    std::size_t comma = accept.find(',');
    std::string_view item = accept.substr(0, comma);
    item = trim(item.substr(0, item.find(';')));
    if (iequals(item, "text/event-stream")) return true;
    if (comma == std::string_view::npos) break;
    accept.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace parley::dialects::chat_sse
