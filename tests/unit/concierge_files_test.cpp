// The Concierge file store on disk, and the router pieces its routes use.
#include "net/concierge_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "net/router.hpp"

namespace parley::net {
namespace {

namespace fs = std::filesystem;

struct ConciergeFilesTest : ::testing::Test {
  fs::path root =
      fs::temp_directory_path() / ("parley-files-" + std::to_string(::getpid()) + "-" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  ConciergeFiles files{root};
  const std::string owner = "0b1c2d3e-0000-4000-8000-000000000000";
  void TearDown() override { fs::remove_all(root); }
};

TEST_F(ConciergeFilesTest, StoreReadReplaceRemove) {
  ASSERT_FALSE(files.reset());
  ASSERT_FALSE(files.store(owner, {{"a.txt", {"hel", "lo"}}, {"empty", {}}}));
  std::string got;
  ASSERT_FALSE(files.read(owner, "a.txt", got));
  EXPECT_EQ(got, "hello");
  ASSERT_FALSE(files.read(owner, "empty", got));
  EXPECT_EQ(got, "");
  ASSERT_FALSE(files.store(owner, {{"a.txt", {"bye"}}}));  // replaced, not appended
  ASSERT_FALSE(files.read(owner, "a.txt", got));
  EXPECT_EQ(got, "bye");
  EXPECT_FALSE(files.remove(owner, "a.txt"));
  EXPECT_EQ(files.read(owner, "a.txt", got), std::errc::no_such_file_or_directory);
  EXPECT_EQ(files.remove(owner, "a.txt"), std::errc::no_such_file_or_directory);
  // No temporary file is left behind.
  EXPECT_TRUE(fs::is_empty(root / ".tmp"));
}

TEST_F(ConciergeFilesTest, RemoveOwnerAndResetClearEverything) {
  ASSERT_FALSE(files.store(owner, {{"x", {"1"}}}));
  EXPECT_TRUE(fs::exists(root / owner / "x"));
  EXPECT_FALSE(files.remove_owner(owner));
  EXPECT_FALSE(fs::exists(root / owner));
  ASSERT_FALSE(files.store(owner, {{"y", {"1"}}}));
  EXPECT_FALSE(files.reset());
  EXPECT_FALSE(fs::exists(root / owner));
  EXPECT_TRUE(fs::exists(root));
}

TEST_F(ConciergeFilesTest, DirectoriesAreNotFiles) {
  ASSERT_FALSE(files.store(owner, {{"x", {"1"}}}));
  fs::create_directories(root / owner / "dir");
  std::string got;
  EXPECT_TRUE(files.read(owner, "dir", got));
  EXPECT_EQ(files.remove(owner, "dir"), std::errc::no_such_file_or_directory);
}

TEST(ConciergeRouter, AsyncRoutesCarryTheirBodyLimit) {
  Router router;
  router.get("/fs/:client/:file", [](const HttpRequest&) { return HttpResponse::text(200, ""); });
  router.add_async("POST", "/fs/:client/:file", [](HttpRequest, HttpRespond) {},
                   {.max_body_bytes = 1234});
  router.add_async("DELETE", "/fs/:client/:file", [](HttpRequest, HttpRespond) {});
  EXPECT_EQ(router.max_body_bytes(), 1234u);
  HttpRequest req;
  req.method = "POST";
  req.path = "/fs/bob/a.txt";
  auto m = router.match(req, false);
  EXPECT_TRUE(m.async);
  EXPECT_FALSE(m.http);
  EXPECT_EQ(m.max_body_bytes(), 1234u);
  EXPECT_EQ(req.params.at("client"), "bob");
  req.method = "DELETE";
  m = router.match(req, false);
  EXPECT_TRUE(m.async);
  EXPECT_EQ(m.max_body_bytes(), 0u);
  req.method = "GET";
  m = router.match(req, false);
  EXPECT_TRUE(m.http);
  EXPECT_FALSE(m.async);
}

}  // namespace
}  // namespace parley::net
