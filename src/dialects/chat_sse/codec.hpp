#pragma once
// Chat Service + Chat Broadcast SSE: the wire forms. A published message is the JSON object
// {"id","userId","message"}; the stream carries it as a Server-Sent Event with CRLF line endings
// and Parley's `id:` line (the message's offset in its channel):
//
//   id: 7\r\n
//   data: {"id":"5f0c...","userId":"c3743620-...","message":"hello"}\r\n
//   \r\n
//
// Pure functions: no I/O, no state.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/utf8.hpp"

#include "core/message.hpp"
#include "core/subscriber.hpp"

namespace parley::dialects::chat_sse {

// Wire format for core::EncodeCache: one SSE event per message, shared by every stream.
inline constexpr std::uint32_t kFormatEvent = 0x5345;

// The dialect name stored with the messages published here.
inline constexpr std::string_view kDialect = "chat_sse";

// A comment line: ignored by EventSource, it keeps proxies and NATs from timing the stream out.
inline constexpr std::string_view kKeepAlive = ": keep-alive\r\n\r\n";

// True for a UUID in its canonical 8-4-4-4-12 hexadecimal form, either case.
bool is_uuid(std::string_view s);
// The canonical (lower-case) form of a UUID, as Java's UUID.toString() gave it. s must pass
// is_uuid.
std::string normalize_uuid(std::string_view s);

using core::valid_utf8;

// The canonical message for a publish: id is a new UUID, author is the user, payload is the
// original's JSON object. channel and user must be normalized UUIDs; text valid UTF-8.
core::Message make_message(std::string channel, std::string user, std::string text);

// {"id":...,"userId":...,"message":...} for any message, whichever system published it.
std::string event_json(const core::Message& m);
// The complete SSE event for m: "id: <offset>\r\ndata: <json>\r\n\r\n".
std::string event_text(const core::Message& m);
// "retry: <ms>\r\n\r\n": how long EventSource waits before reconnecting.
std::string retry_text(std::uint64_t ms);

// Parses a Last-Event-ID header or a `since` query value: a decimal offset. Empty on anything
// else (sign, spaces, overflow).
std::optional<std::uint64_t> parse_offset(std::string_view s);

// True when an Accept header value lists text/event-stream (media type compared without
// parameters, case-insensitively).
bool accepts_event_stream(std::string_view accept);

}  // namespace parley::dialects::chat_sse
