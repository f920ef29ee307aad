#pragma once
// Durable storage of channel messages, behind which the embedded SQLite store (and later others)
// sit. Appends are asynchronous: the store commits in batches on a thread of its own and calls
// back in append order once a message is durable against a crash of the process.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/message.hpp"

namespace parley::core {

struct RetentionPolicy {
  std::chrono::seconds max_age{0};  // 0: no age limit
  std::uint64_t max_count = 0;      // 0: no count limit
};

struct Retention {
  RetentionPolicy fallback;
  std::map<std::string, RetentionPolicy> per_channel;
  const RetentionPolicy& for_channel(const std::string& channel) const {
    auto it = per_channel.find(channel);
    return it == per_channel.end() ? fallback : it->second;
  }
};

struct ChannelHistory {
  std::uint64_t last_offset = 0;     // highest offset ever assigned in the channel
  std::vector<MessagePtr> messages;  // kept messages, oldest first
};

class MessageStore {
 public:
  using Done = std::function<void(bool ok)>;
  virtual ~MessageStore() = default;

  // Queues message for the next batch. done(ok) runs on the store's thread after the commit;
  // ok is false when the write failed (logged by the store). Thread-safe.
  virtual void append(MessagePtr message, Done done) = 0;

  // One channel's last offset and newest kept messages, oldest first: at most max_messages, and
  // no more once max_bytes (message_bytes) are read (the newest is always read). A channel the
  // store does not hold: last offset 0, no messages. nullopt when it cannot be read (logged).
  // Blocking, but bounded: indexed reads of at most max_messages rows; for I/O threads (the
  // broker's reload on demand). Thread-safe.
  virtual std::optional<ChannelHistory> load_channel(const std::string& channel,
                                                     std::size_t max_messages,
                                                     std::size_t max_bytes) = 0;
  // The channel's last offset alone (0: never written); nullopt when it cannot be read. As
  // load_channel, one indexed read.
  virtual std::optional<std::uint64_t> last_offset(const std::string& channel) = 0;
  // The newest `limit` messages of every channel together, oldest first, in commit order
  // (Message::seq set). nullopt when the store cannot be read (logged). Blocking: start-up.
  virtual std::optional<std::vector<MessagePtr>> load_recent(std::size_t limit) = 0;

  // Flow control. False while the queue of appended, not yet written messages is at its bound.
  // append() still queues: keeping the bound is the publishers' part (Broker::accepting).
  // Thread-safe.
  virtual bool has_room() const { return true; }
  // Runs fn once has_room(): at once, on the caller's thread, when it is now; else later, on the
  // store's thread (fn should only post work elsewhere). Thread-safe.
  virtual void when_room(std::function<void()> fn) { fn(); }

  // Deletes what the policy no longer keeps. Asynchronous, on the store's thread.
  virtual void apply_retention(const Retention& retention) = 0;

  // Commits everything queued, then stops the store's thread. Blocking; idempotent.
  virtual void close() = 0;
};

}  // namespace parley::core
