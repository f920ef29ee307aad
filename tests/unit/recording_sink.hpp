#pragma once
// The one transport fake of the unit tests: a core::Sink that records what a dialect sends,
// holds its timers until the test fires them, and plays a connection's id, thread and peer.
// Frames are the message itself (no transport framing).
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/sink.hpp"

namespace parley::test {

class RecordingSink : public core::Sink {
 public:
  struct Timer {
    std::chrono::milliseconds delay;
    std::function<void()> fn;
  };

  void send_text(std::string text) override { sent.push_back(std::move(text)); }
  void send_binary(std::string data) override { sent.push_back(std::move(data)); }
  core::Frame make_frame(std::string text) override {
    ++frames_made;
    return std::make_shared<const std::string>(std::move(text));
  }
  core::Frame make_binary_frame(std::string data) override { return make_frame(std::move(data)); }
  void send_frame(const core::Frame& frame) override {
    sent.push_back(*frame);
    shared.push_back(frame);
    if (on_frame) on_frame(frame);
  }
  // Idempotent, as the transport's: the first close counts.
  void close(std::uint16_t code, std::string_view reason) override {
    if (closed) return;
    closed = true;
    close_code = code;
    close_reason = reason;
  }
  void ping() override { ++pings; }
  void after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    timers.push_back({delay, std::move(fn)});
  }
  core::Transport transport() const override { return transport_kind; }
  std::uint64_t id() const override { return session; }
  std::size_t thread() const override { return thread_index; }
  const std::string& peer() const override { return peer_address; }

  // Runs the timers set so far whose delay is `delay` (those they set wait for the next call).
  void fire(std::chrono::milliseconds delay) {
    std::vector<Timer> due, rest;
    for (auto& t : timers) (t.delay == delay ? due : rest).push_back(std::move(t));
    timers = std::move(rest);
    for (auto& t : due) t.fn();
  }
  // What was sent so far, and forgotten: as sent, parsed as JSON, or parsed as JSON objects.
  std::vector<std::string> take() { return std::exchange(sent, {}); }
  std::vector<boost::json::value> take_json() {
    std::vector<boost::json::value> out;
    for (const auto& s : take()) out.push_back(boost::json::parse(s));
    return out;
  }
  std::vector<boost::json::object> take_objects() {
    std::vector<boost::json::object> out;
    for (const auto& s : take()) out.push_back(boost::json::parse(s).as_object());
    return out;
  }

  std::vector<std::string> sent;
  std::vector<core::Frame> shared;
  std::function<void(const core::Frame&)> on_frame;  // called after each send_frame
  std::vector<Timer> timers;
  int frames_made = 0;
  int pings = 0;
  bool closed = false;
  std::uint16_t close_code = 0;
  std::string close_reason;
  core::Transport transport_kind = core::Transport::websocket;
  std::uint64_t session = 1;
  std::size_t thread_index = 0;
  std::string peer_address = "127.0.0.1:50000";
};

}  // namespace parley::test
