#include "dialects/heavenland/online_players.hpp"

namespace parley::dialects::heavenland {

void OnlinePlayers::add(const std::string& user_id, const std::string& nickname,
                        std::uint64_t session) {
  std::lock_guard lock(mutex_);
  Entry& e = players_[user_id];
  e.nickname = nickname;
  e.sessions.insert(session);
}

void OnlinePlayers::remove(const std::string& user_id, std::uint64_t session) {
  std::lock_guard lock(mutex_);
  auto it = players_.find(user_id);
  if (it == players_.end()) return;
  it->second.sessions.erase(session);
  if (it->second.sessions.empty()) players_.erase(it);
}

std::vector<Player> OnlinePlayers::list() const {
  std::lock_guard lock(mutex_);
  std::vector<Player> out;
  out.reserve(players_.size());
  for (const auto& [id, e] : players_) out.push_back(Player{id, e.nickname});
  return out;
}

}  // namespace parley::dialects::heavenland
