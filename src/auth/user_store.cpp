#include "auth/user_store.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <chrono>

#include "auth/password.hpp"
#include "storage/sqlite_db.hpp"

namespace parley::auth {

namespace sqlite = storage::sqlite;

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS users(
  username TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,  -- argon2id, libsodium's crypto_pwhash_str format
  nickname TEXT NOT NULL,
  created_ms INTEGER NOT NULL);
)sql";

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

struct UserStore::Db {
  explicit Db(sqlite::Db c) : conn(std::move(c)) {}
  sqlite::Db conn;
};

UserStore::UserStore(const std::filesystem::path& db_file) {
  auto conn = sqlite::Db::open_wal(db_file);
  conn.exec_or_throw(kSchema, "users: schema");
  db_ = std::make_unique<Db>(std::move(conn));
}

UserStore::~UserStore() = default;

std::string UserStore::username_problem(std::string_view name) {
  if (name.empty() || name.size() > 64) return "a username has 1 to 64 characters";
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '@';
    if (!ok) return "a username has only letters, digits, '.', '_', '-' and '@'";
  }
  return {};
}

std::string UserStore::nickname_problem(std::string_view nickname) {
  if (nickname.empty() || nickname.size() > 100) return "a nickname has 1 to 100 bytes";
  for (char c : nickname)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return "a nickname has no control characters";
  return {};
}

UserStore::Change UserStore::add(const std::string& username, std::string_view password,
                                 const std::string& nickname, std::string& error) {
  auto hash = hash_password(password);
  if (!hash) {
    error = "could not hash the password (libsodium)";
    return Change::failed;
  }
  std::lock_guard lock(mutex_);
  auto stmt = db_->conn.prepare(
      "INSERT INTO users(username, password_hash, nickname, created_ms) VALUES(?1, ?2, ?3, ?4)");
  if (!stmt) {
    error = db_->conn.error();
    return Change::failed;
  }
  stmt.bind(1, username);
  stmt.bind(2, *hash);
  stmt.bind(3, nickname);
  stmt.bind(4, now_ms());
  int rc = stmt.step();
  if (rc == SQLITE_DONE) return Change::done;
  if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) return Change::exists;
  error = db_->conn.error();
  return Change::failed;
}

UserStore::Change UserStore::remove(const std::string& username, std::string& error) {
  std::lock_guard lock(mutex_);
  auto stmt = db_->conn.prepare("DELETE FROM users WHERE username = ?1");
  if (!stmt) {
    error = db_->conn.error();
    return Change::failed;
  }
  stmt.bind(1, username);
  if (stmt.step() != SQLITE_DONE) {
    error = db_->conn.error();
    return Change::failed;
  }
  return db_->conn.changes() ? Change::done : Change::unknown;
}

std::vector<User> UserStore::list() {
  std::vector<User> out;
  std::lock_guard lock(mutex_);
  auto stmt =
      db_->conn.prepare("SELECT username, nickname, created_ms FROM users ORDER BY username");
  if (!stmt) {
    spdlog::error("users: {}", db_->conn.error());
    return out;
  }
  while (stmt.step() == SQLITE_ROW)
    out.push_back(User{std::string(stmt.column_text(0)), std::string(stmt.column_text(1)),
                       stmt.column_int(2)});
  return out;
}

UserStore::Check UserStore::check(const std::string& username, std::string_view password,
                                  User& user) {
  std::string hash;
  {
    std::lock_guard lock(mutex_);
    auto stmt = db_->conn.prepare(
        "SELECT password_hash, nickname, created_ms FROM users WHERE username = ?1");
    if (!stmt) {
      spdlog::error("users: {}", db_->conn.error());
      return Check::failed;
    }
    stmt.bind(1, username);
    int rc = stmt.step();
    if (rc == SQLITE_DONE) return Check::unknown_user;
    if (rc != SQLITE_ROW) {
      spdlog::error("users: {}", db_->conn.error());
      return Check::failed;
    }
    hash = stmt.column_text(0);
    user = User{username, std::string(stmt.column_text(1)), stmt.column_int(2)};
  }
  return verify_password(hash, password) ? Check::ok : Check::wrong_password;
}

}  // namespace parley::auth
