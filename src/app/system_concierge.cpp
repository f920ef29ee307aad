// ERT Concierge: /ws and the file store /fs/... on the shared listener; with `listen`, a listener
// of its own (the original's :64209) that also answers the GET / banner.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>

#include "app/system.hpp"
#include "net/concierge_routes.hpp"

namespace parley::app {

void install_concierge(SystemContext& ctx) {
  const ConciergeConfig& cfg = ctx.config.concierge;
  if (!cfg.enabled) return;

  dialects::concierge::RegistryOptions registry;
  registry.max_subscriptions = ctx.config.limits.max_channels_per_connection;
  registry.max_services = ctx.config.limits.max_channels_per_connection;
  auto files_root = ctx.config.storage.data_dir / "concierge-files";
  auto state = std::make_shared<net::ConciergeState>(ctx.broker, registry, files_root);
  // Files belong to connected clients only: what an earlier run left has no owner.
  if (auto ec = state->files.reset())
    throw std::runtime_error("concierge: cannot prepare " + files_root.string() + ": " +
                             ec.message());

  net::ConciergeOptions options;
  if (!cfg.secret.empty()) options.connection.secret = cfg.secret;
  if (cfg.idle_timeout.count() > 0) {
    // idle_timeout is the heartbeat's: silent that long, closed with 4009; pinged twice meanwhile.
    options.connection.heartbeat_timeout = cfg.idle_timeout;
    options.connection.ping_interval = std::max(std::chrono::milliseconds(1), cfg.idle_timeout / 2);
  }
  options.max_file_bytes = cfg.max_file_bytes;
  options.run_blocking = ctx.run_blocking;

  net::add_concierge_routes(ctx.shared, state, options);
  if (cfg.listen) {
    auto own = std::make_shared<net::Router>();
    auto port = std::make_shared<std::atomic<std::uint16_t>>(cfg.listen->port);
    net::add_concierge_banner(*own, [port] { return port->load(std::memory_order_relaxed); });
    net::add_concierge_routes(*own, state, options);
    port->store(ctx.server.listen(cfg.listen->address, cfg.listen->port, own, "concierge"),
                std::memory_order_relaxed);
  }
}

}  // namespace parley::app
