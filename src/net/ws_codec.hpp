#pragma once
// RFC 6455 framing, server side, with no I/O: a resumable parser of client frames and the
// encoders of server frames. Owning the codec (rather than Beast's websocket::stream) lets a
// broadcast frame, header and payload, be built once and shared by every subscriber, and lets a
// session flush many queued frames in one gather write.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/utf8.hpp"

namespace parley::net::ws {

enum class Opcode : std::uint8_t {
  continuation = 0x0,
  text = 0x1,
  binary = 0x2,
  close = 0x8,
  ping = 0x9,
  pong = 0xA,
};

// Close codes used by Parley (RFC 6455 section 7.4.1).
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t unsupported_data = 1003;
inline constexpr std::uint16_t no_status = 1005;  // never sent: a close frame without a code
inline constexpr std::uint16_t invalid_payload = 1007;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t message_too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
}  // namespace close_code

// A complete server frame (FIN set, unmasked) carrying payload.
std::string encode_frame(Opcode op, std::string_view payload);
// A close frame with code and reason (reason truncated to fit the 125-byte control limit).
std::string encode_close(std::uint16_t code, std::string_view reason);

// True when s is valid UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
using core::valid_utf8;

// Receives what the parser finds, in order. Views are valid only during the call.
class FrameHandler {
 public:
  virtual ~FrameHandler() = default;
  // A complete data message (fragments reassembled): op is text or binary. Text is valid UTF-8.
  virtual void on_message(Opcode op, std::string_view payload) = 0;
  virtual void on_ping(std::string_view payload) = 0;
  virtual void on_pong(std::string_view payload) = 0;
  // code is close_code::no_status when the frame carried none.
  virtual void on_close(std::uint16_t code, std::string_view reason) = 0;
};

// A protocol violation: the connection must be closed with `code`.
struct ParseError {
  std::uint16_t code = 0;  // 0: no error
  std::string reason;
  explicit operator bool() const { return code != 0; }
};

// Resumable parser of client-to-server frames: feed it bytes as they arrive, split anywhere.
// Enforces masking, reserved bits, opcodes, control-frame rules, fragmentation order, the
// message size limit (1009) and UTF-8 of text messages and close reasons (1007).
// After an error or a close frame, further input is ignored.
class FrameParser {
 public:
  explicit FrameParser(std::size_t max_message_bytes = 64 * 1024);

  // Consumes all of data, calling handler for each complete frame or message.
  ParseError feed(std::string_view data, FrameHandler& handler);

  bool closed() const { return done_; }
  // Frames completed so far, of every kind (data fragments and control frames): what the
  // connection charges against its inbound rate limit.
  std::uint64_t frames() const { return frames_; }
  // The message buffer's capacity (a test sees it released after a large message).
  std::size_t buffer_capacity() const { return message_.capacity(); }
  // Capacity kept between messages; a larger buffer is released when its message is done.
  static constexpr std::size_t kKeptMessageCapacity = 4096;

 private:
  enum class Stage : std::uint8_t { header, payload };

  // Each returns an error (and sets done_) or an empty ParseError.
  ParseError check_start(unsigned char b0, unsigned char b1);  // rules knowable from 2 bytes
  ParseError begin_frame(const unsigned char* header);         // a complete header
  ParseError finish_frame(FrameHandler& handler);              // the payload is complete
  ParseError fail(std::uint16_t code, const char* reason);

  std::size_t max_message_;
  std::string pending_;  // header bytes of an incomplete header (<= 14; payload never staged)
  std::string message_;  // reassembled fragments of the current data message (<= max_message_)
  std::string control_;  // payload of the current control frame (<= 125)
  std::uint64_t remaining_ = 0;  // payload bytes of the current frame not yet received
  std::array<unsigned char, 4> mask_{};
  std::uint8_t mask_phase_ = 0;  // payload bytes received so far, mod 4
  Stage stage_ = Stage::header;
  Opcode frame_op_ = Opcode::continuation;
  bool frame_fin_ = false;
  Opcode message_op_ = Opcode::continuation;
  bool in_message_ = false;
  bool done_ = false;
  std::uint64_t frames_ = 0;
};

}  // namespace parley::net::ws
