#pragma once
// A long-lived connection: a WebSocket after its upgrade (Parley's own frame codec over an Asio
// socket), or a byte stream: an HTTP stream after its request (Server-Sent Events: the response
// head, then frames) or a raw TCP connection (MQTT). It is the core::Sink of its dialect
// connection, whatever the dialect: the one adapter between every system and the network.
//
// Design: the connection lives on one I/O thread. Reading waits for readability and then reads
// into a buffer shared by the thread (an idle connection holds no read buffer). Writing is
// corked, as Redis and uWebSockets do: sends only append shared frames to the queue and mark
// the connection dirty; once per loop turn the thread flushes every dirty connection with
// non-blocking gather writes (many frames, one syscall). What the kernel does not take waits
// for writability. A connection whose unsent bytes pass max_queue_bytes gets the slow-consumer
// policy (disconnect, or drop the newest frames), logged and counted.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <vector>

#include "net/net_context.hpp"
#include "net/router.hpp"
#include "net/ws_codec.hpp"

namespace parley::net {

// How a connection is set up; made by the HTTP session (upgrade, stream) or a raw listener.
struct ConnectionSetup {
  core::Transport transport = core::Transport::websocket;
  std::string path;  // the request's path, for the logs ("" for raw TCP)
  std::string head;  // a stream's first bytes (an HTTP response head), or empty
  std::chrono::milliseconds idle_timeout{0};  // 0: none
  MakeDialect make;
};

class Connection final : public core::Sink,
                         private ws::FrameHandler,
                         public std::enable_shared_from_this<Connection> {
 public:
  Connection(boost::asio::ip::tcp::socket socket, NetContext& net, std::size_t thread,
             std::string peer, ConnectionSetup setup);
  ~Connection() override;

  // Makes the dialect connection and runs its on_open, handles bytes already read past the
  // request, starts reading.
  void start(std::string_view leftover);

  // core::Sink
  void send_text(std::string text) override;
  void send_binary(std::string data) override;
  core::Frame make_frame(std::string text) override;
  core::Frame make_binary_frame(std::string data) override;
  void send_frame(const core::Frame& frame) override;
  void close(std::uint16_t code, std::string_view reason) override;
  void ping() override;
  void after(std::chrono::milliseconds delay, std::function<void()> fn) override;
  core::Transport transport() const override { return transport_; }
  std::uint64_t id() const override { return id_; }
  std::size_t thread() const override { return thread_; }
  const std::string& peer() const override { return peer_; }

  // Writes what the kernel takes now; called by the thread's flush (NetContext::mark_dirty).
  void flush();
  // Ends the connection now, without a close handshake (shutdown past its grace period).
  void abort(std::string_view why) { teardown(why); }

 private:
  void on_message(ws::Opcode op, std::string_view payload) override;
  void on_ping(std::string_view payload) override;
  void on_pong(std::string_view payload) override;
  void on_close(std::uint16_t code, std::string_view reason) override;

  // Hands bytes to the frame parser (WebSocket) or to the dialect (stream); false when the
  // connection is closing because of them.
  bool on_bytes(std::string_view bytes);
  void read();
  void on_readable(const boost::system::error_code& ec);
  // Takes units (frames, or reads of a byte stream) from the inbound rate budget; reading
  // pauses (throttled_) when it is spent.
  void charge(std::uint64_t units);
  void enqueue(core::Frame frame, bool control);
  void consume(std::size_t written);
  void on_drained();
  void slow_consumer();
  void arm_idle_timer(std::chrono::steady_clock::duration after);
  // Ends the connection now: the handler's on_close, the socket closed. Idempotent.
  void teardown(std::string_view why);
  const char* kind() const;
  // The gauge of open connections of this transport (/metrics).
  std::atomic<std::int64_t>& open_gauge() const;

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  NetContext& net_;
  const std::size_t thread_;
  const std::uint64_t id_;
  const std::string peer_;
  const std::string path_;
  const core::Transport transport_;
  std::chrono::milliseconds idle_timeout_{0};
  MakeDialect make_dialect_;  // kept: what it captured outlives dialect_ (declared after it)
  std::shared_ptr<core::DialectConnection> dialect_;
  ws::FrameParser parser_;

  core::Frame head_;  // a stream's first bytes, until start()
  std::deque<core::Frame> queue_;
  std::size_t queued_bytes_ = 0;
  std::size_t front_offset_ = 0;  // bytes of queue_.front() already written
  std::vector<boost::asio::const_buffer> write_buffers_;
  bool dirty_ = false;             // waiting for the thread's flush
  bool waiting_writable_ = false;  // the kernel refused bytes: waiting for it to take more
  std::chrono::steady_clock::time_point last_activity_;
  std::vector<std::shared_ptr<boost::asio::steady_timer>> timers_;  // after() timers pending

  double tokens_ = 0;  // inbound message budget (token bucket), refilled at the configured rate
  std::chrono::steady_clock::time_point refilled_;
  bool throttled_ = false;  // reading paused until the budget refills

  bool closing_ = false;      // a close frame is queued: nothing more is sent
  bool peer_closed_ = false;  // the peer's close frame arrived
  bool torn_down_ = false;
};

}  // namespace parley::net
