#include "auth/user_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "auth/password.hpp"

namespace parley::auth {
namespace {

namespace fs = std::filesystem;

class UserStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("parley_users_" + std::to_string(std::random_device{}()));
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path db() const { return dir_ / "data" / "parley.db"; }
  fs::path dir_;
};

TEST(Password, Argon2idHashVerifies) {
  auto hash = hash_password("correct horse");
  ASSERT_TRUE(hash);
  EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u) << *hash;
  EXPECT_TRUE(verify_password(*hash, "correct horse"));
  EXPECT_FALSE(verify_password(*hash, "correct horse "));
  EXPECT_FALSE(verify_password(*hash, ""));
  EXPECT_FALSE(verify_password("", "x"));
  EXPECT_FALSE(verify_password("not a hash", "x"));
  // Salted: the same password hashes differently.
  EXPECT_NE(*hash, *hash_password("correct horse"));
}

TEST_F(UserStoreTest, AddCheckListRemove) {
  UserStore store(db());
  std::string error;
  EXPECT_EQ(store.add("ann", "pw1", "Ann A.", error), UserStore::Change::done) << error;
  EXPECT_EQ(store.add("bob", "pw2", "Bob", error), UserStore::Change::done) << error;
  EXPECT_EQ(store.add("ann", "other", "Ann 2", error), UserStore::Change::exists);

  User user;
  EXPECT_EQ(store.check("ann", "pw1", user), UserStore::Check::ok);
  EXPECT_EQ(user.username, "ann");
  EXPECT_EQ(user.nickname, "Ann A.");
  EXPECT_EQ(store.check("ann", "pw2", user), UserStore::Check::wrong_password);
  EXPECT_EQ(store.check("carl", "pw1", user), UserStore::Check::unknown_user);

  auto users = store.list();
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].username, "ann");
  EXPECT_EQ(users[1].nickname, "Bob");
  EXPECT_GT(users[0].created_ms, 0);

  EXPECT_EQ(store.remove("ann", error), UserStore::Change::done);
  EXPECT_EQ(store.remove("ann", error), UserStore::Change::unknown);
  EXPECT_EQ(store.check("ann", "pw1", user), UserStore::Check::unknown_user);
  EXPECT_EQ(store.list().size(), 1u);
}

TEST_F(UserStoreTest, PersistsAndSharesTheFileWithOtherConnections) {
  std::string error;
  {
    UserStore store(db());
    ASSERT_EQ(store.add("ann", "pw", "Ann", error), UserStore::Change::done) << error;
  }
  UserStore a(db()), b(db());
  User user;
  EXPECT_EQ(a.check("ann", "pw", user), UserStore::Check::ok);
  ASSERT_EQ(b.add("bob", "pw", "Bob", error), UserStore::Change::done) << error;
  EXPECT_EQ(a.check("bob", "pw", user), UserStore::Check::ok);
}

TEST_F(UserStoreTest, ConcurrentChecks) {
  UserStore store(db());
  std::string error;
  ASSERT_EQ(store.add("ann", "pw", "Ann", error), UserStore::Change::done);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      User u;
      if (store.check("ann", "pw", u) == UserStore::Check::ok) ++ok;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 4);
}

TEST(UserStoreNames, Validation) {
  EXPECT_EQ(UserStore::username_problem("ann.b-c_d@x"), "");
  EXPECT_NE(UserStore::username_problem(""), "");
  EXPECT_NE(UserStore::username_problem(std::string(65, 'a')), "");
  EXPECT_NE(UserStore::username_problem("ann b"), "");
  EXPECT_NE(UserStore::username_problem("ann/b"), "");
  EXPECT_EQ(UserStore::nickname_problem("Great Heavenland Hero"), "");
  EXPECT_NE(UserStore::nickname_problem(""), "");
  EXPECT_NE(UserStore::nickname_problem("a\nb"), "");
  EXPECT_NE(UserStore::nickname_problem(std::string(101, 'a')), "");
}

TEST_F(UserStoreTest, ThrowsOnUnusablePath) {
  fs::create_directories(dir_);
  fs::path file = dir_ / "file";
  { std::ofstream(file) << "x"; }
  EXPECT_THROW(UserStore(file / "parley.db"), std::runtime_error);
}

}  // namespace
}  // namespace parley::auth
