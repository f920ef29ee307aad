#pragma once
// A resumable parser of MQTT 3.1.1 packets: feed it bytes as they arrive, split anywhere; it
// reports each complete packet, decoded and validated, to a handler. Limits are set at
// construction. No I/O: a fuzz target drives it (tests/fuzz/mqtt_codec_fuzz.cpp).
//
// What is refused (the connection must then be closed, MQTT 3.1.1 having no error packet):
// reserved packet types, a packet the other side never sends (a server never receives CONNACK),
// wrong fixed-header flags (section 2.2.2), QoS 3, DUP on QoS 0, a Remaining Length over four
// bytes or over the limit, a field running past the packet, bytes left over, a string that is not
// UTF-8 or holds U+0000, a topic name with a wildcard or empty, an invalid topic filter, packet
// identifier 0 where one is required, a SUBSCRIBE or UNSUBSCRIBE without topics, reserved bits in
// a requested QoS, and in CONNECT an unknown protocol name, the reserved flag, a will QoS or
// retain without a will, a password without a user name.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dialects/mqtt/packet.hpp"

namespace parley::dialects::mqtt {

// Whose packets are parsed: a server parses what clients send, a client what servers send.
enum class Role : std::uint8_t { server, client };

struct ParserOptions {
  // The largest Remaining Length accepted (the packet minus its 2-5 byte fixed header).
  std::size_t max_packet_bytes = 1024 * 1024;
  Role role = Role::server;
};

// Decodes one packet from its first byte and its complete body (variable header and payload).
// Returns nullptr and fills out, or why the packet is malformed (a static string). Views in out
// point into body.
const char* decode(std::uint8_t first_byte, std::string_view body, Role role, Packet& out);

class PacketHandler {
 public:
  virtual ~PacketHandler() = default;
  // One complete packet; its views are valid during the call only. Return false to stop
  // feeding after this packet (the rest of the input is left unconsumed).
  virtual bool on_packet(const Packet& packet) = 0;
};

struct FeedResult {
  std::size_t consumed = 0;     // bytes of the input used
  const char* error = nullptr;  // why the input is malformed; nullptr when it is not
};

class Parser {
 public:
  explicit Parser(ParserOptions options = {});

  // Consumes data until it is used up, a packet is malformed, or the handler asks to stop.
  // After an error, all further input is ignored (consumed, no packets).
  FeedResult feed(std::string_view data, PacketHandler& handler);

  bool failed() const { return failed_; }
  // True between packets (no partial packet is held).
  bool idle() const { return stage_ == Stage::first && body_.empty(); }
  const ParserOptions& options() const { return options_; }

 private:
  enum class Stage : std::uint8_t { first, length, body };

  const char* start(std::uint8_t first);  // checks the first byte; nullptr when acceptable
  const char* complete(std::string_view body, PacketHandler& handler, bool& go_on);

  ParserOptions options_;
  Stage stage_ = Stage::first;
  std::uint8_t first_ = 0;
  std::size_t length_ = 0;         // Remaining Length being read, then the body's size
  std::size_t multiplier_ = 1;     // of the next Remaining Length byte
  std::uint8_t length_bytes_ = 0;  // Remaining Length bytes read so far
  std::string body_;               // an incomplete body (a complete one is decoded in place)
  bool failed_ = false;
};

}  // namespace parley::dialects::mqtt
