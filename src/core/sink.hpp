#pragma once
// The transport side of a long-lived connection, as a dialect sees it: a WebSocket, an HTTP
// stream (Server-Sent Events) or a raw TCP byte stream (MQTT). Implemented by net::Connection,
// and by tests/unit/recording_sink.hpp in the unit tests. Every call happens on the
// connection's own I/O thread.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/subscriber.hpp"

namespace parley::core {

// What carries a connection. It decides what make_frame() makes, so a dialect served on both
// keys its EncodeCache formats by it (a WebSocket frame cannot go on a byte stream).
enum class Transport : std::uint8_t {
  websocket,  // messages in WebSocket frames
  stream,     // bytes as they are: an HTTP stream (SSE) or a raw TCP connection (MQTT)
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Sends one text message to this connection only (WebSocket: a text frame; stream: the
  // bytes as they are).
  virtual void send_text(std::string text) = 0;
  // Sends one binary message to this connection only (WebSocket: a binary frame; stream: the
  // bytes as they are).
  virtual void send_binary(std::string data) = 0;
  // Wraps a message into a frame that any connection of the same transport can send as it is
  // (a broadcast, rendered once and shared).
  virtual Frame make_frame(std::string text) = 0;
  virtual Frame make_binary_frame(std::string data) = 0;
  // Sends a frame made by make_frame or make_binary_frame (possibly by another connection).
  virtual void send_frame(const Frame& frame) = 0;
  // Closes the connection once what is queued is written; nothing more is sent after it.
  // WebSocket: a close frame with code and reason; a stream ignores them. Idempotent.
  virtual void close(std::uint16_t code, std::string_view reason) = 0;
  // Sends a WebSocket ping; other transports ignore it.
  virtual void ping() = 0;
  // Runs fn on the connection's thread after delay, unless the connection is gone by then.
  virtual void after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;

  virtual Transport transport() const = 0;
  // The connection's id (unique in this process), I/O thread and peer address ("ADDR:PORT").
  virtual std::uint64_t id() const = 0;
  virtual std::size_t thread() const = 0;
  virtual const std::string& peer() const = 0;
};

}  // namespace parley::core
