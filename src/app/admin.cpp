#include "app/admin.hpp"

#include <spdlog/spdlog.h>

#include "net/common_routes.hpp"

namespace parley::app {

std::shared_ptr<net::Admin> install_admin(SystemContext& ctx,
                                          std::function<std::size_t()> store_queue_depth) {
  const AdminConfig& cfg = ctx.config.admin;
  if (cfg.token.empty() && !cfg.listen) {
    spdlog::debug("admin page off: set [admin] token or [admin] listen");
    return nullptr;
  }
  auto admin = std::make_shared<net::Admin>(
      net::AdminSources{ctx.broker, ctx.server.context(), std::move(store_queue_depth)}, cfg.token);
  if (cfg.listen) {
    // config.cpp accepts only a loopback address here.
    auto own = std::make_shared<net::Router>();
    net::add_admin_routes(*own, admin);
    net::add_asset_routes(*own);
    ctx.listen(*cfg.listen, own, "admin");
  } else {
    net::add_admin_routes(ctx.shared, admin);
  }
  admin->start();
  ctx.on_shutdown.push_back([admin] { admin->stop(); });
  return admin;
}

}  // namespace parley::app
