#pragma once
// MQTT on the network: MQTT over WebSocket at /mqtt on a router, the raw TCP listener, and the
// logins against Parley's user store. The broker itself is dialects::mqtt::Engine.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "auth/user_store.hpp"
#include "dialects/mqtt/authenticator.hpp"
#include "dialects/mqtt/engine.hpp"
#include "net/io_threads.hpp"
#include "net/router.hpp"
#include "net/server.hpp"

namespace parley::net {

// User names and passwords checked against the user store on a pool of their own (SQLite and
// argon2id), the answer posted back to the connection's thread. A check the pool refuses (its
// queue is full) is answered "unavailable" at once.
class MqttUserAuthenticator final : public dialects::mqtt::Authenticator {
 public:
  // Queues a job; false when it is refused (the job is then not run).
  using RunBlocking = std::function<bool(std::function<void()>)>;
  MqttUserAuthenticator(std::shared_ptr<auth::UserStore> users, IoThreads& threads,
                        RunBlocking run_blocking);
  void check(const std::string& username, const std::string& password, std::size_t thread,
             Done done) override;

 private:
  std::shared_ptr<auth::UserStore> users_;
  IoThreads& threads_;
  RunBlocking run_blocking_;
};

// GET /mqtt: MQTT over WebSocket (binary frames), selecting the subprotocol "mqtt" (or the
// older "mqttv3.1") when offered; a client offering neither is served too.
void add_mqtt_routes(Router& router, std::shared_ptr<dialects::mqtt::Engine> engine);

// The MQTT TCP listener on address:port; returns the bound port. Throws std::runtime_error
// (start-up) when it cannot bind.
std::uint16_t listen_mqtt(Server& server, const std::string& address, std::uint16_t port,
                          std::shared_ptr<dialects::mqtt::Engine> engine, const std::string& name);

}  // namespace parley::net
