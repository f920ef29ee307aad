#include "net/connection.hpp"

#include <spdlog/spdlog.h>

#include <array>

#include "net/metrics.hpp"

namespace parley::net {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
constexpr std::size_t kReadBufferBytes = 64 * 1024;
constexpr std::size_t kMaxGather = 64;  // frames per write syscall
}  // namespace

const char* Connection::kind() const { return mode_ == Mode::websocket ? "ws" : "stream"; }

core::Frame Session::make_text_frame(std::string text) {
  return std::make_shared<const std::string>(ws::encode_frame(ws::Opcode::text, text));
}

void NetContext::mark_dirty(std::size_t thread, std::shared_ptr<Connection> c) {
  dirty_[thread].push_back(std::move(c));
  if (flush_posted_[thread]) return;
  flush_posted_[thread] = 1;
  threads.post(thread, [this, thread] {
    flush_posted_[thread] = 0;
    auto dirty = std::move(dirty_[thread]);
    dirty_[thread].clear();
    for (auto& c : dirty) c->flush();
  });
}

void NetContext::abort_all(std::size_t thread) {
  std::vector<Connection*> all(sessions_[thread].begin(), sessions_[thread].end());
  for (auto* s : all) s->abort("server shutting down");
}

void NetContext::close_all(std::size_t thread, std::uint16_t code, std::string_view reason) {
  // close() may remove the session from the set: iterate over a copy.
  std::vector<Connection*> all(sessions_[thread].begin(), sessions_[thread].end());
  for (auto* s : all) s->close(code, reason);
}

Connection::Connection(asio::ip::tcp::socket socket, NetContext& net, std::size_t thread,
                       std::string peer, std::string path, WsAccept accept)
    : socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      net_(net),
      thread_(thread),
      id_(net.next_session_id()),
      peer_(std::move(peer)),
      path_(std::move(path)),
      mode_(Mode::websocket),
      idle_timeout_(accept.idle_timeout),
      make_handler_(std::move(accept.make)),
      parser_(net.options.max_frame_bytes),
      last_activity_(std::chrono::steady_clock::now()) {
  metrics().websockets_open.fetch_add(1, std::memory_order_relaxed);
}

Connection::Connection(asio::ip::tcp::socket socket, NetContext& net, std::size_t thread,
                       std::string peer, std::string path, std::string head, StreamAccept accept)
    : socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      net_(net),
      thread_(thread),
      id_(net.next_session_id()),
      peer_(std::move(peer)),
      path_(std::move(path)),
      mode_(Mode::stream),
      make_handler_(std::move(accept.make)),
      parser_(net.options.max_frame_bytes),
      last_activity_(std::chrono::steady_clock::now()) {
  metrics().streams_open.fetch_add(1, std::memory_order_relaxed);
  head_ = std::make_shared<const std::string>(std::move(head));
}

Connection::~Connection() {
  (mode_ == Mode::websocket ? metrics().websockets_open : metrics().streams_open)
      .fetch_sub(1, std::memory_order_relaxed);
  metrics().connections_open.fetch_sub(1, std::memory_order_relaxed);
}

void Connection::start(std::string_view leftover) {
  net_.add(thread_, this);
  spdlog::info("{} open session={} peer={} path={}", kind(), id_, peer_, path_);
  error_code ec;
  socket_.non_blocking(true, ec);
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  if (head_) enqueue(std::move(head_), true);
  handler_ = make_handler_();
  handler_->session = this;
  handler_->on_open();
  if (mode_ == Mode::websocket && !leftover.empty()) {
    if (auto err = parser_.feed(leftover, *this)) {
      metrics().protocol_errors.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("ws session={} peer={}: {} ({})", id_, peer_, err.reason, err.code);
      close(err.code, err.reason);
    }
  }
  if (idle_timeout_.count() > 0) arm_idle_timer(idle_timeout_);
  read();
}

void Connection::read() {
  if (torn_down_ || read_pending_ || paused_) return;
  read_pending_ = true;
  socket_.async_wait(asio::ip::tcp::socket::wait_read,
                     [self = shared_from_this()](const error_code& ec) {
                       self->read_pending_ = false;
                       self->on_readable(ec);
                     });
}

void Connection::pause_reading(std::function<void(Resume)> until) {
  if (mode_ != Mode::websocket || paused_ || torn_down_) return;
  paused_ = true;
  spdlog::debug("{} session={} peer={}: store queue full, reading paused", kind(), id_, peer_);
  until([weak = weak_from_this(), &threads = net_.threads, thread = thread_] {
    threads.post(thread, [weak] {
      if (auto self = weak.lock()) self->resume_reading();
    });
  });
}

void Connection::resume_reading() {
  if (!paused_) return;
  paused_ = false;
  spdlog::debug("{} session={} peer={}: reading resumed", kind(), id_, peer_);
  if (!throttled_) read();  // else the throttle's timer reads again
}

bool Connection::take_token() {
  const double rate = static_cast<double>(net_.options.max_messages_per_second);
  if (rate <= 0) return true;
  auto now = std::chrono::steady_clock::now();
  if (refilled_ == std::chrono::steady_clock::time_point{})
    tokens_ = rate;
  else
    tokens_ =
        std::min(rate, tokens_ + std::chrono::duration<double>(now - refilled_).count() * rate);
  refilled_ = now;
  tokens_ -= 1;
  return tokens_ >= 0;
}

void Connection::on_readable(const error_code& wait_ec) {
  if (torn_down_) return;
  if (wait_ec) return teardown(wait_ec.message());
  if (paused_) return;  // resume_reading() reads again
  thread_local std::array<char, kReadBufferBytes> buffer;
  for (;;) {
    error_code ec;
    std::size_t n = socket_.read_some(asio::buffer(buffer), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) return teardown(ec == asio::error::eof ? "peer closed the connection" : ec.message());
    last_activity_ = std::chrono::steady_clock::now();
    if (mode_ == Mode::stream) continue;  // a stream's client has nothing to say: ignored
    if (auto err = parser_.feed(std::string_view(buffer.data(), n), *this)) {
      metrics().protocol_errors.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("ws session={} peer={}: {} (close {})", id_, peer_, err.reason, err.code);
      close(err.code, err.reason);
      break;
    }
    if (torn_down_ || parser_.closed() || throttled_ || paused_ || n < buffer.size()) break;
  }
  if (throttled_ && !torn_down_) {
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
  // Keeps reading while closing, to see the peer's close frame or EOF. Paused: the resume reads.
  read();
}

void Connection::on_message(ws::Opcode op, std::string_view payload) {
  if (closing_) return;
  metrics().frames_in.fetch_add(1, std::memory_order_relaxed);
  if (!take_token()) throttled_ = true;
  if (op == ws::Opcode::text)
    handler_->on_text(payload);
  else
    handler_->on_binary(payload);
}

void Connection::on_ping(std::string_view payload) {
  if (!closing_)
    enqueue(std::make_shared<const std::string>(ws::encode_frame(ws::Opcode::pong, payload)), true);
  if (handler_ && !closing_) handler_->on_ping(payload);
}

void Connection::on_pong(std::string_view payload) {
  if (handler_ && !closing_) handler_->on_pong(payload);
}

void Connection::ping(std::string_view payload) {
  if (mode_ != Mode::websocket || closing_ || torn_down_) return;
  enqueue(std::make_shared<const std::string>(ws::encode_frame(ws::Opcode::ping, payload)), true);
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

void Connection::send_text(std::string text) {
  if (closing_ || torn_down_) return;
  if (mode_ == Mode::stream)
    return enqueue(std::make_shared<const std::string>(std::move(text)), false);
  enqueue(make_text_frame(std::move(text)), false);
}

void Connection::send_frame(const core::Frame& frame) {
  if (closing_ || torn_down_) return;
  enqueue(frame, false);
}

void Connection::close(std::uint16_t code, std::string_view reason) {
  if (closing_ || torn_down_) return;
  closing_ = true;
  spdlog::info("{} close session={} peer={} code={} reason={}", kind(), id_, peer_, code, reason);
  if (mode_ == Mode::stream) {
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
  // Only a connection whose socket already refused bytes is known to be slow; a burst queued
  // within one loop turn is judged after the flush has given the kernel what it takes.
  if (!control && waiting_writable_ &&
      queued_bytes_ + frame->size() > net_.options.max_queue_bytes) {
    return slow_consumer();
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
  if (handler_) handler_->on_close();
  error_code ignored;
  timer_.cancel();
  socket_.close(ignored);
  queue_.clear();
  queued_bytes_ = 0;
  net_.remove(thread_, this);
}

}  // namespace parley::net
