#pragma once
// The in-process broker.
//
// Design: each channel in memory has a state guarded by its own mutex (offset counter, ring of
// recent messages, presence, subscriber count per I/O thread). The subscribers themselves live
// in one table per I/O thread, touched only on that thread, so a fan-out takes no lock: the
// publisher posts one task per I/O thread that has subscribers, and that task renders the event
// once per wire format (EncodeCache) and hands the shared frame to each local subscriber.
//
// Publishing: the offset is assigned and the message queued to the store under the channel's
// mutex, so the store sees a channel's messages in offset order; the store calls back after
// its batch commits, and only then is the message added to the ring and delivered.
//
// Memory: a channel is in memory while it is used: subscribers, presence, writes not yet
// committed (or a failed one: its offset is not in the store). An idle channel whose ring holds
// messages is kept in an LRU of at most idle_channels; any other idle channel is evicted at
// once. Evicted channels are reloaded from the store on demand, synchronously on the calling
// thread but bounded (MessageStore::load_channel: indexed reads of at most ring_size rows and
// about ring_bytes): the last offset when one publishes (offsets never go back: a channel is
// evicted only once every offset it assigned is in the store's channels table), the ring when
// one reads history. Reads never make a channel the store has no message of. Rings are bounded
// by ring_size and ring_bytes each, and by cache_bytes together: past it the least recently
// used idle channels are evicted, then the least recently used rings dropped (reloaded when
// read). Without a store (tests) nothing that could not be reloaded is dropped.
//
// Locks, in this order: channels_mutex_ (the map), a channel's load_mutex (one load from the
// store at a time), a channel's mutex, lru_mutex_ (the two LRU lists). recent_mutex_ is never
// held with another. No lock but a load_mutex is held while reading the store.
#include <atomic>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "core/broker.hpp"
#include "core/message_store.hpp"

namespace parley::core {

struct LocalBrokerOptions {
  std::size_t ring_size = 1000;          // recent messages kept in memory per channel
  std::size_t ring_bytes = 1 << 20;      // and their bytes (message_bytes); the newest is kept
  std::size_t cache_bytes = 256 << 20;   // every ring together
  std::size_t max_channels = 100'000;    // channels in memory at once (0: no limit)
  std::size_t idle_channels = 1000;      // idle channels kept in memory, least recently used out
  Retention retention;                   // what history() still serves
  std::function<std::int64_t()> now_ms;  // clock; system clock when empty
  std::size_t recent_size = 0;           // newest messages of all channels kept for recent()
};

class LocalBroker final : public Broker {
 public:
  // store may be null (nothing durable: tests). Both must outlive the broker.
  LocalBroker(Dispatcher& dispatcher, MessageStore* store, LocalBrokerOptions options);
  ~LocalBroker() override;

  // Seeds recent() with the store's newest messages of every channel, in commit order (oldest
  // first: MessageStore::load_recent). Call once, before serving. Channels load on demand.
  void restore_recent(std::vector<MessagePtr> messages);

  Outcome subscribe(const std::string& channel, std::size_t thread, Subscriber* s) override;
  void unsubscribe(const std::string& channel, std::size_t thread, Subscriber* s) override;
  void subscribe_all(std::size_t thread, Subscriber* s) override;
  void unsubscribe_all(std::size_t thread, Subscriber* s) override;
  Outcome publish(Message message, Committed committed = {}) override;
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

  struct Stats {
    std::size_t channels = 0;     // in memory
    std::size_t idle = 0;         // of which idle, kept for their history
    std::size_t cache_bytes = 0;  // held by every ring
  };
  Stats stats() const;
  std::size_t channel_count() const { return stats().channels; }

 private:
  struct Channel;
  struct ThreadTable;
  using ChannelPtr = std::shared_ptr<Channel>;

  ChannelPtr find(const std::string& name) const;
  // The channel, made when missing (the least recently used idle one evicted when at the
  // limit); null when at the limit with none idle.
  ChannelPtr find_or_make(const std::string& name);
  // Reads the channel's last offset (load_offset) or ring (load_ring) from the store unless
  // known; false when the store could not be read. Hold no lock.
  bool load_offset(const ChannelPtr& ch);
  bool load_ring(const ChannelPtr& ch);
  // Nothing keeps ch in memory, and it could be reloaded (ch's lock held).
  bool evictable(const Channel& ch) const;
  // After a change to ch under its lock: moves it in or out of the idle LRU. True when it is
  // idle with nothing worth keeping: the caller evicts it once the lock is released.
  bool settle(Channel& ch);
  // Takes ch out of the map and the LRUs if evictable (the map's lock, exclusive, and ch's
  // held); the map's reference moves to doomed, to be released after the locks.
  bool unlink(Channel& ch, ChannelPtr& doomed);
  // Evicts ch if it is still evictable. Hold no lock.
  void evict(const ChannelPtr& ch);
  // Evicts idle channels and drops rings until within idle_channels and cache_bytes. No lock.
  void trim();
  // Drops ch's ring if it still holds one (it is read from the store again when needed).
  void drop_ring(const ChannelPtr& ch);
  // Adds m to the ring (ch's lock held), then bounds the ring.
  void ring_push(Channel& ch, MessagePtr m);
  void ring_bound(Channel& ch);
  // Marks ch recently used in the LRUs it is in (ch's lock held).
  void touch(Channel& ch);
  // Runs settle's verdict and trim() once the caller released every lock.
  void after_change(const ChannelPtr& ch, bool evict_now);
  // settle() then after_change(): for a channel the caller is done with. Hold no lock.
  void release(const ChannelPtr& ch);
  // The messages of `messages` that history() serves (retention, limit, after), oldest first.
  template <class Range, class Get>
  std::vector<MessagePtr> serve(const Range& messages, Get get, const std::string& name,
                                std::size_t limit, std::uint64_t after) const;

  std::int64_t now() const;
  // Posts ev to every I/O thread in `threads` (those with subscribers). Caller holds no lock.
  void fan_out(EventPtr ev, const std::vector<std::size_t>& threads);
  void deliver_local(std::size_t thread, const Event& ev);
  void on_committed(const ChannelPtr& ch, MessagePtr message, bool stored);
  // Adds a presence change to the channel's next diff (ch's lock held). True when a flush must
  // be posted (post_flush, once the lock is released): one per diff, whatever joins it meanwhile.
  static bool queue_diff(Channel& ch, PresenceDiff diff);
  void post_flush(const ChannelPtr& ch);
  void flush_diff(const ChannelPtr& ch);

  Dispatcher& dispatcher_;
  MessageStore* store_;
  LocalBrokerOptions options_;
  mutable std::shared_mutex channels_mutex_;  // guards the map; each channel has its own
  std::unordered_map<std::string, ChannelPtr> channels_;
  // Least recently used last. idle_: evictable channels holding a ring; rings_: channels
  // whose ring holds messages (droppable when there is a store).
  mutable std::mutex lru_mutex_;
  std::list<ChannelPtr> idle_;
  std::list<ChannelPtr> rings_;
  std::atomic<std::size_t> idle_count_{0};
  std::atomic<std::size_t> cache_bytes_{0};
  std::vector<std::unique_ptr<ThreadTable>> tables_;                        // one per I/O thread
  std::unique_ptr<std::atomic<std::uint32_t>[]> all_subscribers_;           // per I/O thread
  std::array<std::atomic<std::uint32_t>, Subscriber::kTags> all_by_tag_{};  // statistics
  // The newest messages of every channel, in commit order (restored: by the store's order),
  // oldest first; at most options_.recent_size.
  std::mutex recent_mutex_;
  std::deque<MessagePtr> recent_;
};

}  // namespace parley::core
