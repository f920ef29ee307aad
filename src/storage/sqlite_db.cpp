#include "storage/sqlite_db.hpp"

#include <sqlite3.h>

#include <stdexcept>
#include <system_error>

namespace parley::storage::sqlite {

namespace {
constexpr int kBusyTimeoutMs = 5000;
}

Statement::Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}

void Statement::Finalize::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

void Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_.get(), index, value);
}

void Statement::bind(int index, std::string_view text) {
  // A non-null pointer even for "", so that an empty string is stored as '' and not NULL.
  sqlite3_bind_text64(stmt_.get(), index, text.empty() ? "" : text.data(), text.size(),
                      SQLITE_STATIC, SQLITE_UTF8);
}

void Statement::bind_null(int index) { sqlite3_bind_null(stmt_.get(), index); }

int Statement::step() { return sqlite3_step(stmt_.get()); }

void Statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

std::int64_t Statement::column_int(int index) const {
  return sqlite3_column_int64(stmt_.get(), index);
}

std::string_view Statement::column_text(int index) const {
  auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_.get(), index));
  if (!text) return {};
  return {text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_.get(), index))};
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_.get(), index) == SQLITE_NULL;
}

void Db::Close::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

Db Db::open(const std::filesystem::path& file, bool create) {
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (create) flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
  Db db(raw);  // a handle is returned even on failure, and must be closed
  if (rc != SQLITE_OK) {
    std::string reason = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    throw std::runtime_error("sqlite: cannot open " + file.string() + ": " + reason);
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  return db;
}

void Db::busy_timeout(std::chrono::milliseconds timeout) {
  sqlite3_busy_timeout(db_.get(), static_cast<int>(timeout.count()));
}

Db Db::open_wal(const std::filesystem::path& file) {
  if (file.empty()) throw std::runtime_error("sqlite: no database file given");
  if (auto parent = file.parent_path(); !parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec)
      throw std::runtime_error("sqlite: cannot create directory " + parent.string() + ": " +
                               ec.message());
  }
  Db db = open(file, /*create=*/true);
  const std::string where = " (" + file.string() + ")";
  if (std::string mode = db.query_text("PRAGMA journal_mode=WAL"); mode != "wal")
    throw std::runtime_error("sqlite: cannot enable WAL mode" + where + ": " +
                             (mode.empty() ? db.error() : "journal mode is " + mode));
  db.exec_or_throw("PRAGMA synchronous=NORMAL", "cannot set synchronous=NORMAL" + where);
  return db;
}

int Db::exec(const char* sql) { return sqlite3_exec(db_.get(), sql, nullptr, nullptr, nullptr); }

void Db::exec_or_throw(const char* sql, std::string_view what) {
  if (exec(sql) != SQLITE_OK)
    throw std::runtime_error("sqlite: " + std::string(what) + ": " + error());
}

std::string Db::query_text(const char* sql) {
  Statement stmt = prepare(sql);
  if (!stmt || stmt.step() != SQLITE_ROW) return {};
  return std::string(stmt.column_text(0));
}

Statement Db::prepare(const char* sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
      SQLITE_OK) {
    sqlite3_finalize(stmt);
    return {};
  }
  return Statement(stmt);
}

Statement Db::prepare_or_throw(const char* sql) {
  Statement stmt = prepare(sql);
  if (!stmt)
    throw std::runtime_error("sqlite: cannot prepare \"" + std::string(sql) + "\": " + error());
  return stmt;
}

std::string Db::error() const { return sqlite3_errmsg(db_.get()); }

std::int64_t Db::changes() const { return sqlite3_changes64(db_.get()); }

bool Db::in_transaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }

}  // namespace parley::storage::sqlite
