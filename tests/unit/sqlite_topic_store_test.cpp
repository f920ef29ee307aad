#include "storage/sqlite_topic_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <mutex>

namespace parley::storage {
namespace {

namespace fs = std::filesystem;

class SqliteTopicStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() /
          ("parley_topic_store_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
  }
  void TearDown() override { fs::remove_all(dir); }

  // The "hub": records by name, read by the store's writer.
  SqliteTopicStore::Snapshot source() {
    return [this](const std::string& name) -> std::optional<topics::TopicRecord> {
      std::lock_guard lock(mutex);
      ++reads;
      auto it = topics.find(name);
      if (it == topics.end()) return std::nullopt;
      return it->second;
    };
  }
  void put(const std::string& name, std::string value, std::uint64_t revision) {
    std::lock_guard lock(mutex);
    topics[name] = topics::TopicRecord{name, "generic", std::move(value), "", revision, ""};
  }

  fs::path dir;
  std::mutex mutex;
  std::map<std::string, topics::TopicRecord> topics;
  std::atomic<int> reads{0};
};

TEST_F(SqliteTopicStoreTest, WritesWhatIsDirtyAndLoadsItBack) {
  {
    SqliteTopicStore store(dir / "chatroom.db", std::chrono::milliseconds(0));
    EXPECT_TRUE(store.load().empty());
    store.start(source());
    put("a", "[1,2]", 2);
    put("b", "\"x\"", 1);
    store.dirty("a");
    store.dirty("b");
    store.flush();
    auto loaded = store.load();  // a connection of its own, while the writer runs
    ASSERT_EQ(loaded.size(), 2u);
    put("a", "[1,2,3]", 3);
    store.dirty("a");
    {
      std::lock_guard lock(mutex);
      topics.erase("b");  // gone: its row is deleted
    }
    store.dirty("b");
    store.close();  // writes what is dirty
  }
  SqliteTopicStore again(dir / "chatroom.db");
  auto loaded = again.load();
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].name, "a");
  EXPECT_EQ(loaded[0].type, "generic");
  EXPECT_EQ(loaded[0].value, "[1,2,3]");
  EXPECT_EQ(loaded[0].revision, 3u);
}

TEST_F(SqliteTopicStoreTest, ManyChangesToOneTopicAreCoalesced) {
  SqliteTopicStore store(dir / "chatroom.db", std::chrono::milliseconds(50));
  store.start(source());
  for (int i = 0; i < 1000; ++i) {
    put("hot", std::to_string(i), static_cast<std::uint64_t>(i));
    store.dirty("hot");
  }
  store.flush();
  EXPECT_LT(reads.load(), 10);
  auto loaded = store.load();
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].value, "999");
}

TEST_F(SqliteTopicStoreTest, DirtyAfterCloseIsDropped) {
  SqliteTopicStore store(dir / "chatroom.db");
  store.start(source());
  store.close();
  put("late", "1", 1);
  store.dirty("late");
  store.flush();  // returns: the writer is gone
  EXPECT_TRUE(store.load().empty());
}

TEST_F(SqliteTopicStoreTest, UnopenableFileThrows) {
  fs::create_directories(dir);
  fs::create_directories(dir / "chatroom.db");  // a directory where the file should be
  EXPECT_THROW(SqliteTopicStore(dir / "chatroom.db"), std::runtime_error);
}

}  // namespace
}  // namespace parley::storage
