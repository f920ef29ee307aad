#pragma once
// Fakes shared by the unit tests: an inline dispatcher, a store that commits on demand, and the
// recording sink.
#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/message_bytes.hpp"
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

// A store that holds appends until release() commits them (as the writer thread would, after its
// transaction); what it committed is what load_channel() and last_offset() read back (as
// SqliteStore's channels table, a channel's last offset stays when its messages go). Its room is
// set by the test: while it is full the broker does not accept (Broker::accepting) until open()
// calls the waiters.
struct HeldStore final : core::MessageStore {
  void append(core::MessagePtr m, Done done) override {
    appended.push_back(m);
    held.emplace_back(std::move(m), std::move(done));
  }
  std::optional<core::ChannelHistory> load_channel(const std::string& channel,
                                                   std::size_t max_messages,
                                                   std::size_t max_bytes) override {
    ++channel_loads;
    if (during_load) std::exchange(during_load, nullptr)();
    if (unreadable) return std::nullopt;
    core::ChannelHistory h;
    auto it = stored.find(channel);
    if (it == stored.end()) return h;
    h.last_offset = it->second.last_offset;
    std::size_t bytes = 0;
    const auto& ms = it->second.messages;
    for (auto m = ms.rbegin();
         m != ms.rend() && h.messages.size() < max_messages && bytes < max_bytes; ++m) {
      h.messages.insert(h.messages.begin(), *m);
      bytes += core::message_bytes(**m);
    }
    return h;
  }
  std::optional<std::uint64_t> last_offset(const std::string& channel) override {
    ++offset_reads;
    if (unreadable) return std::nullopt;
    auto it = stored.find(channel);
    return it == stored.end() ? 0 : it->second.last_offset;
  }
  std::optional<std::vector<core::MessagePtr>> load_recent(std::size_t) override {
    return std::vector<core::MessagePtr>{};
  }
  void apply_retention(const core::Retention&) override {}
  void close() override {}
  bool has_room() const override { return room; }
  void when_room(std::function<void()> fn) override {
    if (room) return fn();
    waiters.push_back(std::move(fn));
  }
  void open() {
    room = true;
    for (auto& fn : std::exchange(waiters, {})) fn();
  }
  void release(bool ok = true) {
    auto batch = std::exchange(held, {});
    for (auto& [m, done] : batch) {
      if (ok) {
        auto& c = stored[m->channel];
        c.messages.push_back(m);
        c.last_offset = std::max(c.last_offset, m->offset);
      }
      done(ok);
    }
  }
  bool room = true;
  std::vector<core::MessagePtr> appended;  // everything ever appended
  std::vector<std::pair<core::MessagePtr, Done>> held;
  std::vector<std::function<void()>> waiters;
  std::map<std::string, core::ChannelHistory> stored;
  bool unreadable = false;
  std::function<void()> during_load;  // runs inside the next load_channel, once
  int channel_loads = 0;
  int offset_reads = 0;
};

}  // namespace parley::test
