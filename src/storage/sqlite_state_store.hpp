#pragma once
// Small keyed records on disk (core::StateStore): their own SQLite file (e.g. <data dir>/mqtt.db),
// WAL mode, synchronous=NORMAL, one table state(key TEXT PRIMARY KEY, value TEXT).
//
// Design: put() and erase() only record the key's latest value (or its removal) in a map, under a
// mutex, and wake the writer thread, which waits a short delay to gather more and writes the
// batch in one transaction. A key changed many times between two batches is written once; what
// is pending when close() is called is written before it returns.
//
// Errors: the constructor and load() throw std::runtime_error (start-up); a failed batch is
// logged and rolled back (its changes are lost, the next ones are tried).
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/state_store.hpp"

namespace parley::storage {

class SqliteStateStore final : public core::StateStore {
 public:
  // Opens or creates db_file (and its directory) with the schema and starts the writer.
  explicit SqliteStateStore(std::filesystem::path db_file,
                            std::chrono::milliseconds gather = std::chrono::milliseconds(20));
  // Calls close().
  ~SqliteStateStore() override;
  SqliteStateStore(const SqliteStateStore&) = delete;
  SqliteStateStore& operator=(const SqliteStateStore&) = delete;

  // Every record, by key. Throws std::runtime_error when the file cannot be read.
  std::vector<std::pair<std::string, std::string>> load();

  void put(std::string key, std::string value) override;
  void erase(std::string key) override;
  // Blocks until what is pending now is written (tests, shutdown).
  void flush();
  // Writes what is pending and stops the writer. Idempotent. Later changes are dropped (logged).
  void close();

  const std::filesystem::path& path() const { return db_file_; }

 private:
  struct Writer;
  void run();
  void write(const std::map<std::string, std::optional<std::string>>& batch);
  void change(std::string key, std::optional<std::string> value);

  const std::filesystem::path db_file_;
  const std::chrono::milliseconds gather_;
  std::unique_ptr<Writer> writer_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::map<std::string, std::optional<std::string>> pending_;  // nullopt: erase
  bool writing_ = false;
  bool stopping_ = false;
  bool finished_ = false;
  std::thread thread_;
};

}  // namespace parley::storage
