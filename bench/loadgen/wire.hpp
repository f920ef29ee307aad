#pragma once
// The client side of the five protocols the load generator speaks, with no I/O: the bytes a
// client sends (hello: connect and subscribe; publish) and a resumable parser of what the
// server sends. Each protocol is implemented minimally, as far as the benchmark needs:
//   phoenix  Parley's Hub: WebSocket upgrade on /socket/websocket?vsn=2.0.0, phx_join of
//            "room:<room>" (username required), "shout" events with {"body": payload}.
//   ws       a plain WebSocket broadcast server: upgrade on /<room>, text frames = payload.
//   mqtt     MQTT 3.1.1: CONNECT (clean session, no keep-alive), SUBSCRIBE "bench/<room>" QoS 0,
//            PUBLISH QoS 0.
//   redis    RESP: SUBSCRIBE <room> / PUBLISH <room> payload; a publish-only client PINGs.
//   nats     NATS text protocol: CONNECT, SUB <room> 1, PUB <room> n, PING/PONG.
#include <cstdint>
#include <string>
#include <string_view>

namespace bench {

enum class Proto { phoenix, ws, mqtt, redis, nats };

bool parse_proto(std::string_view name, Proto& out);
const char* proto_name(Proto p);

// What a parser reports while consuming the server's bytes.
class WireEvents {
 public:
  virtual ~WireEvents() = default;
  // The connection is usable: connected, and subscribed when it asked to be.
  virtual void on_ready() = 0;
  // One application message's payload (may include protocol text around the benchmark payload
  // for phoenix; the benchmark payload is found inside it).
  virtual void on_payload(std::string_view payload) = 0;
  // Bytes to answer with (pong to a ping).
  virtual void on_reply(std::string bytes) = 0;
  // The server refused or closed at protocol level.
  virtual void on_failed(std::string_view why) = 0;
};

class Wire {
 public:
  // subscribe: join/subscribe `room`; otherwise just connect (a publisher of mqtt, redis, nats
  // needs no subscription; phoenix publishers must join, ws ones must connect to the room).
  Wire(Proto proto, std::string room, bool subscribe, std::uint64_t client_id);

  Proto proto() const { return proto_; }
  const std::string& room() const { return room_; }

  // The first bytes to send after TCP connect (pipelined: handshake and subscription).
  std::string hello() const;
  // One publish of payload to room (phoenix: a room this connection joined; ws: ignored, the
  // server broadcasts to the connection's own room).
  void append_publish(std::string& out, std::string_view room, std::string_view payload) const;
  // A keep-alive to send periodically (phoenix heartbeat); empty when none is needed.
  std::string heartbeat() const;

  // Consumes what it can from data; returns the bytes consumed (the rest is an incomplete
  // message to present again with more bytes after it).
  std::size_t feed(std::string_view data, WireEvents& events);

  bool ready() const { return ready_; }

 private:
  std::size_t feed_http(std::string_view data, WireEvents& events);
  std::size_t feed_ws(std::string_view data, WireEvents& events);
  std::size_t feed_mqtt(std::string_view data, WireEvents& events);
  std::size_t feed_redis(std::string_view data, WireEvents& events);
  std::size_t feed_nats(std::string_view data, WireEvents& events);
  void set_ready(WireEvents& events);

  Proto proto_;
  std::string room_;
  bool subscribe_;
  std::uint64_t client_id_;
  bool upgraded_ = false;  // phoenix, ws: the 101 answer was read
  bool ready_ = false;
};

// A client-to-server WebSocket frame (masked) carrying text.
void append_ws_text_frame(std::string& out, std::string_view text);

// The benchmark payload: exactly `size` bytes (>= kPayloadMin), plain ASCII that needs no JSON
// escaping: "~Q" then step (4 hex), publisher (8 hex), sequence (16 hex), send time (16 hex,
// nanoseconds of the realtime clock), then 'x' padding.
inline constexpr std::size_t kPayloadMin = 46;
void make_payload(char* out, std::size_t size, std::uint32_t step, std::uint32_t publisher,
                  std::uint64_t seq, std::uint64_t sent_ns);
struct PayloadFields {
  std::uint32_t step = 0;
  std::uint32_t publisher = 0;
  std::uint64_t seq = 0;
  std::uint64_t sent_ns = 0;
};
// Finds the payload inside text (a message or a Phoenix frame); false when there is none.
bool find_payload(std::string_view text, PayloadFields& out);

}  // namespace bench
