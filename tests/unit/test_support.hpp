#pragma once
// Fakes shared by the unit tests: an inline dispatcher, and the recording sink.
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "core/subscriber.hpp"
#include "recording_sink.hpp"

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

}  // namespace parley::test
