#include "dialects/mqtt/message.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/utf8.hpp"
#include "core/uuid.hpp"

namespace parley::dialects::mqtt {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxChatId = 128;  // a chat JSON "id" longer than this is not kept

bool is_lower_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

const json::string* string_field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_string() ? &it->value().get_string() : nullptr;
}

std::string_view view(const json::string& s) { return {s.data(), s.size()}; }

// The Chat Service's object, {"id","userId","message"} with "message" a string: parsed when the
// payload looks like a JSON object.
std::optional<json::object> chat_object(std::string_view payload) {
  std::size_t start = payload.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || payload[start] != '{') return std::nullopt;
  boost::system::error_code ec;
  json::value v = json::parse(payload, ec);
  if (ec || !v.is_object() || !string_field(v.get_object(), "message")) return std::nullopt;
  return std::move(v.get_object());
}

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::string topic_to_channel(std::string_view topic) {
  if (topic.starts_with(kChatTopicPrefix) && is_lower_uuid(topic.substr(kChatTopicPrefix.size())))
    return std::string(topic.substr(kChatTopicPrefix.size()));
  return std::string(topic);
}

std::string channel_to_topic(std::string_view channel) {
  if (is_lower_uuid(channel)) return std::string(kChatTopicPrefix) + std::string(channel);
  return std::string(channel);
}

core::Message make_message(std::string_view topic, std::string_view payload, std::uint8_t qos,
                           std::string_view author) {
  core::Message m;
  m.channel = topic_to_channel(topic);
  m.dialect = std::string(kDialect);
  m.author_id = std::string(author);
  m.author_name = m.author_id;
  m.payload = json::object{{"topic", topic}, {"qos", static_cast<int>(qos)}};
  if (!core::valid_utf8(payload)) {
    m.payload["base64"] = base64_encode(payload);
    return m;
  }
  if (auto chat = chat_object(payload)) {
    m.text = view(*string_field(*chat, "message"));
    if (const json::string* user = string_field(*chat, "userId")) {
      m.author_id = view(*user);
      m.author_name = m.author_id;
    }
    if (const json::string* id = string_field(*chat, "id");
        id && !id->empty() && id->size() <= kMaxChatId)
      m.id = view(*id);
    m.payload["raw"] = payload;
    return m;
  }
  m.text = payload;
  return m;
}

std::string topic_of(const core::Message& m) {
  if (m.dialect == kDialect)
    if (const json::string* topic = string_field(m.payload, "topic"))
      return std::string(view(*topic));
  return channel_to_topic(m.channel);
}

std::string payload_of(const core::Message& m) {
  if (m.dialect == kDialect) {
    if (const json::string* raw = string_field(m.payload, "raw")) return std::string(view(*raw));
    if (const json::string* b64 = string_field(m.payload, "base64"))
      return base64_decode(view(*b64)).value_or(std::string());
    return m.text;
  }
  return json::serialize(json::object{{"id", m.id}, {"userId", m.author_id}, {"message", m.text}});
}

std::uint8_t qos_of(const core::Message& m) {
  if (m.dialect != kDialect) return 2;
  auto it = m.payload.find("qos");
  if (it == m.payload.end() || !it->value().is_int64()) return 2;
  std::int64_t q = it->value().get_int64();
  return q >= 0 && q <= 2 ? static_cast<std::uint8_t>(q) : 2;
}

std::size_t approx_bytes(const core::Message& m) {
  std::size_t n = 64 + m.channel.size() + m.id.size() + m.author_id.size() + m.author_name.size() +
                  m.text.size();
  for (const auto& kv : m.payload)
    if (kv.value().is_string()) n += kv.value().get_string().size();
  return n;
}

std::uint64_t retain_seq_of(const core::Message& m) {
  auto it = m.payload.find("rseq");
  if (it == m.payload.end()) return 0;
  if (it->value().is_uint64()) return it->value().get_uint64();
  if (it->value().is_int64() && it->value().get_int64() > 0)
    return static_cast<std::uint64_t>(it->value().get_int64());
  return 0;
}

json::object message_to_json(const core::Message& m) {
  return json::object{
      {"channel", m.channel}, {"offset", m.offset},       {"time_ms", m.time_ms},
      {"id", m.id},           {"author_id", m.author_id}, {"author_name", m.author_name},
      {"text", m.text},       {"payload", m.payload},     {"dialect", m.dialect}};
}

std::optional<core::Message> message_from_json(const json::object& o) {
  core::Message m;
  auto str = [&](std::string_view key, std::string& out) {
    const json::string* s = string_field(o, key);
    if (!s) return false;
    out = view(*s);
    return true;
  };
  if (!str("channel", m.channel) || !str("id", m.id) || !str("author_id", m.author_id) ||
      !str("author_name", m.author_name) || !str("text", m.text) || !str("dialect", m.dialect))
    return std::nullopt;
  if (auto it = o.find("offset"); it != o.end() && it->value().is_number())
    m.offset = it->value().to_number<std::uint64_t>();
  if (auto it = o.find("time_ms"); it != o.end() && it->value().is_number())
    m.time_ms = it->value().to_number<std::int64_t>();
  if (auto it = o.find("payload"); it != o.end() && it->value().is_object())
    m.payload = it->value().get_object();
  return m;
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t n = (static_cast<std::uint8_t>(bytes[i]) << 16) |
                      (static_cast<std::uint8_t>(bytes[i + 1]) << 8) |
                      static_cast<std::uint8_t>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  std::size_t left = bytes.size() - i;
  if (left > 0) {
    std::uint32_t n = static_cast<std::uint8_t>(bytes[i]) << 16;
    if (left == 2) n |= static_cast<std::uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += left == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    int a = sextet(text[i]), b = sextet(text[i + 1]);
    bool last = i + 4 == text.size();
    bool pad2 = last && text[i + 2] == '=' && text[i + 3] == '=';
    bool pad1 = last && !pad2 && text[i + 3] == '=';
    int c = pad2 ? 0 : sextet(text[i + 2]);
    int d = (pad1 || pad2) ? 0 : sextet(text[i + 3]);
    if (a < 0 || b < 0 || c < 0 || d < 0) return std::nullopt;
    std::uint32_t n = (static_cast<std::uint32_t>(a) << 18) |
                      (static_cast<std::uint32_t>(b) << 12) | (static_cast<std::uint32_t>(c) << 6) |
                      static_cast<std::uint32_t>(d);
    out += static_cast<char>((n >> 16) & 0xFF);
    if (!pad2) out += static_cast<char>((n >> 8) & 0xFF);
    if (!pad1 && !pad2) out += static_cast<char>(n & 0xFF);
  }
  return out;
}

}  // namespace parley::dialects::mqtt
