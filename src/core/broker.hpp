#pragma once
// The core operations every dialect translates its wire protocol into: subscribe, publish,
// presence, history. The local broker implements them in process; a clustered one (Redis)
// implements the same interface, so nothing above it may assume a single process.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "core/message.hpp"
#include "core/presence.hpp"
#include "core/subscriber.hpp"

namespace parley::core {

// A channel as the admin page shows it.
struct ChannelSummary {
  std::string name;
  std::size_t subscribers = 0;                            // every thread's together
  std::array<std::uint32_t, Subscriber::kTags> by_tag{};  // the same, per Subscriber::tag
  std::size_t presence = 0;                               // keys tracked (users present)
  std::uint64_t last_offset = 0;                          // messages published so far
};

struct ChannelStats {
  std::size_t channels = 0;
  // Channels with at least one subscriber of the tag (every channel, for a tag with a
  // subscriber to all channels).
  std::array<std::size_t, Subscriber::kTags> channels_by_tag{};
  // The busiest channels matching the filter (name contains it), most subscribers first.
  std::vector<ChannelSummary> busiest;
};

// What became of an operation that needs the channel in memory (subscribe, publish).
enum class Outcome {
  ok,
  too_many_channels,  // the channel is not in memory, and as many as allowed are, none idle
  store_unavailable,  // the channel's last offset could not be read from the store
};

// A reason for the client, in English ("too many channels", "storage unavailable").
std::string_view describe(Outcome outcome);

class Broker {
 public:
  virtual ~Broker() = default;

  // Subscriber s, living on I/O thread `thread`, receives the channel's events from now on.
  // Must be called on that thread; s must stay alive until unsubscribe() returns. Not ok (and s
  // not subscribed) when the channel would have to be made and the broker's limit refuses it.
  virtual Outcome subscribe(const std::string& channel, std::size_t thread, Subscriber* s) = 0;
  virtual void unsubscribe(const std::string& channel, std::size_t thread, Subscriber* s) = 0;
  // Subscribes s to every channel's events, present and future (Heavenland's single group).
  // A subscriber is either on all channels or on some, never both. Same threading contract.
  virtual void subscribe_all(std::size_t thread, Subscriber* s) = 0;
  virtual void unsubscribe_all(std::size_t thread, Subscriber* s) = 0;

  // Called once a published message is durable (stored: true) or its write failed (false; it
  // is delivered anyway), after its fan-out was posted; on the store's thread.
  using Committed = std::function<void(bool stored)>;

  // Assigns the message its offset, time and id, makes it durable, then delivers it to the
  // channel's subscribers (the sender included, if subscribed), then calls committed.
  // Thread-safe. Not ok when the message was refused (nothing stored or delivered, committed
  // never called): the channel limit, or its last offset could not be read (an offset is never
  // reused).
  virtual Outcome publish(Message message, Committed committed = {}) = 0;

  // Flow control: false while the store's queue is full (LocalBroker: the store's bound,
  // [storage] max_pending_bytes). publish() still takes a message then; a publisher that can
  // wait stops taking input from its client until when_accepting() calls back (WebSocket: a
  // pause in reading), one that cannot refuses the message (HTTP: 503). Thread-safe.
  virtual bool accepting() const { return true; }
  // Runs fn once accepting(): at once when it is now, else later on another thread (fn should
  // only post to its own). fn may never run if the server stops first. Thread-safe.
  virtual void when_accepting(std::function<void()> fn) { fn(); }

  // Delivers a dialect-specific event to the channel's subscribers; not stored. Thread-safe.
  // Never makes a channel (one without subscribers has nobody to deliver to).
  virtual void broadcast(const std::string& channel, std::shared_ptr<const Broadcast> b) = 0;

  // Presence; each change is delivered to the channel's subscribers as a presence diff. Only
  // presence_track makes a channel (callers subscribe first); an untracked channel lists empty.
  virtual PresenceMap presence_list(const std::string& channel) = 0;
  virtual void presence_track(const std::string& channel, const std::string& key,
                              std::uint64_t session, boost::json::object data) = 0;
  // False when session is not tracked under key in channel.
  virtual bool presence_update(const std::string& channel, const std::string& key,
                               std::uint64_t session, boost::json::object data) = 0;
  virtual void presence_untrack(const std::string& channel, std::uint64_t session) = 0;

  // The channel's kept messages with offset > after, oldest first, at most limit (the newest).
  // A read: never makes a channel that has no messages (LocalBroker may cache one that has).
  virtual std::vector<MessagePtr> history(const std::string& channel, std::size_t limit,
                                          std::uint64_t after = 0) = 0;

  // The newest messages of every channel together, newest first: the `skip` newest are
  // skipped, then at most `limit` follow. Only a bounded number of the newest messages is kept
  // for it (LocalBroker: LocalBrokerOptions::recent_size, 0 by default: none); the retention
  // policy of each message's channel applies, as in history(). Serves from memory. Thread-safe.
  // (Heavenland's history: its sockets see every channel.)
  virtual std::vector<MessagePtr> recent(std::size_t limit, std::size_t skip = 0) { return {}; }

  // Statistics for the admin page: channel counts, and the `limit` busiest channels whose name
  // contains `filter` (all when empty). Visits every channel, briefly taking each one's lock:
  // for an operator's page, not for the data path. Thread-safe.
  virtual ChannelStats channel_stats(std::string_view filter, std::size_t limit) { return {}; }
};

}  // namespace parley::core
