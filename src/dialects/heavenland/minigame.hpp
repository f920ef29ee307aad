#pragma once
// The original's minigame harness: a mock of Heavenland's game scheduler for testing game servers
// (Unreal Engine) over /minigame. State shared by every /minigame socket, thread-safe.
//
// scheduler_start(period, offset) sets up a game at once and then every `period` seconds: ids
// "HLG-1", "HLG-2", "HLG-3", "HLG-1", ..., alternating "boomer" and "speedspinner", the players
// being the users logged in to the chat; each set-up game is running until its game_end.
// game_end(id, leaderboard) pays the prize pool, 1000 + 100 per leaderboard entry, split
// 36/26/18/12/8 % over positions 1-5 (other positions win 0), into the players' balances.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "dialects/heavenland/online_players.hpp"

namespace parley::dialects::heavenland {

inline constexpr std::int64_t kPoolBase = 1000;
inline constexpr std::int64_t kPlayerFee = 100;
// Percent of the pool won by positions 1..5.
inline constexpr std::int64_t kWinSplitPercent[] = {36, 26, 18, 12, 8};

// The prize of `position` in a game of `players` entries (integer arithmetic: exact).
std::int64_t prize(std::int64_t position, std::size_t players);

class MinigameHarness {
 public:
  struct Info {
    bool running = false;
    std::int64_t period = 0;  // seconds
    std::int64_t offset = 0;  // seconds from a game's set-up to its start
  };

  // (Re)starts the scheduler and sets up the first game. Returns the scheduler's generation,
  // which tick() must be given.
  std::uint64_t start(std::int64_t period, std::int64_t offset, const std::vector<Player>& online,
                      std::int64_t now_s);
  // Stops the scheduler; running games can still end (as the original).
  void stop();
  Info info() const;
  // Sets up the next game if `generation` is the running scheduler; false otherwise.
  bool tick(std::uint64_t generation, const std::vector<Player>& online, std::int64_t now_s);

  // game_end: {"action":"balance_update","data":[...]} or the error string.
  std::variant<boost::json::object, std::string> end_game(const boost::json::object& request);

  // GET /api/gaming/events: the next game in the shape of Heavenland's events endpoint.
  boost::json::array events() const;

 private:
  void set_up_game(const std::vector<Player>& online, std::int64_t now_s);

  mutable std::mutex mutex_;
  bool started_ = false;  // a scheduler ran at least once: game_end accepted
  bool running_ = false;
  std::uint64_t generation_ = 0;
  std::int64_t period_ = 600;
  std::int64_t offset_ = 300;
  bool boomer_ = false;  // the last game was boomer
  int game_number_ = 0;  // 1..3
  std::set<std::string> running_games_;
  std::map<std::string, std::int64_t> balances_;  // the pool of existing players
  // The last set-up game, for events().
  std::string game_id_ = "HLG-0";
  std::string next_game_ = "boomer";
  std::int64_t start_at_ = 0, reg_start_at_ = 0, reg_end_at_ = 0;
  std::vector<Player> players_;
};

}  // namespace parley::dialects::heavenland
