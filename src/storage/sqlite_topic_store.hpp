#pragma once
// Synchronized topics on disk: their own SQLite file (<data dir>/chatroom.db), WAL mode,
// synchronous=NORMAL, one row per topic (name, type, value as JSON, version, revision, string
// edit history as JSON).
//
// Design: dirty() only adds the topic's name to a set, under a mutex, and wakes the writer
// thread. The writer waits a short delay to gather more, takes the set, reads each topic's
// current state through the snapshot function (SyncHub::record, which takes that topic's lock
// briefly) and writes them all in one transaction. A topic changed a thousand times between two
// batches is written once; what was dirty when close() is called is written before it returns.
//
// Errors: the constructor and load() throw std::runtime_error (start-up); a failed batch is
// logged and rolled back, and its topics are written again with the next change.
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "topics/topic_store.hpp"

namespace parley::storage {

class SqliteTopicStore final : public topics::TopicStore {
 public:
  using Snapshot = std::function<std::optional<topics::TopicRecord>(const std::string& topic)>;

  // Opens or creates db_file (and its directory) with the schema. Throws std::runtime_error.
  explicit SqliteTopicStore(std::filesystem::path db_file,
                            std::chrono::milliseconds gather = std::chrono::milliseconds(20));
  // Calls close().
  ~SqliteTopicStore() override;

  SqliteTopicStore(const SqliteTopicStore&) = delete;
  SqliteTopicStore& operator=(const SqliteTopicStore&) = delete;

  // Every stored topic, by name. Throws std::runtime_error when the file cannot be read.
  std::vector<topics::TopicRecord> load();
  // Starts the writer thread, which reads dirty topics through snapshot (nullopt: the topic is
  // gone, its row is deleted). Call once.
  void start(Snapshot snapshot);

  void dirty(const std::string& topic) override;
  // Blocks until every topic dirty now is written (tests, shutdown).
  void flush();
  // Writes what is dirty and stops the writer. Idempotent; call from one thread (shutdown).
  // Later dirty() calls are dropped.
  void close();

  const std::filesystem::path& path() const { return db_file_; }

 private:
  struct Writer;
  void run();
  bool write(const std::vector<std::string>& topics);

  const std::filesystem::path db_file_;
  const std::chrono::milliseconds gather_;
  Snapshot snapshot_;
  std::unique_ptr<Writer> writer_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::unordered_set<std::string> dirty_;
  bool writing_ = false;
  bool stopping_ = false;
  bool started_ = false;
  bool finished_ = false;  // the writer has returned
  std::thread thread_;
};

}  // namespace parley::storage
