#pragma once
// The in-process broker.
//
// Design: each channel has a state guarded by its own mutex (offset counter, ring of recent
// messages, presence, subscriber count per I/O thread). The subscribers themselves live in one
// table per I/O thread, touched only on that thread, so a fan-out takes no lock: the publisher
// posts one task per I/O thread that has subscribers, and that task renders the event once per
// wire format (EncodeCache) and hands the shared frame to each local subscriber.
//
// Publishing: the offset is assigned and the message queued to the store under the channel's
// mutex, so the store sees a channel's messages in offset order; the store calls back after
// its batch commits, and only then is the message added to the ring and delivered.
#include <atomic>
#include <deque>
#include <functional>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "core/broker.hpp"
#include "core/message_store.hpp"

namespace parley::core {

struct LocalBrokerOptions {
  std::size_t ring_size = 1000;          // recent messages kept in memory per channel
  Retention retention;                   // what history() still serves
  std::function<std::int64_t()> now_ms;  // clock; system clock when empty
  std::size_t recent_size = 0;           // newest messages of all channels kept for recent()
};

class LocalBroker final : public Broker {
 public:
  // store may be null (nothing durable: tests). Both must outlive the broker.
  LocalBroker(Dispatcher& dispatcher, MessageStore* store, LocalBrokerOptions options);
  ~LocalBroker() override;

  // Seeds channels from the store's contents. Call once, before serving.
  void restore(std::map<std::string, ChannelHistory> history);

  void subscribe(const std::string& channel, std::size_t thread, Subscriber* s) override;
  void unsubscribe(const std::string& channel, std::size_t thread, Subscriber* s) override;
  void subscribe_all(std::size_t thread, Subscriber* s) override;
  void unsubscribe_all(std::size_t thread, Subscriber* s) override;
  void publish(Message message, Committed committed = {}) override;
  bool accepting() const override;
  void when_accepting(std::function<void()> fn) override;
  void broadcast(const std::string& channel, std::shared_ptr<const Broadcast> b) override;
  PresenceMap presence_list(const std::string& channel) override;
  void presence_track(const std::string& channel, const std::string& key, std::uint64_t session,
                      boost::json::object data) override;
  bool presence_update(const std::string& channel, const std::string& key, std::uint64_t session,
                       boost::json::object data) override;
  void presence_untrack(const std::string& channel, std::uint64_t session) override;
  std::vector<MessagePtr> history(const std::string& channel, std::size_t limit,
                                  std::uint64_t after) override;
  std::vector<MessagePtr> recent(std::size_t limit, std::size_t skip) override;

  ChannelStats channel_stats(std::string_view filter, std::size_t limit) override;

  std::size_t channel_count() const;

 private:
  struct Channel;
  struct ThreadTable;

  Channel& channel(const std::string& name);
  std::int64_t now() const;
  // Posts ev to every I/O thread in `threads` (those with subscribers). Caller holds no lock.
  void fan_out(EventPtr ev, const std::vector<std::size_t>& threads);
  void deliver_local(std::size_t thread, const Event& ev);
  void on_committed(Channel& ch, MessagePtr message);
  // Queues a presence change for the channel's next diff (posted once; see flush_diff).
  void send_diff(Channel& ch, std::unique_lock<std::mutex>& lock, PresenceDiff diff);
  void flush_diff(Channel& ch);

  Dispatcher& dispatcher_;
  MessageStore* store_;
  LocalBrokerOptions options_;
  mutable std::shared_mutex channels_mutex_;  // guards the map; each channel has its own
  std::unordered_map<std::string, std::unique_ptr<Channel>> channels_;
  std::vector<std::unique_ptr<ThreadTable>> tables_;                        // one per I/O thread
  std::unique_ptr<std::atomic<std::uint32_t>[]> all_subscribers_;           // per I/O thread
  std::array<std::atomic<std::uint32_t>, Subscriber::kTags> all_by_tag_{};  // statistics
  // The newest messages of every channel, in commit order (restored: by the store's order),
  // oldest first; at most options_.recent_size. Lock order: recent_mutex_ before a channel's
  // mutex (recent() reads a channel's newest offset); never taken while one is held.
  std::mutex recent_mutex_;
  std::deque<MessagePtr> recent_;
};

}  // namespace parley::core
