#pragma once
// The admin page's wiring: on the shared listener (with [admin] token) or on a loopback-only
// listener of its own ([admin] listen), or nowhere.
#include <functional>
#include <memory>

#include "app/system.hpp"
#include "net/admin.hpp"

namespace parley::app {

// Adds the admin routes as configured and starts the sampler; nullptr when the page is off.
// Call before the I/O threads start. store_queue_depth: the store's pending appends.
std::shared_ptr<net::Admin> install_admin(SystemContext& ctx,
                                          std::function<std::size_t()> store_queue_depth);

}  // namespace parley::app
