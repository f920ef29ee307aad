#include "dialects/heavenland/minigame_connection.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/local_broker.hpp"
#include "dialects/heavenland/errors.hpp"
#include "heavenland_test_support.hpp"
#include "test_support.hpp"

namespace parley::dialects::heavenland {
namespace {

namespace json = boost::json;

json::value error(std::string_view text) { return json::object{{"error", text}}; }
json::value info(std::string_view text) { return json::object{{"info", text}}; }

TEST(HeavenlandPrize, OriginalSplit) {
  // 3 players: pool 1300; 36 / 26 / 18 %.
  EXPECT_EQ(prize(1, 3), 468);
  EXPECT_EQ(prize(2, 3), 338);
  EXPECT_EQ(prize(3, 3), 234);
  EXPECT_EQ(prize(4, 10), 240);  // pool 2000, 12 %
  EXPECT_EQ(prize(5, 10), 160);  // 8 %
  EXPECT_EQ(prize(6, 10), 0);
  EXPECT_EQ(prize(0, 10), 0);
  EXPECT_EQ(prize(-1, 10), 0);
}

std::vector<Player> players(std::initializer_list<const char*> ids) {
  std::vector<Player> out;
  for (const char* id : ids) out.push_back({id, std::string("nick ") + id});
  return out;
}

json::object end(std::string_view text) { return json::parse(text).as_object(); }

std::string error_of(const std::variant<json::object, std::string>& r) {
  auto* e = std::get_if<std::string>(&r);
  return e ? *e : "(no error: " + json::serialize(std::get<json::object>(r)) + ")";
}

TEST(HeavenlandHarness, GameEndBeforeAnySchedulerRan) {
  MinigameHarness h;
  EXPECT_EQ(error_of(h.end_game(end(R"({"id":"HLG-1","leaderboard":[]})"))),
            "scheduler not running");
}

TEST(HeavenlandHarness, GamesCycleAndAlternate) {
  MinigameHarness h;
  auto gen = h.start(600, 300, players({"a", "b"}), 1000);
  auto first = h.events();
  EXPECT_EQ(first[0].at("id"), "HLG-1");
  EXPECT_EQ(first[0].at("miniGame"), "boomer");
  EXPECT_EQ(first[0].at("parameters").at(0).at("startsAt"), 1300);
  EXPECT_EQ(first[0].at("players").as_array().size(), 2u);
  EXPECT_EQ(first[0].at("players").at(1).at("nickname"), "nick b");
  EXPECT_TRUE(h.tick(gen, players({"a"}), 1600));
  EXPECT_EQ(h.events()[0].at("id"), "HLG-2");
  EXPECT_EQ(h.events()[0].at("miniGame"), "speedspinner");
  EXPECT_TRUE(h.tick(gen, {}, 2200));
  EXPECT_TRUE(h.tick(gen, {}, 2800));
  EXPECT_EQ(h.events()[0].at("id"), "HLG-1");
  EXPECT_FALSE(h.tick(gen - 1, {}, 2800));  // a replaced schedule
  auto i = h.info();
  EXPECT_TRUE(i.running);
  EXPECT_EQ(i.period, 600);
  EXPECT_EQ(i.offset, 300);
  h.stop();
  EXPECT_FALSE(h.info().running);
  EXPECT_FALSE(h.tick(gen, {}, 3000));
}

TEST(HeavenlandHarness, GameEndPaysAndUpdatesBalances) {
  MinigameHarness h;
  auto gen = h.start(600, 300, players({"a", "b", "c"}), 1000);
  auto r = h.end_game(end(
      R"({"action":"game_end","id":"HLG-1","leaderboard":[{"id":"a","position":2,"k":"v"},{"id":"b","position":1},{"id":"c","position":7}]})"));
  ASSERT_TRUE(std::holds_alternative<json::object>(r)) << error_of(r);
  EXPECT_EQ(json::serialize(std::get<json::object>(r)),
            R"({"action":"balance_update","data":[{"id":"a","k":"v","won":338,"balance":338},)"
            R"({"id":"b","won":468,"balance":468},{"id":"c","won":0,"balance":0}]})");
  // The game ended: not running any more.
  EXPECT_EQ(error_of(h.end_game(end(R"({"id":"HLG-1","leaderboard":[{"id":"a","position":1}]})"))),
            "game with id HLG-1 not found in list of running games");
  // Balances carry over to the next game for players still online.
  h.tick(gen, players({"a", "b"}), 1600);
  auto r2 = h.end_game(end(R"({"id":"HLG-2","leaderboard":[{"id":"a","position":1.0}]})"));
  ASSERT_TRUE(std::holds_alternative<json::object>(r2)) << error_of(r2);
  auto item = std::get<json::object>(r2).at("data").at(0);
  EXPECT_EQ(item.at("won"), 396);  // pool 1100
  EXPECT_EQ(item.at("balance"), 338 + 396);
}

TEST(HeavenlandHarness, GameEndErrors) {
  MinigameHarness h;
  h.start(600, 300, players({"a", "b"}), 1000);
  EXPECT_EQ(error_of(h.end_game(end(R"({"id":"HLG-9","leaderboard":[]})"))),
            "game with id HLG-9 not found in list of running games");
  EXPECT_EQ(error_of(h.end_game(end(R"({"leaderboard":[]})"))),
            "game with id None not found in list of running games");
  EXPECT_EQ(error_of(h.end_game(end(R"({"id":5})"))),
            "game with id 5 not found in list of running games");
  EXPECT_EQ(error_of(h.end_game(end(R"({"id":"HLG-1"})"))), "leaderboard is empty");
  EXPECT_EQ(error_of(h.end_game(end(R"({"id":"HLG-1","leaderboard":[]})"))),
            "leaderboard is empty");
  EXPECT_EQ(error_of(h.end_game(end(R"({"id":"HLG-1","leaderboard":{"a":1}})"))),
            errors::kLeaderboardNotList);
  EXPECT_EQ(error_of(h.end_game(end(R"({"id":"HLG-1","leaderboard":[1]})"))),
            errors::kLeaderboardNotList);
  EXPECT_EQ(error_of(h.end_game(end(R"({"id":"HLG-1","leaderboard":[{"id":"a"}]})"))),
            "position not found for player id a");
  EXPECT_EQ(error_of(h.end_game(end(R"({"id":"HLG-1","leaderboard":[{"position":1}]})"))),
            "player id None not found in the pool of existing players");
  EXPECT_EQ(
      error_of(h.end_game(end(
          R"({"id":"HLG-1","leaderboard":[{"id":"a","position":1},{"id":"zz","position":2}]})"))),
      "player id zz not found in the pool of existing players");
  // Nothing was paid by the refused requests: the game is still running, balances at 0.
  auto ok = h.end_game(end(R"({"id":"HLG-1","leaderboard":[{"id":"a","position":1}]})"));
  ASSERT_TRUE(std::holds_alternative<json::object>(ok)) << error_of(ok);
  EXPECT_EQ(std::get<json::object>(ok).at("data").at(0).at("balance"), 396);
}

TEST(HeavenlandHarness, EventsBeforeAnyGame) {
  MinigameHarness h;
  auto e = h.events();
  EXPECT_EQ(e[0].at("id"), "HLG-0");
  EXPECT_EQ(e[0].at("miniGame"), "boomer");
  EXPECT_TRUE(e[0].at("players").as_array().empty());
  EXPECT_TRUE(e[0].at("results").is_null());
}

// Records the schedules asked for.
struct FakeScheduler final : MinigameScheduler {
  void run(std::uint64_t generation, std::chrono::seconds period) override {
    runs.emplace_back(generation, period);
  }
  std::vector<std::pair<std::uint64_t, std::chrono::seconds>> runs;
};

class MinigameTest : public testing::Test {
 protected:
  MinigameTest()
      : dispatcher(2),
        broker(dispatcher, nullptr, {}),
        service(broker, online, [] { return std::int64_t(5000); }) {
    service.set_scheduler(&scheduler);
  }
  struct Socket {
    test::HeavenlandSink sink;
    std::unique_ptr<MinigameConnection> conn;
  };
  std::unique_ptr<Socket> socket(std::size_t thread) {
    auto s = std::make_unique<Socket>();
    s->conn = std::make_unique<MinigameConnection>(service, broker, s->sink, ++sessions, thread,
                                                   "127.0.0.1:1");
    return s;
  }
  void send(Socket& s, std::string_view text) {
    s.conn->on_text(text);
    dispatcher.drain();
  }

  test::QueueDispatcher dispatcher;
  core::LocalBroker broker;
  OnlinePlayers online;
  FakeScheduler scheduler;
  MinigameService service;
  std::uint64_t sessions = 0;
};

TEST_F(MinigameTest, SchedulerStartInfoStopAreBroadcast) {
  auto a = socket(0), b = socket(1);
  send(*a, R"({"action":"scheduler_info"})");
  EXPECT_EQ(b->sink.take(), std::vector<json::value>{info("scheduler is not running")});
  a->sink.take();
  send(*a, R"({"action":"scheduler_start","period":60,"offset":30})");
  std::vector<json::value> started{info("update"), info("scheduler is running")};
  EXPECT_EQ(a->sink.take(), started);
  EXPECT_EQ(b->sink.take(), started);
  ASSERT_EQ(scheduler.runs.size(), 1u);
  EXPECT_EQ(scheduler.runs[0].second, std::chrono::seconds(60));
  send(*b, R"({"action":"scheduler_info"})");
  std::vector<json::value> running{
      json::parse(R"({"info":"scheduler is running","period":60,"offset":30})")};
  EXPECT_EQ(a->sink.take(), running);
  EXPECT_EQ(b->sink.take(), running);
  // The scheduler's tick announces the next game.
  EXPECT_TRUE(service.tick(scheduler.runs[0].first));
  dispatcher.drain();
  EXPECT_EQ(b->sink.take(), std::vector<json::value>{info("update")});
  EXPECT_EQ(a->sink.take(), std::vector<json::value>{info("update")});
  send(*b, R"({"action":"scheduler_stop"})");
  EXPECT_EQ(a->sink.take(), std::vector<json::value>{info("scheduler is stopped")});
  EXPECT_FALSE(service.tick(scheduler.runs[0].first));
}

TEST_F(MinigameTest, DefaultsAndBadPeriodOrOffset) {
  auto a = socket(0);
  send(*a, R"({"action":"scheduler_start","period":0})");
  send(*a, R"({"action":"scheduler_start","period":"600"})");
  send(*a, R"({"action":"scheduler_start","period":2147483648})");
  send(*a, R"({"action":"scheduler_start","offset":-1})");
  send(*a, R"({"action":"scheduler_start","offset":1.5})");
  EXPECT_EQ(a->sink.take(),
            (std::vector<json::value>{error(errors::kBadPeriod), error(errors::kBadPeriod),
                                      error(errors::kBadPeriod), error(errors::kBadOffsetSeconds),
                                      error(errors::kBadOffsetSeconds)}));
  EXPECT_TRUE(scheduler.runs.empty());
  send(*a, R"({"action":"scheduler_start"})");
  ASSERT_EQ(scheduler.runs.size(), 1u);
  EXPECT_EQ(scheduler.runs[0].second, std::chrono::seconds(600));
  a->sink.take();
  send(*a, R"({"action":"scheduler_info"})");
  EXPECT_EQ(a->sink.take()[0].at("offset"), 300);
}

TEST_F(MinigameTest, OnlinePlayersAnswersTheSenderOnly) {
  auto a = socket(0), b = socket(0);
  online.add("HL2", "Two", 10);
  online.add("HL1", "One", 11);
  send(*a, R"({"action":"online_players"})");
  EXPECT_EQ(
      a->sink.take(),
      std::vector<json::value>{json::parse(
          R"({"online_players":[{"id":"HL1","nickname":"One"},{"id":"HL2","nickname":"Two"}]})")});
  EXPECT_TRUE(b->sink.take().empty());
}

TEST_F(MinigameTest, GameEndBroadcastOrErrorToSender) {
  auto a = socket(0), b = socket(1);
  online.add("HL1", "One", 10);
  send(*a, R"({"action":"game_end","id":"HLG-1","leaderboard":[{"id":"HL1","position":1}]})");
  EXPECT_EQ(a->sink.take(), std::vector<json::value>{error("scheduler not running")});
  send(*a, R"({"action":"scheduler_start"})");
  a->sink.take();
  b->sink.take();
  send(*a, R"({"action":"game_end","id":"HLG-7","leaderboard":[]})");
  EXPECT_EQ(a->sink.take(), std::vector<json::value>{
                                error("game with id HLG-7 not found in list of running games")});
  EXPECT_TRUE(b->sink.take().empty());
  send(*a, R"({"action":"game_end","id":"HLG-1","leaderboard":[{"id":"HL1","position":1}]})");
  json::value update =
      json::parse(R"({"action":"balance_update","data":[{"id":"HL1","won":396,"balance":396}]})");
  EXPECT_EQ(a->sink.take(), std::vector<json::value>{update});
  EXPECT_EQ(b->sink.take(), std::vector<json::value>{update});
}

TEST_F(MinigameTest, BadInputAndUnknownActions) {
  auto a = socket(0);
  send(*a, "nope");
  send(*a, "[]");
  send(*a, R"({"action":"dance"})");
  send(*a, R"({})");
  EXPECT_EQ(a->sink.take(),
            (std::vector<json::value>{error(errors::kNotJson), error(errors::kNotObject)}));
}

TEST_F(MinigameTest, ChatMessagesDoNotReachMinigameSockets) {
  auto a = socket(0);
  core::Message m;
  m.channel = std::string(kMinigameChannel);
  m.text = "x";
  broker.publish(m);
  dispatcher.drain();
  EXPECT_TRUE(a->sink.take().empty());
  a->conn->on_close();
  service.announce_update();
  dispatcher.drain();
  EXPECT_TRUE(a->sink.take().empty());
}

}  // namespace
}  // namespace parley::dialects::heavenland
