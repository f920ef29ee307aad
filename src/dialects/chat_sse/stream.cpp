#include "dialects/chat_sse/stream.hpp"

#include <spdlog/spdlog.h>

#include "dialects/chat_sse/codec.hpp"

namespace parley::dialects::chat_sse {

const core::Frame& keep_alive_frame() {
  static const core::Frame frame = std::make_shared<const std::string>(kKeepAlive);
  return frame;
}

Stream::Stream(core::Broker& broker, StreamSink& sink, std::string channel, std::size_t thread,
               StreamOptions options)
    : broker_(broker),
      sink_(sink),
      channel_(std::move(channel)),
      thread_(thread),
      options_(options) {}

Stream::~Stream() { close(); }

void Stream::open(std::optional<std::uint64_t> after) {
  if (closed_ || subscribed_) return;
  if (options_.retry.count() > 0)
    sink_.send_text(retry_text(static_cast<std::uint64_t>(options_.retry.count())));
  if (auto outcome = broker_.subscribe(channel_, thread_, this); outcome != core::Outcome::ok) {
    // Ended at once: EventSource reconnects after its retry delay.
    spdlog::info("chat_sse: stream on {:?} refused: {}", channel_, core::describe(outcome));
    close();
    sink_.end();
    return;
  }
  subscribed_ = true;
  if (!after) return;
  std::size_t queued = 0;
  for (const auto& m : broker_.history(channel_, options_.replay_limit, *after)) {
    std::string event = event_text(*m);
    if (queued > 0 && queued + event.size() > options_.replay_bytes) {
      // The rest in the next connection: EventSource resumes from last_offset_.
      close();
      sink_.end();
      return;
    }
    queued += event.size();
    last_offset_ = m->offset;
    sink_.send_text(std::move(event));
  }
}

void Stream::close() {
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
