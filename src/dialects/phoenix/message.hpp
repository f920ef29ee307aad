#pragma once
// A Phoenix Channels message (Phoenix.Socket.Message) and its two JSON serializers:
// v1 ("1.0.0", an object, the default when the socket's vsn is absent) and v2 ("2.0.0", the
// array [join_ref, ref, topic, event, payload] that phoenix.js sends).
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace parley::dialects::phoenix {

enum class Vsn : std::uint8_t { v1, v2 };

// Wire formats for core::EncodeCache: one per serializer.
inline constexpr std::uint32_t kFormatV1 = 0x5001;
inline constexpr std::uint32_t kFormatV2 = 0x5002;
inline constexpr std::uint32_t format_of(Vsn v) { return v == Vsn::v1 ? kFormatV1 : kFormatV2; }

struct Message {
  boost::json::value join_ref;  // null, or as the client sent it (echoed verbatim)
  boost::json::value ref;
  std::string topic;
  std::string event;
  boost::json::value payload;
};

// Why a frame could not be decoded. `recoverable` errors still carried a topic and ref, so the
// connection answers them with an error reply; the others (not JSON, not an object or array)
// close the socket.
struct DecodeError {
  std::string reason;
  bool recoverable = false;
  std::string topic;
  boost::json::value ref;
  boost::json::value join_ref;
};

using DecodeResult = std::variant<Message, DecodeError>;

// Parses one text frame. Never throws.
DecodeResult decode(std::string_view text, Vsn vsn);

// Serializes one message. v1 drops join_ref, as Phoenix does.
std::string encode(Vsn vsn, const boost::json::value& join_ref, const boost::json::value& ref,
                   std::string_view topic, std::string_view event,
                   const boost::json::value& payload);

// Parses the socket's `vsn` query parameter: absent -> v1; "1.x" -> v1; "2.x" -> v2; else false.
bool parse_vsn(std::string_view vsn, Vsn& out);

}  // namespace parley::dialects::phoenix
