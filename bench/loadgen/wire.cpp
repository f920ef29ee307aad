#include "wire.hpp"

#include <cstring>

namespace bench {

namespace {

constexpr std::string_view kWsKey = "dGhlIHNhbXBsZSBub25jZQ==";  // RFC 6455's sample key
constexpr unsigned char kMask[4] = {0x37, 0xfa, 0x21, 0x3d};

std::string upgrade_request(std::string_view path) {
  std::string r = "GET ";
  r += path;
  r += " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
       "Sec-WebSocket-Key: ";
  r += kWsKey;
  r += "\r\nSec-WebSocket-Version: 13\r\n\r\n";
  return r;
}

void put_u16(std::string& out, std::size_t v) {
  out += static_cast<char>((v >> 8) & 0xff);
  out += static_cast<char>(v & 0xff);
}

void put_mqtt_length(std::string& out, std::size_t n) {
  do {
    unsigned char b = n % 128;
    n /= 128;
    if (n) b |= 0x80;
    out += static_cast<char>(b);
  } while (n);
}

void put_mqtt_string(std::string& out, std::string_view s) {
  put_u16(out, s.size());
  out += s;
}

std::string mqtt_topic(const std::string& room) { return "bench/" + room; }

void put_redis_command(std::string& out, std::initializer_list<std::string_view> args) {
  out += '*';
  out += std::to_string(args.size());
  out += "\r\n";
  for (auto a : args) {
    out += '$';
    out += std::to_string(a.size());
    out += "\r\n";
    out += a;
    out += "\r\n";
  }
}

std::uint64_t parse_hex(const char* p, int n, bool& ok) {
  std::uint64_t v = 0;
  for (int i = 0; i < n; ++i) {
    char c = p[i];
    unsigned d;
    if (c >= '0' && c <= '9')
      d = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f')
      d = static_cast<unsigned>(c - 'a' + 10);
    else
      return ok = false, 0;
    v = (v << 4) | d;
  }
  return v;
}

void put_hex(char* out, std::uint64_t v, int n) {
  static constexpr char digits[] = "0123456789abcdef";
  for (int i = n - 1; i >= 0; --i) {
    out[i] = digits[v & 0xf];
    v >>= 4;
  }
}

// A RESP value at the top level: enough of it to tell a subscription confirmation, a pub/sub
// message, a PONG and an error apart. Returns bytes consumed, 0 when incomplete.
struct Resp {
  char type = 0;
  std::string_view first;  // first element (array) or the line/bulk itself
  std::string_view last;   // last element (array)
};

// Parses "<n>\r\n" from p; returns the position after it, or nullptr when incomplete.
const char* resp_line(const char* p, const char* end, std::string_view& line) {
  const char* cr = static_cast<const char*>(memchr(p, '\r', static_cast<std::size_t>(end - p)));
  if (!cr || cr + 1 >= end) return nullptr;
  line = std::string_view(p, static_cast<std::size_t>(cr - p));
  return cr + 2;
}

long to_long(std::string_view s) {
  long v = 0;
  bool neg = !s.empty() && s[0] == '-';
  for (std::size_t i = neg ? 1 : 0; i < s.size(); ++i) v = v * 10 + (s[i] - '0');
  return neg ? -v : v;
}

// One scalar element (bulk, integer, simple string) at p.
const char* resp_scalar(const char* p, const char* end, std::string_view& value) {
  if (p >= end) return nullptr;
  char t = *p;
  std::string_view line;
  const char* q = resp_line(p + 1, end, line);
  if (!q) return nullptr;
  if (t != '$') return value = line, q;
  long n = to_long(line);
  if (n < 0) return value = {}, q;
  if (end - q < n + 2) return nullptr;
  value = std::string_view(q, static_cast<std::size_t>(n));
  return q + n + 2;
}

std::size_t parse_resp(std::string_view data, Resp& out) {
  const char* p = data.data();
  const char* end = p + data.size();
  if (p >= end) return 0;
  out.type = *p;
  if (*p != '*') {
    const char* q = resp_scalar(p, end, out.first);
    return q ? static_cast<std::size_t>(q - p) : 0;
  }
  std::string_view line;
  const char* q = resp_line(p + 1, end, line);
  if (!q) return 0;
  long n = to_long(line);
  for (long i = 0; i < n; ++i) {
    std::string_view v;
    q = resp_scalar(q, end, v);
    if (!q) return 0;
    if (i == 0) out.first = v;
    out.last = v;
  }
  return static_cast<std::size_t>(q - p);
}

}  // namespace

bool parse_proto(std::string_view name, Proto& out) {
  if (name == "phoenix" || name == "parley") return out = Proto::phoenix, true;
  if (name == "ws") return out = Proto::ws, true;
  if (name == "mqtt") return out = Proto::mqtt, true;
  if (name == "redis") return out = Proto::redis, true;
  if (name == "nats") return out = Proto::nats, true;
  return false;
}

const char* proto_name(Proto p) {
  switch (p) {
    case Proto::phoenix:
      return "phoenix";
    case Proto::ws:
      return "ws";
    case Proto::mqtt:
      return "mqtt";
    case Proto::redis:
      return "redis";
    case Proto::nats:
      return "nats";
  }
  return "?";
}

void append_ws_text_frame(std::string& out, std::string_view text) {
  std::size_t n = text.size();
  out += static_cast<char>(0x81);
  if (n < 126) {
    out += static_cast<char>(0x80 | n);
  } else if (n < 65536) {
    out += static_cast<char>(0x80 | 126);
    put_u16(out, n);
  } else {
    out += static_cast<char>(0x80 | 127);
    for (int i = 7; i >= 0; --i)
      out += static_cast<char>((static_cast<std::uint64_t>(n) >> (8 * i)) & 0xff);
  }
  out.append(reinterpret_cast<const char*>(kMask), 4);
  std::size_t at = out.size();
  out += text;
  for (std::size_t i = 0; i < n; ++i) out[at + i] = static_cast<char>(out[at + i] ^ kMask[i & 3]);
}

void make_payload(char* out, std::size_t size, std::uint32_t step, std::uint32_t publisher,
                  std::uint64_t seq, std::uint64_t sent_ns) {
  out[0] = '~';
  out[1] = 'Q';
  put_hex(out + 2, step, 4);
  put_hex(out + 6, publisher, 8);
  put_hex(out + 14, seq, 16);
  put_hex(out + 30, sent_ns, 16);
  std::memset(out + kPayloadMin, 'x', size - kPayloadMin);
}

bool find_payload(std::string_view text, PayloadFields& out) {
  const void* at = memmem(text.data(), text.size(), "~Q", 2);
  if (!at) return false;
  const char* p = static_cast<const char*>(at);
  if (static_cast<std::size_t>(text.data() + text.size() - p) < kPayloadMin) return false;
  bool ok = true;
  out.step = static_cast<std::uint32_t>(parse_hex(p + 2, 4, ok));
  out.publisher = static_cast<std::uint32_t>(parse_hex(p + 6, 8, ok));
  out.seq = parse_hex(p + 14, 16, ok);
  out.sent_ns = parse_hex(p + 30, 16, ok);
  return ok;
}

Wire::Wire(Proto proto, std::string room, bool subscribe, std::uint64_t client_id)
    : proto_(proto), room_(std::move(room)), subscribe_(subscribe), client_id_(client_id) {}

std::string Wire::hello() const {
  std::string out;
  switch (proto_) {
    case Proto::phoenix:
      out = upgrade_request("/socket/websocket?vsn=2.0.0");
      if (subscribe_)
        append_ws_text_frame(out, "[\"1\",\"1\",\"room:" + room_ +
                                      "\",\"phx_join\",{\"username\":\"u" +
                                      std::to_string(client_id_) + "\"}]");
      break;
    case Proto::ws:
      out = upgrade_request("/" + room_);
      break;
    case Proto::mqtt: {
      std::string id = "lg" + std::to_string(client_id_);
      std::string body;
      put_mqtt_string(body, "MQTT");
      body += static_cast<char>(4);     // protocol level 3.1.1
      body += static_cast<char>(0x02);  // clean session
      put_u16(body, 0);                 // no keep-alive
      put_mqtt_string(body, id);
      out += static_cast<char>(0x10);
      put_mqtt_length(out, body.size());
      out += body;
      if (subscribe_) {
        std::string sub;
        put_u16(sub, 1);  // packet id
        put_mqtt_string(sub, mqtt_topic(room_));
        sub += static_cast<char>(0);  // QoS 0
        out += static_cast<char>(0x82);
        put_mqtt_length(out, sub.size());
        out += sub;
      }
      break;
    }
    case Proto::redis:
      if (subscribe_)
        put_redis_command(out, {"SUBSCRIBE", room_});
      else
        put_redis_command(out, {"PING"});
      break;
    case Proto::nats:
      out = "CONNECT {\"verbose\":false,\"pedantic\":false,\"echo\":true,\"lang\":\"c++\"}\r\n";
      if (subscribe_) out += "SUB " + room_ + " 1\r\n";
      out += "PING\r\n";
      break;
  }
  return out;
}

void Wire::append_publish(std::string& out, std::string_view room, std::string_view payload) const {
  switch (proto_) {
    case Proto::phoenix: {
      std::string text = "[\"1\",null,\"room:";
      text += room;
      text += "\",\"shout\",{\"body\":\"";
      text += payload;
      text += "\"}]";
      append_ws_text_frame(out, text);
      break;
    }
    case Proto::ws:
      append_ws_text_frame(out, payload);
      break;
    case Proto::mqtt: {
      std::string topic = mqtt_topic(std::string(room));
      out += static_cast<char>(0x30);
      put_mqtt_length(out, 2 + topic.size() + payload.size());
      put_mqtt_string(out, topic);
      out += payload;
      break;
    }
    case Proto::redis:
      put_redis_command(out, {"PUBLISH", room, payload});
      break;
    case Proto::nats:
      out += "PUB ";
      out += room;
      out += ' ';
      out += std::to_string(payload.size());
      out += "\r\n";
      out += payload;
      out += "\r\n";
      break;
  }
}

std::string Wire::heartbeat() const {
  if (proto_ != Proto::phoenix) return {};
  std::string out;
  append_ws_text_frame(out, "[null,\"hb\",\"phoenix\",\"heartbeat\",{}]");
  return out;
}

void Wire::set_ready(WireEvents& events) {
  if (ready_) return;
  ready_ = true;
  events.on_ready();
}

std::size_t Wire::feed(std::string_view data, WireEvents& events) {
  switch (proto_) {
    case Proto::phoenix:
    case Proto::ws: {
      std::size_t used = 0;
      if (!upgraded_) {
        used = feed_http(data, events);
        if (!upgraded_) return used;
      }
      return used + feed_ws(data.substr(used), events);
    }
    case Proto::mqtt:
      return feed_mqtt(data, events);
    case Proto::redis:
      return feed_redis(data, events);
    case Proto::nats:
      return feed_nats(data, events);
  }
  return data.size();
}

std::size_t Wire::feed_http(std::string_view data, WireEvents& events) {
  auto end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) return 0;
  if (data.substr(0, 12).find(" 101") == std::string_view::npos) {
    events.on_failed(data.substr(0, data.find("\r\n")));
    return data.size();
  }
  upgraded_ = true;
  if (proto_ == Proto::ws || !subscribe_) set_ready(events);
  return end + 4;
}

std::size_t Wire::feed_ws(std::string_view data, WireEvents& events) {
  std::size_t pos = 0;
  while (data.size() - pos >= 2) {
    auto b0 = static_cast<unsigned char>(data[pos]);
    auto b1 = static_cast<unsigned char>(data[pos + 1]);
    std::size_t header = 2;
    std::uint64_t len = b1 & 0x7f;
    if (len == 126) {
      if (data.size() - pos < 4) break;
      len = (static_cast<unsigned char>(data[pos + 2]) << 8) |
            static_cast<unsigned char>(data[pos + 3]);
      header = 4;
    } else if (len == 127) {
      if (data.size() - pos < 10) break;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<unsigned char>(data[pos + 2 + i]);
      header = 10;
    }
    if (data.size() - pos < header + len) break;
    std::string_view payload = data.substr(pos + header, len);
    pos += header + len;
    switch (b0 & 0x0f) {
      case 0x1:
      case 0x2:
        if (!ready_) {
          // phoenix: the reply to our join (join_ref "1", ref "1").
          if (payload.starts_with("[\"1\",\"1\",") &&
              payload.find("\"phx_reply\"") != std::string_view::npos) {
            if (payload.find("\"ok\"") != std::string_view::npos)
              set_ready(events);
            else
              events.on_failed(payload);
          }
          break;
        }
        events.on_payload(payload);
        break;
      case 0x8:
        events.on_failed("close frame");
        return data.size();
      case 0x9: {
        std::string pong;
        pong += static_cast<char>(0x8a);
        pong += static_cast<char>(0x80 | payload.size());
        pong.append(reinterpret_cast<const char*>(kMask), 4);
        for (std::size_t i = 0; i < payload.size(); ++i)
          pong += static_cast<char>(payload[i] ^ kMask[i & 3]);
        events.on_reply(std::move(pong));
        break;
      }
      default:
        break;
    }
  }
  return pos;
}

std::size_t Wire::feed_mqtt(std::string_view data, WireEvents& events) {
  std::size_t pos = 0;
  while (data.size() - pos >= 2) {
    auto b0 = static_cast<unsigned char>(data[pos]);
    auto type = b0 >> 4;
    std::size_t len = 0, mult = 1, i = pos + 1;
    bool complete = false;
    for (int k = 0; k < 4 && i < data.size(); ++k, ++i) {
      auto b = static_cast<unsigned char>(data[i]);
      len += (b & 0x7f) * mult;
      mult *= 128;
      if (!(b & 0x80)) {
        complete = true;
        ++i;
        break;
      }
    }
    if (!complete || data.size() - i < len) break;
    std::string_view body = data.substr(i, len);
    pos = i + len;
    switch (type) {
      case 2:  // CONNACK
        if (body.size() >= 2 && body[1] != 0) {
          events.on_failed("CONNACK refused");
          return data.size();
        }
        if (!subscribe_) set_ready(events);
        break;
      case 9:  // SUBACK
        set_ready(events);
        break;
      case 3: {  // PUBLISH
        if (body.size() < 2) break;
        std::size_t tlen =
            (static_cast<unsigned char>(body[0]) << 8) | static_cast<unsigned char>(body[1]);
        std::size_t skip = 2 + tlen + (((b0 >> 1) & 3) ? 2 : 0);  // QoS > 0: a packet id
        if (skip <= body.size()) events.on_payload(body.substr(skip));
        break;
      }
      default:
        break;
    }
  }
  return pos;
}

std::size_t Wire::feed_redis(std::string_view data, WireEvents& events) {
  std::size_t pos = 0;
  while (pos < data.size()) {
    Resp r;
    std::size_t n = parse_resp(data.substr(pos), r);
    if (n == 0) break;
    pos += n;
    if (r.type == '*') {
      if (r.first == "message")
        events.on_payload(r.last);
      else if (r.first == "subscribe")
        set_ready(events);
    } else if (r.type == '+' && r.first == "PONG") {
      set_ready(events);
    } else if (r.type == '-') {
      events.on_failed(r.first);
    }
  }
  return pos;
}

std::size_t Wire::feed_nats(std::string_view data, WireEvents& events) {
  std::size_t pos = 0;
  while (pos < data.size()) {
    auto eol = data.find("\r\n", pos);
    if (eol == std::string_view::npos) break;
    std::string_view line = data.substr(pos, eol - pos);
    if (line.starts_with("MSG ")) {
      auto sp = line.rfind(' ');
      std::size_t n = 0;
      for (char c : line.substr(sp + 1)) n = n * 10 + static_cast<std::size_t>(c - '0');
      if (data.size() - (eol + 2) < n + 2) break;
      events.on_payload(data.substr(eol + 2, n));
      pos = eol + 2 + n + 2;
      continue;
    }
    pos = eol + 2;
    if (line == "PING")
      events.on_reply("PONG\r\n");
    else if (line == "PONG")
      set_ready(events);
    else if (line.starts_with("-ERR"))
      events.on_failed(line);
  }
  return pos;
}

}  // namespace bench
