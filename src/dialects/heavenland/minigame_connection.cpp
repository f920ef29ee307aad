#include "dialects/heavenland/minigame_connection.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>

#include "dialects/heavenland/action.hpp"
#include "dialects/heavenland/errors.hpp"
#include "dialects/heavenland/render.hpp"

namespace parley::dialects::heavenland {

namespace json = boost::json;

namespace {

constexpr std::int64_t kMaxSeconds = 2147483647;

// An optional integer field within [min, kMaxSeconds]: absent -> fallback; false when invalid.
bool seconds_field(const json::object& o, std::string_view key, std::int64_t min,
                   std::int64_t fallback, std::int64_t& out) {
  const json::value* v = o.if_contains(key);
  if (!v) {
    out = fallback;
    return true;
  }
  if (const std::int64_t* i = v->if_int64(); i && *i >= min && *i <= kMaxSeconds) {
    out = *i;
    return true;
  }
  return false;
}

}  // namespace

MinigameService::MinigameService(core::Broker& broker, OnlinePlayers& online,
                                 std::function<std::int64_t()> now_s)
    : broker_(broker), online_(online), now_s_(std::move(now_s)) {}

std::int64_t MinigameService::now() const {
  if (now_s_) return now_s_();
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

void MinigameService::broadcast(json::object payload) {
  auto b = std::make_shared<core::Broadcast>();
  b->dialect = std::string(kMinigameDialect);
  b->payload = std::move(payload);
  broker_.broadcast(std::string(kMinigameChannel), std::move(b));
}

void MinigameService::start(std::int64_t period, std::int64_t offset) {
  // As the original: the first game is set up and announced at once, then every period.
  std::uint64_t generation = harness_.start(period, offset, online_.list(), now());
  broadcast(json::object{{"info", "update"}});
  if (scheduler_) scheduler_->run(generation, std::chrono::seconds(period));
  broadcast(json::object{{"info", "scheduler is running"}});
}

void MinigameService::stop() {
  harness_.stop();
  broadcast(json::object{{"info", "scheduler is stopped"}});
}

void MinigameService::info() {
  auto i = harness_.info();
  if (!i.running) return broadcast(json::object{{"info", "scheduler is not running"}});
  broadcast(
      json::object{{"info", "scheduler is running"}, {"period", i.period}, {"offset", i.offset}});
}

bool MinigameService::tick(std::uint64_t generation) {
  if (!harness_.tick(generation, online_.list(), now())) return false;
  announce_update();
  return true;
}

void MinigameService::announce_update() { broadcast(json::object{{"info", "update"}}); }

std::variant<json::object, std::string> MinigameService::end_game(const json::object& request) {
  return harness_.end_game(request);
}

MinigameConnection::MinigameConnection(MinigameService& service, core::Broker& broker,
                                       core::Sink& sink, std::uint64_t session, std::size_t thread,
                                       std::string peer)
    : service_(service),
      broker_(broker),
      sink_(sink),
      session_(session),
      thread_(thread),
      peer_(std::move(peer)) {
  if (broker_.subscribe(std::string(kMinigameChannel), thread_, this) != core::Outcome::ok) {
    spdlog::warn("heavenland: minigame session={} peer={}: refused: too many channels", session_,
                 peer_);
    closed_ = true;
    sink_.close(1013, "too many channels");  // RFC 6455: Try Again Later
  }
}

MinigameConnection::~MinigameConnection() { on_close(); }

void MinigameConnection::on_close() {
  if (closed_) return;
  closed_ = true;
  broker_.unsubscribe(std::string(kMinigameChannel), thread_, this);
}

void MinigameConnection::on_text(std::string_view text) {
  if (closed_) return;
  auto decoded = decode_frame(text);
  if (auto* error = std::get_if<std::string_view>(&decoded)) return send_error(*error);
  const Frame& f = std::get<Frame>(decoded);
  if (f.action == "scheduler_start") {
    std::int64_t period = 0, offset = 0;
    if (!seconds_field(f.object, "period", 1, 600, period)) return send_error(errors::kBadPeriod);
    if (!seconds_field(f.object, "offset", 0, 300, offset))
      return send_error(errors::kBadOffsetSeconds);
    spdlog::info("heavenland minigame: session={} peer={}: scheduler start, period {} s", session_,
                 peer_, period);
    return service_.start(period, offset);
  }
  if (f.action == "scheduler_stop") return service_.stop();
  if (f.action == "scheduler_info") return service_.info();
  if (f.action == "online_players") {
    json::array players;
    for (const auto& p : service_.online())
      players.push_back(json::object{{"id", p.id}, {"nickname", p.nickname}});
    return send(json::object{{"online_players", std::move(players)}});
  }
  if (f.action == "game_end") {
    auto result = service_.end_game(f.object);
    if (auto* error = std::get_if<std::string>(&result)) return send_error(*error);
    return service_.broadcast(std::move(std::get<json::object>(result)));
  }
  spdlog::debug("heavenland minigame: session={} peer={}: action \"{}\" ignored", session_, peer_,
                f.action);
}

void MinigameConnection::deliver(const core::Event& ev, core::EncodeCache& cache) {
  if (closed_ || ev.kind != core::Event::Kind::broadcast ||
      ev.broadcast->dialect != kMinigameDialect)
    return;
  const core::Frame& frame = cache.get(
      kMinigameFormat, [&] { return sink_.make_frame(json::serialize(ev.broadcast->payload)); });
  if (frame) sink_.send_frame(frame);
}

void MinigameConnection::send(const json::object& o) { sink_.send_text(json::serialize(o)); }

void MinigameConnection::send_error(std::string_view error) {
  spdlog::info("heavenland minigame: session={} peer={}: {}", session_, peer_, error);
  send(json::object{{"error", error}});
}

}  // namespace parley::dialects::heavenland
