#pragma once
// Fakes for the MQTT unit tests: a recording transport whose output the test reads back as
// packets (decoded with the client-role parser), timers the test fires by hand, and an
// authenticator with a fixed answer.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "dialects/mqtt/authenticator.hpp"
#include "dialects/mqtt/packet.hpp"
#include "dialects/mqtt/parser.hpp"
#include "dialects/mqtt/transport.hpp"

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

class MqttTransport final : public mqtt::Transport {
 public:
  explicit MqttTransport(std::size_t thread = 0, std::uint64_t id = 1) : thread_(thread), id_(id) {}

  void send_text(std::string text) override { ADD_FAILURE() << "MQTT sent text"; }
  core::Frame make_frame(std::string text) override {
    ADD_FAILURE() << "MQTT made a text frame";
    return nullptr;
  }
  void send_binary(std::string bytes) override {
    if (!closed) wire += bytes;
  }
  core::Frame make_binary_frame(std::string bytes) override {
    ++frames_made;
    return std::make_shared<const std::string>(std::move(bytes));
  }
  void send_frame(const core::Frame& frame) override {
    if (closed) return;
    wire += *frame;
    shared.push_back(frame);
  }
  void close(std::uint16_t code, std::string_view reason) override {
    if (closed) return;
    closed = true;
    close_code = code;
    close_reason = reason;
  }
  void after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    timers.push_back({delay, std::move(fn)});
  }
  std::uint64_t id() const override { return id_; }
  std::size_t thread() const override { return thread_; }
  const std::string& peer() const override { return peer_; }

  // The packets sent since the last take().
  std::vector<Received> take() {
    auto out = decode_all(wire);
    wire.clear();
    return out;
  }
  // Runs the pending timers (those they set wait for the next call).
  void fire_timers() {
    auto due = std::move(timers);
    timers.clear();
    for (auto& t : due) t.fn();
  }

  struct Timer {
    std::chrono::milliseconds delay;
    std::function<void()> fn;
  };
  std::string wire;
  std::vector<core::Frame> shared;
  std::vector<Timer> timers;
  int frames_made = 0;
  bool closed = false;
  std::uint16_t close_code = 0;
  std::string close_reason;

 private:
  std::size_t thread_;
  std::uint64_t id_;
  std::string peer_ = "127.0.0.1:5000";
};

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
