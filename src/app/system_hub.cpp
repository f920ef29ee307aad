// Hub (Phoenix Channels): /socket/websocket and the web chat page /c/:room.
#include "app/system.hpp"
#include "net/common_routes.hpp"
#include "net/hub_routes.hpp"

namespace parley::app {

void install_hub(SystemContext& ctx) {
  const Config& cfg = ctx.config;
  if (!cfg.hub.enabled) return;
  net::HubOptions options;
  if (cfg.hub.idle_timeout.count() > 0) options.idle_timeout = cfg.hub.idle_timeout;
  options.connection.max_channels = cfg.limits.max_channels_per_connection;
  net::add_hub_routes(ctx.shared, ctx.broker, options);
  if (cfg.hub.listen) {
    auto own = std::make_shared<net::Router>();
    net::add_asset_routes(*own);
    net::add_hub_routes(*own, ctx.broker, options);
    ctx.listen(*cfg.hub.listen, own, "hub");
  }
}

}  // namespace parley::app
