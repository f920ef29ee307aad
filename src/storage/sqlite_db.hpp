#pragma once
// Owning handles over the SQLite C API: a connection and its prepared statements. Only
// open() throws (start-up); everything else reports SQLite result codes, with the message in
// Db::error(). A Db and the Statements prepared on it are used by one thread at a time, and
// every Statement must be destroyed before its Db.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace parley::storage::sqlite {

class Statement {
 public:
  Statement() = default;
  explicit Statement(sqlite3_stmt* stmt);

  explicit operator bool() const { return stmt_ != nullptr; }

  // Parameters are numbered from 1. Bound text is not copied: it must stay alive and unchanged
  // until the statement is reset.
  void bind(int index, std::int64_t value);
  void bind(int index, std::string_view text);
  void bind_null(int index);

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step();
  // Makes the statement ready to run again and clears its bindings.
  void reset();

  // Columns are numbered from 0; NULL reads as 0 or "".
  std::int64_t column_int(int index) const;
  std::string_view column_text(int index) const;  // valid until the next step() or reset()
  bool column_is_null(int index) const;

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* stmt) const;
  };
  std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
};

class Db {
 public:
  // Opens file, creating it when create is true; sets a busy timeout. Throws
  // std::runtime_error naming the file and SQLite's reason.
  static Db open(const std::filesystem::path& file, bool create);
  // Opens file for a store's writer: creates the file and its directory when missing, puts the
  // journal in WAL mode and sets synchronous=NORMAL. Throws std::runtime_error naming the file
  // (an empty path included).
  static Db open_wal(const std::filesystem::path& file);

  // How long a statement waits for a lock held by another connection before SQLITE_BUSY
  // (open() sets 5 s).
  void busy_timeout(std::chrono::milliseconds timeout);

  // Runs one or more statements that return no rows. SQLite's result code.
  int exec(const char* sql);
  // exec() for start-up: throws std::runtime_error with `what` and SQLite's message on failure.
  void exec_or_throw(const char* sql, std::string_view what);
  // A statement that yields one text row, e.g. "PRAGMA journal_mode=WAL"; "" on failure.
  std::string query_text(const char* sql);

  // An empty Statement on failure (see error()).
  Statement prepare(const char* sql);
  // prepare() for start-up: throws std::runtime_error on failure.
  Statement prepare_or_throw(const char* sql);

  // The message of the latest failure on this connection.
  std::string error() const;
  // Rows changed by the latest INSERT, UPDATE or DELETE.
  std::int64_t changes() const;
  // True inside an explicit transaction (BEGIN without COMMIT or ROLLBACK yet).
  bool in_transaction() const;

 private:
  struct Close {
    void operator()(sqlite3* db) const;
  };
  explicit Db(sqlite3* db) : db_(db) {}
  std::unique_ptr<sqlite3, Close> db_;
};

}  // namespace parley::storage::sqlite
