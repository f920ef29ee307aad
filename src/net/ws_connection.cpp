#include "net/ws_connection.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/write.hpp>

#include <array>

#include "net/metrics.hpp"

namespace parley::net {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
constexpr std::size_t kReadBufferBytes = 64 * 1024;
constexpr std::size_t kMaxGather = 64;  // frames per write syscall
}  // namespace

core::Frame WsSession::make_text_frame(std::string text) {
  return std::make_shared<const std::string>(ws::encode_frame(ws::Opcode::text, text));
}

void NetContext::close_all(std::size_t thread, std::uint16_t code, std::string_view reason) {
  // close() may remove the session from the set: iterate over a copy.
  std::vector<WsConnection*> all(sessions_[thread].begin(), sessions_[thread].end());
  for (auto* s : all) s->close(code, reason);
}

WsConnection::WsConnection(asio::ip::tcp::socket socket, NetContext& net, std::size_t thread,
                           std::string peer, std::string path, WsAccept accept)
    : socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      net_(net),
      thread_(thread),
      id_(net.next_session_id()),
      peer_(std::move(peer)),
      path_(std::move(path)),
      accept_(std::move(accept)),
      parser_(net.options.max_frame_bytes),
      last_activity_(std::chrono::steady_clock::now()) {
  metrics().websockets_open.fetch_add(1, std::memory_order_relaxed);
}

WsConnection::~WsConnection() {
  metrics().websockets_open.fetch_sub(1, std::memory_order_relaxed);
  metrics().connections_open.fetch_sub(1, std::memory_order_relaxed);
}

void WsConnection::start(std::string_view leftover) {
  net_.add(thread_, this);
  spdlog::info("ws open session={} peer={} path={}", id_, peer_, path_);
  error_code ec;
  socket_.non_blocking(true, ec);
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  handler_ = accept_.make();
  handler_->session = this;
  handler_->on_open();
  if (!leftover.empty()) {
    if (auto err = parser_.feed(leftover, *this)) {
      metrics().protocol_errors.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("ws session={} peer={}: {} ({})", id_, peer_, err.reason, err.code);
      close(err.code, err.reason);
    }
  }
  if (accept_.idle_timeout.count() > 0) arm_idle_timer(accept_.idle_timeout);
  read();
}

void WsConnection::read() {
  if (torn_down_) return;
  socket_.async_wait(asio::ip::tcp::socket::wait_read,
                     [self = shared_from_this()](const error_code& ec) { self->on_readable(ec); });
}

void WsConnection::on_readable(const error_code& wait_ec) {
  if (torn_down_) return;
  if (wait_ec) return teardown(wait_ec.message());
  thread_local std::array<char, kReadBufferBytes> buffer;
  for (;;) {
    error_code ec;
    std::size_t n = socket_.read_some(asio::buffer(buffer), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) return teardown(ec == asio::error::eof ? "peer closed the connection" : ec.message());
    last_activity_ = std::chrono::steady_clock::now();
    if (auto err = parser_.feed(std::string_view(buffer.data(), n), *this)) {
      metrics().protocol_errors.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("ws session={} peer={}: {} (close {})", id_, peer_, err.reason, err.code);
      close(err.code, err.reason);
      break;
    }
    if (torn_down_ || parser_.closed() || n < buffer.size()) break;
  }
  read();  // keeps reading while closing, to see the peer's close frame or EOF
}

void WsConnection::on_message(ws::Opcode op, std::string_view payload) {
  if (closing_) return;
  metrics().frames_in.fetch_add(1, std::memory_order_relaxed);
  if (op == ws::Opcode::text)
    handler_->on_text(payload);
  else
    handler_->on_binary(payload);
}

void WsConnection::on_ping(std::string_view payload) {
  if (!closing_)
    enqueue(std::make_shared<const std::string>(ws::encode_frame(ws::Opcode::pong, payload)), true);
}

void WsConnection::on_pong(std::string_view) {}

void WsConnection::on_close(std::uint16_t code, std::string_view reason) {
  peer_closed_ = true;
  spdlog::info("ws peer close session={} peer={} code={} reason={}", id_, peer_, code, reason);
  if (closing_) {
    // Our close frame went first: the handshake is complete once it is written.
    if (!writing_ && queue_.empty()) teardown("closed");
    return;
  }
  close(code == ws::close_code::no_status ? ws::close_code::normal : code, "");
}

void WsConnection::send_text(std::string text) {
  if (closing_ || torn_down_) return;
  enqueue(make_text_frame(std::move(text)), false);
}

void WsConnection::send_frame(const core::Frame& frame) {
  if (closing_ || torn_down_) return;
  enqueue(frame, false);
}

void WsConnection::close(std::uint16_t code, std::string_view reason) {
  if (closing_ || torn_down_) return;
  closing_ = true;
  close_code_ = code;
  spdlog::info("ws close session={} peer={} code={} reason={}", id_, peer_, code, reason);
  enqueue(std::make_shared<const std::string>(ws::encode_close(code, reason)), true);
  // The peer has close_timeout to answer our close frame.
  arm_idle_timer(net_.options.close_timeout);
}

void WsConnection::enqueue(core::Frame frame, bool control) {
  if (torn_down_) return;
  if (!control && queued_bytes_ + frame->size() > net_.options.max_queue_bytes) {
    if (net_.options.slow_consumer == SlowConsumer::drop) {
      metrics().slow_consumer_drops.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    metrics().slow_consumer_disconnects.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("ws session={} peer={}: slow consumer, {} bytes queued; disconnecting", id_, peer_,
                 queued_bytes_);
    return teardown("slow consumer");
  }
  queued_bytes_ += frame->size();
  queue_.push_back(std::move(frame));
  metrics().frames_out.fetch_add(1, std::memory_order_relaxed);
  if (!writing_) write();
}

void WsConnection::write() {
  write_buffers_.clear();
  std::size_t n = std::min(queue_.size(), kMaxGather);
  for (std::size_t i = 0; i < n; ++i) write_buffers_.emplace_back(asio::buffer(*queue_[i]));
  writing_ = n;
  asio::async_write(socket_, write_buffers_,
                    [self = shared_from_this()](const error_code& ec, std::size_t bytes) {
                      self->on_write(ec, bytes);
                    });
}

void WsConnection::on_write(const error_code& ec, std::size_t bytes) {
  if (torn_down_) return;
  if (ec) return teardown(ec.message());
  metrics().bytes_out.fetch_add(bytes, std::memory_order_relaxed);
  for (std::size_t i = 0; i < writing_; ++i) {
    queued_bytes_ -= queue_.front()->size();
    queue_.pop_front();
  }
  writing_ = 0;
  if (!queue_.empty()) return write();
  if (queue_.empty() && closing_) {
    if (peer_closed_) return teardown("closed");
    error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  }
}

void WsConnection::arm_idle_timer(std::chrono::steady_clock::duration after) {
  timer_.expires_after(after);
  timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (ec || self->torn_down_) return;
    if (self->closing_) return self->teardown("close handshake timed out");
    auto idle = self->accept_.idle_timeout;
    auto since = std::chrono::steady_clock::now() - self->last_activity_;
    if (since >= idle) {
      spdlog::info("ws session={} peer={}: idle for {} ms", self->id_, self->peer_,
                   std::chrono::duration_cast<std::chrono::milliseconds>(since).count());
      return self->close(ws::close_code::normal, "idle timeout");
    }
    self->arm_idle_timer(idle - since);
  });
}

void WsConnection::teardown(std::string_view why) {
  if (torn_down_) return;
  torn_down_ = true;
  spdlog::info("ws gone session={} peer={}: {}", id_, peer_, why);
  if (handler_) handler_->on_close();
  error_code ignored;
  timer_.cancel();
  socket_.close(ignored);
  queue_.clear();
  queued_bytes_ = 0;
  net_.remove(thread_, this);
}

}  // namespace parley::net
