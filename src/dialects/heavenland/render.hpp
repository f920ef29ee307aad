#pragma once
// What Heavenland clients receive for a chat message (broadcast and history):
//   {"user_id", "timestamp", <the request's keys: "message", "channel"?, extra keys...>,
//    "nickname"}
// the original's key order. A message Heavenland originated is rendered from its stored payload
// (so "channel" is present exactly when the sender gave one); a message from another system from
// the canonical fields, with "channel" unless it is on kDefaultChannel.
#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/message.hpp"

namespace parley::dialects::heavenland {

inline constexpr std::string_view kDialect = "heavenland";
// The core channel of messages sent without a "channel" (Hub: room "heavenland").
inline constexpr std::string_view kDefaultChannel = "heavenland";

// Wire formats for core::EncodeCache.
inline constexpr std::uint32_t kChatFormat = 0x4801;
inline constexpr std::uint32_t kMinigameFormat = 0x4802;

boost::json::object render_message(const core::Message& m);

}  // namespace parley::dialects::heavenland
