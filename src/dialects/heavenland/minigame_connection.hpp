#pragma once
// The /minigame socket: the original's harness for game servers. No login. Actions:
//   scheduler_start {period?, offset?}  -> (all) {"info":"update"}, {"info":"scheduler is running"}
//   scheduler_stop                      -> (all) {"info":"scheduler is stopped"}
//   scheduler_info                      -> (all) {"info":"scheduler is running","period","offset"}
//                                          or {"info":"scheduler is not running"}
//   online_players                      -> (sender) {"online_players":[{"id","nickname"}...]}
//   game_end {id, leaderboard}          -> (all) {"action":"balance_update","data":[...]}, or
//                                          (sender) {"error": ...}
// "(all)": every /minigame socket, through the core channel kMinigameChannel. Unknown actions
// are ignored, as the original did. All calls on the connection's own I/O thread.
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <variant>

#include "core/broker.hpp"
#include "core/dialect_connection.hpp"
#include "core/sink.hpp"
#include "dialects/heavenland/minigame.hpp"
#include "dialects/heavenland/online_players.hpp"

namespace parley::dialects::heavenland {

// The core channel carrying the harness's broadcasts (never stored), and their dialect tag.
inline constexpr std::string_view kMinigameChannel = "heavenland.minigame";
inline constexpr std::string_view kMinigameDialect = "heavenland.minigame";

// Runs the scheduler's ticks. Implemented by net (a timer on one I/O thread).
class MinigameScheduler {
 public:
  virtual ~MinigameScheduler() = default;
  // From now on, calls tick(generation) on the service every `period`, until it returns false.
  // Replaces a schedule running before. Thread-safe.
  virtual void run(std::uint64_t generation, std::chrono::seconds period) = 0;
};

// The harness of the process, shared by every /minigame socket and the /api webhook. Thread-safe.
class MinigameService {
 public:
  MinigameService(core::Broker& broker, OnlinePlayers& online,
                  std::function<std::int64_t()> now_s = {});
  void set_scheduler(MinigameScheduler* scheduler) { scheduler_ = scheduler; }

  void start(std::int64_t period, std::int64_t offset);
  void stop();
  void info();
  // The scheduler's callback: sets up and announces the next game; false when that schedule
  // was stopped or replaced.
  bool tick(std::uint64_t generation);
  // GET /api/webhook/minigame: {"info":"update"} to every socket.
  void announce_update();
  boost::json::array events() const { return harness_.events(); }
  std::variant<boost::json::object, std::string> end_game(const boost::json::object& request);
  std::vector<Player> online() const { return online_.list(); }

  // Every /minigame socket gets payload.
  void broadcast(boost::json::object payload);

 private:
  std::int64_t now() const;

  core::Broker& broker_;
  OnlinePlayers& online_;
  std::function<std::int64_t()> now_s_;
  MinigameHarness harness_;
  MinigameScheduler* scheduler_ = nullptr;
};

class MinigameConnection final : public core::DialectConnection, public core::Subscriber {
 public:
  // Subscribes to kMinigameChannel; when the broker refuses (its channel limit), closes the
  // socket with 1013 (Try Again Later).
  MinigameConnection(MinigameService& service, core::Broker& broker, core::Sink& sink,
                     std::uint64_t session, std::size_t thread, std::string peer);
  ~MinigameConnection() override;

  void on_text(std::string_view text) override;
  // Unsubscribes; idempotent.
  void on_close() override;
  void deliver(const core::Event& event, core::EncodeCache& cache) override;

 private:
  void send(const boost::json::object& o);
  void send_error(std::string_view error);

  MinigameService& service_;
  core::Broker& broker_;
  core::Sink& sink_;
  const std::uint64_t session_;
  const std::size_t thread_;
  const std::string peer_;
  bool closed_ = false;
};

}  // namespace parley::dialects::heavenland
