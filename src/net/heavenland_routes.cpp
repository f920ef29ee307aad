#include "net/heavenland_routes.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/json/serialize.hpp>
#include <optional>

#include "net/session.hpp"
#include "net/session_sink.hpp"

namespace parley::net {

namespace json = boost::json;
namespace hl = dialects::heavenland;

// The minigame scheduler: a timer on I/O thread 0 calling MinigameService::tick every period.
class MinigameTimer final : public hl::MinigameScheduler {
 public:
  MinigameTimer(IoThreads& threads, hl::MinigameService& service)
      : threads_(threads), service_(service), timer_(threads.context(0)) {}

  void run(std::uint64_t generation, std::chrono::seconds period) override {
    threads_.post(0, [this, generation, period] { arm(generation, period); });
  }
  void stop() {
    threads_.post(0, [this] { timer_.cancel(); });
  }

 private:
  // On thread 0. Re-arming cancels the schedule before (its handler sees operation_aborted).
  // Starts from different threads may arrive here out of order: an older generation is dropped.
  void arm(std::uint64_t generation, std::chrono::seconds period) {
    if (generation < armed_) return;
    armed_ = generation;
    timer_.expires_after(period);
    timer_.async_wait([this, generation, period](const boost::system::error_code& ec) {
      if (ec) return;
      if (service_.tick(generation)) arm(generation, period);
    });
  }

  IoThreads& threads_;
  hl::MinigameService& service_;
  boost::asio::steady_timer timer_;
  std::uint64_t armed_ = 0;  // the newest generation armed (thread 0)
};

HeavenlandServices::HeavenlandServices(core::Broker& b, IoThreads& threads,
                                       std::unique_ptr<HeavenlandAuth> a, HeavenlandOptions o)
    : broker(b),
      options(std::move(o)),
      auth(std::move(a)),
      address_limiter(options.login_per_address),
      account_limiter(options.login_per_account),
      chat{broker, *auth, address_limiter, account_limiter, online, options.chat},
      minigame(broker, online),
      timer_(std::make_unique<MinigameTimer>(threads, minigame)) {
  minigame.set_scheduler(timer_.get());
}

HeavenlandServices::~HeavenlandServices() = default;

void HeavenlandServices::stop() { timer_->stop(); }

namespace {

class ChatHandler final : public SessionHandler {
 public:
  explicit ChatHandler(std::shared_ptr<HeavenlandServices> services)
      : services_(std::move(services)), sink_(session) {}
  void on_open() override {
    connection_.emplace(services_->chat, sink_, session->id(), session->thread(), session->peer());
  }
  void on_text(std::string_view text) override { connection_->on_text(text); }
  void on_binary(std::string_view) override {
    spdlog::info("heavenland: session={} peer={}: binary frame; closing 1003", session->id(),
                 session->peer());
    session->close(1003, "binary frames are not supported");
  }
  void on_close() override {
    if (connection_) connection_->on_close();
  }

 private:
  std::shared_ptr<HeavenlandServices> services_;  // declared first: outlives connection_
  SessionSink<> sink_;
  std::optional<hl::ChatConnection> connection_;
};

class MinigameHandler final : public SessionHandler {
 public:
  explicit MinigameHandler(std::shared_ptr<HeavenlandServices> services)
      : services_(std::move(services)), sink_(session) {}
  void on_open() override {
    connection_.emplace(services_->minigame, services_->broker, sink_, session->id(),
                        session->thread(), session->peer());
  }
  void on_text(std::string_view text) override { connection_->on_text(text); }
  void on_close() override {
    if (connection_) connection_->on_close();
  }

 private:
  std::shared_ptr<HeavenlandServices> services_;
  SessionSink<> sink_;
  std::optional<hl::MinigameConnection> connection_;
};

HttpResponse api_json(unsigned status, const json::value& body) {
  HttpResponse res = HttpResponse::json(status, json::serialize(body));
  res.headers.emplace_back("Access-Control-Allow-Origin", "*");
  return res;
}

}  // namespace

void add_heavenland_routes(Router& router, std::shared_ptr<HeavenlandServices> services) {
  auto idle = services->options.idle_timeout;
  router.websocket("/chat",
                   [services, idle](const HttpRequest&) -> std::variant<WsAccept, HttpResponse> {
                     WsAccept accept;
                     accept.idle_timeout = idle;
                     accept.make = [services] { return std::make_unique<ChatHandler>(services); };
                     return accept;
                   });
  router.websocket(
      "/minigame", [services, idle](const HttpRequest&) -> std::variant<WsAccept, HttpResponse> {
        WsAccept accept;
        accept.idle_timeout = idle;
        accept.make = [services] { return std::make_unique<MinigameHandler>(services); };
        return accept;
      });
  router.get("/api", [](const HttpRequest&) {
    HttpResponse res = HttpResponse::json(200, "");
    res.headers.emplace_back("Access-Control-Allow-Origin", "*");
    return res;
  });
  router.get("/api/version", [services](const HttpRequest&) {
    return api_json(200, json::object{{"api", services->options.version},
                                      {"env", services->options.env},
                                      {"desc", "Parley chat server (Heavenland)"}});
  });
  router.get("/api/webhook/minigame", [services](const HttpRequest&) {
    services->minigame.announce_update();
    HttpResponse res = HttpResponse::json(200, "");
    res.headers.emplace_back("Access-Control-Allow-Origin", "*");
    return res;
  });
  router.get("/api/gaming/events",
             [services](const HttpRequest&) { return api_json(200, services->minigame.events()); });
}

}  // namespace parley::net
