#pragma once
// Durable storage of channel messages, behind which the embedded SQLite store (and later others)
// sit. Appends are asynchronous: the store commits in batches on a thread of its own and calls
// back in append order once a message is durable against a crash of the process.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
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

  // Reads every channel's kept messages (at most max_per_channel each, newest kept) and last
  // offset. Blocking: for start-up, before the I/O threads serve anything. Throws
  // std::runtime_error when the store cannot be read: serving without its content would restart
  // every channel's offsets at 1.
  virtual std::map<std::string, ChannelHistory> load(std::size_t max_per_channel) = 0;

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
