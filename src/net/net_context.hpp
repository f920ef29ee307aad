#pragma once
// What every connection of the process shares: the I/O threads, the limits, and the registry
// of open WebSocket sessions (for the 1001 close at shutdown).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "net/io_threads.hpp"

namespace parley::net {

enum class SlowConsumer { disconnect, drop };

struct NetOptions {
  std::size_t max_frame_bytes = 64 * 1024;
  std::size_t max_queue_bytes = 4 * 1024 * 1024;
  SlowConsumer slow_consumer = SlowConsumer::disconnect;
  std::size_t max_connections = 100'000;
  std::size_t max_messages_per_second = 0;  // per connection, inbound; 0: no limit
  std::size_t max_http_body_bytes = 1024 * 1024;
  std::chrono::milliseconds http_timeout{30'000};  // a request must arrive within it
  std::chrono::milliseconds close_timeout{3'000};  // waiting for the peer's close frame
};

class Connection;

class NetContext {
 public:
  NetContext(IoThreads& threads, NetOptions options)
      : threads(threads),
        options(options),
        sessions_(threads.thread_count()),
        dirty_(threads.thread_count()),
        flush_posted_(threads.thread_count(), 0) {}

  IoThreads& threads;
  const NetOptions options;
  std::atomic<bool> stopping{false};
  // TCP connections open (HTTP or long-lived), for max_connections: taken at accept, given back
  // when the connection ends. Shared, but touched twice per connection, never per message.
  std::atomic<std::int64_t> open_connections{0};

  std::uint64_t next_session_id() { return ++session_ids_; }

  // Called on the session's thread.
  void add(std::size_t thread, Connection* s) { sessions_[thread].insert(s); }
  void remove(std::size_t thread, Connection* s) { sessions_[thread].erase(s); }
  // Closes every session of the calling thread with code (shutdown).
  void close_all(std::size_t thread, std::uint16_t code, std::string_view reason);
  // Ends every session of the calling thread at once, without a close handshake.
  void abort_all(std::size_t thread);
  std::size_t count(std::size_t thread) const { return sessions_[thread].size(); }
  // The calling thread's sessions (admin page: listing, search, closing one).
  const std::unordered_set<Connection*>& sessions(std::size_t thread) const {
    return sessions_[thread];
  }

  // Called on the connection's thread: c has frames to write. The thread flushes every dirty
  // connection once, after the work already posted to it (so a burst goes out in few syscalls).
  void mark_dirty(std::size_t thread, std::shared_ptr<Connection> c);

 private:
  std::atomic<std::uint64_t> session_ids_{0};
  std::vector<std::unordered_set<Connection*>> sessions_;        // per thread
  std::vector<std::vector<std::shared_ptr<Connection>>> dirty_;  // per thread
  std::vector<char> flush_posted_;  // per thread (char, not bool: threads write their own)
};

}  // namespace parley::net
