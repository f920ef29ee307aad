#pragma once
// The chat systems, as the network labels its connections and figures (/metrics, the admin
// page): the system whose route or listener accepted a connection. "http": an HTTP connection
// no route has upgraded (yet).
#include <array>
#include <cstdint>
#include <string_view>

#include "core/subscriber.hpp"

namespace parley::net {

enum class System : std::uint8_t { http, hub, concierge, chatroom, chat_sse, heavenland, mqtt };
inline constexpr std::size_t kSystemCount = 7;
inline constexpr std::array<std::string_view, kSystemCount> kSystemNames = {
    "http", "hub", "concierge", "chatroom", "chat_sse", "heavenland", "mqtt"};
static_assert(kSystemCount <= core::Subscriber::kTags, "a system is a subscriber tag");
inline std::size_t index(System s) { return static_cast<std::size_t>(s); }
inline std::string_view name(System s) { return kSystemNames[index(s)]; }

}  // namespace parley::net
