#pragma once
// ChatRoom's envelope: one JSON object per WebSocket text message, {"type": T, "content": {...}}
// as the seed README documents it. The original's code used "args" instead of "content"
// (chatroom.ref.md), so "args" is accepted on input, and a client that asks with
// ?envelope=args is answered with "args".
#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace parley::dialects::chatroom {

enum class Envelope : std::uint8_t { content, args };

// Wire formats for core::EncodeCache: one per envelope.
inline constexpr std::uint32_t kFormatContent = 0x6301;
inline constexpr std::uint32_t kFormatArgs = 0x6302;
inline constexpr std::uint32_t format_of(Envelope e) {
  return e == Envelope::content ? kFormatContent : kFormatArgs;
}

struct Inbound {
  std::string type;
  boost::json::object body;  // "content", else "args"; {} when neither is present
};

// One text message from a client, or why it is not a ChatRoom message (not JSON, not an object,
// no string "type", a body that is not an object). Never throws.
std::variant<Inbound, std::string> decode(std::string_view text);

// {"type": type, "content"|"args": body}.
std::string encode(Envelope envelope, std::string_view type, const boost::json::object& body);

// The ?envelope= query value: "" or "content" -> content, "args" -> args; false otherwise.
bool parse_envelope(std::string_view text, Envelope& out);

}  // namespace parley::dialects::chatroom
