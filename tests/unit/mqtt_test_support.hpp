#pragma once
// For the MQTT unit tests: what a RecordingSink got, read back as packets (decoded with the
// client-role parser), and an authenticator with a fixed answer.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "dialects/mqtt/authenticator.hpp"
#include "dialects/mqtt/packet.hpp"
#include "dialects/mqtt/parser.hpp"
#include "recording_sink.hpp"

namespace parley::test {

namespace mqtt = dialects::mqtt;

// A packet a server sent, as bytes; decoded on each access, the views pointing into `bytes`
// (valid while this object lives unmoved).
struct Received {
  mqtt::PacketType type;
  std::string bytes;  // the whole packet as sent

  mqtt::Packet decoded() const {
    std::size_t header = 1;
    while (static_cast<std::uint8_t>(bytes[header]) & 0x80) ++header;
    ++header;
    mqtt::Packet p;
    const char* err = mqtt::decode(static_cast<std::uint8_t>(bytes[0]),
                                   std::string_view(bytes).substr(header), mqtt::Role::client, p);
    EXPECT_EQ(err, nullptr) << (err ? err : "");
    return p;
  }
  mqtt::Publish publish() const { return std::get<mqtt::Publish>(decoded()); }
  mqtt::Connack connack() const { return std::get<mqtt::Connack>(decoded()); }
  mqtt::Suback suback() const { return std::get<mqtt::Suback>(decoded()); }
  mqtt::Ack ack() const { return std::get<mqtt::Ack>(decoded()); }
};

// Splits what a server sent into packets.
inline std::vector<Received> decode_all(const std::string& wire) {
  std::vector<Received> out;
  std::size_t pos = 0;
  while (pos < wire.size()) {
    std::size_t length = 0, multiplier = 1, i = pos + 1;
    for (;; ++i) {
      auto b = static_cast<std::uint8_t>(wire.at(i));
      length += (b & 0x7F) * multiplier;
      multiplier *= 128;
      if (!(b & 0x80)) break;
    }
    std::size_t end = i + 1 + length;
    Received r;
    r.bytes = wire.substr(pos, end - pos);
    r.type = mqtt::type_of(r.decoded());
    pos = end;
    out.push_back(std::move(r));
  }
  return out;
}

// What sink sent since the last call, as packets.
inline std::vector<Received> take_packets(RecordingSink& sink) {
  std::string wire;
  for (const auto& part : sink.take()) wire += part;
  return decode_all(wire);
}

// Runs every pending timer (those they set wait for the next call).
inline void fire_all(RecordingSink& sink) {
  auto due = std::exchange(sink.timers, {});
  for (auto& t : due) t.fn();
}

// Answers every check with `outcome`, at once; records what it was asked.
class FixedAuthenticator final : public mqtt::Authenticator {
 public:
  void check(const std::string& username, const std::string& password, std::size_t thread,
             Done done) override {
    asked.emplace_back(username, password);
    if (defer)
      pending.push_back(std::move(done));
    else
      done(users.count(username) && users[username] == password ? mqtt::AuthOutcome::ok
           : unavailable                                        ? mqtt::AuthOutcome::unavailable
                                                                : mqtt::AuthOutcome::rejected);
  }
  std::map<std::string, std::string> users;
  bool unavailable = false;
  bool defer = false;  // keep the callbacks in `pending` for the test to run
  std::vector<Done> pending;
  std::vector<std::pair<std::string, std::string>> asked;
};

}  // namespace parley::test
