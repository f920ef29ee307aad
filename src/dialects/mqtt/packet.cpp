#include "dialects/mqtt/packet.hpp"

#include <algorithm>

namespace parley::dialects::mqtt {

namespace {

// The first byte of a fixed header: type in the high nibble, flags in the low one.
char first_byte(PacketType type, std::uint8_t flags) {
  return static_cast<char>((static_cast<std::uint8_t>(type) << 4) | (flags & 0x0F));
}

void append_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xFF));
}

// A length-prefixed string or binary field (at most 65535 bytes: longer input is truncated,
// which only an encoder's caller breaking the protocol can ask for).
void append_field(std::string& out, std::string_view s) {
  if (s.size() > 0xFFFF) s = s.substr(0, 0xFFFF);
  append_u16(out, static_cast<std::uint16_t>(s.size()));
  out.append(s);
}

std::size_t field_size(std::string_view s) { return 2 + std::min<std::size_t>(s.size(), 0xFFFF); }

// A packet from its first byte and its variable header + payload.
std::string frame(char first, std::string_view body) {
  std::string out;
  out.reserve(5 + body.size());
  out.push_back(first);
  append_remaining_length(out, body.size());
  out.append(body);
  return out;
}

std::uint8_t publish_flags(const Publish& p) {
  return static_cast<std::uint8_t>((p.dup ? 0x08 : 0) | ((p.qos & 0x03) << 1) |
                                   (p.retain ? 0x01 : 0));
}

}  // namespace

const char* type_name(PacketType type) {
  switch (type) {
    case PacketType::connect:
      return "CONNECT";
    case PacketType::connack:
      return "CONNACK";
    case PacketType::publish:
      return "PUBLISH";
    case PacketType::puback:
      return "PUBACK";
    case PacketType::pubrec:
      return "PUBREC";
    case PacketType::pubrel:
      return "PUBREL";
    case PacketType::pubcomp:
      return "PUBCOMP";
    case PacketType::subscribe:
      return "SUBSCRIBE";
    case PacketType::suback:
      return "SUBACK";
    case PacketType::unsubscribe:
      return "UNSUBSCRIBE";
    case PacketType::unsuback:
      return "UNSUBACK";
    case PacketType::pingreq:
      return "PINGREQ";
    case PacketType::pingresp:
      return "PINGRESP";
    case PacketType::disconnect:
      return "DISCONNECT";
  }
  return "?";
}

PacketType type_of(const Packet& packet) {
  struct Visitor {
    PacketType operator()(const Connect&) const { return PacketType::connect; }
    PacketType operator()(const Connack&) const { return PacketType::connack; }
    PacketType operator()(const Publish&) const { return PacketType::publish; }
    PacketType operator()(const Ack& a) const { return a.type; }
    PacketType operator()(const Subscribe&) const { return PacketType::subscribe; }
    PacketType operator()(const Suback&) const { return PacketType::suback; }
    PacketType operator()(const Unsubscribe&) const { return PacketType::unsubscribe; }
    PacketType operator()(const Empty& e) const { return e.type; }
  };
  return std::visit(Visitor{}, packet);
}

void append_remaining_length(std::string& out, std::size_t n) {
  do {
    auto byte = static_cast<std::uint8_t>(n % 128);
    n /= 128;
    if (n > 0) byte |= 0x80;
    out.push_back(static_cast<char>(byte));
  } while (n > 0);
}

std::string encode(const Packet& packet) {
  struct Visitor {
    std::string operator()(const Connect& c) const { return encode_connect(c); }
    std::string operator()(const Connack& c) const {
      return encode_connack(c.session_present, c.code);
    }
    std::string operator()(const Publish& p) const { return encode_publish(p); }
    std::string operator()(const Ack& a) const { return encode_ack(a.type, a.packet_id); }
    std::string operator()(const Subscribe& s) const { return encode_subscribe(s); }
    std::string operator()(const Suback& s) const { return encode_suback(s.packet_id, s.codes); }
    std::string operator()(const Unsubscribe& u) const { return encode_unsubscribe(u); }
    std::string operator()(const Empty& e) const { return encode_empty(e.type); }
  };
  return std::visit(Visitor{}, packet);
}

std::string encode_connect(const Connect& c) {
  std::string body;
  append_field(body, c.protocol_name.empty() ? std::string_view("MQTT") : c.protocol_name);
  body.push_back(static_cast<char>(c.level));
  std::uint8_t flags = 0;
  if (c.clean_session) flags |= 0x02;
  if (c.will) {
    flags |= 0x04;
    flags |= static_cast<std::uint8_t>((c.will->qos & 0x03) << 3);
    if (c.will->retain) flags |= 0x20;
  }
  if (c.password) flags |= 0x40;
  if (c.username) flags |= 0x80;
  body.push_back(static_cast<char>(flags));
  append_u16(body, c.keep_alive);
  append_field(body, c.client_id);
  if (c.will) {
    append_field(body, c.will->topic);
    append_field(body, c.will->payload);
  }
  if (c.username) append_field(body, *c.username);
  if (c.password) append_field(body, *c.password);
  return frame(first_byte(PacketType::connect, 0), body);
}

std::string encode_connack(bool session_present, std::uint8_t code) {
  std::string out;
  out.push_back(first_byte(PacketType::connack, 0));
  out.push_back(2);
  out.push_back(session_present ? 1 : 0);
  out.push_back(static_cast<char>(code));
  return out;
}

std::string encode_publish_head(const Publish& p, std::size_t payload_size) {
  std::size_t remaining = field_size(p.topic) + (p.qos > 0 ? 2 : 0) + payload_size;
  std::string out;
  out.reserve(5 + remaining - payload_size);
  out.push_back(first_byte(PacketType::publish, publish_flags(p)));
  append_remaining_length(out, remaining);
  append_field(out, p.topic);
  if (p.qos > 0) append_u16(out, p.packet_id);
  return out;
}

std::string encode_publish(const Publish& p) {
  std::string out = encode_publish_head(p, p.payload.size());
  out.append(p.payload);
  return out;
}

std::string encode_ack(PacketType type, std::uint16_t packet_id) {
  std::string out;
  out.push_back(first_byte(type, type == PacketType::pubrel ? 0x02 : 0));
  out.push_back(2);
  append_u16(out, packet_id);
  return out;
}

std::string encode_subscribe(const Subscribe& s) {
  std::string body;
  append_u16(body, s.packet_id);
  for (const auto& [filter, qos] : s.filters) {
    append_field(body, filter);
    body.push_back(static_cast<char>(qos));
  }
  return frame(first_byte(PacketType::subscribe, 0x02), body);
}

std::string encode_suback(std::uint16_t packet_id, const std::vector<std::uint8_t>& codes) {
  std::string body;
  append_u16(body, packet_id);
  for (std::uint8_t code : codes) body.push_back(static_cast<char>(code));
  return frame(first_byte(PacketType::suback, 0), body);
}

std::string encode_unsubscribe(const Unsubscribe& u) {
  std::string body;
  append_u16(body, u.packet_id);
  for (std::string_view filter : u.filters) append_field(body, filter);
  return frame(first_byte(PacketType::unsubscribe, 0x02), body);
}

std::string encode_empty(PacketType type) {
  std::string out;
  out.push_back(first_byte(type, 0));
  out.push_back(0);
  return out;
}

}  // namespace parley::dialects::mqtt
