#include "storage/sqlite_state_store.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <stdexcept>

#include "storage/sqlite_db.hpp"

namespace parley::storage {

namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value TEXT NOT NULL)";
constexpr const char* kUpsert =
    "INSERT INTO state(key, value) VALUES(?1, ?2) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value";
constexpr const char* kDelete = "DELETE FROM state WHERE key = ?1";
constexpr const char* kAll = "SELECT key, value FROM state ORDER BY key";

sqlite::Db open_db(const std::filesystem::path& file) {
  auto db = sqlite::Db::open_wal(file);
  db.exec_or_throw(kSchema, "cannot create the state schema (" + file.string() + ")");
  return db;
}

}  // namespace

struct SqliteStateStore::Writer {
  explicit Writer(sqlite::Db connection)
      : db(std::move(connection)),
        upsert(db.prepare_or_throw(kUpsert)),
        erase(db.prepare_or_throw(kDelete)) {}
  sqlite::Db db;  // declared first: destroyed after the statements
  sqlite::Statement upsert;
  sqlite::Statement erase;
};

SqliteStateStore::SqliteStateStore(std::filesystem::path db_file, std::chrono::milliseconds gather)
    : db_file_(std::move(db_file)), gather_(gather) {
  writer_ = std::make_unique<Writer>(open_db(db_file_));
  thread_ = std::thread([this] { run(); });
}

SqliteStateStore::~SqliteStateStore() { close(); }

std::vector<std::pair<std::string, std::string>> SqliteStateStore::load() {
  auto db = sqlite::Db::open(db_file_, /*create=*/false);
  auto all = db.prepare_or_throw(kAll);
  std::vector<std::pair<std::string, std::string>> out;
  int rc;
  while ((rc = all.step()) == SQLITE_ROW)
    out.emplace_back(std::string(all.column_text(0)), std::string(all.column_text(1)));
  if (rc != SQLITE_DONE)
    throw std::runtime_error("sqlite: cannot read " + db_file_.string() + ": " + db.error());
  return out;
}

void SqliteStateStore::change(std::string key, std::optional<std::string> value) {
  std::lock_guard lock(mutex_);
  if (stopping_) {
    spdlog::warn("sqlite: record '{}' changed after {} closed; not written", key,
                 db_file_.string());
    return;
  }
  pending_[std::move(key)] = std::move(value);
  wake_.notify_one();
}

void SqliteStateStore::put(std::string key, std::string value) {
  change(std::move(key), std::move(value));
}

void SqliteStateStore::erase(std::string key) { change(std::move(key), std::nullopt); }

void SqliteStateStore::flush() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return (pending_.empty() && !writing_) || finished_; });
}

void SqliteStateStore::close() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void SqliteStateStore::run() {
  for (;;) {
    std::map<std::string, std::optional<std::string>> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) {  // stopping, and everything written
        finished_ = true;
        idle_.notify_all();
        return;
      }
      if (!stopping_ && gather_.count() > 0)
        wake_.wait_for(lock, gather_, [this] { return stopping_; });
      batch.swap(pending_);
      writing_ = true;
    }
    write(batch);
    std::lock_guard lock(mutex_);
    writing_ = false;
    idle_.notify_all();
  }
}

void SqliteStateStore::write(const std::map<std::string, std::optional<std::string>>& batch) {
  Writer& w = *writer_;
  auto fail = [&](std::string_view what) {
    spdlog::error("sqlite: writing {} records to {} failed: {}: {}", batch.size(),
                  db_file_.string(), what, w.db.error());
    w.upsert.reset();
    w.erase.reset();
    if (w.db.in_transaction()) w.db.exec("ROLLBACK");
  };
  if (w.db.exec("BEGIN") != SQLITE_OK) return fail("BEGIN");
  for (const auto& [key, value] : batch) {
    sqlite::Statement& stmt = value ? w.upsert : w.erase;
    stmt.bind(1, key);
    if (value) stmt.bind(2, *value);
    if (stmt.step() != SQLITE_DONE) return fail(value ? "upsert" : "delete");
    stmt.reset();
  }
  if (w.db.exec("COMMIT") != SQLITE_OK) return fail("COMMIT");
  spdlog::debug("sqlite: {} records written to {}", batch.size(), db_file_.string());
}

}  // namespace parley::storage
