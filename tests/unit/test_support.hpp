#pragma once
// Fakes shared by the unit tests: an inline dispatcher, a store with a settable room, and the
// recording sink.
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/message_store.hpp"
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

// A store that holds appends until commit(), and whose room the test sets: while it is full the
// broker does not accept (Broker::accepting) until open() calls the waiters.
class GatedStore final : public core::MessageStore {
 public:
  void append(core::MessagePtr m, Done done) override {
    appended.push_back(m);
    held.emplace_back(std::move(m), std::move(done));
  }
  std::map<std::string, core::ChannelHistory> load(std::size_t) override { return {}; }
  void apply_retention(const core::Retention&) override {}
  void close() override {}
  bool has_room() const override { return room; }
  void when_room(std::function<void()> fn) override {
    if (room) return fn();
    waiters.push_back(std::move(fn));
  }
  // Calls back every held append (as the writer thread would, after its transaction).
  void commit(bool ok = true) {
    auto ready = std::move(held);
    held.clear();
    for (auto& [m, done] : ready)
      if (done) done(ok);
  }
  void open() {
    room = true;
    auto ready = std::move(waiters);
    waiters.clear();
    for (auto& fn : ready) fn();
  }

  bool room = true;
  std::vector<core::MessagePtr> appended;  // everything ever appended
  std::vector<std::pair<core::MessagePtr, Done>> held;
  std::vector<std::function<void()>> waiters;
};

}  // namespace parley::test
