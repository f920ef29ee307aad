#pragma once
// Chat Broadcast SSE: one GET /chat/receive/{channel_id} stream, as a state machine that net
// binds to an HTTP stream session (and the unit tests to a recording sink).
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
#include "core/subscriber.hpp"

namespace parley::dialects::chat_sse {

// What a stream needs from its transport.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Sends bytes to this stream only.
  virtual void send_text(std::string text) = 0;
  // Sends a frame that other streams may share: its bytes go on the wire as they are.
  virtual void send_frame(const core::Frame& frame) = 0;
  // Ends the response once what is queued is written. Nothing more is sent after it.
  virtual void end() = 0;
};

struct StreamOptions {
  std::chrono::milliseconds retry{3000};  // the `retry:` sent first; 0: none
  std::size_t replay_limit = 1000;        // at most this many messages replayed per connection
  // Bytes of replay queued per connection at most. A longer backlog is sent in parts: the
  // stream ends after one part and EventSource reconnects with the Last-Event-ID it reached,
  // so a resume never overflows the connection's queue (max_queue_bytes).
  std::size_t replay_bytes = 2 * 1024 * 1024;
};

// The keep-alive comment as a frame shared by every stream.
const core::Frame& keep_alive_frame();

class Stream final : public core::Subscriber {
 public:
  // channel: the core channel; thread: the I/O thread of the stream (every call happens on it).
  Stream(core::Broker& broker, StreamSink& sink, std::string channel, std::size_t thread,
         StreamOptions options);
  ~Stream() override;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // Sends `retry:`, subscribes, then replays the kept messages with an offset > *after (none
  // when after is empty: the original's behaviour, live messages only). When the broker refuses
  // the subscription (its channel limit) the stream ends at once (logged): EventSource retries.
  void open(std::optional<std::uint64_t> after);
  // Unsubscribes; nothing is sent afterwards. Idempotent.
  void close();
  // Sends the keep-alive comment.
  void keep_alive();

  void deliver(const core::Event& event, core::EncodeCache& cache) override;

  std::uint64_t last_offset() const { return last_offset_; }

 private:
  core::Broker& broker_;
  StreamSink& sink_;
  const std::string channel_;
  const std::size_t thread_;
  const StreamOptions options_;
  std::uint64_t last_offset_ = 0;  // of the newest message sent
  bool subscribed_ = false;
  bool closed_ = false;
};

}  // namespace parley::dialects::chat_sse
