// MQTT: the broker (dialects::mqtt::Engine), its sessions and retained messages kept in
// <data dir>/mqtt.db, user names checked against the user store, MQTT over WebSocket at /mqtt on
// the shared listener and over TCP on `[mqtt] listen` (127.0.0.1:1883 unless set to "").
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "app/system.hpp"
#include "core/bounded_pool.hpp"
#include "net/mqtt_routes.hpp"
#include "storage/sqlite_state_store.hpp"

namespace parley::app {

namespace {

namespace mqtt = dialects::mqtt;

// What the engine points to, kept alive with it.
struct MqttSystem {
  std::unique_ptr<storage::SqliteStateStore> store;
  std::shared_ptr<core::BoundedPool> hashing;
  std::unique_ptr<net::MqttUserAuthenticator> auth;
  std::unique_ptr<mqtt::Engine> engine;  // last: destroyed first
};

mqtt::Options engine_options(const MqttConfig& cfg) {
  mqtt::Options o;
  o.max_packet_bytes = cfg.max_packet_bytes;
  o.max_inflight = cfg.max_inflight;
  o.max_queued_messages = cfg.max_queued_messages;
  o.max_queued_bytes = cfg.max_queued_bytes;
  o.max_subscriptions = cfg.max_subscriptions;
  o.max_sessions = cfg.max_sessions;
  o.max_retained = cfg.max_retained;
  o.connect_timeout = cfg.connect_timeout;
  o.allow_anonymous = cfg.allow_anonymous;
  o.allow_zero_length_client_id = cfg.allow_zero_length_client_id;
  o.deny_subscribe = cfg.deny_subscribe;
  o.login_per_address = {cfg.login_attempts_per_address, cfg.login_window};
  o.login_per_account = {cfg.login_attempts_per_account, cfg.login_window};
  return o;
}

}  // namespace

void install_mqtt(SystemContext& ctx) {
  const MqttConfig& cfg = ctx.config.mqtt;
  if (!cfg.enabled) return;
  const auto& data_dir = ctx.config.storage.data_dir;
  auto system = std::make_shared<MqttSystem>();
  system->store = std::make_unique<storage::SqliteStateStore>(data_dir / "mqtt.db");
  auto records = system->store->load();
  // Password checks (argon2id) on a pool of their own, as Heavenland's: a login flood neither
  // waits behind file I/O nor delays it, and past the queue's bound a CONNECT gets 0x03 at once.
  system->hashing = std::make_shared<core::BoundedPool>(ctx.config.auth.password_hash_threads,
                                                        ctx.config.auth.password_hash_queue);
  system->auth = std::make_unique<net::MqttUserAuthenticator>(
      std::make_shared<auth::UserStore>(data_dir / "parley.db"), ctx.threads,
      [hashing = system->hashing](std::function<void()> job) {
        return hashing->try_post(std::move(job));
      });
  system->engine = std::make_unique<mqtt::Engine>(ctx.broker, ctx.threads, engine_options(cfg),
                                                  system->store.get(), system->auth.get());
  std::size_t restored = system->engine->restore(records);
  spdlog::info("mqtt: {} of {} records restored ({} sessions, {} retained messages)", restored,
               records.size(), system->engine->session_count(), system->engine->retained().size());
  std::shared_ptr<mqtt::Engine> engine(system, system->engine.get());

  net::add_mqtt_routes(ctx.shared, engine);
  if (cfg.listen) {
    try {
      net::listen_mqtt(ctx.server, cfg.listen->address, cfg.listen->port, engine, "mqtt");
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("mqtt.listen: ") + e.what());
    }
  }

  // The connections are closed by now (their wills published). The sessions' records were
  // written as they changed: what is pending is written, then the store is closed.
  ctx.on_shutdown.push_back([system] {
    system->hashing->stop();
    system->store->close();
  });
}

}  // namespace parley::app
