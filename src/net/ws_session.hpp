#pragma once
// A WebSocket connection as its dialect sees it: send text, send a shared frame, close.
// Every method must be called on the session's own I/O thread.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/subscriber.hpp"

namespace parley::net {

class WsSession {
 public:
  virtual ~WsSession() = default;
  // Queues a text message for this session alone.
  virtual void send_text(std::string text) = 0;
  // Queues a frame made by make_text_frame(), possibly shared with other sessions.
  virtual void send_frame(const core::Frame& frame) = 0;
  // Sends a close frame (after what is queued) and closes the connection. Idempotent.
  virtual void close(std::uint16_t code, std::string_view reason) = 0;

  virtual std::size_t thread() const = 0;
  virtual std::uint64_t id() const = 0;
  virtual const std::string& peer() const = 0;

  // A complete text frame, ready to be sent by any session.
  static core::Frame make_text_frame(std::string text);
};

}  // namespace parley::net
