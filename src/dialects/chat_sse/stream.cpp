#include "dialects/chat_sse/stream.hpp"

#include <spdlog/spdlog.h>

#include "dialects/chat_sse/codec.hpp"

namespace parley::dialects::chat_sse {

const core::Frame& keep_alive_frame() {
  static const core::Frame frame = std::make_shared<const std::string>(kKeepAlive);
  return frame;
}

Stream::Stream(core::Broker& broker, core::Sink& sink, std::string channel,
               std::optional<std::uint64_t> after, StreamOptions options)
    : broker_(broker),
      sink_(sink),
      channel_(std::move(channel)),
      after_(after),
      thread_(sink.thread()),
      options_(options) {}

Stream::~Stream() { on_close(); }

void Stream::on_open() {
  if (closed_ || subscribed_) return;
  arm_keep_alive();
  if (options_.retry.count() > 0)
    sink_.send_text(retry_text(static_cast<std::uint64_t>(options_.retry.count())));
  if (auto outcome = broker_.subscribe(channel_, thread_, this); outcome != core::Outcome::ok) {
    // Ended at once: EventSource reconnects after its retry delay.
    spdlog::info("chat_sse: stream on {:?} refused: {}", channel_, core::describe(outcome));
    on_close();
    sink_.close(1013, "too many channels");
    return;
  }
  subscribed_ = true;
  if (!after_) return;
  std::size_t queued = 0;
  for (const auto& m : broker_.history(channel_, options_.replay_limit, *after_)) {
    std::string event = event_text(*m);
    if (queued > 0 && queued + event.size() > options_.replay_bytes) {
      // The rest in the next connection: EventSource resumes from last_offset_.
      on_close();
      sink_.close(1000, "replay continues on the next connection");
      return;
    }
    queued += event.size();
    last_offset_ = m->offset;
    sink_.send_text(std::move(event));
  }
}

void Stream::arm_keep_alive() {
  if (options_.keepalive.count() <= 0) return;
  // The sink runs this only while the connection is alive, so `this` is valid.
  sink_.after(options_.keepalive, [this] {
    keep_alive();
    arm_keep_alive();
  });
}

void Stream::on_close() {
  if (closed_) return;
  closed_ = true;
  if (subscribed_) broker_.unsubscribe(channel_, thread_, this);
  subscribed_ = false;
}

void Stream::keep_alive() {
  if (!closed_) sink_.send_frame(keep_alive_frame());
}

void Stream::deliver(const core::Event& event, core::EncodeCache& cache) {
  if (closed_ || event.kind != core::Event::Kind::message || !event.message) return;
  const core::Message& m = *event.message;
  if (m.offset <= last_offset_) return;  // already sent by the replay
  last_offset_ = m.offset;
  const core::Frame& frame =
      cache.get(kFormatEvent, [&] { return std::make_shared<const std::string>(event_text(m)); });
  if (frame) sink_.send_frame(frame);
}

}  // namespace parley::dialects::chat_sse
