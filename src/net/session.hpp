#pragma once
// A long-lived connection (WebSocket or HTTP stream) as its dialect sees it: send text, send a
// shared frame, close, run something later. Every method must be called on the session's own
// I/O thread.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/subscriber.hpp"

namespace parley::net {

class Session {
 public:
  virtual ~Session() = default;
  // Queues a text message for this session alone (WebSocket: a text frame; stream: raw bytes).
  virtual void send_text(std::string text) = 0;
  // Queues a frame made by make_text_frame(), possibly shared with other sessions.
  virtual void send_frame(const core::Frame& frame) = 0;
  // Sends a close frame (after what is queued) and closes the connection. Idempotent.
  // A stream ignores the code: it ends once what is queued is written.
  virtual void close(std::uint16_t code, std::string_view reason) = 0;

  virtual std::size_t thread() const = 0;
  virtual std::uint64_t id() const = 0;
  virtual const std::string& peer() const = 0;
  // Runs fn on the session's thread after delay, unless the session is gone by then.
  virtual void after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
  // Sends a WebSocket ping (a stream ignores it). The pong comes to SessionHandler::on_pong.
  virtual void ping(std::string_view payload = {}) {}
  // Reads nothing more from the connection (after the messages already read) until the resume
  // function handed to `until` is called, from any thread. A stream ignores it. Default: nothing.
  using Resume = std::function<void()>;
  virtual void pause_reading(std::function<void(Resume)> until) {}

  // A complete WebSocket text frame, ready to be sent by any WebSocket session.
  static core::Frame make_text_frame(std::string text);
};

}  // namespace parley::net
