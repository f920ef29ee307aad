// The MQTT codec: every packet type encoded and parsed back, input split at every position, and
// each kind of malformed input refused.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dialects/mqtt/packet.hpp"
#include "dialects/mqtt/parser.hpp"

namespace parley::dialects::mqtt {
namespace {

using namespace std::string_literals;

// Records packets re-encoded (so that views need not outlive the call); can pause.
class Recorder final : public PacketHandler {
 public:
  bool on_packet(const Packet& packet) override {
    encoded.push_back(encode(packet));
    types.push_back(type_of(packet));
    return !pause_after || encoded.size() % pause_after != 0;
  }
  std::vector<std::string> encoded;
  std::vector<PacketType> types;
  std::size_t pause_after = 0;
};

Connect full_connect() {
  static const std::string will_payload = "gone\0away"s, password = "s3cr\xFFt"s;
  Connect c;
  c.client_id = "client-1";
  c.clean_session = false;
  c.keep_alive = 60;
  c.will = Will{"last/will", will_payload, 1, true};
  c.username = "alice";
  c.password = password;
  return c;
}

// Client-to-server packets, one of each type (and variants), each encoded.
std::vector<std::string> client_packets() {
  std::string big(70'000, 'x');  // a three-byte Remaining Length
  static const std::string big_payload = big;
  return {
      encode_connect(full_connect()),
      encode_connect(Connect{}),
      encode_publish(Publish{"a/b", "hello", 0, false, false, 0}),
      encode_publish(Publish{"a/b", "", 1, true, true, 7}),
      encode_publish(Publish{"t", big_payload, 2, false, false, 65535}),
      encode_ack(PacketType::puback, 7),
      encode_ack(PacketType::pubrec, 8),
      encode_ack(PacketType::pubrel, 9),
      encode_ack(PacketType::pubcomp, 10),
      encode_subscribe(Subscribe{11, {{"a/+", 0}, {"#", 2}, {"$SYS/x", 1}}}),
      encode_unsubscribe(Unsubscribe{12, {"a/+", "#"}}),
      encode_empty(PacketType::pingreq),
      encode_empty(PacketType::disconnect),
  };
}

std::vector<std::string> server_packets() {
  return {
      encode_connack(true, connack_code::accepted),
      encode_connack(false, connack_code::not_authorized),
      encode_publish(Publish{"x", "y", 2, true, true, 3}),
      encode_ack(PacketType::puback, 1),
      encode_ack(PacketType::unsuback, 2),
      encode_suback(3, {0, 1, 2, kSubackFailure}),
      encode_empty(PacketType::pingresp),
  };
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += p;
  return out;
}

TEST(MqttCodec, EveryPacketRoundTrips) {
  for (const auto& [packets, role] :
       {std::pair{client_packets(), Role::server}, std::pair{server_packets(), Role::client}}) {
    Parser parser(ParserOptions{1 << 20, role});
    Recorder r;
    FeedResult res = parser.feed(join(packets), r);
    ASSERT_EQ(res.error, nullptr) << res.error;
    EXPECT_EQ(res.consumed, join(packets).size());
    EXPECT_EQ(r.encoded, packets);
  }
}

TEST(MqttCodec, ConnectFieldsDecoded) {
  std::string bytes = encode_connect(full_connect());
  Packet p;
  ASSERT_EQ(decode(static_cast<std::uint8_t>(bytes[0]), std::string_view(bytes).substr(2),
                   Role::server, p),
            nullptr);
  const Connect& c = std::get<Connect>(p);
  EXPECT_EQ(c.protocol_name, "MQTT");
  EXPECT_EQ(c.level, 4);
  EXPECT_TRUE(c.supported);
  EXPECT_FALSE(c.clean_session);
  EXPECT_EQ(c.keep_alive, 60);
  EXPECT_EQ(c.client_id, "client-1");
  ASSERT_TRUE(c.will);
  EXPECT_EQ(c.will->topic, "last/will");
  EXPECT_EQ(c.will->payload, "gone\0away"s);
  EXPECT_EQ(c.will->qos, 1);
  EXPECT_TRUE(c.will->retain);
  EXPECT_EQ(c.username, "alice");
  EXPECT_EQ(c.password, "s3cr\xFFt"s);
}

// Every split of the whole stream into two feeds, and a byte at a time, gives the same packets.
TEST(MqttCodec, SplitAtEveryPosition) {
  std::vector<std::string> packets = client_packets();
  packets.erase(packets.begin() + 4);  // the 70 kB one: quadratic otherwise
  std::string all = join(packets);
  for (std::size_t split = 0; split <= all.size(); ++split) {
    Parser parser;
    Recorder r;
    ASSERT_EQ(parser.feed(all.substr(0, split), r).error, nullptr);
    ASSERT_EQ(parser.feed(all.substr(split), r).error, nullptr);
    ASSERT_EQ(r.encoded, packets) << "split at " << split;
  }
  Parser parser;
  Recorder r;
  for (char c : join(client_packets())) ASSERT_EQ(parser.feed(std::string(1, c), r).error, nullptr);
  EXPECT_EQ(r.encoded, client_packets());
  EXPECT_TRUE(parser.idle());
}

TEST(MqttCodec, HandlerCanPause) {
  std::string all = join(client_packets());
  Parser parser;
  Recorder r;
  r.pause_after = 1;
  std::size_t pos = 0, feeds = 0;
  while (pos < all.size()) {
    FeedResult res = parser.feed(std::string_view(all).substr(pos), r);
    ASSERT_EQ(res.error, nullptr);
    pos += res.consumed;
    ++feeds;
    EXPECT_EQ(r.encoded.size(), feeds);  // one packet per feed
  }
  EXPECT_EQ(r.encoded, client_packets());
}

TEST(MqttCodec, RemainingLengthBoundaries) {
  for (std::size_t n : {0u, 127u, 128u, 16383u, 16384u, 2097151u, 2097152u}) {
    std::string out;
    append_remaining_length(out, n);
    std::size_t expected = n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4;
    EXPECT_EQ(out.size(), expected) << n;
  }
  std::string max;
  append_remaining_length(max, kMaxRemainingLength);
  EXPECT_EQ(max, "\xFF\xFF\xFF\x7F");
}

TEST(MqttCodec, UnsupportedLevelStopsAfterTheLevel) {
  // MQTT 5's CONNECT has properties after the keep-alive: not read.
  std::string body = "\x00\x04MQTT\x05\x02\x00\x3C\x00"s;
  std::string bytes = "\x10"s + static_cast<char>(body.size()) + body;
  Parser parser;
  Recorder r;
  ASSERT_EQ(parser.feed(bytes, r).error, nullptr);
  Packet p;
  ASSERT_EQ(decode(0x10, body, Role::server, p), nullptr);
  EXPECT_FALSE(std::get<Connect>(p).supported);
  EXPECT_EQ(std::get<Connect>(p).level, 5);
  // MQTT 3.1 (MQIsdp, level 3) is spoken.
  Connect v31;
  v31.protocol_name = "MQIsdp";
  v31.level = kLevel31;
  v31.client_id = "old";
  std::string old = encode_connect(v31);
  ASSERT_EQ(decode(0x10, std::string_view(old).substr(2), Role::server, p), nullptr);
  EXPECT_TRUE(std::get<Connect>(p).supported);
}

// Each malformed input is refused with a reason, and nothing after it is parsed.
TEST(MqttCodec, MalformedInputRefused) {
  auto publish_body = [](std::string topic) {
    return std::string(1, '\0') + static_cast<char>(topic.size()) + topic + "payload";
  };
  auto with_header = [](char first, const std::string& body) {
    std::string out(1, first);
    append_remaining_length(out, body.size());
    return out + body;
  };
  auto connect_with_flags = [&](char flags, std::string rest = "\x00\x01x"s) {
    return with_header('\x10', "\x00\x04MQTT\x04"s + flags + "\x00\x00"s + rest);
  };
  struct Case {
    std::string name;
    std::string bytes;
  };
  const std::vector<Case> cases = {
      {"reserved type 0", "\x00\x00"s},
      {"reserved type 15", "\xF0\x00"s},
      {"CONNACK from a client", encode_connack(false, 0)},
      {"SUBACK from a client", encode_suback(1, {0})},
      {"PINGRESP from a client", encode_empty(PacketType::pingresp)},
      {"flags on PUBACK", "\x41\x02\x00\x01"s},
      {"PUBREL without its flags", "\x60\x02\x00\x01"s},
      {"SUBSCRIBE without its flags", "\x80\x06\x00\x01\x00\x01x\x00"s},
      {"QoS 3", with_header('\x36', publish_body("a"))},
      {"DUP on QoS 0", with_header('\x38', publish_body("a"))},
      {"five-byte remaining length", "\x30\xFF\xFF\xFF\xFF\x01"s},
      {"over the size limit", "\x30\x81\x80\x01"s},  // 16385 bytes > 16384
      {"invalid UTF-8 topic", with_header('\x30', publish_body("a\xC3"))},
      {"overlong UTF-8", with_header('\x30', publish_body("\xC0\xAF"))},
      {"surrogate in a topic", with_header('\x30', publish_body("\xED\xA0\x80"))},
      {"U+0000 in a topic", with_header('\x30', publish_body("a\0b"s))},
      {"'+' in a topic name", with_header('\x30', publish_body("a/+"))},
      {"'#' in a topic name", with_header('\x30', publish_body("#"))},
      {"empty topic name", with_header('\x30', publish_body(""))},
      {"packet id 0", with_header('\x32',
                                  "\x00\x01"
                                  "a\x00\x00"s)},
      {"topic length past the end", with_header('\x30',
                                                "\x00\x09"
                                                "ab"s)},
      {"SUBSCRIBE without filters", "\x82\x02\x00\x01"s},
      {"SUBSCRIBE QoS reserved bits", "\x82\x06\x00\x01\x00\x01x\x04"s},
      {"SUBSCRIBE QoS 3", "\x82\x06\x00\x01\x00\x01x\x03"s},
      {"SUBSCRIBE invalid filter", "\x82\x07\x00\x01\x00\x02x#\x00"s},
      {"SUBSCRIBE '+' inside a level", "\x82\x07\x00\x01\x00\x02+x\x00"s},
      {"SUBSCRIBE '#' not last", "\x82\x08\x00\x01\x00\x03#/x\x00"s},
      {"SUBSCRIBE packet id 0", "\x82\x06\x00\x00\x00\x01x\x00"s},
      {"UNSUBSCRIBE without filters", "\xA2\x02\x00\x01"s},
      {"PUBACK too long", "\x40\x03\x00\x01\x00"s},
      {"PUBACK too short", "\x40\x01\x00"s},
      {"PINGREQ with a body", "\xC0\x01\x00"s},
      {"DISCONNECT with flags", "\xE1\x00"s},
      {"CONNECT with flags", "\x11\x00"s},
      {"unknown protocol name", with_header('\x10', "\x00\x02hj\x04\x02\x00\x00\x00\x01x"s)},
      {"reserved connect flag", connect_with_flags('\x03')},
      {"will QoS without a will", connect_with_flags('\x0A')},
      {"will retain without a will", connect_with_flags('\x22')},
      {"will QoS 3", connect_with_flags('\x1E', "\x00\x01x\x00\x01t\x00\x00"s)},
      {"password without user name", connect_with_flags('\x42', "\x00\x01x\x00\x01p"s)},
      {"client id not UTF-8", connect_with_flags('\x02', "\x00\x01\xFF"s)},
      {"will topic with a wildcard", connect_with_flags('\x06', "\x00\x01x\x00\x01#\x00\x00"s)},
      {"bytes after the password", connect_with_flags('\xC2', "\x00\x01x\x00\x01u\x00\x01p!"s)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Parser parser(ParserOptions{16384, Role::server});
    Recorder r;
    FeedResult res = parser.feed(c.bytes + encode_empty(PacketType::pingreq), r);
    EXPECT_NE(res.error, nullptr);
    EXPECT_TRUE(parser.failed());
    EXPECT_TRUE(r.encoded.empty());
    // Input after an error is ignored.
    res = parser.feed(encode_empty(PacketType::pingreq), r);
    EXPECT_EQ(res.error, nullptr);
    EXPECT_TRUE(r.encoded.empty());
  }
}

TEST(MqttCodec, SizeLimitCheckedBeforeTheBody) {
  Parser parser(ParserOptions{10, Role::server});
  Recorder r;
  // The header alone announces 11 bytes: refused before any body byte arrives.
  FeedResult res = parser.feed("\x30\x0B"s, r);
  EXPECT_NE(res.error, nullptr);
  Parser ok(ParserOptions{10, Role::server});
  EXPECT_EQ(ok.feed(encode_publish(Publish{"a", "1234567", 0}), r).error, nullptr);
  EXPECT_EQ(r.encoded.size(), 1u);
}

TEST(MqttCodec, PublishHeadThenPayloadIsThePacket) {
  Publish p{"chat/room", "a payload", 1, false, true, 42};
  EXPECT_EQ(encode_publish_head(p, p.payload.size()) + std::string(p.payload), encode_publish(p));
}

}  // namespace
}  // namespace parley::dialects::mqtt
