#include "dialects/mqtt/parser.hpp"

#include <algorithm>

#include "dialects/mqtt/topic.hpp"

namespace parley::dialects::mqtt {

namespace {

// Reads the fields of a packet body front to back; every read fails once the body is short.
class Reader {
 public:
  explicit Reader(std::string_view body) : rest_(body) {}

  bool u8(std::uint8_t& v) {
    if (rest_.empty()) return false;
    v = static_cast<std::uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return true;
  }
  bool u16(std::uint16_t& v) {
    if (rest_.size() < 2) return false;
    v = static_cast<std::uint16_t>((static_cast<std::uint8_t>(rest_[0]) << 8) |
                                   static_cast<std::uint8_t>(rest_[1]));
    rest_.remove_prefix(2);
    return true;
  }
  // A two-byte length, then as many bytes.
  bool field(std::string_view& v) {
    std::uint16_t n = 0;
    if (!u16(n) || rest_.size() < n) return false;
    v = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return true;
  }
  std::string_view rest() {
    std::string_view r = rest_;
    rest_ = {};
    return r;
  }
  bool done() const { return rest_.empty(); }

 private:
  std::string_view rest_;
};

constexpr const char* kShort = "packet shorter than its fields";
constexpr const char* kLeftover = "bytes left over at the end of the packet";
constexpr const char* kUtf8 = "string is not UTF-8 or contains U+0000";

const char* decode_connect(std::string_view body, Connect& c) {
  Reader r(body);
  if (!r.field(c.protocol_name) || !r.u8(c.level)) return kShort;
  if (c.protocol_name == "MQTT") {
    c.supported = c.level == kLevel311;
  } else if (c.protocol_name == "MQIsdp") {
    c.supported = c.level == kLevel31;
  } else {
    return "unknown protocol name";  // section 3.1.2.1: the server may disconnect
  }
  if (!c.supported) return nullptr;  // answered with CONNACK 0x01; the rest is not read
  std::uint8_t flags = 0;
  if (!r.u8(flags) || !r.u16(c.keep_alive)) return kShort;
  if (flags & 0x01) return "reserved connect flag set";
  c.clean_session = flags & 0x02;
  bool will = flags & 0x04;
  auto will_qos = static_cast<std::uint8_t>((flags >> 3) & 0x03);
  bool will_retain = flags & 0x20;
  bool password = flags & 0x40;
  bool username = flags & 0x80;
  if (will_qos == 3) return "will QoS 3";
  if (!will && (will_qos != 0 || will_retain)) return "will QoS or retain without a will";
  if (password && !username) return "password without a user name";
  if (!r.field(c.client_id)) return kShort;
  if (!valid_mqtt_string(c.client_id)) return kUtf8;
  if (will) {
    Will w;
    if (!r.field(w.topic) || !r.field(w.payload)) return kShort;
    if (!valid_mqtt_string(w.topic)) return kUtf8;
    if (!valid_topic_name(w.topic)) return "invalid will topic";
    w.qos = will_qos;
    w.retain = will_retain;
    c.will = w;
  }
  if (username) {
    std::string_view u;
    if (!r.field(u)) return kShort;
    if (!valid_mqtt_string(u)) return kUtf8;
    c.username = u;
  }
  if (password) {
    std::string_view p;
    if (!r.field(p)) return kShort;
    c.password = p;
  }
  return r.done() ? nullptr : kLeftover;
}

const char* decode_publish(std::uint8_t flags, std::string_view body, Publish& p) {
  p.dup = flags & 0x08;
  p.qos = static_cast<std::uint8_t>((flags >> 1) & 0x03);
  p.retain = flags & 0x01;
  Reader r(body);
  if (!r.field(p.topic)) return kShort;
  if (!valid_mqtt_string(p.topic)) return kUtf8;
  if (p.topic.empty()) return "empty topic name";
  if (p.topic.find_first_of("+#") != std::string_view::npos) return "wildcard in a topic name";
  if (p.qos > 0) {
    if (!r.u16(p.packet_id)) return kShort;
    if (p.packet_id == 0) return "packet identifier 0";
  }
  p.payload = r.rest();
  return nullptr;
}

const char* decode_ack(PacketType type, std::string_view body, Ack& a) {
  a.type = type;
  Reader r(body);
  if (!r.u16(a.packet_id)) return kShort;
  return r.done() ? nullptr : kLeftover;
}

const char* decode_subscribe(std::string_view body, Subscribe& s) {
  Reader r(body);
  if (!r.u16(s.packet_id)) return kShort;
  if (s.packet_id == 0) return "packet identifier 0";
  while (!r.done()) {
    std::string_view filter;
    std::uint8_t qos = 0;
    if (!r.field(filter) || !r.u8(qos)) return kShort;
    if (!valid_mqtt_string(filter)) return kUtf8;
    if (!valid_topic_filter(filter)) return "invalid topic filter";
    if (qos > 2) return "requested QoS above 2 or reserved bits set";
    s.filters.emplace_back(filter, qos);
  }
  if (s.filters.empty()) return "SUBSCRIBE without topic filters";
  return nullptr;
}

const char* decode_unsubscribe(std::string_view body, Unsubscribe& u) {
  Reader r(body);
  if (!r.u16(u.packet_id)) return kShort;
  if (u.packet_id == 0) return "packet identifier 0";
  while (!r.done()) {
    std::string_view filter;
    if (!r.field(filter)) return kShort;
    if (!valid_mqtt_string(filter)) return kUtf8;
    if (!valid_topic_filter(filter)) return "invalid topic filter";
    u.filters.push_back(filter);
  }
  if (u.filters.empty()) return "UNSUBSCRIBE without topic filters";
  return nullptr;
}

const char* decode_connack(std::string_view body, Connack& c) {
  Reader r(body);
  std::uint8_t flags = 0;
  if (!r.u8(flags) || !r.u8(c.code)) return kShort;
  if (flags & 0xFE) return "reserved connack flags set";
  c.session_present = flags & 0x01;
  return r.done() ? nullptr : kLeftover;
}

const char* decode_suback(std::string_view body, Suback& s) {
  Reader r(body);
  if (!r.u16(s.packet_id)) return kShort;
  for (char c : r.rest()) {
    auto code = static_cast<std::uint8_t>(c);
    if (code > 2 && code != kSubackFailure) return "invalid SUBACK return code";
    s.codes.push_back(code);
  }
  if (s.codes.empty()) return "SUBACK without return codes";
  return nullptr;
}

// True when role's peer sends packets of type t.
bool sent_by_peer(PacketType t, Role role) {
  switch (t) {
    case PacketType::publish:
    case PacketType::puback:
    case PacketType::pubrec:
    case PacketType::pubrel:
    case PacketType::pubcomp:
      return true;
    case PacketType::connect:
    case PacketType::subscribe:
    case PacketType::unsubscribe:
    case PacketType::pingreq:
    case PacketType::disconnect:
      return role == Role::server;
    case PacketType::connack:
    case PacketType::suback:
    case PacketType::unsuback:
    case PacketType::pingresp:
      return role == Role::client;
  }
  return false;
}

}  // namespace

const char* decode(std::uint8_t first_byte, std::string_view body, Role role, Packet& out) {
  auto type = static_cast<PacketType>(first_byte >> 4);
  std::uint8_t flags = first_byte & 0x0F;
  switch (type) {
    case PacketType::connect: {
      Connect c;
      const char* err = decode_connect(body, c);
      out = c;
      return err;
    }
    case PacketType::connack: {
      Connack c;
      const char* err = decode_connack(body, c);
      out = c;
      return err;
    }
    case PacketType::publish: {
      Publish p;
      const char* err = decode_publish(flags, body, p);
      out = p;
      return err;
    }
    case PacketType::puback:
    case PacketType::pubrec:
    case PacketType::pubrel:
    case PacketType::pubcomp:
    case PacketType::unsuback: {
      Ack a;
      const char* err = decode_ack(type, body, a);
      out = a;
      return err;
    }
    case PacketType::subscribe: {
      Subscribe s;
      const char* err = decode_subscribe(body, s);
      out = std::move(s);
      return err;
    }
    case PacketType::suback: {
      Suback s;
      const char* err = decode_suback(body, s);
      out = std::move(s);
      return err;
    }
    case PacketType::unsubscribe: {
      Unsubscribe u;
      const char* err = decode_unsubscribe(body, u);
      out = std::move(u);
      return err;
    }
    case PacketType::pingreq:
    case PacketType::pingresp:
    case PacketType::disconnect:
      out = Empty{type};
      return body.empty() ? nullptr : kLeftover;
  }
  (void)role;
  return "reserved packet type";
}

Parser::Parser(ParserOptions options) : options_(options) {}

const char* Parser::start(std::uint8_t first) {
  auto raw = static_cast<std::uint8_t>(first >> 4);
  if (raw == 0 || raw == 15) return "reserved packet type";
  auto type = static_cast<PacketType>(raw);
  if (!sent_by_peer(type, options_.role))
    return options_.role == Role::server ? "a packet type clients do not send"
                                         : "a packet type servers do not send";
  std::uint8_t flags = first & 0x0F;
  if (type == PacketType::publish) {
    std::uint8_t qos = (flags >> 1) & 0x03;
    if (qos == 3) return "PUBLISH with QoS 3";
    if (qos == 0 && (flags & 0x08)) return "PUBLISH with DUP on QoS 0";
    return nullptr;
  }
  bool one_zero = type == PacketType::pubrel || type == PacketType::subscribe ||
                  type == PacketType::unsubscribe;
  if (flags != (one_zero ? 0x02 : 0x00)) return "reserved fixed-header flags";
  return nullptr;
}

const char* Parser::complete(std::string_view body, PacketHandler& handler, bool& go_on) {
  Packet packet;
  if (const char* err = decode(first_, body, options_.role, packet)) return err;
  stage_ = Stage::first;
  go_on = handler.on_packet(packet);
  return nullptr;
}

FeedResult Parser::feed(std::string_view data, PacketHandler& handler) {
  if (failed_) return {data.size(), nullptr};
  std::size_t pos = 0;
  auto fail = [&](const char* why) {
    failed_ = true;
    body_.clear();
    return FeedResult{pos, why};
  };
  while (pos < data.size()) {
    switch (stage_) {
      case Stage::first: {
        first_ = static_cast<std::uint8_t>(data[pos++]);
        if (const char* err = start(first_)) return fail(err);
        stage_ = Stage::length;
        length_ = 0;
        multiplier_ = 1;
        length_bytes_ = 0;
        break;
      }
      case Stage::length: {
        auto b = static_cast<std::uint8_t>(data[pos++]);
        length_ += (b & 0x7F) * multiplier_;
        ++length_bytes_;
        if (b & 0x80) {
          if (length_bytes_ == 4) return fail("malformed remaining length");
          multiplier_ *= 128;
          break;
        }
        if (length_ > options_.max_packet_bytes) return fail("packet over the size limit");
        stage_ = Stage::body;
        if (length_ == 0) {
          bool go_on = true;
          if (const char* err = complete({}, handler, go_on)) return fail(err);
          if (!go_on) return {pos, nullptr};
        }
        break;
      }
      case Stage::body: {
        std::size_t available = data.size() - pos;
        if (body_.empty() && available >= length_) {
          // The whole body is in this input: decoded in place, never copied.
          std::string_view body = data.substr(pos, length_);
          pos += length_;
          bool go_on = true;
          if (const char* err = complete(body, handler, go_on)) return fail(err);
          if (!go_on) return {pos, nullptr};
          break;
        }
        std::size_t take = std::min(available, length_ - body_.size());
        body_.append(data.substr(pos, take));
        pos += take;
        if (body_.size() < length_) break;
        std::string body = std::move(body_);
        body_.clear();
        bool go_on = true;
        if (const char* err = complete(body, handler, go_on)) return fail(err);
        if (!go_on) return {pos, nullptr};
        break;
      }
    }
  }
  return {pos, nullptr};
}

}  // namespace parley::dialects::mqtt
