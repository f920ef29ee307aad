#pragma once
// The core's view of a connection that receives channel events.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/event.hpp"

namespace parley::core {

// Bytes ready for the wire (transport framing included), shared by every recipient.
using Frame = std::shared_ptr<const std::string>;

// Renders an event at most once per wire format during one fan-out on one thread.
// Wire formats are small integers chosen by the dialects (see each dialect's codec).
class EncodeCache {
 public:
  // The frame for format, rendered by encode() on first use. A null frame means "nothing to
  // send in this format" and is cached too.
  template <class Encode>
  const Frame& get(std::uint32_t format, Encode&& encode) {
    for (auto& [f, frame] : entries_)
      if (f == format) return frame;
    entries_.emplace_back(format, encode());
    return entries_.back().second;
  }

 private:
  std::vector<std::pair<std::uint32_t, Frame>> entries_;
};

class Subscriber {
 public:
  static constexpr std::size_t kTags = 8;
  virtual ~Subscriber() = default;
  // Called on the subscriber's own I/O thread only. Must not block.
  virtual void deliver(const Event& event, EncodeCache& cache) = 0;

  // A small label (< kTags) the transport gives the subscriber before it subscribes (net: its
  // system); the broker counts each channel's subscribers per tag, for statistics only.
  std::uint8_t tag = 0;
};

// Runs work on the I/O threads. Implemented by net; the core never sees Asio.
class Dispatcher {
 public:
  virtual ~Dispatcher() = default;
  virtual std::size_t thread_count() const = 0;
  // Runs fn on thread `thread` (0 <= thread < thread_count()), in posting order.
  virtual void post(std::size_t thread, std::function<void()> fn) = 0;
};

}  // namespace parley::core
