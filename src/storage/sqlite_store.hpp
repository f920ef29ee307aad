#pragma once
// The embedded message store: one SQLite file in WAL mode with synchronous=NORMAL, so that a
// committed message survives a crash of the process (not necessarily a power loss).
//
// Design: append() and apply_retention() only queue, under a mutex, and wake the writer
// thread. The writer owns its connection and prepared statements; it takes what is queued (at
// most max_batch messages), writes it in one transaction (group commit), then calls each done
// in append order, on the writer thread, holding no lock. A retention request is ordered with
// the appends, in a transaction of its own: it sees every message appended before it, and every
// append made after it is called back after it ran. A newer request replaces one not yet run.
// load() and load_recent() open a connection of their own, so they can run on any thread, at
// any time. load_channel() and last_offset() (the broker's reloads, on I/O threads) take a
// reader connection from a small pool: each is a read transaction of indexed lookups (WAL:
// readers never wait for the writer), a busy timeout of kReaderBusyTimeout at most.
//
// Flow control: the queue (appended, not yet taken by the writer) is bounded by
// max_pending_bytes, counted with message_bytes(). has_room() is false at the bound, and the
// waiters of when_room() are called on the writer thread as soon as it took enough out of the
// queue (before it writes that batch, so the next one fills meanwhile).
//
// Schema: version 2 makes (channel, offset) unique. Opening a version 1 file migrates it: rows
// that repeat an earlier row's (channel, offset) move to table messages_duplicates (kept, not
// served), logged with their number.
//
// Errors: the constructor and load() throw std::runtime_error; the other reads log a failure and
// return nullopt; nothing else throws. A failed
// batch is logged and rolled back, and each of its done callbacks gets false.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/message_store.hpp"

namespace parley::storage {

struct SqliteStoreOptions {
  std::size_t max_batch = 1024;  // messages per transaction at most
  // has_room() is false while the queue holds this many bytes (message_bytes); 0: no bound.
  std::size_t max_pending_bytes = 0;
  std::function<std::int64_t()> now_ms;  // unix time in ms for retention; system clock if empty
};

class SqliteStore final : public core::MessageStore {
 public:
  // Opens or creates db_file (and its parent directory), creates the schema and starts the
  // writer thread. Throws std::runtime_error when any of that fails.
  explicit SqliteStore(std::filesystem::path db_file, SqliteStoreOptions options = {});
  // Calls close().
  ~SqliteStore() override;

  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  // After close(), the message is dropped with an error logged and done is never called: it
  // cannot run on the (stopped) writer thread, and the caller may hold a lock done takes.
  void append(core::MessagePtr message, Done done) override;
  // Every channel's kept messages (at most max_per_channel each, newest kept) and last offset,
  // also of channels whose messages retention deleted. Throws std::runtime_error naming the file
  // and SQLite's reason on a failure. Usable after close(). (Tools and tests: the broker loads
  // channels on demand.)
  std::map<std::string, core::ChannelHistory> load(std::size_t max_per_channel);
  // Usable after close(), as the two below.
  std::optional<core::ChannelHistory> load_channel(const std::string& channel,
                                                   std::size_t max_messages,
                                                   std::size_t max_bytes) override;
  std::optional<std::uint64_t> last_offset(const std::string& channel) override;
  std::optional<std::vector<core::MessagePtr>> load_recent(std::size_t limit) override;
  // How many channels the store holds; nullopt (logged) when it cannot be read. For start-up:
  // a store that cannot be read stops it.
  std::optional<std::size_t> channel_count();
  bool has_room() const override;
  // Waiters not called yet when the store closes are dropped, never called.
  void when_room(std::function<void()> fn) override;
  // Ignored after close().
  void apply_retention(const core::Retention& retention) override;
  // Called from a done callback, it only tells the writer to stop once the queue is drained
  // (it cannot join its own thread); the destructor then joins.
  void close() override;

  // Messages appended and not yet called back: queued or in the batch being written.
  std::size_t pending() const;
  // Bytes in the queue (not counting the batch being written), as max_pending_bytes counts them.
  std::size_t queued_bytes() const;
  // What a message weighs in the queue: its strings and payload, roughly as held in memory.
  const std::filesystem::path& path() const { return db_file_; }

 private:
  struct Entry {
    core::MessagePtr message;
    Done done;
    std::size_t bytes = 0;  // message_bytes(*message)
  };
  struct Writer;  // the writer thread's connection and prepared statements
  struct Reader;  // a reader connection of the pool and its prepared statements

  // A reader from the pool, or a new one; null (logged) when none can be opened.
  std::unique_ptr<Reader> take_reader();
  // Back to the pool (closed when the pool is full).
  void give_reader(std::unique_ptr<Reader> reader);

  void run();
  // Waits for work, then moves the next batch (and a retention request due before it) out of
  // the queue. False when stopping and everything is written.
  bool take(std::vector<Entry>& batch, std::optional<core::Retention>& retention);
  bool write_batch(const std::vector<Entry>& batch);
  // Takes the when_room() waiters once the queue has room. Caller holds mutex_.
  std::vector<std::function<void()>> take_waiters_with_room();
  void retain(const core::Retention& retention);
  std::int64_t now() const;

  const std::filesystem::path db_file_;
  const SqliteStoreOptions options_;
  std::unique_ptr<Writer> writer_;  // used by the writer thread only, once it runs

  mutable std::mutex mutex_;  // guards the members below, up to thread_
  std::condition_variable wake_;
  std::deque<Entry> queue_;
  std::atomic<std::size_t> queued_bytes_{0};    // of queue_; written under mutex_, read without
  std::vector<std::function<void()>> waiters_;  // when_room() callers
  std::size_t in_flight_ = 0;                   // size of the batch being written
  std::optional<core::Retention> retention_;
  std::size_t retention_ahead_ = 0;  // queued entries to write before retention_ runs
  bool stopping_ = false;

  std::mutex readers_mutex_;
  std::vector<std::unique_ptr<Reader>> readers_;  // idle reader connections

  std::mutex close_mutex_;  // serialises close()
  std::thread thread_;
};

}  // namespace parley::storage
