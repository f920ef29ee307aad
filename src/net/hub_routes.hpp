#pragma once
// Hub (Phoenix Channels) on HTTP: the socket endpoint and the web chat page.
#include <chrono>

#include "core/broker.hpp"
#include "dialects/phoenix/connection.hpp"
#include "net/router.hpp"

namespace parley::net {

struct HubOptions {
  std::chrono::milliseconds idle_timeout{45'000};  // Hub's websocket timeout
  dialects::phoenix::ConnectionOptions connection;
  std::size_t page_history = 200;  // messages rendered into the chat page
};

// GET /socket/websocket (WebSocket, ?vsn=), GET /c and GET /c/:room (the chat page).
void add_hub_routes(Router& router, core::Broker& broker, HubOptions options);

}  // namespace parley::net
