#pragma once
// The Concierge codec: JSON text <-> payloads, both directions for both sides (the server
// decodes PayloadIn and encodes PayloadOut; the chat service, a client, does the reverse).
// No exceptions: malformed input is a DecodeError whose text reads like the original's serde
// messages ("missing field `service`", "unknown variant `FOO`, expected one of ...").
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "dialects/concierge/payload.hpp"

namespace parley::dialects::concierge {

struct DecodeError {
  std::string desc;
};

// A client payload. MESSAGE keeps "data" as its raw JSON text.
std::variant<PayloadIn, DecodeError> decode_in(std::string_view text);
std::string encode(const PayloadIn& payload);

// A server payload.
std::variant<PayloadOut, DecodeError> decode_out(std::string_view text);
std::string encode(const PayloadOut& payload);

// The payload's "type" tag, e.g. "SELF_SUBSCRIBE".
std::string_view type_name(const PayloadIn& payload);
std::string_view type_name(const PayloadOut::Body& body);

// The canonical form (lower-case, hyphenated) of a UUID written hyphenated or as 32 hex digits,
// in either case; nullopt when text is not a UUID.
std::optional<std::string> normalize_uuid(std::string_view text);

// True when `version` is a semantic version matching ^0.2.0 (>= 0.2.0, < 0.3.0, no
// pre-release). An unparsable version is false, never an error.
bool version_supported(std::string_view version);

// Names of clients: 1 to 64 ASCII letters, digits or '_'.
bool valid_client_name(std::string_view name);

}  // namespace parley::dialects::concierge
