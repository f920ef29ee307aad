#pragma once
// Chat Broadcast SSE: one GET /chat/receive/{channel_id} stream, as the dialect connection of an
// HTTP stream (and of a recording sink in the unit tests).
//
// Design: open() subscribes first and reads history second, both on the stream's I/O thread.
// A message committed in between is then both in the history and posted to this thread; it is
// sent once, because deliver() drops what is not newer than the last offset sent (a channel's
// messages arrive in offset order). Live events are rendered once per fan-out through the
// EncodeCache and the same frame goes to every stream of the thread; replayed ones are rendered
// for this stream alone.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/broker.hpp"
#include "core/dialect_connection.hpp"
#include "core/sink.hpp"
#include "core/subscriber.hpp"

namespace parley::dialects::chat_sse {

struct StreamOptions {
  std::chrono::milliseconds retry{3000};  // the `retry:` sent first; 0: none
  std::size_t replay_limit = 1000;        // at most this many messages replayed per connection
  // Bytes of replay queued per connection at most. A longer backlog is sent in parts: the
  // stream ends after one part and EventSource reconnects with the Last-Event-ID it reached,
  // so a resume never overflows the connection's queue (max_queue_bytes).
  std::size_t replay_bytes = 2 * 1024 * 1024;
  std::chrono::milliseconds keepalive{15'000};  // a comment this often; 0: none
};

// The keep-alive comment as a frame shared by every stream.
const core::Frame& keep_alive_frame();

class Stream final : public core::DialectConnection, public core::Subscriber {
 public:
  // channel: the core channel. after: resume after this offset (Last-Event-ID, ?since=); empty:
  // live messages only (the original's behaviour). Every call happens on sink.thread().
  Stream(core::Broker& broker, core::Sink& sink, std::string channel,
         std::optional<std::uint64_t> after, StreamOptions options);
  ~Stream() override;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Sends `retry:`, subscribes, then replays the kept messages with an offset > after; arms the
  // keep-alive. When the broker refuses the subscription (its channel limit) the stream ends at
  // once (logged): EventSource retries.
  void on_open() override;
  void on_text(std::string_view) override {}
  // What the client sends on a stream is ignored, as by the original, up to kMaxIgnoredBytes.
  bool on_binary(std::string_view data) override {
    ignored_ += data.size();
    return ignored_ <= kMaxIgnoredBytes;
  }
  // Unsubscribes; nothing is sent afterwards. Idempotent.
  void on_close() override;
  // Sends the keep-alive comment.
  void keep_alive();

  void deliver(const core::Event& event, core::EncodeCache& cache) override;

  std::uint64_t last_offset() const { return last_offset_; }

 private:
  void arm_keep_alive();

  core::Broker& broker_;
  core::Sink& sink_;
  const std::string channel_;
  const std::optional<std::uint64_t> after_;
  const std::size_t thread_;
  const StreamOptions options_;
  std::uint64_t last_offset_ = 0;  // of the newest message sent
  std::size_t ignored_ = 0;        // bytes the client sent
  bool subscribed_ = false;
  bool closed_ = false;
};

}  // namespace parley::dialects::chat_sse
