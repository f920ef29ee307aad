#include "storage/sqlite_state_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace parley::storage {
namespace {

std::filesystem::path temp_db() {
  auto dir = std::filesystem::temp_directory_path() /
             ("parley-state-test-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  return dir / "sub" / "state.db";
}

TEST(SqliteStateStore, PutEraseLoadAcrossReopen) {
  auto file = temp_db();
  {
    SqliteStateStore store(file);
    store.put("s/a", "{\"x\":1}");
    store.put("s/b", "two");
    store.put("s/b", "two, newer");
    store.put("r/gone", "soon");
    store.erase("r/gone");
    store.put("bytes", std::string("\xC3\xA9\x01", 3));
    store.flush();
    auto rows = store.load();
    ASSERT_EQ(rows.size(), 3u);
  }
  SqliteStateStore again(file);
  auto rows = again.load();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].first, "bytes");
  EXPECT_EQ(rows[0].second, std::string("\xC3\xA9\x01", 3));
  EXPECT_EQ(rows[1], (std::pair<std::string, std::string>("s/a", "{\"x\":1}")));
  EXPECT_EQ(rows[2], (std::pair<std::string, std::string>("s/b", "two, newer")));
  again.erase("s/a");
  again.close();  // writes what is pending
  again.put("late", "dropped");
  SqliteStateStore third(file);
  EXPECT_EQ(third.load().size(), 2u);
  std::filesystem::remove_all(file.parent_path().parent_path());
}

TEST(SqliteStateStore, UnopenableFileThrows) {
  EXPECT_THROW(SqliteStateStore("/proc/no/such/dir/state.db"), std::runtime_error);
}

}  // namespace
}  // namespace parley::storage
