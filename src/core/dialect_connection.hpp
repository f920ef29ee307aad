#pragma once
// What a transport calls on a dialect's per-connection state machine: the one interface every
// system implements (Phoenix, Concierge, ChatRoom, Heavenland, SSE streams, MQTT), whatever
// carries it. The dialect answers through the core::Sink it was made with. Created on the
// connection's I/O thread once the transport is open; every call happens on that thread.
#include <cstddef>
#include <string_view>

namespace parley::core {

class DialectConnection {
 public:
  virtual ~DialectConnection() = default;
  // The transport is open: the dialect may send (a greeting, a stream's first bytes) and arm
  // its timers.
  virtual void on_open() {}
  // One complete text message (WebSocket text frame).
  virtual void on_text(std::string_view text) = 0;
  // One binary message (WebSocket), or the next bytes of a byte stream (TCP). False when the
  // dialect does not take binary data: the transport closes with 1003.
  virtual bool on_binary(std::string_view data) { return false; }
  // What a connection that expects nothing from its client (an SSE stream) ignores at most
  // before it refuses more (its on_binary returns false).
  static constexpr std::size_t kMaxIgnoredBytes = 1024 * 1024;
  // A WebSocket ping or pong came from the client (the transport answers pings itself).
  virtual void on_alive() {}
  // The connection is gone, for any reason; called once. Leave channels, untrack presence.
  virtual void on_close() = 0;
};

}  // namespace parley::core
