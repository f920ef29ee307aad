// libFuzzer target for the MQTT packet parser and encoders. Built only with clang
// -fsanitize=fuzzer:
//   clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -Isrc
//   tests/fuzz/mqtt_codec_fuzz.cpp src/dialects/mqtt/{packet,parser,topic}.cpp src/core/utf8.cpp
//     -o mqtt_codec_fuzz
//
// Input: byte 0 picks the role (bit 0: parse what a server or a client receives) and the packet
// size limit (the other bits), bytes 1-2 a split point, the rest is fed to a Parser whole, in two
// parts at the split point, and byte by byte. Besides not crashing, the three runs must report
// the same packets and error, and every packet must keep the parser's promises: within the
// limit, strings UTF-8 without U+0000, topic names without wildcards, valid filters, identifiers
// where required; and its encoding must parse back to the same packet.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "dialects/mqtt/packet.hpp"
#include "dialects/mqtt/parser.hpp"
#include "dialects/mqtt/topic.hpp"

namespace {

namespace mqtt = parley::dialects::mqtt;

void check(bool ok) {
  if (!ok) std::abort();
}

// The invariants of a parsed packet.
void check_packet(const mqtt::Packet& packet) {
  if (const auto* c = std::get_if<mqtt::Connect>(&packet)) {
    if (!c->supported) return;
    check(mqtt::valid_mqtt_string(c->client_id));
    if (c->will) {
      check(mqtt::valid_topic_name(c->will->topic));
      check(c->will->qos <= 2);
    }
    if (c->password) check(c->username.has_value());
    if (c->username) check(mqtt::valid_mqtt_string(*c->username));
  } else if (const auto* p = std::get_if<mqtt::Publish>(&packet)) {
    check(mqtt::valid_topic_name(p->topic));
    check(p->qos <= 2);
    check((p->qos == 0) == (p->packet_id == 0));
    check(p->qos > 0 || !p->dup);
  } else if (const auto* s = std::get_if<mqtt::Subscribe>(&packet)) {
    check(s->packet_id != 0 && !s->filters.empty());
    for (const auto& [filter, qos] : s->filters)
      check(mqtt::valid_topic_filter(filter) && qos <= 2);
  } else if (const auto* u = std::get_if<mqtt::Unsubscribe>(&packet)) {
    check(u->packet_id != 0 && !u->filters.empty());
    for (std::string_view filter : u->filters) check(mqtt::valid_topic_filter(filter));
  } else if (const auto* s = std::get_if<mqtt::Suback>(&packet)) {
    check(!s->codes.empty());
    for (std::uint8_t code : s->codes) check(code <= 2 || code == mqtt::kSubackFailure);
  }
}

class Log final : public mqtt::PacketHandler {
 public:
  Log(mqtt::Role role, std::size_t max) : role_(role), max_(max) {}

  bool on_packet(const mqtt::Packet& packet) override {
    check_packet(packet);
    std::string bytes = mqtt::encode(packet);
    // The encoding parses back to the same encoding (Remaining Length may be shorter than the
    // input's, which a non-minimal encoding allows: compare re-encodings, not inputs).
    mqtt::Parser again(mqtt::ParserOptions{mqtt::kMaxRemainingLength, role_});
    struct Once final : mqtt::PacketHandler {
      bool on_packet(const mqtt::Packet& p) override {
        ++count;
        encoded = mqtt::encode(p);
        return true;
      }
      int count = 0;
      std::string encoded;
    } once;
    mqtt::FeedResult r = again.feed(bytes, once);
    auto* c = std::get_if<mqtt::Connect>(&packet);
    bool partial_connect = c && !c->supported;  // only name and level were read
    if (!partial_connect) {
      check(r.error == nullptr && once.count == 1 && once.encoded == bytes);
      check(bytes.size() <= max_ + 5);
    }
    text += bytes;
    text += '|';
    return true;
  }

  std::string text;

 private:
  mqtt::Role role_;
  std::size_t max_;
};

struct Outcome {
  std::string packets;
  std::string error;
  bool operator==(const Outcome&) const = default;
};

// Feeds bytes[0, split) first, then the rest in chunks of `step` bytes.
Outcome run(std::string_view bytes, std::size_t split, std::size_t step, mqtt::Role role,
            std::size_t max) {
  mqtt::Parser parser(mqtt::ParserOptions{max, role});
  Log log(role, max);
  Outcome out;
  auto feed = [&](std::string_view chunk) {
    mqtt::FeedResult r = parser.feed(chunk, log);
    check(r.consumed == chunk.size() || r.error);
    if (!r.error) return;
    check(out.error.empty());  // an error is reported once, then input is ignored
    check(parser.failed());
    out.error = r.error;
    check(!out.error.empty());
  };
  feed(bytes.substr(0, split));
  for (std::size_t at = split; at < bytes.size(); at += step) feed(bytes.substr(at, step));
  out.packets = std::move(log.text);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  mqtt::Role role = (data[0] & 1) ? mqtt::Role::client : mqtt::Role::server;
  // Small limits exercise the size check; 0x7F (the top selector) the default.
  std::size_t max = (data[0] >> 1) == 0x7F ? 1024 * 1024 : static_cast<std::size_t>(data[0] >> 1);
  std::size_t split = static_cast<std::size_t>(data[1] | (data[2] << 8));
  std::string_view bytes(reinterpret_cast<const char*>(data + 3), size - 3);
  split %= bytes.size() + 1;

  Outcome whole = run(bytes, bytes.size(), 1, role, max);
  Outcome two = run(bytes, split, bytes.size(), role, max);
  Outcome bytewise = run(bytes, 0, 1, role, max);
  check(two == whole);
  check(bytewise == whole);
  return 0;
}
