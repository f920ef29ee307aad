#pragma once
// ChatRoom's envelope: one JSON object per WebSocket text message, {"type": T, "args": {...}} as
// the original code sends and reads it (make_message/parse_message at commit 9512c29). The seed
// README documents "content" in place of "args"; a client that follows the README asks for it
// (?envelope=content, or [chatroom] envelope). Either is accepted on input.
//
// The protocol generation a connection speaks (Protocol) is chosen the same way: "original" by
// default, what the 9512c29 client takes; "extended" opts in to Parley's typed changes. What
// each sends is in docs/protocols/chatroom.md.
#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace parley::dialects::chatroom {

enum class Envelope : std::uint8_t { args, content };

enum class Protocol : std::uint8_t {
  // The 9512c29 client's: every change reaches it as a set of the topic's value, in that
  // commit's serialized form; nothing it cannot take (no typed change, no emit, no reject
  // without a change it made, no extra field).
  original,
  // Parley's: typed changes in the later serialized forms (chatroom.ref.md), emits, reject_update
  // for a refused subscribe, the error of an error response also at top level, validation
  // requests with the old and new value.
  extended,
};

// Wire formats for core::EncodeCache: one per envelope and protocol.
inline constexpr std::uint32_t format_of(Envelope e, Protocol p) {
  return 0x6300 + (e == Envelope::args ? 0 : 1) + (p == Protocol::original ? 0 : 2);
}

struct Inbound {
  std::string type;
  boost::json::object body;  // "args", else "content"; {} when neither is present
};

// One text message from a client, or why it is not a ChatRoom message (not JSON, not an object,
// no string "type", a body that is not an object). Never throws.
std::variant<Inbound, std::string> decode(std::string_view text);

// {"type": type, "args"|"content": body}.
std::string encode(Envelope envelope, std::string_view type, const boost::json::object& body);

// "args" or "content"; false (out untouched) otherwise.
bool parse_envelope(std::string_view text, Envelope& out);
// "original" or "extended"; false (out untouched) otherwise.
bool parse_protocol(std::string_view text, Protocol& out);

}  // namespace parley::dialects::chatroom
