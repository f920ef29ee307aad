#pragma once
// The ChatRoom debugger's HTTP side, served on its own listener (127.0.0.1:8800 by default,
// only when debugging is on): the page, the state as JSON, and a Server-Sent Events stream of
// the DebugFeed's events.
//   GET /        the page (web/chatroom_debug.html; its script and style under /assets/)
//   GET /state   DebugFeed::snapshot() as JSON
//   GET /events  text/event-stream: the snapshot first, then every event as it happens
#include <chrono>

#include "core/broker.hpp"
#include "dialects/chatroom/debug_feed.hpp"
#include "net/router.hpp"

namespace parley::net {

// broker and feed must outlive the router.
void add_chatroom_debug_routes(Router& router, core::Broker& broker,
                               dialects::chatroom::DebugFeed& feed,
                               std::chrono::milliseconds keep_alive = std::chrono::seconds(15));

}  // namespace parley::net
