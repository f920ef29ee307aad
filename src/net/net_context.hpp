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
      : threads(threads), options(options), per_thread_(threads.thread_count()) {}

  IoThreads& threads;
  const NetOptions options;
  std::atomic<bool> stopping{false};

  std::uint64_t next_session_id() { return ++session_ids_; }

  // Called on the session's thread.
  void add(std::size_t thread, Connection* s) { per_thread_[thread].sessions.insert(s); }
  void remove(std::size_t thread, Connection* s) { per_thread_[thread].sessions.erase(s); }
  // Closes every session of the calling thread with code (shutdown).
  void close_all(std::size_t thread, std::uint16_t code, std::string_view reason);
  // Ends every session of the calling thread at once, without a close handshake.
  void abort_all(std::size_t thread);
  std::size_t count(std::size_t thread) const { return per_thread_[thread].sessions.size(); }

  // Called on the connection's thread: c has frames to write. The thread flushes every dirty
  // connection once, after the work already posted to it (so a burst goes out in few syscalls).
  void mark_dirty(std::size_t thread, std::shared_ptr<Connection> c);

 private:
  std::atomic<std::uint64_t> session_ids_{0};
  // What one I/O thread alone touches, on a cache line of its own (no false sharing).
  struct alignas(64) PerThread {
    std::unordered_set<Connection*> sessions;
    std::vector<std::shared_ptr<Connection>> dirty;  // waiting for the thread's flush
    bool flush_posted = false;
  };
  std::vector<PerThread> per_thread_;
};

}  // namespace parley::net
