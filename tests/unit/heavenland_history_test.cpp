// The history Heavenland serves: the broker's ring of the newest messages of every channel
// (LocalBroker::recent), and its persistence through the SQLite store across a restart.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <random>

#include "core/local_broker.hpp"
#include "storage/sqlite_store.hpp"
#include "test_support.hpp"

namespace parley::core {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

Message text(std::string channel, std::string body) {
  Message m;
  m.channel = std::move(channel);
  m.text = std::move(body);
  m.author_id = "HL1";
  m.author_name = "Hero";
  m.dialect = "heavenland";
  m.payload = boost::json::object{{"message", m.text}};
  return m;
}

std::vector<std::string> texts(const std::vector<MessagePtr>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(m->text);
  return out;
}

LocalBrokerOptions options(std::size_t recent, std::int64_t* clock) {
  LocalBrokerOptions o;
  o.recent_size = recent;
  o.now_ms = [clock] { return *clock; };
  return o;
}

TEST(HeavenlandHistoryRing, NewestFirstAcrossChannelsBounded) {
  test::QueueDispatcher d;
  std::int64_t now = 1'000'000;
  LocalBroker b(d, nullptr, options(5, &now));
  EXPECT_TRUE(b.recent(10, 0).empty());
  for (int i = 1; i <= 7; ++i) {
    now += 1000;
    b.publish(text(i % 2 ? "odd" : "even", "m" + std::to_string(i)));
  }
  EXPECT_EQ(texts(b.recent(10, 0)), (std::vector<std::string>{"m7", "m6", "m5", "m4", "m3"}));
  EXPECT_EQ(texts(b.recent(2, 0)), (std::vector<std::string>{"m7", "m6"}));
  EXPECT_EQ(texts(b.recent(2, 2)), (std::vector<std::string>{"m5", "m4"}));
  EXPECT_EQ(texts(b.recent(10, 4)), (std::vector<std::string>{"m3"}));
  EXPECT_TRUE(b.recent(10, 5).empty());
  EXPECT_TRUE(b.recent(0, 0).empty());
  // The channels' own history is unchanged.
  EXPECT_EQ(texts(b.history("odd", 10, 0)), (std::vector<std::string>{"m1", "m3", "m5", "m7"}));
}

TEST(HeavenlandHistoryRing, OffByDefault) {
  test::QueueDispatcher d;
  LocalBroker b(d, nullptr, {});
  b.publish(text("a", "m"));
  EXPECT_TRUE(b.recent(10, 0).empty());
}

TEST(HeavenlandHistoryRing, RetentionAppliesPerChannel) {
  test::QueueDispatcher d;
  std::int64_t now = 1'000'000;
  LocalBrokerOptions o = options(100, &now);
  o.retention.per_channel["short"] = RetentionPolicy{.max_age = 10s, .max_count = 0};
  o.retention.per_channel["few"] = RetentionPolicy{.max_age = 0s, .max_count = 2};
  LocalBroker b(d, nullptr, o);
  b.publish(text("short", "old short"));
  for (int i = 1; i <= 4; ++i) b.publish(text("few", "few" + std::to_string(i)));
  b.publish(text("other", "other"));
  now += 20'000;
  b.publish(text("short", "new short"));
  EXPECT_EQ(texts(b.recent(100, 0)),
            (std::vector<std::string>{"new short", "other", "few4", "few3"}));
  EXPECT_EQ(texts(b.recent(100, 1)), (std::vector<std::string>{"other", "few4", "few3"}));
}

TEST(HeavenlandHistoryRing, OnlyCommittedMessagesAndBeforeDelivery) {
  // A message is in recent() by the time any subscriber is handed it.
  struct Probe final : Subscriber {
    LocalBroker* broker = nullptr;
    std::vector<std::size_t> seen;
    void deliver(const Event&, EncodeCache&) override {
      seen.push_back(broker->recent(10, 0).size());
    }
  };
  test::QueueDispatcher d;
  std::int64_t now = 1;
  LocalBroker b(d, nullptr, options(10, &now));
  Probe p;
  p.broker = &b;
  b.subscribe_all(0, &p);
  b.publish(text("a", "1"));
  b.publish(text("b", "2"));
  d.drain();
  EXPECT_EQ(p.seen, (std::vector<std::size_t>{2, 2}));
  b.unsubscribe_all(0, &p);
}

class HeavenlandHistoryStore : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("parley_hl_history_" + std::to_string(std::random_device{}()));
    fs::remove_all(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path db() const { return dir_ / "parley.db"; }
  fs::path dir_;
};

TEST_F(HeavenlandHistoryStore, SurvivesARestart) {
  std::int64_t now = 1'666'259'380'000;
  std::vector<std::string> before;
  {
    storage::SqliteStore store(db());
    test::QueueDispatcher d;
    LocalBroker b(d, &store, options(100, &now));
    b.restore_recent(store.load_recent(100).value());
    const char* channels[] = {"heavenland", "General", "5", "lobby"};
    for (int i = 0; i < 150; ++i) {
      if (i % 3 == 0) now += 7;  // some in the same millisecond, on different channels
      b.publish(text(channels[i % 4], "m" + std::to_string(i)));
    }
    store.close();  // every append committed and called back
    before = texts(b.recent(100, 0));
    ASSERT_EQ(before.size(), 100u);
    EXPECT_EQ(before.front(), "m149");
    EXPECT_EQ(before.back(), "m50");
  }
  storage::SqliteStore store(db());
  test::QueueDispatcher d;
  LocalBroker b(d, &store, options(100, &now));
  b.restore_recent(store.load_recent(100).value());
  EXPECT_EQ(texts(b.recent(100, 0)), before);
  EXPECT_EQ(b.stats().channels, 0u) << "the channels themselves load on demand";
  auto newest = b.recent(1, 0);
  ASSERT_EQ(newest.size(), 1u);
  EXPECT_EQ(newest[0]->author_id, "HL1");
  EXPECT_EQ(newest[0]->author_name, "Hero");
  EXPECT_EQ(newest[0]->dialect, "heavenland");
  EXPECT_EQ(newest[0]->payload.at("message"), "m149");
  // New messages go on top, offsets continue.
  now += 7;
  b.publish(text("General", "after"));
  store.close();
  EXPECT_EQ(texts(b.recent(2, 0)), (std::vector<std::string>{"after", "m149"}));
  EXPECT_EQ(b.recent(1, 0)[0]->offset, 38u + 1);  // General had i % 4 == 1: 38 messages
}

TEST_F(HeavenlandHistoryStore, RestoreKeepsCommitOrderAcrossChannels) {
  std::int64_t now = 1'000;
  {
    storage::SqliteStore store(db());
    test::QueueDispatcher d;
    LocalBroker b(d, &store, options(3, &now));
    // Commit order differs from time order (a clock step back).
    now = 3000;
    b.publish(text("b", "first"));
    now = 1000;
    b.publish(text("a", "second"));
    now = 2000;
    b.publish(text("c", "third"));
    b.publish(text("a", "fourth"));
    store.close();
    EXPECT_EQ(texts(b.recent(10, 0)), (std::vector<std::string>{"fourth", "third", "second"}));
  }
  storage::SqliteStore store(db());
  test::QueueDispatcher d;
  LocalBroker b(d, &store, options(3, &now));
  b.restore_recent(store.load_recent(3).value());
  EXPECT_EQ(texts(b.recent(10, 0)), (std::vector<std::string>{"fourth", "third", "second"}));
}

TEST(HeavenlandHistoryRing, RestoreKeepsTheNewestGivenAndMakesNoChannel) {
  test::QueueDispatcher d;
  std::int64_t now = 0;
  LocalBroker b(d, nullptr, options(3, &now));
  auto at = [](std::string channel, std::uint64_t offset, std::string body) {
    auto m = std::make_shared<Message>(text(std::move(channel), std::move(body)));
    m->offset = offset;
    return MessagePtr(m);
  };
  b.restore_recent({at("a", 1, "a1"), at("b", 1, "b1"), at("b", 2, "b2"), at("a", 2, "a2")});
  EXPECT_EQ(texts(b.recent(10, 0)), (std::vector<std::string>{"a2", "b2", "b1"}));
  EXPECT_EQ(b.stats().channels, 0u);
}

}  // namespace
}  // namespace parley::core
