#pragma once
// Fakes shared by the unit tests: an inline dispatcher and a recording Phoenix sink.
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "core/sink.hpp"
#include "core/subscriber.hpp"

namespace parley::test {

// Runs posted work when drain() is called, in posting order; thread_count threads.
class QueueDispatcher final : public core::Dispatcher {
 public:
  explicit QueueDispatcher(std::size_t threads = 1) : threads_(threads) {}
  std::size_t thread_count() const override { return threads_; }
  void post(std::size_t thread, std::function<void()> fn) override {
    posted.push_back({thread, std::move(fn)});
  }
  // Runs everything posted, including what the work posts.
  void drain() {
    while (!posted.empty()) {
      auto job = std::move(posted.front());
      posted.pop_front();
      job.second();
    }
  }
  std::deque<std::pair<std::size_t, std::function<void()>>> posted;

 private:
  std::size_t threads_;
};

// Records what a Phoenix connection sends. Frames are the text itself (no transport framing).
class RecordingSink final : public core::Sink {
 public:
  void send_text(std::string text) override { sent.push_back(std::move(text)); }
  core::Frame make_frame(std::string text) override {
    ++frames_made;
    return std::make_shared<const std::string>(std::move(text));
  }
  void send_frame(const core::Frame& frame) override {
    sent.push_back(*frame);
    shared.push_back(frame);
  }
  void close(std::uint16_t code, std::string_view reason) override {
    close_code = code;
    close_reason = reason;
  }
  std::vector<std::string> take() {
    auto out = std::move(sent);
    sent.clear();
    return out;
  }

  std::vector<std::string> sent;
  std::vector<core::Frame> shared;
  int frames_made = 0;
  std::uint16_t close_code = 0;
  std::string close_reason;
};

}  // namespace parley::test
