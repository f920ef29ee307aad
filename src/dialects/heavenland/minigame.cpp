#include "dialects/heavenland/minigame.hpp"

#include <boost/json/serialize.hpp>

#include "dialects/heavenland/errors.hpp"

namespace parley::dialects::heavenland {

namespace json = boost::json;

namespace {

// A value as the original's f-strings print it (Python's str()): strings bare, null as None.
std::string python_str(const json::value* v) {
  if (!v || v->is_null()) return "None";
  if (const json::string* s = v->if_string()) return std::string(*s);
  if (v->is_bool()) return v->get_bool() ? "True" : "False";
  return json::serialize(*v);
}

// An integral position (1 and 1.0 alike, as Python's dict lookup); 0 when not one.
std::int64_t position_of(const json::value& v) {
  boost::system::error_code ec;
  if (!v.is_number()) return 0;
  auto n = v.to_number<std::int64_t>(ec);
  return ec ? 0 : n;
}

}  // namespace

std::int64_t prize(std::int64_t position, std::size_t players) {
  if (position < 1 || position > std::int64_t(std::size(kWinSplitPercent))) return 0;
  std::int64_t pool = kPoolBase + kPlayerFee * std::int64_t(players);
  return pool * kWinSplitPercent[position - 1] / 100;
}

std::uint64_t MinigameHarness::start(std::int64_t period, std::int64_t offset,
                                     const std::vector<Player>& online, std::int64_t now_s) {
  std::lock_guard lock(mutex_);
  started_ = true;
  running_ = true;
  period_ = period;
  offset_ = offset;
  boomer_ = false;  // a new scheduler starts with boomer, as the original's new Minigame
  set_up_game(online, now_s);
  return ++generation_;
}

void MinigameHarness::stop() {
  std::lock_guard lock(mutex_);
  running_ = false;
  ++generation_;
}

MinigameHarness::Info MinigameHarness::info() const {
  std::lock_guard lock(mutex_);
  return Info{running_, period_, offset_};
}

bool MinigameHarness::tick(std::uint64_t generation, const std::vector<Player>& online,
                           std::int64_t now_s) {
  std::lock_guard lock(mutex_);
  if (!running_ || generation != generation_) return false;
  set_up_game(online, now_s);
  return true;
}

void MinigameHarness::set_up_game(const std::vector<Player>& online, std::int64_t now_s) {
  // The pool: the players online now; a player still online keeps its balance.
  std::map<std::string, std::int64_t> pool;
  for (const auto& p : online) {
    auto it = balances_.find(p.id);
    pool[p.id] = it == balances_.end() ? 0 : it->second;
  }
  balances_ = std::move(pool);
  players_ = online;
  boomer_ = !boomer_;
  next_game_ = boomer_ ? "boomer" : "speedspinner";
  game_number_ = game_number_ >= 3 ? 1 : game_number_ + 1;
  game_id_ = "HLG-" + std::to_string(game_number_);
  running_games_.insert(game_id_);
  reg_start_at_ = now_s;
  reg_end_at_ = now_s;
  start_at_ = now_s + offset_;
}

std::variant<json::object, std::string> MinigameHarness::end_game(const json::object& request) {
  std::lock_guard lock(mutex_);
  if (!started_) return std::string(errors::kSchedulerNotRunning);
  const json::value* id = request.if_contains("id");
  const json::string* game = id ? id->if_string() : nullptr;
  if (!game || !running_games_.contains(std::string(*game)))
    return "game with id " + python_str(id) + " not found in list of running games";
  const json::value* board = request.if_contains("leaderboard");
  if (board && !board->is_array() && !board->is_null())
    return std::string(errors::kLeaderboardNotList);
  if (!board || board->is_null() || board->get_array().empty())
    return std::string(errors::kLeaderboardEmpty);
  const json::array& entries = board->get_array();

  // Everything is checked before any balance changes (the original paid entries up to the bad one).
  for (const auto& entry : entries) {
    const json::object* item = entry.if_object();
    if (!item) return std::string(errors::kLeaderboardNotList);
    if (!item->contains("position"))
      return "position not found for player id " + python_str(item->if_contains("id"));
    const json::value* player = item->if_contains("id");
    const json::string* pid = player ? player->if_string() : nullptr;
    if (!pid || !balances_.contains(std::string(*pid)))
      return "player id " + python_str(player) + " not found in the pool of existing players";
  }
  json::array data;
  data.reserve(entries.size());
  for (const auto& entry : entries) {
    json::object item = entry.get_object();
    std::int64_t won = prize(position_of(item.at("position")), entries.size());
    item.erase("position");
    std::int64_t& balance = balances_[std::string(item.at("id").get_string())];
    balance += won;
    item["won"] = won;
    item["balance"] = balance;
    data.push_back(std::move(item));
  }
  running_games_.erase(std::string(*game));
  return json::object{{"action", "balance_update"}, {"data", std::move(data)}};
}

json::array MinigameHarness::events() const {
  std::lock_guard lock(mutex_);
  json::array players;
  for (const auto& p : players_)
    players.push_back(
        json::object{{"id", p.id}, {"nickname", p.nickname}, {"paragonAddress", "string"}});
  json::object event{
      {"id", game_id_},
      {"miniGame", next_game_},
      {"parameters", json::array{json::object{{"startsAt", start_at_},
                                              {"registrationStartsAt", reg_start_at_},
                                              {"registrationEndsAt", reg_end_at_},
                                              {"currency", "HTO"},
                                              {"entryFee", 200},
                                              {"rewardPool", 50000}}}},
      {"settings",
       json::object{{"numberOfLaps", 20}, {"numberOfPlayers", 10}, {"map", "some map"}}},
      {"players", std::move(players)},
      {"results", nullptr},
      {"policyLink", "string"},
  };
  return json::array{std::move(event)};
}

}  // namespace parley::dialects::heavenland
