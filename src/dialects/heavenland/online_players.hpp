#pragma once
// The users logged in to the chat, across every I/O thread (the minigame harness's players).
// A user on several sockets is one player. Thread-safe.
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace parley::dialects::heavenland {

struct Player {
  std::string id;  // user_id
  std::string nickname;
};

class OnlinePlayers {
 public:
  void add(const std::string& user_id, const std::string& nickname, std::uint64_t session);
  void remove(const std::string& user_id, std::uint64_t session);
  // By id.
  std::vector<Player> list() const;

 private:
  struct Entry {
    std::string nickname;  // the latest login's
    std::set<std::uint64_t> sessions;
  };
  mutable std::mutex mutex_;
  std::map<std::string, Entry> players_;
};

}  // namespace parley::dialects::heavenland
