#pragma once
// What an MQTT connection needs from its transport (a raw TCP stream or a WebSocket carrying
// binary frames): the shape core::Sink takes once the dialect/transport interface is unified
// (send_binary, make_binary_frame, after, id, thread, peer). Implemented by net, and by a
// recording fake in the unit tests. Every call happens on the connection's own I/O thread.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "core/sink.hpp"

namespace parley::dialects::mqtt {

class Transport : public core::Sink {
 public:
  // Sends bytes to this connection only (WebSocket: one binary frame; TCP: the bytes).
  virtual void send_binary(std::string bytes) = 0;
  // Wraps bytes into a frame any connection of the same transport can send as it is.
  virtual core::Frame make_binary_frame(std::string bytes) = 0;
  // Runs fn on the connection's thread after delay, unless the connection is gone by then.
  virtual void after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
  virtual std::uint64_t id() const = 0;
  virtual std::size_t thread() const = 0;
  virtual const std::string& peer() const = 0;
};

}  // namespace parley::dialects::mqtt
