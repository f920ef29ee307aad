#pragma once
// Chat Service + Chat Broadcast SSE on HTTP: the publish endpoint, the SSE stream and the demo
// page. Each group can go on its own router, so that the original's three ports can be served
// by three listeners.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include "core/broker.hpp"
#include "dialects/chat_sse/stream.hpp"
#include "net/router.hpp"

namespace parley::net {

struct ChatSseOptions {
  dialects::chat_sse::StreamOptions stream;
};

// POST /chat/publish/:channel_id/:user_id (200, 400; CORS headers of the original) and its
// OPTIONS preflight answer.
void add_chat_sse_publish_routes(Router& router, core::Broker& broker);

// GET /chat/receive/:channel_id with Accept: text/event-stream: the channel's messages as
// Server-Sent Events, resumed after Last-Event-ID (or ?since=) from history. Without the Accept
// header: 405, as the original.
void add_chat_sse_receive_routes(Router& router, core::Broker& broker, ChatSseOptions options);

// Where the demo page's scripts reach the two services. Empty: the page's own origin (the
// listener serving the page serves them too); a port: http(s)://<the page's host>:<port>, as
// the original demo did with :8080 and :8081.
struct ChatSsePageLinks {
  std::optional<std::uint16_t> publish_port;
  std::optional<std::uint16_t> receive_port;
};

// GET /?c=<uuid>: the demo page for channel c (400 when c is not a UUID). GET / without c is
// answered by `otherwise`.
void add_chat_sse_page_route(Router& router, ChatSsePageLinks links, HttpHandler otherwise);

// For `otherwise` on a listener of the system's own: 302 to the page of a new random channel.
HttpResponse chat_sse_new_channel(const HttpRequest& req);

}  // namespace parley::net
