#pragma once
// What a Concierge connection needs from its transport. Implemented by net's WebSocket session,
// and by a recording fake in the unit tests.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/subscriber.hpp"

namespace parley::dialects::concierge {

class Sink {
 public:
  virtual ~Sink() = default;
  // Sends one text message to this connection only.
  virtual void send_text(std::string text) = 0;
  // Wraps text into a frame that any connection of the same transport can send as it is.
  virtual core::Frame make_frame(std::string text) = 0;
  // Sends a frame made by make_frame (possibly by another connection: shared by a broadcast).
  virtual void send_frame(const core::Frame& frame) = 0;
  // Closes the connection with a WebSocket close code; nothing more is sent after it.
  virtual void close(std::uint16_t code, std::string_view reason) = 0;
  // Sends a WebSocket ping (empty payload).
  virtual void ping() = 0;
  // Runs fn on the connection's thread after delay, unless the connection is gone by then.
  virtual void after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
};

}  // namespace parley::dialects::concierge
