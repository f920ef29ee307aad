#pragma once
// A recording Concierge sink for the unit tests: texts sent, close code, pings, and timers that
// the test fires by hand.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "dialects/concierge/sink.hpp"

namespace parley::test {

class ConciergeSink final : public dialects::concierge::Sink {
 public:
  void send_text(std::string text) override { sent.push_back(std::move(text)); }
  core::Frame make_frame(std::string text) override {
    ++frames_made;
    return std::make_shared<const std::string>(std::move(text));
  }
  void send_frame(const core::Frame& frame) override { sent.push_back(*frame); }
  void close(std::uint16_t code, std::string_view reason) override {
    if (close_code) return;  // idempotent, as the transport's
    close_code = code;
    close_reason = reason;
  }
  void ping() override { ++pings; }
  void after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    timers.push_back({delay, std::move(fn)});
  }

  // Runs the timers set so far whose delay is `delay` (those they set wait for the next call).
  void fire(std::chrono::milliseconds delay) {
    std::vector<Timer> due, rest;
    for (auto& t : timers) (t.delay == delay ? due : rest).push_back(std::move(t));
    timers = std::move(rest);
    for (auto& t : due) t.fn();
  }
  std::vector<std::string> take() {
    auto out = std::move(sent);
    sent.clear();
    return out;
  }

  struct Timer {
    std::chrono::milliseconds delay;
    std::function<void()> fn;
  };
  std::vector<std::string> sent;
  std::vector<Timer> timers;
  int frames_made = 0;
  int pings = 0;
  std::uint16_t close_code = 0;
  std::string close_reason;
};

}  // namespace parley::test
