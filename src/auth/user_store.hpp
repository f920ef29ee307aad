#pragma once
// Local user accounts for username/password logins (Heavenland's `login` with `username` and
// `password`): table `users` in the embedded database (data/parley.db, next to the messages),
// passwords stored as argon2id hashes. Managed with `parley users add|remove|list`.
//
// Threading: every method blocks (SQLite, argon2id) and is thread-safe: one connection behind a
// mutex, and the password hash is checked outside it. Call from the blocking pool or the CLI,
// never from an I/O thread. The constructor throws std::runtime_error (start-up); nothing else
// throws.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace parley::auth {

struct User {
  std::string username;  // also the user's id
  std::string nickname;  // display name
  std::int64_t created_ms = 0;
};

class UserStore {
 public:
  // Opens or creates db_file (and its directory) and the table.
  explicit UserStore(const std::filesystem::path& db_file);
  ~UserStore();

  enum class Change { done, exists, unknown, failed };
  // Adds a user. exists: the username is taken; failed: see error.
  Change add(const std::string& username, std::string_view password, const std::string& nickname,
             std::string& error);
  // Removes a user. unknown: no such user.
  Change remove(const std::string& username, std::string& error);
  // Every user, by username.
  std::vector<User> list();

  enum class Check { ok, unknown_user, wrong_password, failed };
  // Checks a password (argon2id: tens of milliseconds). user is filled when ok.
  Check check(const std::string& username, std::string_view password, User& user);

  // "" when acceptable, else why: 1 to 64 bytes of letters, digits, '.', '_', '-', '@'.
  static std::string username_problem(std::string_view username);
  // "" when acceptable, else why: 1 to 100 bytes, no control characters.
  static std::string nickname_problem(std::string_view nickname);

 private:
  struct Db;
  std::mutex mutex_;
  std::unique_ptr<Db> db_;
};

}  // namespace parley::auth
