#include "net/connection.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/post.hpp>

#include "net/metrics.hpp"

namespace parley::net {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
constexpr std::size_t kReadBufferBytes = 64 * 1024;
constexpr std::size_t kMaxGather = 64;  // frames per write syscall
}  // namespace

std::atomic<std::int64_t>& Connection::open_gauge() const {
  return transport_ == core::Transport::websocket ? metrics().websockets_open
                                                  : metrics().streams_open;
}

const char* Connection::kind() const {
  return transport_ == core::Transport::websocket ? "ws" : "stream";
}

void NetContext::mark_dirty(std::size_t thread, std::shared_ptr<Connection> c) {
  PerThread& mine = per_thread_[thread];
  mine.dirty.push_back(std::move(c));
  if (mine.flush_posted) return;
  mine.flush_posted = true;
  threads.post(thread, [this, thread] {
    PerThread& mine = per_thread_[thread];
    mine.flush_posted = false;
    auto dirty = std::move(mine.dirty);
    mine.dirty.clear();
    for (auto& c : dirty) c->flush();
  });
}

void NetContext::abort_all(std::size_t thread) {
  std::vector<Connection*> all(per_thread_[thread].sessions.begin(),
                               per_thread_[thread].sessions.end());
  for (auto* s : all) s->abort("server shutting down");
}

void NetContext::close_all(std::size_t thread, std::uint16_t code, std::string_view reason) {
  // close() may remove the session from the set: iterate over a copy.
  std::vector<Connection*> all(per_thread_[thread].sessions.begin(),
                               per_thread_[thread].sessions.end());
  for (auto* s : all) s->close(code, reason);
}

Connection::Connection(asio::ip::tcp::socket socket, NetContext& net, std::size_t thread,
                       std::string peer, ConnectionSetup setup)
    : socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      net_(net),
      thread_(thread),
      id_(net.next_session_id()),
      peer_(std::move(peer)),
      path_(std::move(setup.path)),
      transport_(setup.transport),
      idle_timeout_(setup.idle_timeout),
      make_dialect_(std::move(setup.make)),
      parser_(net.options.max_frame_bytes),
      last_activity_(std::chrono::steady_clock::now()) {
  open_gauge().fetch_add(1, std::memory_order_relaxed);
  if (!setup.head.empty()) head_ = std::make_shared<const std::string>(std::move(setup.head));
}

Connection::~Connection() {
  open_gauge().fetch_sub(1, std::memory_order_relaxed);
  metrics().connections_open.fetch_sub(1, std::memory_order_relaxed);
}

void Connection::start(std::string_view leftover) {
  net_.add(thread_, this);
  spdlog::info("{} open session={} peer={} path={}", kind(), id_, peer_, path_);
  error_code ec;
  socket_.non_blocking(true, ec);
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  if (head_) enqueue(std::move(head_), true);
  dialect_ = make_dialect_(*this);
  dialect_->on_open();
  if (!leftover.empty()) on_bytes(leftover);
  if (idle_timeout_.count() > 0) arm_idle_timer(idle_timeout_);
  read();
}

bool Connection::on_bytes(std::string_view bytes) {
  if (transport_ == core::Transport::stream) {
    // A byte stream's dialect parses what it gets itself (MQTT); an SSE stream ignores it.
    if (closing_ || torn_down_) return false;
    charge(1);
    if (dialect_->on_binary(bytes)) return !closing_ && !torn_down_;
    close(ws::close_code::unsupported_data, "unexpected input");
    return false;
  }
  // Every frame counts against the inbound rate, control frames and fragments included.
  const std::uint64_t frames_before = parser_.frames();
  auto err = parser_.feed(bytes, *this);
  charge(parser_.frames() - frames_before);
  if (err) {
    metrics().protocol_errors.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("ws session={} peer={}: {} (close {})", id_, peer_, err.reason, err.code);
    close(err.code, err.reason);
    return false;
  }
  return !parser_.closed();
}

void Connection::read() {
  if (torn_down_) return;
  socket_.async_wait(asio::ip::tcp::socket::wait_read,
                     [self = shared_from_this()](const error_code& ec) { self->on_readable(ec); });
}

void Connection::charge(std::uint64_t units) {
  const double rate = static_cast<double>(net_.options.max_messages_per_second);
  if (rate <= 0 || units == 0) return;
  auto now = std::chrono::steady_clock::now();
  if (refilled_ == std::chrono::steady_clock::time_point{})
    tokens_ = rate;
  else
    tokens_ =
        std::min(rate, tokens_ + std::chrono::duration<double>(now - refilled_).count() * rate);
  refilled_ = now;
  tokens_ -= static_cast<double>(units);
  if (tokens_ < 0) throttled_ = true;
}

void Connection::on_readable(const error_code& wait_ec) {
  if (torn_down_) return;
  if (wait_ec) return teardown(wait_ec.message());
  // One buffer per loop turn: a client that keeps its socket full cannot hold the thread; the
  // other connections, the accept loop and the flush run before its next buffer is read.
  thread_local std::array<char, kReadBufferBytes> buffer;
  error_code ec;
  std::size_t n = socket_.read_some(asio::buffer(buffer), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) return read();
  if (ec) return teardown(ec == asio::error::eof ? "peer closed the connection" : ec.message());
  last_activity_ = std::chrono::steady_clock::now();
  on_bytes(std::string_view(buffer.data(), n));
  if (torn_down_) return;
  if (throttled_) {
    // Over the message rate: stop reading until the budget is positive again. The kernel's
    // buffer fills and TCP slows the sender; nothing is dropped.
    metrics().throttled.fetch_add(1, std::memory_order_relaxed);
    spdlog::debug("{} session={} peer={}: over {} messages/s, reading paused", kind(), id_, peer_,
                  net_.options.max_messages_per_second);
    double wait_s = (1.0 - tokens_) / static_cast<double>(net_.options.max_messages_per_second);
    return after(std::chrono::milliseconds(static_cast<long>(wait_s * 1000) + 1), [this] {
      throttled_ = false;
      read();
    });
  }
  if (n == buffer.size()) {
    // More may be waiting: read it after the work already queued on this thread.
    return asio::post(socket_.get_executor(),
                      [self = shared_from_this()] { self->on_readable({}); });
  }
  read();  // keeps reading while closing, to see the peer's close frame or EOF
}

void Connection::on_message(ws::Opcode op, std::string_view payload) {
  if (closing_) return;
  metrics().frames_in.fetch_add(1, std::memory_order_relaxed);
  if (op == ws::Opcode::text) return dialect_->on_text(payload);
  if (!dialect_->on_binary(payload)) {
    spdlog::info("ws session={} peer={}: binary frame; closing 1003", id_, peer_);
    close(ws::close_code::unsupported_data, "binary frames are not supported");
  }
}

void Connection::on_ping(std::string_view payload) {
  if (closing_) return;
  enqueue(std::make_shared<const std::string>(ws::encode_frame(ws::Opcode::pong, payload)), true);
  dialect_->on_alive();
}

void Connection::on_pong(std::string_view) {
  if (!closing_) dialect_->on_alive();
}

void Connection::ping() {
  if (transport_ != core::Transport::websocket || closing_ || torn_down_) return;
  enqueue(std::make_shared<const std::string>(ws::encode_frame(ws::Opcode::ping, {})), true);
}

void Connection::on_close(std::uint16_t code, std::string_view reason) {
  peer_closed_ = true;
  spdlog::info("ws peer close session={} peer={} code={} reason={}", id_, peer_, code, reason);
  if (closing_) {
    // Our close frame went first: the handshake is complete once it is written.
    if (queue_.empty()) teardown("closed");
    return;
  }
  close(code == ws::close_code::no_status ? ws::close_code::normal : code, "");
}

core::Frame Connection::make_frame(std::string text) {
  if (transport_ == core::Transport::stream)
    return std::make_shared<const std::string>(std::move(text));
  return std::make_shared<const std::string>(ws::encode_frame(ws::Opcode::text, text));
}

core::Frame Connection::make_binary_frame(std::string data) {
  if (transport_ == core::Transport::stream)
    return std::make_shared<const std::string>(std::move(data));
  return std::make_shared<const std::string>(ws::encode_frame(ws::Opcode::binary, data));
}

void Connection::send_text(std::string text) {
  if (closing_ || torn_down_) return;
  enqueue(make_frame(std::move(text)), false);
}

void Connection::send_binary(std::string data) {
  if (closing_ || torn_down_) return;
  enqueue(make_binary_frame(std::move(data)), false);
}

void Connection::send_frame(const core::Frame& frame) {
  if (closing_ || torn_down_) return;
  enqueue(frame, false);
}

void Connection::close(std::uint16_t code, std::string_view reason) {
  if (closing_ || torn_down_) return;
  closing_ = true;
  spdlog::info("{} close session={} peer={} code={} reason={}", kind(), id_, peer_, code, reason);
  if (transport_ == core::Transport::stream) {
    // A stream ends by closing the connection once what is queued is written.
    peer_closed_ = true;
    if (queue_.empty()) return teardown("closed");
    return arm_idle_timer(net_.options.close_timeout);
  }
  enqueue(std::make_shared<const std::string>(ws::encode_close(code, reason)), true);
  // The peer has close_timeout to answer our close frame.
  arm_idle_timer(net_.options.close_timeout);
}

void Connection::enqueue(core::Frame frame, bool control) {
  if (torn_down_) return;
  // The unsent bytes are bounded here, on every path (data, control frames, streams), so no
  // client can grow them past max_queue_bytes, not even one that never reads. A burst to a
  // fast reader is not mistaken for a slow one: what the kernel takes now is written first.
  if (queued_bytes_ + frame->size() > net_.options.max_queue_bytes) {
    if (!waiting_writable_) flush();
    if (torn_down_) return;
    if (queued_bytes_ + frame->size() > net_.options.max_queue_bytes) {
      if (control) spdlog::debug("{} session={}: control frame over the queue limit", kind(), id_);
      return slow_consumer();
    }
  }
  queued_bytes_ += frame->size();
  queue_.push_back(std::move(frame));
  if (!dirty_ && !waiting_writable_) {
    dirty_ = true;
    net_.mark_dirty(thread_, shared_from_this());
  }
}

void Connection::slow_consumer() {
  if (net_.options.slow_consumer == SlowConsumer::drop) {
    metrics().slow_consumer_drops.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  metrics().slow_consumer_disconnects.fetch_add(1, std::memory_order_relaxed);
  spdlog::warn("{} session={} peer={}: slow consumer, {} bytes queued; disconnecting", kind(), id_,
               peer_, queued_bytes_);
  teardown("slow consumer");
}

void Connection::flush() {
  dirty_ = false;
  if (torn_down_ || waiting_writable_) return;
  while (!queue_.empty()) {
    write_buffers_.clear();
    std::size_t n = std::min(queue_.size(), kMaxGather);
    for (std::size_t i = 0; i < n; ++i) {
      asio::const_buffer b = asio::buffer(*queue_[i]);
      write_buffers_.push_back(i == 0 ? b + front_offset_ : b);
    }
    error_code ec;
    std::size_t written = socket_.write_some(write_buffers_, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) return teardown(ec.message());
    metrics().bytes_out.fetch_add(written, std::memory_order_relaxed);
    consume(written);
  }
  if (queue_.empty()) return on_drained();
  if (queued_bytes_ > net_.options.max_queue_bytes) {
    if (net_.options.slow_consumer == SlowConsumer::disconnect) return slow_consumer();
    // Policy drop: keep the frame being written, drop the newest until under the limit.
    while (queue_.size() > 1 && queued_bytes_ > net_.options.max_queue_bytes) {
      queued_bytes_ -= queue_.back()->size();
      queue_.pop_back();
      metrics().slow_consumer_drops.fetch_add(1, std::memory_order_relaxed);
    }
  }
  waiting_writable_ = true;
  socket_.async_wait(asio::ip::tcp::socket::wait_write,
                     [self = shared_from_this()](const error_code& ec) {
                       self->waiting_writable_ = false;
                       if (self->torn_down_) return;
                       if (ec) return self->teardown(ec.message());
                       self->flush();
                     });
}

void Connection::consume(std::size_t written) {
  std::uint64_t frames = 0;
  while (written > 0) {
    std::size_t left = queue_.front()->size() - front_offset_;
    if (written < left) {
      front_offset_ += written;
      break;
    }
    written -= left;
    queued_bytes_ -= queue_.front()->size();
    queue_.pop_front();
    front_offset_ = 0;
    ++frames;
  }
  // Counted per write, not per frame queued: the counter is shared by every I/O thread.
  if (frames) metrics().frames_out.fetch_add(frames, std::memory_order_relaxed);
}

void Connection::on_drained() {
  if (!closing_) return;
  if (peer_closed_) return teardown("closed");
  error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

void Connection::arm_idle_timer(std::chrono::steady_clock::duration after) {
  timer_.expires_after(after);
  timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (ec || self->torn_down_) return;
    if (self->closing_) return self->teardown("close handshake timed out");
    auto idle = self->idle_timeout_;
    auto since = std::chrono::steady_clock::now() - self->last_activity_;
    if (since >= idle) {
      spdlog::info("ws session={} peer={}: idle for {} ms", self->id_, self->peer_,
                   std::chrono::duration_cast<std::chrono::milliseconds>(since).count());
      return self->close(ws::close_code::normal, "idle timeout");
    }
    self->arm_idle_timer(idle - since);
  });
}

void Connection::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  if (torn_down_) return;
  auto timer = std::make_shared<asio::steady_timer>(socket_.get_executor(), delay);
  timers_.push_back(timer);
  timer->async_wait([self = shared_from_this(), timer, fn = std::move(fn)](const error_code& ec) {
    std::erase(self->timers_, timer);
    if (!ec && !self->torn_down_) fn();
  });
}

void Connection::teardown(std::string_view why) {
  if (torn_down_) return;
  torn_down_ = true;
  for (auto& t : timers_) t->cancel();
  spdlog::info("{} gone session={} peer={}: {}", kind(), id_, peer_, why);
  if (dialect_) dialect_->on_close();
  error_code ignored;
  timer_.cancel();
  socket_.close(ignored);
  queue_.clear();
  queued_bytes_ = 0;
  net_.remove(thread_, this);
}

}  // namespace parley::net
