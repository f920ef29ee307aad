#include "net/heavenland_routes.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/json/serialize.hpp>
#include <optional>

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
      chat{broker, *auth, address_limiter, online, options.chat},
      minigame(broker, online),
      timer_(std::make_unique<MinigameTimer>(threads, minigame)) {
  minigame.set_scheduler(timer_.get());
}

HeavenlandServices::~HeavenlandServices() = default;

void HeavenlandServices::stop() { timer_->stop(); }

namespace {

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
                     accept.make = [services](core::Sink& sink) {
                       return std::make_shared<hl::ChatConnection>(services->chat, sink, sink.id(),
                                                                   sink.thread(), sink.peer());
                     };
                     return accept;
                   });
  router.websocket(
      "/minigame", [services, idle](const HttpRequest&) -> std::variant<WsAccept, HttpResponse> {
        WsAccept accept;
        accept.idle_timeout = idle;
        accept.make = [services](core::Sink& sink) {
          return std::make_shared<hl::MinigameConnection>(
              services->minigame, services->broker, sink, sink.id(), sink.thread(), sink.peer());
        };
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
