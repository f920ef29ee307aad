#include "net/ws_codec.hpp"

#include <algorithm>
#include <cstring>

namespace parley::net::ws {

namespace {

constexpr std::size_t kMaxControlPayload = 125;

bool is_control(Opcode op) { return (static_cast<std::uint8_t>(op) & 0x8) != 0; }

bool is_known(std::uint8_t op) { return op <= 0x2 || (op >= 0x8 && op <= 0xA); }

// RFC 6455 section 7.4: codes a peer may send. 1005, 1006 and 1015 are reserved for reporting
// locally, 1016-2999 for future protocol use; 1012-1014 are registered with IANA since.
bool valid_close_code(std::uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006;
}

// Header length implied by the second header byte: 2, plus the extended length, plus the key.
std::size_t header_size(unsigned char b1) {
  std::size_t n = (b1 & 0x80) ? 6 : 2;
  if ((b1 & 0x7F) == 126) n += 2;
  if ((b1 & 0x7F) == 127) n += 8;
  return n;
}

// XORs n bytes in place with key, starting at key[phase]. Eight bytes at a time: 8 is a
// multiple of 4, so the mask repeated over a word lines up at every word boundary.
void unmask(char* data, std::size_t n, const std::array<unsigned char, 4>& key, unsigned phase) {
  unsigned char m8[8];
  for (unsigned i = 0; i < 8; ++i) m8[i] = key[(phase + i) & 3];
  std::uint64_t m;
  std::memcpy(&m, m8, 8);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, data + i, 8);
    w ^= m;
    std::memcpy(data + i, &w, 8);
  }
  for (; i < n; ++i) data[i] = static_cast<char>(data[i] ^ m8[i & 7]);
}

// Writes a server frame header (FIN set, no mask) for a payload of n bytes; returns its length.
std::size_t write_header(unsigned char* out, std::uint8_t first, std::uint64_t n) {
  out[0] = first;
  if (n <= 125) {
    out[1] = static_cast<unsigned char>(n);
    return 2;
  }
  if (n <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<unsigned char>(n >> 8);
    out[3] = static_cast<unsigned char>(n);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<unsigned char>(n >> (56 - 8 * i));
  return 10;
}

}  // namespace

std::string encode_frame(Opcode op, std::string_view payload) {
  unsigned char header[10];
  std::size_t h = write_header(header, 0x80 | static_cast<std::uint8_t>(op), payload.size());
  std::string out;
  out.reserve(h + payload.size());
  out.append(reinterpret_cast<const char*>(header), h);
  out.append(payload);
  return out;
}

std::string encode_close(std::uint16_t code, std::string_view reason) {
  // 1005 means "no code": its wire form is a close frame with an empty payload.
  if (code == close_code::no_status) return encode_frame(Opcode::close, {});
  std::size_t n = std::min(reason.size(), kMaxControlPayload - 2);
  if (n < reason.size()) {
    // Back up to the start of a code point: never cut a UTF-8 sequence in two.
    while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) --n;
  }
  std::string out;
  out.reserve(4 + n);
  out += static_cast<char>(0x80 | static_cast<std::uint8_t>(Opcode::close));
  out += static_cast<char>(2 + n);
  out += static_cast<char>(code >> 8);
  out += static_cast<char>(code & 0xFF);
  out.append(reason.data(), n);
  return out;
}

FrameParser::FrameParser(std::size_t max_message_bytes) : max_message_(max_message_bytes) {}

ParseError FrameParser::fail(std::uint16_t code, const char* reason) {
  done_ = true;
  return ParseError{code, reason};
}

ParseError FrameParser::check_start(unsigned char b0, unsigned char b1) {
  if (b0 & 0x70) return fail(close_code::protocol_error, "reserved bits set");
  std::uint8_t op = b0 & 0x0F;
  if (!is_known(op)) return fail(close_code::protocol_error, "unknown opcode");
  if (!(b1 & 0x80)) return fail(close_code::protocol_error, "unmasked client frame");
  if (is_control(static_cast<Opcode>(op))) {
    if (!(b0 & 0x80)) return fail(close_code::protocol_error, "fragmented control frame");
    if ((b1 & 0x7F) > kMaxControlPayload)
      return fail(close_code::protocol_error, "control frame payload over 125 bytes");
  } else if (static_cast<Opcode>(op) == Opcode::continuation) {
    if (!in_message_) return fail(close_code::protocol_error, "continuation without a message");
  } else if (in_message_) {
    return fail(close_code::protocol_error, "new message inside a fragmented message");
  }
  return {};
}

ParseError FrameParser::begin_frame(const unsigned char* h) {
  frame_fin_ = (h[0] & 0x80) != 0;
  frame_op_ = static_cast<Opcode>(h[0] & 0x0F);
  std::uint64_t len = h[1] & 0x7F;
  std::size_t at = 2;
  if (len == 126) {
    len = (std::uint64_t{h[2]} << 8) | h[3];
    at = 4;
  } else if (len == 127) {
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | h[2 + i];
    if (len >> 63) return fail(close_code::protocol_error, "payload length high bit set");
    at = 10;
  }
  std::memcpy(mask_.data(), h + at, 4);
  mask_phase_ = 0;
  remaining_ = len;
  stage_ = Stage::payload;
  if (is_control(frame_op_)) {
    if (control_.capacity() < len) control_.reserve(kMaxControlPayload);  // once per parser
    return {};
  }
  // The whole message must fit: refuse from the header, before buffering any of the payload.
  if (len > max_message_ - message_.size())
    return fail(close_code::message_too_big, "message too big");
  if (frame_op_ != Opcode::continuation) {
    message_op_ = frame_op_;
    in_message_ = true;
    // Exact for an unfragmented message; later fragments grow it geometrically by append.
    message_.reserve(static_cast<std::size_t>(len));
  }
  return {};
}

ParseError FrameParser::finish_frame(FrameHandler& handler) {
  ++frames_;
  switch (frame_op_) {
    case Opcode::ping:
      handler.on_ping(control_);
      control_.clear();
      return {};
    case Opcode::pong:
      handler.on_pong(control_);
      control_.clear();
      return {};
    case Opcode::close: {
      if (control_.size() == 1) return fail(close_code::protocol_error, "1-byte close payload");
      std::uint16_t code = close_code::no_status;
      std::string_view reason;
      if (control_.size() >= 2) {
        code = static_cast<std::uint16_t>((static_cast<unsigned char>(control_[0]) << 8) |
                                          static_cast<unsigned char>(control_[1]));
        if (!valid_close_code(code)) return fail(close_code::protocol_error, "invalid close code");
        reason = std::string_view(control_).substr(2);
        if (!valid_utf8(reason))
          return fail(close_code::invalid_payload, "close reason is not UTF-8");
      }
      done_ = true;
      handler.on_close(code, reason);
      return {};
    }
    default:  // text, binary, continuation
      if (!frame_fin_) return {};
      if (message_op_ == Opcode::text && !valid_utf8(message_))
        return fail(close_code::invalid_payload, "text message is not UTF-8");
      in_message_ = false;
      handler.on_message(message_op_, message_);
      // An idle connection keeps no large buffer after a large message.
      if (message_.capacity() > kKeptMessageCapacity)
        std::string().swap(message_);
      else
        message_.clear();
      return {};
  }
}

// Two stages per frame. Header: parsed in place when all of it is in `data`, otherwise staged
// in pending_ (at most 14 bytes). Payload: appended straight to message_ (or control_, for a
// control frame) and unmasked there, however the input is split; it never passes through
// pending_, and the size limit was checked against the header before the first byte arrives.
ParseError FrameParser::feed(std::string_view data, FrameHandler& handler) {
  const char* p = data.data();
  const char* const end = p + data.size();
  while (!done_) {
    if (stage_ == Stage::header) {
      if (p == end) break;
      std::size_t avail = static_cast<std::size_t>(end - p);
      const auto* u = reinterpret_cast<const unsigned char*>(p);
      if (pending_.empty() && avail >= 2 && avail >= header_size(u[1])) {
        // The whole header is here: parse it in place.
        if (auto err = check_start(u[0], u[1])) return err;
        p += header_size(u[1]);
        if (auto err = begin_frame(u)) return err;
      } else {
        // Stage the header; the first two bytes are checked as soon as they arrive.
        if (pending_.size() < 2) {
          std::size_t take = std::min(2 - pending_.size(), avail);
          pending_.append(p, take);
          p += take;
          avail -= take;
          if (pending_.size() < 2) break;
          auto b0 = static_cast<unsigned char>(pending_[0]);
          auto b1 = static_cast<unsigned char>(pending_[1]);
          if (auto err = check_start(b0, b1)) return err;
        }
        std::size_t need = header_size(static_cast<unsigned char>(pending_[1]));
        std::size_t take = std::min(need - pending_.size(), avail);
        pending_.append(p, take);
        p += take;
        if (pending_.size() < need) break;
        auto err = begin_frame(reinterpret_cast<const unsigned char*>(pending_.data()));
        pending_.clear();
        if (err) return err;
      }
    }

    // Payload: unmask straight into the message (or control) buffer.
    std::size_t avail = static_cast<std::size_t>(end - p);
    std::size_t take = remaining_ < avail ? static_cast<std::size_t>(remaining_) : avail;
    if (take > 0) {
      std::string& dst = is_control(frame_op_) ? control_ : message_;
      std::size_t old = dst.size();
      dst.append(p, take);
      unmask(dst.data() + old, take, mask_, mask_phase_);
      mask_phase_ = static_cast<std::uint8_t>((mask_phase_ + take) & 3);
      p += take;
      remaining_ -= take;
    }
    if (remaining_ > 0) break;
    stage_ = Stage::header;
    if (auto err = finish_frame(handler)) return err;
  }
  return {};
}

}  // namespace parley::net::ws
