#include "storage/sqlite_topic_store.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <stdexcept>

#include "storage/sqlite_db.hpp"

namespace parley::storage {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS topics(
  name TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  value TEXT NOT NULL,     -- JSON
  version TEXT NOT NULL,   -- string topics: the current version
  revision INTEGER NOT NULL,
  history TEXT NOT NULL);  -- string topics: recent edits, JSON; '' otherwise
)sql";

constexpr const char* kUpsert =
    "INSERT INTO topics(name, type, value, version, revision, history) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(name) DO UPDATE SET type = excluded.type, "
    "value = excluded.value, version = excluded.version, revision = excluded.revision, "
    "history = excluded.history";
constexpr const char* kDelete = "DELETE FROM topics WHERE name = ?1";
constexpr const char* kAll = "SELECT name, type, value, version, revision, history FROM topics";

sqlite::Db open_db(const std::filesystem::path& file) {
  auto db = sqlite::Db::open_wal(file);
  db.exec_or_throw(kSchema, "cannot create the topics schema (" + file.string() + ")");
  return db;
}

}  // namespace

struct SqliteTopicStore::Writer {
  explicit Writer(sqlite::Db connection)
      : db(std::move(connection)),
        upsert(db.prepare_or_throw(kUpsert)),
        erase(db.prepare_or_throw(kDelete)) {}
  sqlite::Db db;  // declared first: destroyed after the statements
  sqlite::Statement upsert;
  sqlite::Statement erase;
};

SqliteTopicStore::SqliteTopicStore(std::filesystem::path db_file, std::chrono::milliseconds gather)
    : db_file_(std::move(db_file)), gather_(gather) {
  writer_ = std::make_unique<Writer>(open_db(db_file_));
}

SqliteTopicStore::~SqliteTopicStore() { close(); }

std::vector<topics::TopicRecord> SqliteTopicStore::load() {
  auto db = sqlite::Db::open(db_file_, /*create=*/false);
  auto all = db.prepare_or_throw(kAll);
  std::vector<topics::TopicRecord> out;
  int rc;
  while ((rc = all.step()) == SQLITE_ROW) {
    topics::TopicRecord r;
    r.name = all.column_text(0);
    r.type = all.column_text(1);
    r.value = all.column_text(2);
    r.version = all.column_text(3);
    r.revision = static_cast<std::uint64_t>(all.column_int(4));
    r.history = all.column_text(5);
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE)
    throw std::runtime_error("sqlite: cannot read topics from " + db_file_.string() + ": " +
                             db.error());
  return out;
}

void SqliteTopicStore::start(Snapshot snapshot) {
  std::lock_guard lock(mutex_);
  if (started_ || stopping_) return;
  snapshot_ = std::move(snapshot);
  started_ = true;
  thread_ = std::thread([this] { run(); });
}

void SqliteTopicStore::dirty(const std::string& topic) {
  std::lock_guard lock(mutex_);
  if (stopping_) {
    spdlog::warn("sqlite: topic '{}' changed after the topic store closed; not written", topic);
    return;
  }
  if (dirty_.insert(topic).second) wake_.notify_one();
}

void SqliteTopicStore::flush() {
  std::unique_lock lock(mutex_);
  if (!started_) return;
  idle_.wait(lock, [this] { return (dirty_.empty() && !writing_) || finished_; });
}

void SqliteTopicStore::close() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

void SqliteTopicStore::run() {
  for (;;) {
    std::vector<std::string> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !dirty_.empty(); });
      if (dirty_.empty()) {  // stopping, and everything written
        finished_ = true;
        idle_.notify_all();
        return;
      }
      if (!stopping_ && gather_.count() > 0)
        wake_.wait_for(lock, gather_, [this] { return stopping_; });
      batch.assign(dirty_.begin(), dirty_.end());
      dirty_.clear();
      writing_ = true;
    }
    write(batch);
    std::lock_guard lock(mutex_);
    writing_ = false;
    idle_.notify_all();
  }
}

bool SqliteTopicStore::write(const std::vector<std::string>& topics) {
  Writer& w = *writer_;
  auto fail = [&](std::string_view what) {
    spdlog::error("sqlite: writing {} topics failed: {}: {}", topics.size(), what, w.db.error());
    w.upsert.reset();
    w.erase.reset();
    if (w.db.in_transaction()) w.db.exec("ROLLBACK");
    return false;
  };
  if (w.db.exec("BEGIN") != SQLITE_OK) return fail("BEGIN");
  for (const auto& name : topics) {
    std::optional<topics::TopicRecord> r = snapshot_(name);
    if (!r) {
      w.erase.bind(1, name);
      if (w.erase.step() != SQLITE_DONE) return fail("delete");
      w.erase.reset();
      continue;
    }
    w.upsert.bind(1, r->name);
    w.upsert.bind(2, r->type);
    w.upsert.bind(3, r->value);
    w.upsert.bind(4, r->version);
    w.upsert.bind(5, static_cast<std::int64_t>(r->revision));
    w.upsert.bind(6, r->history);
    if (w.upsert.step() != SQLITE_DONE) return fail("upsert");
    w.upsert.reset();
  }
  if (w.db.exec("COMMIT") != SQLITE_OK) return fail("COMMIT");
  spdlog::debug("sqlite: {} topics written", topics.size());
  return true;
}

}  // namespace parley::storage
