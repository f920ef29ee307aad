#include "net/mqtt_routes.hpp"

#include <spdlog/spdlog.h>

#include "dialects/mqtt/connection.hpp"

namespace parley::net {

namespace mqtt = dialects::mqtt;

MqttUserAuthenticator::MqttUserAuthenticator(std::shared_ptr<auth::UserStore> users,
                                             IoThreads& threads, RunBlocking run_blocking)
    : users_(std::move(users)), threads_(threads), run_blocking_(std::move(run_blocking)) {}

void MqttUserAuthenticator::check(const std::string& username, const std::string& password,
                                  std::size_t thread, Done done) {
  auto answer = std::make_shared<Done>(std::move(done));
  bool queued = run_blocking_(
      [users = users_, &threads = threads_, thread, username, password, answer]() mutable {
        auth::User user;
        mqtt::AuthOutcome outcome = mqtt::AuthOutcome::rejected;
        switch (users->check(username, password, user)) {
          case auth::UserStore::Check::ok:
            outcome = mqtt::AuthOutcome::ok;
            break;
          case auth::UserStore::Check::unknown_user:
          case auth::UserStore::Check::wrong_password:
            break;
          case auth::UserStore::Check::failed:
            outcome = mqtt::AuthOutcome::unavailable;
            break;
        }
        threads.post(thread, [answer, outcome] { (*answer)(outcome); });
      });
  if (!queued) {
    spdlog::warn("mqtt: password checks busy; CONNECT of {:?} answered 0x03", username);
    threads_.post(thread, [answer] { (*answer)(mqtt::AuthOutcome::unavailable); });
  }
}

namespace {

MakeDialect make_connection(std::shared_ptr<mqtt::Engine> engine) {
  return [engine = std::move(engine)](core::Sink& sink) {
    return std::make_shared<mqtt::Connection>(*engine, sink);
  };
}

}  // namespace

void add_mqtt_routes(Router& router, std::shared_ptr<mqtt::Engine> engine) {
  router.websocket("/mqtt",
                   [engine](const HttpRequest& req) -> std::variant<WsAccept, HttpResponse> {
                     WsAccept accept;
                     // MQTT 3.1.1 section 6.0: "mqtt"; Paho JS for MQTT 3.1 offered "mqttv3.1".
                     for (const char* protocol : {"mqtt", "mqttv3.1"}) {
                       if (offers_subprotocol(req, protocol)) {
                         accept.protocol = protocol;
                         break;
                       }
                     }
                     accept.make = make_connection(engine);
                     return accept;
                   });
}

std::uint16_t listen_mqtt(Server& server, const std::string& address, std::uint16_t port,
                          std::shared_ptr<mqtt::Engine> engine, const std::string& name) {
  RawAccept accept;
  accept.make = make_connection(std::move(engine));
  return server.listen_raw(address, port, std::move(accept), name);
}

}  // namespace parley::net
