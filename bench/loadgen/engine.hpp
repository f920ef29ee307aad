#pragma once
// The load generator's engine: many client connections on one Asio thread (readiness-based
// reads into one shared buffer, so an idle connection holds no buffer), an open-loop publisher
// that stamps each message with its scheduled send time, and per-step accounting of deliveries,
// latency, losses, duplicates and reordering.
//
// Latency runs from the send time to the kernel's receive timestamp of the bytes (SO_TIMESTAMPNS:
// the arrival at the client socket, not the moment this process read it); when the publisher runs
// late (more than 2 ms behind its schedule) from the scheduled time instead, so a server that
// stalls its publisher's socket is charged for the wait (no coordinated omission).
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "stats.hpp"
#include "wire.hpp"

namespace bench {

namespace asio = boost::asio;

std::uint64_t now_ns();   // steady clock: scheduling
std::uint64_t wall_ns();  // realtime clock: send stamps, compared with the kernel's receive stamps

// CPU time and memory of a process, from /proc.
struct ProcSample {
  double cpu_s = 0;                // user + system, all threads
  std::uint64_t rss_kib = 0;       // VmRSS
  std::uint64_t peak_rss_kib = 0;  // VmHWM
};
ProcSample sample_process(int pid);  // zeros when pid is 0 or gone
double self_cpu_s();

struct ConnSpec {
  std::string room;
  bool subscribe = true;  // subscribe to room (phoenix: join it)
  bool counted = true;    // its deliveries are measured
  bool slow = false;      // stops reading once ready, with a small receive buffer
};

struct Publisher {
  std::size_t conn;  // connection that writes the messages
  std::uint32_t id;  // publisher id carried in the payload
  std::string room;
  std::uint64_t seq = 0;
};

struct StepResult {
  double rate = 0;        // messages per second published (target)
  double duration_s = 0;  // sending time, target
  double send_s = 0;      // sending time, actual
  std::uint64_t sent = 0;
  std::uint64_t expected = 0;
  std::uint64_t delivered = 0;  // unique
  std::uint64_t duplicated = 0;
  std::uint64_t reordered = 0;
  std::uint64_t stale = 0;  // from an earlier step
  std::uint64_t lost = 0;
  std::uint64_t disconnected = 0;  // counted subscribers lost during the step
  double deliveries_per_s = 0;
  Histogram latency;
  ProcSample server_before, server_after;
  std::uint64_t server_rss_max_kib = 0;  // sampled during the step
  double loadgen_cpu = 0;                // fraction of one core
  bool pass = false;

  boost::json::object to_json(bool cdf) const;
};

class Engine {
 public:
  struct Options {
    Proto proto = Proto::phoenix;
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::size_t payload = 100;
    int server_pid = 0;
    double p99_limit_ms = 50;
  };

  explicit Engine(Options options);
  ~Engine();

  asio::io_context& io() { return io_; }
  Proto proto() const { return options_.proto; }

  // Adds a connection (not connected yet); returns its index.
  std::size_t add(ConnSpec spec);
  std::size_t size() const { return conns_.size(); }

  struct ConnectResult {
    double seconds = 0;
    std::size_t ready = 0;
    std::size_t failed = 0;
    std::size_t retries = 0;
  };
  // Connects conns [first, last) with at most `window` handshakes in flight; waits until each is
  // ready or failed (after 3 attempts), or timeout.
  asio::awaitable<ConnectResult> connect(std::size_t first, std::size_t last, std::size_t window,
                                         std::chrono::seconds timeout);
  // Connects again any counted or publishing connection that died.
  asio::awaitable<ConnectResult> revive();
  // Closes conns [first, last) now.
  void close(std::size_t first, std::size_t last);

  // Waits until nothing was read for `quiet`, at most `limit`.
  asio::awaitable<void> quiesce(std::chrono::milliseconds quiet, std::chrono::milliseconds limit);
  asio::awaitable<void> sleep(std::chrono::milliseconds d);

  // Publishes rate msgs/s for duration, spread round-robin over publishers, then waits for the
  // deliveries (until all arrived, or no progress for 1.5 s).
  asio::awaitable<StepResult> step(std::vector<Publisher>& publishers, double rate,
                                   double duration_s);

  // Sends a heartbeat on a slice of the connections each second (phoenix), forever.
  asio::awaitable<void> heartbeats();

  std::size_t ready_count(std::size_t first, std::size_t last) const;
  // The slow connection's fate: bytes it could still read, and whether the server closed it.
  struct SlowFate {
    std::uint64_t bytes = 0;
    bool closed_by_server = false;
  };
  SlowFate drain_slow(std::size_t conn);

  void stop() { stopping_ = true; }

 private:
  struct Conn;
  void launch_connects();
  asio::awaitable<ConnectResult> run_connects(std::size_t window, std::chrono::seconds timeout,
                                              std::size_t first, std::size_t last);
  void start_connect(Conn& c);
  void on_connected(Conn& c, const boost::system::error_code& ec);
  void start_read(Conn& c);
  void on_readable(Conn& c, const boost::system::error_code& ec);
  void on_dead(Conn& c, std::string_view why);
  void write(Conn& c, std::string_view bytes);
  void flush(Conn& c);
  void deliver(Conn& c, std::string_view payload);

  Options options_;
  asio::io_context io_{1};  // one thread: no locking in the scheduler
  asio::ip::tcp::endpoint endpoint_;
  std::vector<std::unique_ptr<Conn>> conns_;

  // connect() state
  std::vector<std::size_t> connect_queue_;
  std::size_t connect_next_ = 0;
  std::size_t in_flight_ = 0;
  std::size_t window_ = 0;
  std::size_t failed_ = 0;
  std::size_t retries_ = 0;

  // current step
  std::uint32_t step_id_ = 0;
  std::uint64_t delivered_ = 0, duplicated_ = 0, reordered_ = 0, stale_ = 0;
  std::uint64_t disconnected_ = 0;
  Histogram latency_;
  std::uint64_t read_ns_ = 0;       // arrival of the current read's last bytes (kernel, realtime)
  std::uint64_t last_read_ns_ = 0;  // time of the last read that got bytes
  std::uint64_t last_delivery_ns_ = 0;
  bool stopping_ = false;
};

}  // namespace bench
