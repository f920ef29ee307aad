#pragma once
// What a dialect's connection needs from its transport: send text to this connection, make a
// frame any connection of the same transport can send (a broadcast, rendered once), send such a
// frame, close. Implemented over a net::Session by net::SessionSink, and by recording fakes in
// the unit tests. Every call happens on the connection's own I/O thread.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/subscriber.hpp"

namespace parley::core {

class Broker;

class Sink {
 public:
  virtual ~Sink() = default;
  // Sends one text message to this connection only.
  virtual void send_text(std::string text) = 0;
  // Wraps text into a frame that any connection of the same transport can send as it is.
  virtual Frame make_frame(std::string text) = 0;
  // Sends a frame made by make_frame (possibly by another connection: shared by a broadcast).
  virtual void send_frame(const Frame& frame) = 0;
  // Closes the connection with a WebSocket close code; nothing more is sent after it.
  virtual void close(std::uint16_t code, std::string_view reason) = 0;
  // Flow control for a publisher the broker is not accepting from (Broker::accepting() false):
  // nothing more is read from this connection until Broker::when_accepting() calls back. The
  // kernel's buffer fills and TCP slows the client down; nothing it sent is dropped (what was
  // already read is still handled). Default: nothing.
  virtual void pause_reading(Broker& broker) {}
};

}  // namespace parley::core
