// Chat Service + Chat Broadcast SSE: POST /chat/publish/..., GET /chat/receive/... (SSE) and the
// demo page GET /?c=<uuid>, on the shared listener and, when configured, on listeners of their
// own: `listen` for all three, or publish_listen / receive_listen / page_listen one each (the
// original's :8080, :8081, :8000).
#include <spdlog/spdlog.h>

#include <algorithm>

#include "app/system.hpp"
#include "net/chat_sse_routes.hpp"
#include "net/common_routes.hpp"

namespace parley::app {

namespace {

std::uint16_t listen_on(SystemContext& ctx, const Endpoint& at, std::shared_ptr<net::Router> router,
                        const std::string& name) {
  return ctx.server.listen(at.address, at.port, std::move(router), name);
}

}  // namespace

void install_chat_sse(SystemContext& ctx) {
  const ChatSseConfig& cfg = ctx.config.chat_sse;
  if (!cfg.enabled) return;
  net::ChatSseOptions options;
  options.stream.keepalive = cfg.keepalive;
  options.stream.retry = cfg.retry;
  options.stream.replay_limit = ctx.config.storage.ring_size;  // all that history keeps
  options.stream.replay_bytes = std::max<std::size_t>(1, ctx.config.limits.max_queue_bytes / 2);

  // The shared listener: everything, same origin; GET / without ?c= is the landing page.
  auto landing = [](const net::HttpRequest&) { return net::landing_page(); };
  net::add_chat_sse_publish_routes(ctx.shared, ctx.broker);
  net::add_chat_sse_receive_routes(ctx.shared, ctx.broker, options);
  net::add_chat_sse_page_route(ctx.shared, {}, landing);

  std::optional<std::uint16_t> all_port, publish_port, receive_port;
  if (cfg.listen) {
    auto own = std::make_shared<net::Router>();
    net::add_chat_sse_publish_routes(*own, ctx.broker);
    net::add_chat_sse_receive_routes(*own, ctx.broker, options);
    net::add_chat_sse_page_route(*own, {}, net::chat_sse_new_channel);
    net::add_asset_routes(*own);
    all_port = listen_on(ctx, *cfg.listen, own, "chat_sse");
  }
  if (cfg.publish_listen) {
    auto own = std::make_shared<net::Router>();
    net::add_chat_sse_publish_routes(*own, ctx.broker);
    publish_port = listen_on(ctx, *cfg.publish_listen, own, "chat_sse.publish");
  }
  if (cfg.receive_listen) {
    auto own = std::make_shared<net::Router>();
    net::add_chat_sse_receive_routes(*own, ctx.broker, options);
    receive_port = listen_on(ctx, *cfg.receive_listen, own, "chat_sse.receive");
  }
  if (cfg.page_listen) {
    // The page alone: its scripts call the publish and receive services on their ports, the
    // own ones first (as the original demo called :8080 and :8081), else the shared listener.
    std::uint16_t shared_port = ctx.config.http.listen.port;
    if (shared_port == 0 && (!(publish_port || all_port) || !(receive_port || all_port)))
      spdlog::warn(
          "chat_sse: page_listen with [http] listen on port 0: the page cannot know the "
          "port of the publish and receive services; set publish_listen and "
          "receive_listen");
    net::ChatSsePageLinks links;
    links.publish_port = publish_port.value_or(all_port.value_or(shared_port));
    links.receive_port = receive_port.value_or(all_port.value_or(shared_port));
    auto own = std::make_shared<net::Router>();
    net::add_chat_sse_page_route(*own, links, net::chat_sse_new_channel);
    net::add_asset_routes(*own);
    listen_on(ctx, *cfg.page_listen, own, "chat_sse.page");
  }
}

}  // namespace parley::app
