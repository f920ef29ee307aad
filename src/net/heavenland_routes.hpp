#pragma once
// Heavenland on HTTP: WebSocket /chat and /minigame, and the /api endpoints.
#include <chrono>
#include <memory>
#include <string>

#include "core/broker.hpp"
#include "dialects/heavenland/chat_connection.hpp"
#include "dialects/heavenland/minigame_connection.hpp"
#include "net/heavenland_auth.hpp"
#include "net/io_threads.hpp"
#include "net/router.hpp"

namespace parley::net {

struct HeavenlandOptions {
  std::string version;                        // "api" of /api/version, e.g. "v0.1.0"
  std::string env;                            // "env" of /api/version
  std::chrono::milliseconds idle_timeout{0};  // 0: none (the original had none)
  dialects::heavenland::ChatOptions chat;
  core::RateLimit login_per_address{30, std::chrono::milliseconds(60'000)};
  core::RateLimit login_per_account{10, std::chrono::milliseconds(60'000)};
};

class MinigameTimer;

// What the routes of every Heavenland listener share: logins, the online players, the login
// limits per address and per account, the minigame harness and its scheduler. Built once by
// the installer.
class HeavenlandServices {
 public:
  HeavenlandServices(core::Broker& broker, IoThreads& threads, std::unique_ptr<HeavenlandAuth> auth,
                     HeavenlandOptions options);
  ~HeavenlandServices();

  // Stops the minigame scheduler's timer (shutdown).
  void stop();

  core::Broker& broker;
  const HeavenlandOptions options;
  std::unique_ptr<HeavenlandAuth> auth;
  core::KeyedLimiter address_limiter;
  core::KeyedLimiter account_limiter;
  dialects::heavenland::OnlinePlayers online;
  dialects::heavenland::ChatShared chat;
  dialects::heavenland::MinigameService minigame;

 private:
  std::unique_ptr<MinigameTimer> timer_;
};

// GET /chat and GET /minigame (WebSocket); GET /api, /api/version, /api/webhook/minigame,
// /api/gaming/events.
void add_heavenland_routes(Router& router, std::shared_ptr<HeavenlandServices> services);

}  // namespace parley::net
