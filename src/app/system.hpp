#pragma once
// How each chat system plugs into the server: an installer adds its routes to the shared
// router, opens listeners of its own when configured, and may register work for shutdown.
// Installers run once at start-up, before the I/O threads start; they may throw (start-up
// errors stop the process with their message).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "core/broker.hpp"
#include "net/io_threads.hpp"
#include "net/router.hpp"
#include "net/server.hpp"

namespace parley::app {

struct SystemContext {
  const Config& config;
  core::Broker& broker;
  net::IoThreads& threads;
  net::Server& server;
  net::Router& shared;  // the routes of the shared listener ([http] listen)

  // Runs blocking work (disk, SQLite reads, DNS) off the I/O threads. To answer a session,
  // post back to its thread with threads.post(session->thread(), ...).
  std::function<void(std::function<void()>)> run_blocking;

  // Opens a listener of the system's own (its `listen` key) serving router.
  void listen(const Endpoint& at, std::shared_ptr<const net::Router> router,
              const std::string& name) {
    server.listen(at.address, at.port, std::move(router), name);
  }
  // Runs at shutdown, after the sessions are closed and before storage is flushed.
  std::vector<std::function<void()>> on_shutdown;
};

using SystemInstaller = void (*)(SystemContext&);

// One installer per system, in the order their routes are added to the shared router.
const std::vector<std::pair<const char*, SystemInstaller>>& systems();

// Installers, one file each (app/system_<name>.cpp).
void install_hub(SystemContext& ctx);
void install_heavenland(SystemContext& ctx);
void install_chat_sse(SystemContext& ctx);
void install_concierge(SystemContext& ctx);
void install_chatroom(SystemContext& ctx);
void install_mqtt(SystemContext& ctx);

}  // namespace parley::app
