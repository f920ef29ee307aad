#include "storage/sqlite_store.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdlib>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "core/message_bytes.hpp"
#include "core/stats.hpp"
#include "storage/sqlite_db.hpp"

namespace parley::storage {

namespace {

constexpr int kSchemaVersion = 2;

constexpr const char* kTables = R"sql(
CREATE TABLE IF NOT EXISTS messages(
  seq INTEGER PRIMARY KEY,
  channel TEXT NOT NULL,
  offset INTEGER NOT NULL,
  time_ms INTEGER NOT NULL,
  id TEXT NOT NULL,
  author_id TEXT,
  author_name TEXT,
  body TEXT,
  payload TEXT,  -- JSON object; NULL when empty
  dialect TEXT);
CREATE TABLE IF NOT EXISTS channels(
  name TEXT PRIMARY KEY,
  last_offset INTEGER NOT NULL);  -- highest offset ever stored, kept when retention deletes
)sql";

// Version 1 had a plain index on (channel, offset), and a start-up whose load failed restarted
// offsets at 1, so a file may hold several rows with one (channel, offset). The first written
// (lowest seq) stays; the others move to messages_duplicates.
constexpr const char* kCountDuplicates =
    "SELECT count(*) FROM messages m WHERE EXISTS (SELECT 1 FROM messages o "
    "WHERE o.channel = m.channel AND o.offset = m.offset AND o.seq < m.seq)";
constexpr const char* kMoveDuplicates = R"sql(
CREATE TABLE IF NOT EXISTS messages_duplicates AS SELECT * FROM messages WHERE 0;
INSERT INTO messages_duplicates SELECT * FROM messages m WHERE EXISTS (SELECT 1 FROM messages o
  WHERE o.channel = m.channel AND o.offset = m.offset AND o.seq < m.seq);
DELETE FROM messages WHERE seq IN (SELECT seq FROM messages_duplicates);
)sql";
constexpr const char* kVersion2 = R"sql(
DROP INDEX IF EXISTS messages_channel_offset;
CREATE UNIQUE INDEX IF NOT EXISTS messages_channel_offset_unique ON messages(channel, offset);
PRAGMA user_version = 2;  -- kSchemaVersion
)sql";

constexpr const char* kInsertMessage =
    "INSERT INTO messages(channel, offset, time_ms, id, author_id, author_name, body, payload, "
    "dialect) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
constexpr const char* kUpsertChannel =
    "INSERT INTO channels(name, last_offset) VALUES(?1, ?2) "
    "ON CONFLICT(name) DO UPDATE SET last_offset = max(last_offset, excluded.last_offset)";
constexpr const char* kChannels = "SELECT name, last_offset FROM channels";
constexpr const char* kDeleteOlder = "DELETE FROM messages WHERE channel = ?1 AND time_ms < ?2";
// Keeps the ?2 + 1 newest offsets of the channel (offsets are unique within a channel).
constexpr const char* kDeleteBeyondCount =
    "DELETE FROM messages WHERE channel = ?1 AND offset < "
    "(SELECT offset FROM messages WHERE channel = ?1 ORDER BY offset DESC LIMIT 1 OFFSET ?2)";
constexpr const char* kNewest =
    "SELECT offset, time_ms, id, author_id, author_name, body, payload, dialect, seq FROM messages "
    "WHERE channel = ?1 ORDER BY offset DESC LIMIT ?2";
constexpr const char* kLastOffset = "SELECT last_offset FROM channels WHERE name = ?1";
constexpr const char* kNewestOfAll =
    "SELECT offset, time_ms, id, author_id, author_name, body, payload, dialect, seq, channel "
    "FROM messages ORDER BY seq DESC LIMIT ?1";
constexpr const char* kChannelCount = "SELECT count(*) FROM channels";

// A reload on an I/O thread waits this long at most for a lock (WAL readers seldom wait at
// all: only while a connection recovers the WAL index).
constexpr std::chrono::milliseconds kReaderBusyTimeout{250};
// Reader connections kept open between reloads; more at once are opened and closed.
constexpr std::size_t kMaxIdleReaders = 8;
// A reader's page cache, in KiB (SQLite's default is 2 MiB per connection).
constexpr const char* kReaderCacheSize = "PRAGMA cache_size = -512";

// Creates the tables, and brings a file of an older version to kSchemaVersion in one
// transaction. Throws std::runtime_error.
void migrate(sqlite::Db& db, int version, const std::string& where) {
  db.exec_or_throw("BEGIN IMMEDIATE", "cannot start the schema transaction" + where);
  try {
    db.exec_or_throw(kTables, "cannot create the schema" + where);
    if (version < 2) {
      std::string duplicates = db.query_text(kCountDuplicates);
      if (duplicates.empty())
        throw std::runtime_error("sqlite: cannot read messages" + where + ": " + db.error());
      if (duplicates != "0") {
        db.exec_or_throw(kMoveDuplicates, "cannot move duplicate messages" + where);
        spdlog::warn(
            "sqlite: {} message(s) repeated an earlier message's channel and offset; moved to "
            "table messages_duplicates{}",
            duplicates, where);
      }
      db.exec_or_throw(kVersion2, "cannot make (channel, offset) unique" + where);
      if (version > 0) spdlog::info("sqlite: schema version {} -> 2{}", version, where);
    }
    db.exec_or_throw("COMMIT", "cannot commit the schema" + where);
  } catch (...) {
    db.exec("ROLLBACK");
    throw;
  }
}

std::int64_t clamp_to_int64(std::uint64_t n) {
  constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(std::min(n, max));
}

boost::json::object parse_payload(std::string_view text, const std::string& channel,
                                  std::uint64_t offset) {
  if (text.empty()) return {};
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(text, ec);
  if (ec || !value.is_object()) {
    spdlog::warn("sqlite: message {}#{} has a payload that is not a JSON object; ignored", channel,
                 offset);
    return {};
  }
  return std::move(value.as_object());
}

// The message of a row of kNewest (columns 0-8), channel given.
core::MessagePtr read_message(const sqlite::Statement& row, const std::string& channel) {
  auto m = std::make_shared<core::Message>();
  m->channel = channel;
  m->offset = static_cast<std::uint64_t>(row.column_int(0));
  m->time_ms = row.column_int(1);
  m->id = row.column_text(2);
  m->author_id = row.column_text(3);
  m->author_name = row.column_text(4);
  m->text = row.column_text(5);
  m->payload = parse_payload(row.column_text(6), channel, m->offset);
  m->dialect = row.column_text(7);
  m->seq = static_cast<std::uint64_t>(row.column_int(8));
  return m;
}

}  // namespace

struct SqliteStore::Reader {
  explicit Reader(sqlite::Db connection)
      : db(std::move(connection)),
        last_offset(db.prepare_or_throw(kLastOffset)),
        newest(db.prepare_or_throw(kNewest)) {}

  // Logs the failure, resets the statements and ends the read transaction. Returns nullopt.
  std::nullopt_t fail(const std::string& what) {
    spdlog::error("sqlite: {} failed: {}", what, db.error());
    last_offset.reset();
    newest.reset();
    if (db.in_transaction()) db.exec("ROLLBACK");
    return std::nullopt;
  }

  sqlite::Db db;  // declared first: destroyed after the statements
  sqlite::Statement last_offset;
  sqlite::Statement newest;
};

struct SqliteStore::Writer {
  explicit Writer(sqlite::Db connection)
      : db(std::move(connection)),
        insert_message(db.prepare_or_throw(kInsertMessage)),
        upsert_channel(db.prepare_or_throw(kUpsertChannel)),
        channels(db.prepare_or_throw(kChannels)),
        delete_older(db.prepare_or_throw(kDeleteOlder)),
        delete_beyond_count(db.prepare_or_throw(kDeleteBeyondCount)) {}

  // Logs the failure, resets the statements and rolls back. Returns false.
  bool fail(std::string_view what, std::string_view reason) {
    spdlog::error("sqlite: {} failed: {}", what, reason);
    for (auto* stmt :
         {&insert_message, &upsert_channel, &channels, &delete_older, &delete_beyond_count})
      stmt->reset();
    if (db.in_transaction() && db.exec("ROLLBACK") != SQLITE_OK)
      spdlog::error("sqlite: rollback failed: {}", db.error());
    return false;
  }
  bool fail(std::string_view what) { return fail(what, db.error()); }

  sqlite::Db db;  // declared first: destroyed after the statements
  sqlite::Statement insert_message;
  sqlite::Statement upsert_channel;
  sqlite::Statement channels;
  sqlite::Statement delete_older;
  sqlite::Statement delete_beyond_count;
};

SqliteStore::SqliteStore(std::filesystem::path db_file, SqliteStoreOptions options)
    : db_file_(std::move(db_file)), options_(std::move(options)) {
  auto db = sqlite::Db::open_wal(db_file_);
  const std::string where = " (" + db_file_.string() + ")";
  std::string version = db.query_text("PRAGMA user_version");
  if (version.empty() || std::atoi(version.c_str()) > kSchemaVersion)
    throw std::runtime_error("sqlite: unknown schema version " + version + where);
  migrate(db, std::atoi(version.c_str()), where);
  writer_ = std::make_unique<Writer>(std::move(db));
  thread_ = std::thread([this] { run(); });
}

SqliteStore::~SqliteStore() { close(); }

void SqliteStore::append(core::MessagePtr message, Done done) {
  std::size_t bytes = message ? core::message_bytes(*message) : 0;
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      queue_.push_back(Entry{std::move(message), std::move(done), bytes});
      queued_bytes_.store(queued_bytes_.load(std::memory_order_relaxed) + bytes,
                          std::memory_order_relaxed);
      wake_.notify_one();
      return;
    }
  }
  if (message)
    spdlog::error("sqlite: store closed; message {}#{} dropped", message->channel, message->offset);
}

void SqliteStore::apply_retention(const core::Retention& retention) {
  std::lock_guard lock(mutex_);
  if (stopping_) return;
  retention_ = retention;
  retention_ahead_ = queue_.size();
  wake_.notify_one();
}

void SqliteStore::close() {
  std::lock_guard close_lock(close_mutex_);
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    waiters_.clear();  // they may refer to what is gone by now (I/O threads)
  }
  wake_.notify_one();
  if (thread_.get_id() == std::this_thread::get_id()) {
    // From a done callback: the thread stops once the queue is drained; the destructor joins.
    spdlog::error("sqlite: close() called on the writer thread; not waiting for it");
    return;
  }
  thread_.join();
  writer_.reset();  // the last connection closes: the WAL is checkpointed
}

std::size_t SqliteStore::pending() const {
  std::lock_guard lock(mutex_);
  return queue_.size() + in_flight_;
}

std::size_t SqliteStore::queued_bytes() const {
  return queued_bytes_.load(std::memory_order_relaxed);
}

bool SqliteStore::has_room() const {
  return options_.max_pending_bytes == 0 ||
         queued_bytes_.load(std::memory_order_relaxed) < options_.max_pending_bytes;
}

void SqliteStore::when_room(std::function<void()> fn) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;  // dropped, as close() drops the waiters
    if (!has_room()) {
      waiters_.push_back(std::move(fn));
      return;
    }
  }
  fn();
}

std::vector<std::function<void()>> SqliteStore::take_waiters_with_room() {
  if (waiters_.empty() || !has_room()) return {};
  return std::exchange(waiters_, {});
}

std::int64_t SqliteStore::now() const {
  if (options_.now_ms) return options_.now_ms();
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void SqliteStore::run() {
  std::vector<Entry> batch;
  batch.reserve(std::max<std::size_t>(1, options_.max_batch));
  std::optional<core::Retention> retention;
  std::vector<std::function<void()>> waiters;
  while (take(batch, retention)) {
    {
      std::lock_guard lock(mutex_);
      waiters = take_waiters_with_room();
    }
    for (auto& fn : waiters) fn();  // the queue has room: the next batch fills meanwhile
    waiters.clear();
    if (retention) retain(*retention);
    if (batch.empty()) continue;
    core::stats::store_batch_messages.observe(static_cast<std::uint64_t>(batch.size()));
    auto started = std::chrono::steady_clock::now();
    const bool ok = write_batch(batch);
    core::stats::store_commit_seconds.observe(std::chrono::steady_clock::now() - started);
    for (Entry& entry : batch) {
      if (!entry.done) continue;
      try {
        entry.done(ok && entry.message);
      } catch (const std::exception& e) {
        spdlog::error("sqlite: a done callback threw: {}", e.what());
      } catch (...) {
        spdlog::error("sqlite: a done callback threw");
      }
    }
    batch.clear();
    std::lock_guard lock(mutex_);
    in_flight_ = 0;
  }
}

bool SqliteStore::take(std::vector<Entry>& batch, std::optional<core::Retention>& retention) {
  retention.reset();
  std::unique_lock lock(mutex_);
  wake_.wait(lock, [this] { return stopping_ || !queue_.empty() || retention_; });
  if (queue_.empty() && !retention_) return false;  // stopping, and everything is written
  std::size_t n = std::min(queue_.size(), std::max<std::size_t>(1, options_.max_batch));
  if (retention_ && retention_ahead_ == 0) {
    retention.swap(retention_);  // runs before this batch
  } else if (retention_) {
    n = std::min(n, retention_ahead_);  // the retention runs right after this batch
    retention_ahead_ -= n;
  }
  auto end = queue_.begin() + static_cast<std::ptrdiff_t>(n);
  std::size_t bytes = 0;
  for (auto it = queue_.begin(); it != end; ++it) bytes += it->bytes;
  queued_bytes_.store(queued_bytes_.load(std::memory_order_relaxed) - bytes,
                      std::memory_order_relaxed);
  batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
  queue_.erase(queue_.begin(), end);
  in_flight_ = batch.size();
  return true;
}

bool SqliteStore::write_batch(const std::vector<Entry>& batch) {
  Writer& w = *writer_;
  const std::string what = "writing " + std::to_string(batch.size()) + " message(s)";
  try {
    if (w.db.exec("BEGIN IMMEDIATE") != SQLITE_OK) return w.fail(what);
    std::map<std::string_view, std::uint64_t> last_offsets;  // views into the batch's messages
    std::string payload;
    auto& insert = w.insert_message;
    for (const Entry& entry : batch) {
      if (!entry.message) continue;  // its done gets false
      const core::Message& m = *entry.message;
      insert.bind(1, m.channel);
      insert.bind(2, clamp_to_int64(m.offset));
      insert.bind(3, m.time_ms);
      insert.bind(4, m.id);
      insert.bind(5, m.author_id);
      insert.bind(6, m.author_name);
      insert.bind(7, m.text);
      if (m.payload.empty()) {
        insert.bind_null(8);
      } else {
        payload = boost::json::serialize(m.payload);  // bound until the reset below
        insert.bind(8, payload);
      }
      insert.bind(9, m.dialect);
      if (insert.step() != SQLITE_DONE) return w.fail(what);
      insert.reset();
      auto& last = last_offsets[m.channel];
      last = std::max(last, m.offset);
    }
    auto& upsert = w.upsert_channel;
    for (const auto& [channel, offset] : last_offsets) {
      upsert.bind(1, channel);
      upsert.bind(2, clamp_to_int64(offset));
      if (upsert.step() != SQLITE_DONE) return w.fail(what);
      upsert.reset();
    }
    if (w.db.exec("COMMIT") != SQLITE_OK) return w.fail(what);
    return true;
  } catch (const std::exception& e) {
    return w.fail(what, e.what());
  }
}

void SqliteStore::retain(const core::Retention& retention) {
  Writer& w = *writer_;
  const std::int64_t now_ms = now();
  const char* what = "retention";
  try {
    if (w.db.exec("BEGIN IMMEDIATE") != SQLITE_OK) return (void)w.fail(what);
    std::vector<std::string> channels;
    int rc;
    while ((rc = w.channels.step()) == SQLITE_ROW) channels.emplace_back(w.channels.column_text(0));
    if (rc != SQLITE_DONE) return (void)w.fail(what);
    w.channels.reset();

    std::int64_t by_age = 0, by_count = 0;
    for (const std::string& channel : channels) {
      const core::RetentionPolicy& policy = retention.for_channel(channel);
      if (policy.max_age.count() > 0) {
        auto max_age_ms = std::chrono::duration_cast<std::chrono::milliseconds>(policy.max_age);
        auto& del = w.delete_older;
        del.bind(1, channel);
        del.bind(2, now_ms - max_age_ms.count());
        if (del.step() != SQLITE_DONE) return (void)w.fail(what);
        by_age += w.db.changes();
        del.reset();
      }
      if (policy.max_count > 0) {
        auto& del = w.delete_beyond_count;
        del.bind(1, channel);
        del.bind(2, clamp_to_int64(policy.max_count - 1));
        if (del.step() != SQLITE_DONE) return (void)w.fail(what);
        by_count += w.db.changes();
        del.reset();
      }
    }
    if (w.db.exec("COMMIT") != SQLITE_OK) return (void)w.fail(what);
    spdlog::debug("sqlite: retention deleted {} message(s) by age and {} by count in {} channel(s)",
                  by_age, by_count, channels.size());
  } catch (const std::exception& e) {
    w.fail(what, e.what());
  }
}

std::map<std::string, core::ChannelHistory> SqliteStore::load(std::size_t max_per_channel) {
  std::map<std::string, core::ChannelHistory> out;
  // A connection of load's own, in one read transaction: a consistent snapshot, whatever the
  // writer does meanwhile.
  auto db = sqlite::Db::open(db_file_, /*create=*/false);
  auto fail = [&] {
    throw std::runtime_error("sqlite: cannot read " + db_file_.string() + ": " + db.error());
  };
  auto channels = db.prepare(kChannels);
  auto newest = db.prepare(kNewest);
  if (!channels || !newest || db.exec("BEGIN") != SQLITE_OK) fail();
  int rc;
  while ((rc = channels.step()) == SQLITE_ROW)
    out[std::string(channels.column_text(0))].last_offset =
        static_cast<std::uint64_t>(channels.column_int(1));
  if (rc != SQLITE_DONE) fail();

  const std::int64_t limit = clamp_to_int64(max_per_channel);
  for (auto& [name, history] : out) {
    newest.bind(1, name);
    newest.bind(2, limit);
    while ((rc = newest.step()) == SQLITE_ROW)
      history.messages.push_back(read_message(newest, name));
    if (rc != SQLITE_DONE) fail();
    newest.reset();
    std::reverse(history.messages.begin(), history.messages.end());  // oldest first
  }
  if (db.exec("COMMIT") != SQLITE_OK) fail();
  return out;
}

std::unique_ptr<SqliteStore::Reader> SqliteStore::take_reader() {
  {
    std::lock_guard lock(readers_mutex_);
    if (!readers_.empty()) {
      auto reader = std::move(readers_.back());
      readers_.pop_back();
      return reader;
    }
  }
  try {
    auto db = sqlite::Db::open(db_file_, /*create=*/false);
    db.busy_timeout(kReaderBusyTimeout);
    db.exec(kReaderCacheSize);
    return std::make_unique<Reader>(std::move(db));
  } catch (const std::exception& e) {
    spdlog::error("sqlite: cannot open a reader on {}: {}", db_file_.string(), e.what());
    return nullptr;
  }
}

void SqliteStore::give_reader(std::unique_ptr<Reader> reader) {
  std::lock_guard lock(readers_mutex_);
  if (readers_.size() < kMaxIdleReaders) readers_.push_back(std::move(reader));
}

std::optional<core::ChannelHistory> SqliteStore::load_channel(const std::string& channel,
                                                              std::size_t max_messages,
                                                              std::size_t max_bytes) {
  auto reader = take_reader();
  if (!reader) return std::nullopt;
  Reader& r = *reader;
  const std::string what = "loading channel " + channel;
  core::ChannelHistory history;
  // One read transaction: the last offset and the messages of the same snapshot.
  if (r.db.exec("BEGIN") != SQLITE_OK) return r.fail(what);
  r.last_offset.bind(1, channel);
  int rc = r.last_offset.step();
  if (rc == SQLITE_ROW)
    history.last_offset = static_cast<std::uint64_t>(r.last_offset.column_int(0));
  else if (rc != SQLITE_DONE)
    return r.fail(what);
  r.last_offset.reset();
  if (history.last_offset > 0 && max_messages > 0) {  // never written: no message either
    r.newest.bind(1, channel);
    r.newest.bind(2, clamp_to_int64(max_messages));
    std::size_t bytes = 0;
    while (bytes < max_bytes && (rc = r.newest.step()) == SQLITE_ROW) {
      history.messages.push_back(read_message(r.newest, channel));
      bytes += core::message_bytes(*history.messages.back());
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return r.fail(what);
    r.newest.reset();
    std::reverse(history.messages.begin(), history.messages.end());  // oldest first
  }
  r.db.exec("COMMIT");
  give_reader(std::move(reader));
  return history;
}

std::optional<std::uint64_t> SqliteStore::last_offset(const std::string& channel) {
  auto reader = take_reader();
  if (!reader) return std::nullopt;
  Reader& r = *reader;
  r.last_offset.bind(1, channel);
  std::uint64_t last = 0;
  int rc = r.last_offset.step();
  if (rc == SQLITE_ROW)
    last = static_cast<std::uint64_t>(r.last_offset.column_int(0));
  else if (rc != SQLITE_DONE)
    return r.fail("reading the last offset of " + channel);
  r.last_offset.reset();
  give_reader(std::move(reader));
  return last;
}

std::optional<std::vector<core::MessagePtr>> SqliteStore::load_recent(std::size_t limit) {
  std::vector<core::MessagePtr> out;
  try {
    auto db = sqlite::Db::open(db_file_, /*create=*/false);
    auto newest = db.prepare(kNewestOfAll);
    if (!newest) throw std::runtime_error(db.error());
    newest.bind(1, clamp_to_int64(limit));
    int rc;
    while ((rc = newest.step()) == SQLITE_ROW)
      out.push_back(read_message(newest, std::string(newest.column_text(9))));
    if (rc != SQLITE_DONE) throw std::runtime_error(db.error());
  } catch (const std::exception& e) {
    spdlog::error("sqlite: reading the newest messages of {} failed: {}", db_file_.string(),
                  e.what());
    return std::nullopt;
  }
  std::reverse(out.begin(), out.end());  // oldest first
  return out;
}

std::optional<std::size_t> SqliteStore::channel_count() {
  try {
    auto db = sqlite::Db::open(db_file_, /*create=*/false);
    auto count = db.prepare(kChannelCount);
    if (!count || count.step() != SQLITE_ROW) throw std::runtime_error(db.error());
    return static_cast<std::size_t>(count.column_int(0));
  } catch (const std::exception& e) {
    spdlog::error("sqlite: reading {} failed: {}", db_file_.string(), e.what());
    return std::nullopt;
  }
}

}  // namespace parley::storage
