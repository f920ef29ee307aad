// Heavenland chat: WebSocket /chat and /minigame, GET /api and /api/version (and the harness's
// /api/webhook/minigame and /api/gaming/events), on the shared listener and, with
// [heavenland] listen, on a listener of its own (the original's :8000, same paths).
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "app/system.hpp"
#include "auth/jwt.hpp"
#include "auth/user_store.hpp"
#include "core/bounded_pool.hpp"
#include "net/heavenland_auth.hpp"
#include "net/heavenland_routes.hpp"
#include "net/http_client.hpp"

namespace parley::app {

namespace {

std::string read_key_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw std::runtime_error("auth.jwt_public_key: cannot open " + file.string() + ": " +
                             std::strerror(errno));
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::shared_ptr<const auth::JwtVerifier> make_verifier(const AuthConfig& cfg) {
  auth::JwtOptions options;
  options.secret = cfg.jwt_secret;
  options.audience = cfg.jwt_audience;
  if (!cfg.jwt_public_key.empty()) options.public_key_pem = read_key_file(cfg.jwt_public_key);
  try {
    auto verifier = std::make_shared<const auth::JwtVerifier>(std::move(options));
    if (verifier->algorithms().empty())
      spdlog::warn("heavenland: no [auth] jwt_secret or jwt_public_key: token logins will fail");
    else
      spdlog::info("heavenland: tokens accepted: {}", verifier->algorithms());
    return verifier;
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("auth.jwt_public_key: " + cfg.jwt_public_key.string() + ": " +
                             e.what());
  }
}

}  // namespace

void install_heavenland(SystemContext& ctx) {
  const Config& cfg = ctx.config;
  if (!cfg.heavenland.enabled) return;
  const HeavenlandConfig& hl = cfg.heavenland;

  net::AccountLookup lookup;
  lookup.nickname_claim = cfg.auth.nickname_claim;
  lookup.url = cfg.auth.account_url;
  lookup.timeout = cfg.auth.account_timeout;
  auto users = std::make_shared<auth::UserStore>(cfg.storage.data_dir / "parley.db");
  auto http = lookup.url.empty() ? nullptr : net::HttpClient::create();
  // Password checks (argon2id) on a pool of their own: a login flood neither waits behind file
  // I/O nor delays it, and past the queue's bound a login is answered "busy" at once.
  auto hashing = std::make_shared<core::BoundedPool>(cfg.auth.password_hash_threads,
                                                     cfg.auth.password_hash_queue);
  ctx.on_shutdown.push_back([hashing] { hashing->stop(); });
  auto authenticator = std::make_unique<net::HeavenlandAuth>(
      make_verifier(cfg.auth), std::move(users), ctx.threads,
      [hashing](std::function<void()> job) { return hashing->try_post(std::move(job)); },
      std::move(http), lookup);

  net::HeavenlandOptions options;
  options.version = std::string("v") + PARLEY_VERSION;
  options.env = hl.env;
  options.idle_timeout = hl.idle_timeout;
  options.chat.history_limit = hl.history_limit;
  options.chat.login_per_connection = {hl.login_attempts_per_connection, hl.login_window};
  options.login_per_address = {hl.login_attempts_per_address, hl.login_window};
  options.login_per_account = {hl.login_attempts_per_account, hl.login_window};
  auto services = std::make_shared<net::HeavenlandServices>(ctx.broker, ctx.threads,
                                                            std::move(authenticator), options);
  ctx.on_shutdown.push_back([services] { services->stop(); });

  net::add_heavenland_routes(ctx.shared, services);
  if (hl.listen) {
    auto own = std::make_shared<net::Router>();
    net::add_heavenland_routes(*own, services);
    ctx.listen(*hl.listen, own, "heavenland");
  }
}

}  // namespace parley::app
