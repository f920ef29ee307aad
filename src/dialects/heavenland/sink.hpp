#pragma once
// What a Heavenland connection (chat or minigame) needs from its transport. Implemented by net's
// WebSocket session, and by a recording fake in the unit tests.
#include <string>

#include "core/subscriber.hpp"

namespace parley::dialects::heavenland {

class Sink {
 public:
  virtual ~Sink() = default;
  // Sends one text message to this connection only.
  virtual void send_text(std::string text) = 0;
  // Wraps text into a frame that any connection of the same transport can send as it is.
  virtual core::Frame make_frame(std::string text) = 0;
  // Sends a frame made by make_frame (possibly by another connection: shared by a broadcast).
  virtual void send_frame(const core::Frame& frame) = 0;
};

}  // namespace parley::dialects::heavenland
