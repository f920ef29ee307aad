// LocalBroker's memory bounds: reads make no channel, idle channels are evicted and reloaded
// from the store with their offsets, max_channels refuses what cannot fit, and the rings are
// bounded in bytes, each and together.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <random>
#include <thread>

#include "broker_test_support.hpp"
#include "core/local_broker.hpp"
#include "core/message_bytes.hpp"
#include "test_support.hpp"

namespace parley::core {
namespace {

using test::HeldStore;
using test::QueueDispatcher;
using test::Recorder;
using test::text;

std::vector<std::uint64_t> offsets(const std::vector<MessagePtr>& ms) {
  std::vector<std::uint64_t> out;
  for (const auto& m : ms) out.push_back(m->offset);
  return out;
}

// Publishes n messages on channel and commits them.
void publish_committed(LocalBroker& b, HeldStore& store, const std::string& channel, int n,
                       std::size_t text_bytes = 4) {
  for (int i = 0; i < n; ++i)
    ASSERT_EQ(b.publish(text(channel, std::string(text_bytes, 'x'))), Outcome::ok);
  store.release();
}

TEST(LocalBrokerMemory, ReadsMakeNoChannel) {
  QueueDispatcher d;
  HeldStore store;
  LocalBroker b(d, &store, {});
  for (int i = 0; i < 100; ++i) {
    EXPECT_TRUE(b.history("random-" + std::to_string(i), 50, 0).empty());
    EXPECT_TRUE(b.presence_list("random-" + std::to_string(i)).empty());
    EXPECT_FALSE(b.presence_update("random-" + std::to_string(i), "k", 1, {}));
    b.presence_untrack("random-" + std::to_string(i), 1);
    b.broadcast("random-" + std::to_string(i),
                std::make_shared<Broadcast>(Broadcast{"phoenix", "x", nullptr}));
  }
  d.drain();
  EXPECT_EQ(b.stats().channels, 0u);
  EXPECT_EQ(store.channel_loads, 0) << "an unknown channel costs one offset lookup, no load";

  LocalBroker no_store(d, nullptr, {});
  EXPECT_TRUE(no_store.history("random", 50, 0).empty());
  EXPECT_EQ(no_store.stats().channels, 0u);
}

TEST(LocalBrokerMemory, JoinAndLeaveLeaveNothing) {
  QueueDispatcher d;
  HeldStore store;
  LocalBroker b(d, &store, {});
  Recorder r;
  for (int i = 0; i < 100; ++i) {
    std::string room = "room-" + std::to_string(i);
    ASSERT_EQ(b.subscribe(room, 0, &r), Outcome::ok);
    b.presence_track(room, "robin", 7, {{"typing", false}});
    b.presence_untrack(room, 7);
    b.unsubscribe(room, 0, &r);
    d.drain();  // the presence flush: until it ran, the channel has a diff to deliver
  }
  EXPECT_EQ(b.stats().channels, 0u);
  EXPECT_EQ(store.offset_reads + store.channel_loads, 0) << "joining reads nothing";
}

TEST(LocalBrokerMemory, AChannelIsKeptWhileInUse) {
  QueueDispatcher d;
  HeldStore store;
  LocalBrokerOptions o;
  o.idle_channels = 0;  // every idle channel goes at once
  LocalBroker b(d, &store, o);
  Recorder r;
  b.subscribe("subscribed", 0, &r);
  b.presence_track("present", "robin", 7, {});
  ASSERT_EQ(b.publish(text("writing", "w")), Outcome::ok);
  d.drain();
  EXPECT_EQ(b.stats().channels, 3u);
  store.release();
  d.drain();
  EXPECT_EQ(b.stats().channels, 2u) << "committed: nothing holds 'writing' any more";
  b.presence_untrack("present", 7);
  d.drain();
  b.unsubscribe("subscribed", 0, &r);
  EXPECT_EQ(b.stats().channels, 0u);
}

TEST(LocalBrokerMemory, IdleChannelsAreKeptUpToTheLimitLeastRecentlyUsedOut) {
  QueueDispatcher d;
  HeldStore store;
  LocalBrokerOptions o;
  o.idle_channels = 3;
  LocalBroker b(d, &store, o);
  for (int i = 0; i < 10; ++i) publish_committed(b, store, "c" + std::to_string(i), 2);
  d.drain();
  EXPECT_EQ(b.stats().channels, 3u);
  EXPECT_EQ(b.stats().idle, 3u);
  // c7 read: the most recently used; then two new ones push out c8 and c9, not c7.
  int loads = store.channel_loads;
  EXPECT_EQ(b.history("c7", 10, 0).size(), 2u);
  EXPECT_EQ(store.channel_loads, loads) << "c7 was in memory";
  publish_committed(b, store, "c10", 1);
  publish_committed(b, store, "c11", 1);
  d.drain();
  EXPECT_EQ(b.history("c7", 10, 0).size(), 2u);
  EXPECT_EQ(store.channel_loads, loads) << "c7 was kept";
  EXPECT_EQ(b.history("c9", 10, 0).size(), 2u);
  EXPECT_EQ(store.channel_loads, loads + 1) << "c9 was evicted, reloaded";
  EXPECT_EQ(b.stats().channels, 3u);
}

TEST(LocalBrokerMemory, OffsetsNeverGoBackAfterAnEvictionAndHistoryComesBack) {
  QueueDispatcher d;
  HeldStore store;
  LocalBrokerOptions o;
  o.idle_channels = 0;
  LocalBroker b(d, &store, o);
  Recorder r;
  for (int round = 0; round < 3; ++round) {
    publish_committed(b, store, "lobby", 3);
    d.drain();
    ASSERT_EQ(b.stats().channels, 0u) << "evicted once idle";
  }
  EXPECT_EQ(offsets(b.history("lobby", 100, 0)),
            (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
  // A subscriber's first message after a reload continues too.
  b.subscribe("lobby", 0, &r);
  publish_committed(b, store, "lobby", 1);
  d.drain();
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].message->offset, 10u);
  EXPECT_EQ(offsets(b.history("lobby", 2, 8)), (std::vector<std::uint64_t>{9, 10}));
}

TEST(LocalBrokerMemory, AChannelWhoseWriteFailedStaysSoItsOffsetIsNotReused) {
  QueueDispatcher d;
  HeldStore store;
  LocalBrokerOptions o;
  o.idle_channels = 0;
  LocalBroker b(d, &store, o);
  ASSERT_EQ(b.publish(text("lobby", "lost")), Outcome::ok);
  store.release(false);
  d.drain();
  EXPECT_EQ(b.stats().channels, 1u) << "offset 1 is not in the store: kept in memory";
  ASSERT_EQ(b.publish(text("lobby", "kept")), Outcome::ok);
  ASSERT_EQ(store.held.size(), 1u);
  EXPECT_EQ(store.held[0].first->offset, 2u);
  store.release();
  d.drain();
  EXPECT_EQ(b.stats().channels, 0u) << "offset 2 stored: the store's last offset covers both";
  ASSERT_EQ(b.publish(text("lobby", "next")), Outcome::ok);
  EXPECT_EQ(store.held[0].first->offset, 3u);
  store.release();
}

TEST(LocalBrokerMemory, TheChannelLimitEvictsAnIdleOneOrRefuses) {
  QueueDispatcher d;
  HeldStore store;
  LocalBrokerOptions o;
  o.max_channels = 2;
  LocalBroker b(d, &store, o);
  Recorder r;
  publish_committed(b, store, "idle", 1);  // idle, kept for its history
  d.drain();
  EXPECT_EQ(b.subscribe("a", 0, &r), Outcome::ok);
  EXPECT_EQ(b.subscribe("b", 0, &r), Outcome::ok) << "the idle channel made room";
  EXPECT_EQ(b.stats().channels, 2u);
  EXPECT_EQ(b.subscribe("c", 0, &r), Outcome::too_many_channels);
  EXPECT_EQ(b.publish(text("c", "x")), Outcome::too_many_channels);
  EXPECT_TRUE(store.held.empty()) << "a refused message is not stored";
  EXPECT_EQ(b.subscribe("a", 0, &r), Outcome::ok) << "a channel in memory is not refused";
  EXPECT_EQ(b.publish(text("a", "x")), Outcome::ok);
  store.release();
  d.drain();
  EXPECT_EQ(offsets(b.history("idle", 10, 0)), (std::vector<std::uint64_t>{1}))
      << "no room to cache it: served from the store";
  b.unsubscribe("b", 0, &r);
  EXPECT_EQ(b.subscribe("c", 0, &r), Outcome::ok) << "b left: room again";
  // Refused subscribers receive nothing.
  Recorder refused;
  EXPECT_EQ(b.subscribe("d", 0, &refused), Outcome::too_many_channels);
  b.unsubscribe("d", 0, &refused);  // harmless
  EXPECT_EQ(b.stats().channels, 2u);
}

TEST(LocalBrokerMemory, AnUnreadableStoreRefusesThePublishAndLeavesNothing) {
  QueueDispatcher d;
  HeldStore store;
  LocalBroker b(d, &store, {});
  store.unreadable = true;
  EXPECT_EQ(b.publish(text("lobby", "x")), Outcome::store_unavailable);
  EXPECT_TRUE(store.held.empty());
  EXPECT_TRUE(b.history("lobby", 10, 0).empty());
  EXPECT_EQ(b.stats().channels, 0u);
  store.unreadable = false;
  EXPECT_EQ(b.publish(text("lobby", "x")), Outcome::ok);
  store.release();
}

TEST(LocalBrokerMemory, ARingIsBoundedInBytesKeepingTheNewest) {
  QueueDispatcher d;
  HeldStore store;
  LocalBrokerOptions o;
  const std::size_t one = message_bytes(text("lobby", std::string(10'000, 'x')));
  o.ring_bytes = 3 * one + one / 2;  // three such messages fit, not four
  LocalBroker b(d, &store, o);
  Recorder r;
  b.subscribe("lobby", 0, &r);  // stays in memory
  publish_committed(b, store, "lobby", 10, 10'000);
  EXPECT_EQ(offsets(b.history("lobby", 100, 0)), (std::vector<std::uint64_t>{8, 9, 10}));
  EXPECT_LE(b.stats().cache_bytes, o.ring_bytes);
  publish_committed(b, store, "lobby", 1, 100'000);  // larger than the bound alone
  EXPECT_EQ(offsets(b.history("lobby", 100, 0)), (std::vector<std::uint64_t>{11}))
      << "the newest message is kept, whatever its size";
  // Payload JSON counts as text does.
  Message big = text("lobby", "");
  big.payload["body"] = std::string(10'000, 'y');
  EXPECT_GE(message_bytes(big), 10'000u);
}

TEST(LocalBrokerMemory, TheCacheIsBoundedAcrossChannelsAndHistoryReloads) {
  QueueDispatcher d;
  HeldStore store;
  LocalBrokerOptions o;
  const std::size_t one = message_bytes(text("c", std::string(1000, 'x')));
  o.cache_bytes = 20 * one;
  LocalBroker b(d, &store, o);
  std::vector<std::unique_ptr<Recorder>> subs;
  for (int c = 0; c < 10; ++c) {  // subscribed: in use, never evicted
    subs.push_back(std::make_unique<Recorder>());
    b.subscribe("c" + std::to_string(c), 0, subs.back().get());
  }
  for (int round = 0; round < 5; ++round)
    for (int c = 0; c < 10; ++c) {
      publish_committed(b, store, "c" + std::to_string(c), 1, 1000);
      EXPECT_LE(b.stats().cache_bytes, o.cache_bytes);
    }
  d.drain();
  EXPECT_EQ(b.stats().channels, 10u);
  for (int c = 0; c < 10; ++c)
    EXPECT_EQ(offsets(b.history("c" + std::to_string(c), 100, 0)),
              (std::vector<std::uint64_t>{1, 2, 3, 4, 5}))
        << "a dropped ring is read from the store again";
  EXPECT_LE(b.stats().cache_bytes, o.cache_bytes);
  for (int c = 0; c < 10; ++c) b.unsubscribe("c" + std::to_string(c), 0, subs[c].get());
  EXPECT_LE(b.stats().cache_bytes, o.cache_bytes);
  EXPECT_LE(b.stats().channels, 10u);
}

TEST(LocalBrokerMemory, AMessageCommittedWhileTheRingLoadsIsInItOnce) {
  QueueDispatcher d;
  HeldStore store;
  LocalBrokerOptions o;
  o.idle_channels = 0;
  LocalBroker b(d, &store, o);
  Recorder r;
  publish_committed(b, store, "lobby", 2);  // evicted: in the store only
  b.subscribe("lobby", 0, &r);
  ASSERT_EQ(b.publish(text("lobby", "during")), Outcome::ok);  // offset 3, not committed yet
  // The ring's load reads the store; offset 3 commits meanwhile (before the snapshot here, so
  // both the snapshot and the commit callback carry it).
  store.during_load = [&] { store.release(); };
  EXPECT_EQ(offsets(b.history("lobby", 100, 0)), (std::vector<std::uint64_t>{1, 2, 3}));
  ASSERT_EQ(b.publish(text("lobby", "after")), Outcome::ok);
  store.release();
  EXPECT_EQ(offsets(b.history("lobby", 100, 0)), (std::vector<std::uint64_t>{1, 2, 3, 4}));
}

// Runs each I/O thread's posted work on a real thread of its own, in posting order.
class ThreadedDispatcher final : public Dispatcher {
 public:
  explicit ThreadedDispatcher(std::size_t n) : queues_(n) {
    for (std::size_t t = 0; t < n; ++t) threads_.emplace_back([this, t] { run(t); });
  }
  ~ThreadedDispatcher() override {
    for (auto& q : queues_) {
      std::lock_guard lock(q.mutex);
      q.stop = true;
      q.wake.notify_one();
    }
    for (auto& t : threads_) t.join();
  }
  std::size_t thread_count() const override { return queues_.size(); }
  void post(std::size_t t, std::function<void()> fn) override {
    std::lock_guard lock(queues_[t].mutex);
    queues_[t].work.push_back(std::move(fn));
    queues_[t].wake.notify_one();
  }
  // Runs fn on thread t and waits for it.
  void run_on(std::size_t t, std::function<void()> fn) {
    std::promise<void> done;
    post(t, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

 private:
  struct Queue {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<std::function<void()>> work;
    bool stop = false;
  };
  void run(std::size_t t) {
    Queue& q = queues_[t];
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(q.mutex);
        q.wake.wait(lock, [&] { return q.stop || !q.work.empty(); });
        if (q.work.empty()) return;
        fn = std::move(q.work.front());
        q.work.pop_front();
      }
      fn();
    }
  }
  std::deque<Queue> queues_;
  std::vector<std::thread> threads_;
};

// A store that commits at once on its own thread, as SqliteStore calls back on its writer.
struct InstantStore final : MessageStore {
  InstantStore() : writer([this] { run(); }) {}
  ~InstantStore() override { close(); }
  void append(MessagePtr m, Done done) override {
    std::lock_guard lock(mutex);
    queue.emplace_back(std::move(m), std::move(done));
    wake.notify_one();
  }
  std::optional<ChannelHistory> load_channel(const std::string& c, std::size_t max,
                                             std::size_t) override {
    std::lock_guard lock(mutex);
    ChannelHistory h;
    if (auto it = stored.find(c); it != stored.end()) {
      h.last_offset = it->second.last_offset;
      auto& ms = it->second.messages;
      h.messages.assign(ms.size() > max ? ms.end() - static_cast<std::ptrdiff_t>(max) : ms.begin(),
                        ms.end());
    }
    return h;
  }
  std::optional<std::uint64_t> last_offset(const std::string& c) override {
    std::lock_guard lock(mutex);
    auto it = stored.find(c);
    return it == stored.end() ? 0 : it->second.last_offset;
  }
  std::optional<std::vector<MessagePtr>> load_recent(std::size_t) override {
    return std::vector<MessagePtr>{};
  }
  void apply_retention(const Retention&) override {}
  void close() override {
    {
      std::lock_guard lock(mutex);
      stop = true;
      wake.notify_one();
    }
    if (writer.joinable()) writer.join();
  }
  void run() {
    std::unique_lock lock(mutex);
    for (;;) {
      wake.wait(lock, [&] { return stop || !queue.empty(); });
      if (queue.empty()) return;
      auto [m, done] = std::move(queue.front());
      queue.pop_front();
      auto& c = stored[m->channel];
      EXPECT_EQ(m->offset, c.last_offset + 1) << m->channel << ": offsets gap-free, in order";
      c.last_offset = m->offset;
      c.messages.push_back(m);
      lock.unlock();
      done(true);
      lock.lock();
    }
  }
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::pair<MessagePtr, Done>> queue;
  std::map<std::string, ChannelHistory> stored;
  bool stop = false;
  std::thread writer;
};

TEST(LocalBrokerMemory, ChurnFromManyThreadsKeepsOffsetsAndBounds) {
  // Publishers, readers and joiners on a few channels with room for fewer of them: channels are
  // evicted and reloaded all the time. The store checks every channel's offsets stay gap-free
  // and in order; the bounds hold at the end.
  InstantStore store;
  ThreadedDispatcher d(2);
  LocalBrokerOptions o;
  o.max_channels = 6;
  o.idle_channels = 2;
  o.ring_size = 5;
  auto b = std::make_unique<LocalBroker>(d, &store, o);
  std::atomic<int> refused{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c)
    clients.emplace_back([&, c] {
      std::mt19937 rng(c);
      for (int i = 0; i < 2000; ++i) {
        std::string channel = "ch" + std::to_string(rng() % 10);
        switch (rng() % 4) {
          case 0:
          case 1:
            if (b->publish(text(channel, "m")) != Outcome::ok) ++refused;
            break;
          case 2:
            b->history(channel, 5, 0);
            break;
          case 3: {
            std::size_t t = rng() % 2;
            Recorder r;
            d.run_on(t, [&] {
              if (b->subscribe(channel, t, &r) != Outcome::ok) return;
              b->presence_track(channel, "k", 100 + c, {});
              b->presence_untrack(channel, 100 + c);
              b->unsubscribe(channel, t, &r);
            });
            break;
          }
        }
      }
    });
  for (auto& t : clients) t.join();
  store.close();                                           // every commit called back
  for (std::size_t t = 0; t < 2; ++t) d.run_on(t, [] {});  // every posted flush ran
  auto s = b->stats();
  EXPECT_LE(s.channels, o.max_channels);
  EXPECT_LE(s.idle, o.idle_channels);
  for (const auto& [name, h] : store.stored) {
    auto history = b->history(name, 100, 0);
    ASSERT_FALSE(history.empty()) << name;
    EXPECT_EQ(history.back()->offset, h.last_offset) << name;
  }
  b.reset();
}

}  // namespace
}  // namespace parley::core
