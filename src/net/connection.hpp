#pragma once
// A long-lived connection after its HTTP request: a WebSocket (Parley's own frame codec over an
// Asio socket) or an HTTP stream (Server-Sent Events: the response head, then frames).
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
#include "net/session.hpp"
#include "net/ws_codec.hpp"

namespace parley::net {

class Connection final : public Session,
                         private ws::FrameHandler,
                         public std::enable_shared_from_this<Connection> {
 public:
  enum class Mode { websocket, stream };

  // A WebSocket after the 101 answer was written.
  Connection(boost::asio::ip::tcp::socket socket, NetContext& net, std::size_t thread,
             std::string peer, std::string path, WsAccept accept);
  // An HTTP stream: `head` (status line and headers) is sent first. Input is ignored; the
  // client's EOF ends the stream.
  Connection(boost::asio::ip::tcp::socket socket, NetContext& net, std::size_t thread,
             std::string peer, std::string path, std::string head, StreamAccept accept);
  ~Connection() override;

  // Runs the handler's on_open, parses bytes already read past the request, starts reading.
  void start(std::string_view leftover);

  void send_text(std::string text) override;
  void send_frame(const core::Frame& frame) override;
  void close(std::uint16_t code, std::string_view reason) override;
  std::size_t thread() const override { return thread_; }
  std::uint64_t id() const override { return id_; }
  const std::string& peer() const override { return peer_; }
  void after(std::chrono::milliseconds delay, std::function<void()> fn) override;
  void ping(std::string_view payload = {}) override;
  void pause_reading(std::function<void(Resume)> until) override;

  // Writes what the kernel takes now; called by the thread's flush (NetContext::mark_dirty).
  void flush();
  // Ends the connection now, without a close handshake (shutdown past its grace period).
  void abort(std::string_view why) { teardown(why); }

 private:
  void on_message(ws::Opcode op, std::string_view payload) override;
  void on_ping(std::string_view payload) override;
  void on_pong(std::string_view payload) override;
  void on_close(std::uint16_t code, std::string_view reason) override;

  // Waits for readability, unless a wait is pending or reading is paused.
  void read();
  void resume_reading();
  void on_readable(const boost::system::error_code& ec);
  // Takes one inbound message from the rate budget; false when the budget is spent.
  bool take_token();
  void enqueue(core::Frame frame, bool control);
  void consume(std::size_t written);
  void on_drained();
  void slow_consumer();
  void arm_idle_timer(std::chrono::steady_clock::duration after);
  // Ends the connection now: the handler's on_close, the socket closed. Idempotent.
  void teardown(std::string_view why);
  const char* kind() const;

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  NetContext& net_;
  const std::size_t thread_;
  const std::uint64_t id_;
  const std::string peer_;
  const std::string path_;
  const Mode mode_;
  std::chrono::milliseconds idle_timeout_{0};
  std::function<std::unique_ptr<SessionHandler>()> make_handler_;
  std::unique_ptr<SessionHandler> handler_;
  ws::FrameParser parser_;

  core::Frame head_;  // a stream's response head, until start()
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
  bool throttled_ = false;     // reading paused until the budget refills
  bool paused_ = false;        // reading paused by pause_reading(), until resumed
  bool read_pending_ = false;  // a wait for readability is pending

  bool closing_ = false;      // a close frame is queued: nothing more is sent
  bool peer_closed_ = false;  // the peer's close frame arrived
  bool torn_down_ = false;
};

}  // namespace parley::net
