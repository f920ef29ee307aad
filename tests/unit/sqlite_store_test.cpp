#include "storage/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <boost/json/parse.hpp>
#include <chrono>
#include <fstream>
#include <future>
#include <mutex>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/message_bytes.hpp"
#include "core/stats.hpp"
#include "storage/sqlite_db.hpp"

namespace parley::storage {
namespace {

namespace fs = std::filesystem;
using core::Message;
using core::MessagePtr;

MessagePtr make_message(const std::string& channel, std::uint64_t offset, std::int64_t time_ms = 0,
                        boost::json::object payload = {}) {
  auto m = std::make_shared<Message>();
  m->channel = channel;
  m->offset = offset;
  m->time_ms = time_ms;
  m->id = channel + "-" + std::to_string(offset);
  m->author_id = "u1";
  m->author_name = "Ada";
  m->text = "hello " + std::to_string(offset);
  m->payload = std::move(payload);
  m->dialect = "phoenix";
  return m;
}

std::vector<std::uint64_t> offsets(const core::ChannelHistory& h) {
  std::vector<std::uint64_t> out;
  for (const auto& m : h.messages) out.push_back(m->offset);
  return out;
}

std::vector<std::uint64_t> range(std::uint64_t first, std::uint64_t last) {
  std::vector<std::uint64_t> out;
  for (auto i = first; i <= last; ++i) out.push_back(i);
  return out;
}

class SqliteStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("parley_sqlite_" + std::string(info->name()) + "_" +
                                        std::to_string(std::random_device{}()));
    fs::remove_all(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // In a directory that does not exist yet: the store creates it.
  fs::path db_file() const { return dir_ / "data" / "parley.db"; }

  // Appends and waits for done; returns its ok.
  static bool append_and_wait(SqliteStore& store, MessagePtr m) {
    std::promise<bool> done;
    auto result = done.get_future();
    store.append(std::move(m), [&done](bool ok) { done.set_value(ok); });
    if (result.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      ADD_FAILURE() << "done was not called";
      return false;
    }
    return result.get();
  }

  fs::path dir_;
};

TEST_F(SqliteStoreTest, CreatesParentDirectoryAndFile) {
  SqliteStore store(db_file());
  EXPECT_TRUE(fs::exists(db_file()));
  EXPECT_EQ(store.path(), db_file());
}

TEST_F(SqliteStoreTest, DoneCalledInAppendOrderOnWriterThread) {
  SqliteStoreOptions options;
  options.max_batch = 7;  // several transactions
  SqliteStore store(db_file(), options);
  std::mutex mutex;
  std::vector<int> order;
  std::vector<bool> oks;
  std::set<std::thread::id> threads;
  for (int i = 0; i < 100; ++i) {
    store.append(make_message(i % 2 ? "a" : "b", i / 2 + 1), [&, i](bool ok) {
      std::lock_guard lock(mutex);
      order.push_back(i);
      oks.push_back(ok);
      threads.insert(std::this_thread::get_id());
    });
  }
  store.close();
  std::vector<int> expected(100);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(order, expected);
  EXPECT_EQ(std::count(oks.begin(), oks.end(), true), 100);
  ASSERT_EQ(threads.size(), 1u);
  EXPECT_NE(*threads.begin(), std::this_thread::get_id());
  EXPECT_EQ(store.pending(), 0u);
}

TEST_F(SqliteStoreTest, BatchSizesAndCommitTimesAreRecorded) {
  namespace stats = core::stats;
  auto batches = stats::store_batch_messages.snapshot();
  auto commits = stats::store_commit_seconds.snapshot();
  SqliteStoreOptions options;
  options.max_batch = 7;
  {
    SqliteStore store(db_file(), options);
    for (int i = 0; i < 100; ++i) store.append(make_message("a", i + 1), nullptr);
    store.close();
  }
  auto after = stats::store_batch_messages.snapshot();
  EXPECT_EQ(after.sum - batches.sum, 100u) << "every message in one observed batch";
  std::uint64_t transactions = after.count - batches.count;
  EXPECT_GE(transactions, 100u / 7);
  EXPECT_EQ(stats::store_commit_seconds.snapshot().count - commits.count, transactions);
  // No batch above max_batch: the buckets past "8" did not move.
  for (std::size_t i = 4; i < after.buckets.size(); ++i) {
    EXPECT_EQ(after.buckets[i], batches.buckets[i]) << "bucket " << i;
  }
}

TEST_F(SqliteStoreTest, DoneMeansCommitted) {
  SqliteStore store(db_file());
  ASSERT_TRUE(append_and_wait(store, make_message("lobby", 1)));
  // load() reads through a connection of its own: it sees only what is committed.
  auto history = store.load(10);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(offsets(history["lobby"]), range(1, 1));
}

TEST_F(SqliteStoreTest, ReopenLoadsMessagesAndLastOffset) {
  auto payload =
      boost::json::parse(R"({"body":"hi","nested":{"list":[1,2.5,"x",null,true]}})").as_object();
  {
    SqliteStore store(db_file());
    for (std::uint64_t i = 1; i <= 5; ++i) store.append(make_message("lobby", i, 1000 + i), {});
    store.append(make_message("lobby", 6, 2000, payload), {});
    store.append(make_message("other", 1, 3000), {});
  }  // the destructor closes: everything queued is committed
  SqliteStore store(db_file());
  auto history = store.load(100);
  ASSERT_EQ(history.size(), 2u);
  const auto& lobby = history["lobby"];
  EXPECT_EQ(lobby.last_offset, 6u);
  EXPECT_EQ(offsets(lobby), range(1, 6));
  EXPECT_EQ(history["other"].last_offset, 1u);

  const Message& first = *lobby.messages.front();
  EXPECT_EQ(first.channel, "lobby");
  EXPECT_EQ(first.offset, 1u);
  EXPECT_EQ(first.time_ms, 1001);
  EXPECT_EQ(first.id, "lobby-1");
  EXPECT_EQ(first.author_id, "u1");
  EXPECT_EQ(first.author_name, "Ada");
  EXPECT_EQ(first.text, "hello 1");
  EXPECT_EQ(first.dialect, "phoenix");
  EXPECT_TRUE(first.payload.empty());
  EXPECT_EQ(lobby.messages.back()->payload, payload);

  // At most max_per_channel, the newest, oldest first.
  auto newest = store.load(2);
  EXPECT_EQ(offsets(newest["lobby"]), range(5, 6));
  EXPECT_EQ(newest["lobby"].last_offset, 6u);
  EXPECT_EQ(offsets(newest["other"]), range(1, 1));
}

TEST_F(SqliteStoreTest, EmptyAndSpecialStringsRoundTrip) {
  auto m = std::make_shared<Message>();
  m->channel = "room:ünï";
  m->offset = 1;
  m->id = "x";
  m->text = std::string("a\0b'\"; DROP TABLE messages;--", 29);
  {
    SqliteStore store(db_file());
    ASSERT_TRUE(append_and_wait(store, m));
  }
  SqliteStore store(db_file());
  auto history = store.load(10);
  ASSERT_EQ(history.count("room:ünï"), 1u);
  const Message& loaded = *history["room:ünï"].messages.at(0);
  EXPECT_EQ(loaded.text, m->text);
  EXPECT_EQ(loaded.author_id, "");
  EXPECT_EQ(loaded.author_name, "");
  EXPECT_EQ(loaded.dialect, "");
}

TEST_F(SqliteStoreTest, BadPayloadLoadsAsEmptyObject) {
  {
    SqliteStore store(db_file());
    store.append(make_message("lobby", 1, 0, {{"ok", 1}}), {});
  }
  {
    auto db = sqlite::Db::open(db_file(), false);
    ASSERT_EQ(db.exec("INSERT INTO messages(channel, offset, time_ms, id, payload) VALUES"
                      "('lobby', 2, 0, 'b', '{not json'), ('lobby', 3, 0, 'c', '[1,2]')"),
              SQLITE_OK)
        << db.error();
  }
  SqliteStore store(db_file());
  auto history = store.load(10);
  const auto& lobby = history["lobby"];
  ASSERT_EQ(offsets(lobby), range(1, 3));
  EXPECT_EQ(lobby.messages[0]->payload, (boost::json::object{{"ok", 1}}));
  EXPECT_TRUE(lobby.messages[1]->payload.empty());
  EXPECT_TRUE(lobby.messages[2]->payload.empty());
}

TEST_F(SqliteStoreTest, RetentionByCountPerChannelPolicy) {
  {
    SqliteStore store(db_file());
    for (std::uint64_t i = 1; i <= 10; ++i) {
      store.append(make_message("a", i), {});
      store.append(make_message("b", i), {});
      store.append(make_message("c", i), {});
    }
    core::Retention retention;
    retention.fallback.max_count = 5;
    retention.per_channel["a"].max_count = 3;
    retention.per_channel["c"] = {};  // no limit
    store.apply_retention(retention);
  }
  SqliteStore store(db_file());
  auto history = store.load(100);
  EXPECT_EQ(offsets(history["a"]), range(8, 10));
  EXPECT_EQ(offsets(history["b"]), range(6, 10));
  EXPECT_EQ(offsets(history["c"]), range(1, 10));
  for (const auto& [name, h] : history) EXPECT_EQ(h.last_offset, 10u) << name;
}

TEST_F(SqliteStoreTest, RetentionIsOrderedWithAppends) {
  SqliteStoreOptions options;
  options.max_batch = 3;
  SqliteStore store(db_file(), options);
  for (std::uint64_t i = 1; i <= 5; ++i) store.append(make_message("a", i), {});
  core::Retention retention;
  retention.fallback.max_count = 2;
  store.apply_retention(retention);  // sees 1..5, not what follows
  for (std::uint64_t i = 6; i <= 10; ++i) store.append(make_message("a", i), {});
  store.close();
  EXPECT_EQ(offsets(store.load(100)["a"]), range(4, 10));
}

TEST_F(SqliteStoreTest, RetentionByAgeUsesInjectedClock) {
  std::atomic<std::int64_t> now{1'000'000};
  SqliteStoreOptions options;
  options.now_ms = [&now] { return now.load(); };
  SqliteStore store(db_file(), options);
  // Times 900'000, 910'000, ... 990'000.
  for (std::uint64_t i = 1; i <= 10; ++i) {
    store.append(make_message("a", i, 890'000 + 10'000 * static_cast<std::int64_t>(i)), {});
    store.append(make_message("b", i, 890'000 + 10'000 * static_cast<std::int64_t>(i)), {});
  }
  core::Retention retention;
  retention.fallback.max_age = std::chrono::seconds(45);  // keeps time >= 955'000
  retention.per_channel["b"].max_age = std::chrono::minutes(1);
  retention.per_channel["b"].max_count = 2;  // both limits apply
  store.apply_retention(retention);
  // Appended after apply_retention(): its done comes after the retention ran.
  ASSERT_TRUE(append_and_wait(store, make_message("a", 11, 1'050'000)));

  auto history = store.load(100);
  EXPECT_EQ(offsets(history["a"]), range(7, 11));
  EXPECT_EQ(offsets(history["b"]), range(9, 10));

  now = 1'060'000;  // a minute later
  store.apply_retention(retention);
  store.close();
  history = store.load(100);
  EXPECT_EQ(offsets(history["a"]), range(11, 11));
  EXPECT_EQ(offsets(history["b"]), std::vector<std::uint64_t>{});
}

TEST_F(SqliteStoreTest, LastOffsetKeptWhenRetentionDeletesEverything) {
  {
    SqliteStoreOptions options;
    options.now_ms = [] { return std::int64_t{10'000'000}; };
    SqliteStore store(db_file(), options);
    for (std::uint64_t i = 1; i <= 5; ++i) store.append(make_message("lobby", i, 1000), {});
    core::Retention retention;
    retention.fallback.max_age = std::chrono::seconds(1);
    store.apply_retention(retention);
  }
  SqliteStore store(db_file());
  auto history = store.load(100);
  ASSERT_EQ(history.count("lobby"), 1u);
  EXPECT_TRUE(history["lobby"].messages.empty());
  EXPECT_EQ(history["lobby"].last_offset, 5u);

  ASSERT_TRUE(append_and_wait(store, make_message("lobby", 6)));
  history = store.load(100);
  EXPECT_EQ(offsets(history["lobby"]), range(6, 6));
  EXPECT_EQ(history["lobby"].last_offset, 6u);
}

TEST_F(SqliteStoreTest, ConcurrentAppendsAllCommittedAndLoaded) {
  constexpr int kThreads = 4;
  constexpr std::uint64_t kPerThread = 2500;
  std::atomic<int> ok_count{0}, failed{0}, out_of_order{0};
  {
    SqliteStore store(db_file());
    std::vector<std::thread> threads;
    std::vector<std::uint64_t> last_done(kThreads, 0);  // each written by the writer thread only
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        const std::string channel = "ch" + std::to_string(t);
        for (std::uint64_t i = 1; i <= kPerThread; ++i) {
          store.append(make_message(channel, i), [&, t, i](bool ok) {
            (ok ? ok_count : failed)++;
            if (last_done[t] + 1 != i) out_of_order++;
            last_done[t] = i;
          });
        }
      });
    }
    for (auto& th : threads) th.join();
    store.close();
    EXPECT_EQ(store.pending(), 0u);
  }
  EXPECT_EQ(ok_count, kThreads * static_cast<int>(kPerThread));
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(out_of_order, 0);

  SqliteStore store(db_file());
  auto history = store.load(kPerThread);
  ASSERT_EQ(history.size(), static_cast<std::size_t>(kThreads));
  for (const auto& [name, h] : history) {
    EXPECT_EQ(h.last_offset, kPerThread) << name;
    EXPECT_EQ(offsets(h), range(1, kPerThread)) << name;
  }
}

TEST_F(SqliteStoreTest, FailedBatchCallsDoneFalse) {
  SqliteStore store(db_file());
  ASSERT_TRUE(append_and_wait(store, make_message("lobby", 1)));
  {
    auto db = sqlite::Db::open(db_file(), false);
    ASSERT_EQ(db.exec("DROP TABLE messages"), SQLITE_OK) << db.error();
  }
  std::vector<bool> oks;
  for (std::uint64_t i = 2; i <= 4; ++i)
    store.append(make_message("lobby", i), [&oks](bool ok) { oks.push_back(ok); });
  store.close();
  EXPECT_EQ(oks, (std::vector<bool>{false, false, false}));
  // Rolled back: the channel's last offset did not move.
  auto db = sqlite::Db::open(db_file(), false);
  EXPECT_EQ(db.query_text("SELECT last_offset FROM channels WHERE name = 'lobby'"), "1");
}

TEST_F(SqliteStoreTest, NullMessageGetsDoneFalseAndOthersCommit) {
  SqliteStore store(db_file());
  std::vector<bool> oks;
  auto record = [&oks](bool ok) { oks.push_back(ok); };
  store.append(make_message("lobby", 1), record);
  store.append(nullptr, record);
  store.append(make_message("lobby", 2), record);
  store.close();
  EXPECT_EQ(oks, (std::vector<bool>{true, false, true}));
  EXPECT_EQ(offsets(store.load(10)["lobby"]), range(1, 2));
}

TEST_F(SqliteStoreTest, CloseIsIdempotent) {
  SqliteStore store(db_file());
  bool called = false;
  store.append(make_message("lobby", 1), [&called](bool ok) { called = ok; });
  store.close();
  EXPECT_TRUE(called);
  store.close();
  // After close: dropped, done not called, nothing queued.
  bool late = false;
  store.append(make_message("lobby", 2), [&late](bool) { late = true; });
  store.apply_retention(core::Retention{});
  store.close();
  EXPECT_FALSE(late);
  EXPECT_EQ(store.pending(), 0u);
  EXPECT_EQ(offsets(store.load(10)["lobby"]), range(1, 1));
}

TEST_F(SqliteStoreTest, CloseFromSeveralThreads) {
  SqliteStore store(db_file());
  for (std::uint64_t i = 1; i <= 100; ++i) store.append(make_message("lobby", i), {});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back([&store] { store.close(); });
  for (auto& th : threads) th.join();
  EXPECT_EQ(store.load(1000)["lobby"].messages.size(), 100u);
}

TEST_F(SqliteStoreTest, ThrowsOnUnwritablePath) {
  fs::create_directories(dir_);
  const fs::path blocker = dir_ / "blocker";
  std::ofstream(blocker) << "a file, not a directory";
  // Works as root too: a regular file cannot be a parent directory.
  try {
    SqliteStore store(blocker / "sub" / "parley.db");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("blocker"), std::string::npos) << e.what();
  }
  EXPECT_THROW(SqliteStore(blocker / "parley.db"), std::runtime_error);
  EXPECT_THROW(SqliteStore{dir_}, std::runtime_error);  // a directory, not a database file
}

TEST_F(SqliteStoreTest, ThrowsOnNotADatabase) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "garbage.db") << std::string(4096, 'x');
  EXPECT_THROW(SqliteStore(dir_ / "garbage.db"), std::runtime_error);
}

TEST_F(SqliteStoreTest, LoadThrowsWhenTheStoreCannotBeRead) {
  {
    SqliteStore store(db_file());
    for (std::uint64_t i = 1; i <= 200; ++i) store.append(make_message("lobby", i), {});
  }
  // Every page but the first (the header and the schema) overwritten: the file opens, its
  // tables cannot be read.
  const auto size = fs::file_size(db_file());
  ASSERT_GT(size, 8192u);
  {
    std::fstream f(db_file(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096);
    std::string junk(size - 4096, '\xA5');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  SqliteStore store(db_file());
  try {
    store.load(100);
    FAIL() << "load() returned";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(db_file().string()), std::string::npos) << e.what();
  }
}

TEST_F(SqliteStoreTest, ChannelAndOffsetAreUnique) {
  SqliteStore store(db_file());
  ASSERT_TRUE(append_and_wait(store, make_message("lobby", 1)));
  EXPECT_FALSE(append_and_wait(store, make_message("lobby", 1))) << "a duplicate is refused";
  EXPECT_TRUE(append_and_wait(store, make_message("other", 1)));
  auto history = store.load(10);
  ASSERT_EQ(history["lobby"].messages.size(), 1u);
  EXPECT_EQ(history["lobby"].messages[0]->id, "lobby-1");
}

TEST_F(SqliteStoreTest, Version1WithDuplicatesIsMigrated) {
  fs::create_directories(db_file().parent_path());
  {
    // A version 1 file: a plain index, and the duplicates a failed load used to cause.
    auto db = sqlite::Db::open(db_file(), true);
    ASSERT_EQ(db.exec(R"sql(
      CREATE TABLE messages(seq INTEGER PRIMARY KEY, channel TEXT NOT NULL,
        offset INTEGER NOT NULL, time_ms INTEGER NOT NULL, id TEXT NOT NULL, author_id TEXT,
        author_name TEXT, body TEXT, payload TEXT, dialect TEXT);
      CREATE INDEX messages_channel_offset ON messages(channel, offset);
      CREATE TABLE channels(name TEXT PRIMARY KEY, last_offset INTEGER NOT NULL);
      INSERT INTO messages(channel, offset, time_ms, id, body) VALUES
        ('lobby', 1, 10, 'first-1', 'a'), ('lobby', 2, 20, 'first-2', 'b'),
        ('other', 1, 30, 'other-1', 'c'),
        ('lobby', 1, 40, 'again-1', 'd'), ('lobby', 2, 50, 'again-2', 'e'),
        ('lobby', 3, 60, 'again-3', 'f');
      INSERT INTO channels VALUES ('lobby', 3), ('other', 1);
      PRAGMA user_version = 1;
    )sql"),
              SQLITE_OK)
        << db.error();
  }
  SqliteStore store(db_file());
  auto history = store.load(10);
  std::vector<std::string> ids;
  for (const auto& m : history["lobby"].messages) ids.push_back(m->id);
  EXPECT_EQ(ids, (std::vector<std::string>{"first-1", "first-2", "again-3"}));
  EXPECT_EQ(history["lobby"].last_offset, 3u);
  EXPECT_EQ(history["other"].messages.size(), 1u);
  EXPECT_FALSE(append_and_wait(store, make_message("lobby", 3))) << "now unique";
  EXPECT_TRUE(append_and_wait(store, make_message("lobby", 4)));
  store.close();
  auto db = sqlite::Db::open(db_file(), false);
  EXPECT_EQ(db.query_text("PRAGMA user_version"), "2");
  EXPECT_EQ(db.query_text("SELECT group_concat(id, ',') FROM "
                          "(SELECT id FROM messages_duplicates ORDER BY seq)"),
            "again-1,again-2");
}

TEST_F(SqliteStoreTest, QueueBoundedInBytesWithWaitersCalledWhenItHasRoom) {
  const std::size_t one = core::message_bytes(*make_message("lobby", 1));
  SqliteStoreOptions options;
  options.max_pending_bytes = 3 * one;
  options.max_batch = 1;
  SqliteStore store(db_file(), options);
  // The writer is held in the first message's done: what follows stays queued.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> holding;
  store.append(make_message("lobby", 1), [&holding, released](bool) {
    holding.set_value();
    released.wait();
  });
  holding.get_future().wait();
  EXPECT_TRUE(store.has_room());
  std::atomic<int> woken{0};
  store.when_room([&woken] { ++woken; });
  EXPECT_EQ(woken, 1) << "called at once while there is room";
  for (std::uint64_t i = 2; i <= 4; ++i) store.append(make_message("lobby", i), {});
  EXPECT_EQ(store.queued_bytes(), 3 * one);
  EXPECT_FALSE(store.has_room());
  store.when_room([&woken] { ++woken; });
  store.when_room([&woken] { ++woken; });
  EXPECT_EQ(woken, 1) << "not while full";
  release.set_value();
  ASSERT_TRUE(append_and_wait(store, make_message("lobby", 5)));
  EXPECT_EQ(woken, 3) << "both waiters, once the writer took from the queue";
  EXPECT_TRUE(store.has_room());
  EXPECT_EQ(store.queued_bytes(), 0u);
}

TEST_F(SqliteStoreTest, MessageBytesCountsTextAndPayload) {
  auto small = make_message("lobby", 1);
  auto big = std::make_shared<Message>(*make_message("lobby", 2));
  big->text = std::string(10'000, 'x');
  big->payload = {{"body", std::string(10'000, 'y')}, {"list", boost::json::array{"z", 1}}};
  EXPECT_GE(core::message_bytes(*big), core::message_bytes(*small) + 20'000);
}

TEST_F(SqliteStoreTest, LoadChannelReadsOneChannelBoundedByCountAndBytes) {
  SqliteStore store(db_file());
  for (std::uint64_t i = 1; i <= 10; ++i) store.append(make_message("lobby", i, 1000 + i), {});
  ASSERT_TRUE(append_and_wait(store, make_message("other", 1)));

  auto lobby = store.load_channel("lobby", 100, 1 << 20);
  ASSERT_TRUE(lobby);
  EXPECT_EQ(lobby->last_offset, 10u);
  EXPECT_EQ(offsets(*lobby), range(1, 10));
  EXPECT_EQ(lobby->messages.front()->author_name, "Ada");
  EXPECT_EQ(lobby->messages.front()->time_ms, 1001);
  EXPECT_GT(lobby->messages.back()->seq, lobby->messages.front()->seq);

  EXPECT_EQ(offsets(*store.load_channel("lobby", 3, 1 << 20)), range(8, 10)) << "the newest";
  const std::size_t one = core::message_bytes(*lobby->messages.back());
  EXPECT_EQ(offsets(*store.load_channel("lobby", 100, 2 * one)), range(9, 10)) << "by bytes";
  EXPECT_EQ(offsets(*store.load_channel("lobby", 100, 1)), range(10, 10)) << "the newest, always";

  auto unknown = store.load_channel("never", 100, 1 << 20);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->last_offset, 0u);
  EXPECT_TRUE(unknown->messages.empty());

  EXPECT_EQ(store.last_offset("lobby"), 10u);
  EXPECT_EQ(store.last_offset("other"), 1u);
  EXPECT_EQ(store.last_offset("never"), 0u);
  EXPECT_EQ(store.channel_count(), 2u);
}

TEST_F(SqliteStoreTest, LoadChannelKeepsTheLastOffsetRetentionEmptied) {
  SqliteStoreOptions options;
  options.now_ms = [] { return std::int64_t{10'000'000}; };
  SqliteStore store(db_file(), options);
  for (std::uint64_t i = 1; i <= 5; ++i) store.append(make_message("lobby", i, 1000), {});
  core::Retention retention;
  retention.fallback.max_age = std::chrono::seconds(1);
  store.apply_retention(retention);
  ASSERT_TRUE(append_and_wait(store, make_message("other", 1, 10'000'000)));
  auto lobby = store.load_channel("lobby", 100, 1 << 20);
  ASSERT_TRUE(lobby);
  EXPECT_EQ(lobby->last_offset, 5u);
  EXPECT_TRUE(lobby->messages.empty());
  EXPECT_EQ(store.last_offset("lobby"), 5u);
}

TEST_F(SqliteStoreTest, LoadRecentIsTheNewestOfEveryChannelInCommitOrder) {
  SqliteStore store(db_file());
  store.append(make_message("b", 1, 3000), {});
  store.append(make_message("a", 1, 1000), {});
  store.append(make_message("b", 2, 2000), {});
  ASSERT_TRUE(append_and_wait(store, make_message("a", 2, 500)));
  auto recent = store.load_recent(3);
  ASSERT_TRUE(recent);
  std::vector<std::string> ids;
  for (const auto& m : *recent) ids.push_back(m->id);
  EXPECT_EQ(ids, (std::vector<std::string>{"a-1", "b-2", "a-2"}));
  EXPECT_EQ(recent->back()->channel, "a");
  EXPECT_EQ(store.load_recent(0)->size(), 0u);
  EXPECT_EQ(store.load_recent(100)->size(), 4u);
}

TEST_F(SqliteStoreTest, ReadsFromManyThreadsWhileWriting) {
  SqliteStore store(db_file());
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0}, backwards{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t)
    readers.emplace_back([&] {
      std::uint64_t seen = 0;
      while (!stop) {
        auto h = store.load_channel("lobby", 5, 1 << 20);
        auto last = store.last_offset("lobby");
        if (!h || !last) {
          ++failures;
          continue;
        }
        if (*last < seen || h->last_offset < seen) ++backwards;
        if (!h->messages.empty() && h->messages.back()->offset != h->last_offset) ++backwards;
        seen = std::max(seen, h->last_offset);
      }
    });
  for (std::uint64_t i = 1; i <= 300; ++i) store.append(make_message("lobby", i), {});
  ASSERT_TRUE(append_and_wait(store, make_message("lobby", 301)));
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(backwards, 0) << "each load is one snapshot; offsets only grow";
  EXPECT_EQ(store.last_offset("lobby"), 301u);
}

TEST_F(SqliteStoreTest, AStoreThatCannotBeReadSaysSo) {
  SqliteStore store(db_file());
  ASSERT_TRUE(append_and_wait(store, make_message("lobby", 1)));
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_file().c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "DROP TABLE channels", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  EXPECT_FALSE(store.load_channel("lobby", 10, 1 << 20));
  EXPECT_FALSE(store.last_offset("lobby"));
  EXPECT_FALSE(store.channel_count());
}

}  // namespace
}  // namespace parley::storage
