// Concierge connections over a real LocalBroker and Registry, clients on two I/O threads:
// identification and every close code, seq numbering, the routing rules of every target, the
// service events, disconnects, and the heartbeat.
#include "dialects/concierge/connection.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>

#include "concierge_test_support.hpp"
#include "core/local_broker.hpp"
#include "dialects/concierge/codec.hpp"
#include "test_support.hpp"

namespace parley::dialects::concierge {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

struct Fixture : ::testing::Test {
  test::QueueDispatcher dispatcher{2};
  core::LocalBroker broker{dispatcher, nullptr, {}};
  Registry registry{broker, RegistryOptions{.max_subscriptions = 3, .max_services = 2}};
  std::chrono::steady_clock::time_point now{};

  struct Client {
    test::ConciergeSink sink;
    std::unique_ptr<Connection> conn;
    std::string uuid;
  };
  std::vector<std::unique_ptr<Client>> clients;

  // A new connection, on I/O thread `thread` (default: alternating between the two).
  Client& open(ConnectionOptions options = {}, std::optional<std::size_t> on_thread = {}) {
    auto c = std::make_unique<Client>();
    options.clock = [this] { return now; };
    std::size_t thread = on_thread.value_or(clients.size() % 2);
    c->conn =
        std::make_unique<Connection>(registry, c->sink, clients.size() + 1, thread,
                                     "127.0.0.1:" + std::to_string(1000 + clients.size()), options);
    c->conn->on_open();
    clients.push_back(std::move(c));
    return *clients.back();
  }

  static std::string identify_text(std::string_view name, std::string_view version = "0.2.0") {
    return json::serialize(json::object{
        {"type", "IDENTIFY"}, {"name", name}, {"version", version}, {"tags", json::array{"t"}}});
  }

  // An identified client; the CLIENT_JOINED the others got is drained from them.
  Client& join(std::string_view name, ConnectionOptions options = {},
               std::optional<std::size_t> thread = {}) {
    Client& c = open(options, thread);
    c.conn->on_text(identify_text(name));
    dispatcher.drain();
    auto got = received(c);
    EXPECT_EQ(got.size(), 1u);
    if (got.size() == 1) {
      EXPECT_EQ(got[0].at("type"), "HELLO");
      c.uuid = std::string(got[0].at("uuid").as_string());
    }
    for (auto& other : clients)
      if (other.get() != &c && registry.name_of(other->uuid)) {  // the others still there
        auto joined = received(*other);
        EXPECT_EQ(joined.size(), 1u) << "CLIENT_JOINED for " << name;
      }
    return c;
  }

  std::vector<json::value> received(Client& c) {
    std::vector<json::value> out;
    for (auto& t : c.sink.take()) out.push_back(json::parse(t));
    return out;
  }
  // Sends a payload, delivers what it caused, returns what the sender got.
  std::vector<json::value> send(Client& c, const json::object& payload) {
    return send_text(c, json::serialize(payload));
  }
  std::vector<json::value> send_text(Client& c, std::string_view text) {
    c.conn->on_text(text);
    dispatcher.drain();
    return received(c);
  }
  static json::object msg(json::object target, json::value data) {
    return json::object{{"type", "MESSAGE"}, {"target", std::move(target)}, {"data", data}};
  }
  static std::vector<std::string> types(const std::vector<json::value>& v) {
    std::vector<std::string> out;
    for (auto& x : v) out.emplace_back(x.at("type").as_string());
    return out;
  }
  // A service owned by `owner`, every other client in `subscribers` subscribed; events drained.
  void make_service(Client& owner, std::string_view name, std::vector<Client*> subscribers) {
    auto got = send(owner, {{"type", "SERVICE_CREATE"}, {"service", name}});
    EXPECT_EQ(types(got),
              (std::vector<std::string>{"SERVICE_CREATE_RESULT", "SERVICE_CREATE_RESULT"}));
    for (Client* s : subscribers) send(*s, {{"type", "SELF_SUBSCRIBE"}, {"service", name}});
    for (auto& c : clients) received(*c);
  }
};

using ConciergeConnection = Fixture;

// ---- Identification and close codes ---------------------------------------------------------

TEST_F(ConciergeConnection, IdentifyAnswersHelloAndTellsTheOthers) {
  Client& a = join("alice");
  Client& b = open();
  b.conn->on_text(identify_text("bob", "0.2.7"));
  dispatcher.drain();
  auto hello = received(b);
  ASSERT_EQ(hello.size(), 1u);  // HELLO only: no CLIENT_JOINED about itself
  EXPECT_EQ(hello[0].at("type"), "HELLO");
  EXPECT_EQ(hello[0].at("version"), "0.2.0");
  EXPECT_FALSE(hello[0].as_object().contains("seq"));
  EXPECT_TRUE(normalize_uuid(hello[0].at("uuid").as_string()));
  auto joined = received(a);
  ASSERT_EQ(joined.size(), 1u);
  EXPECT_EQ(joined[0].at("type"), "CLIENT_JOINED");
  EXPECT_EQ(joined[0].at("client").at("name"), "bob");
  EXPECT_EQ(joined[0].at("client").at("uuid"), hello[0].at("uuid"));
  EXPECT_EQ(joined[0].at("client").at("nickname"), nullptr);
  EXPECT_EQ(registry.client_count(), 2u);
}

struct CloseCase {
  const char* first;
  std::uint16_t code;
};

TEST_F(ConciergeConnection, EveryIdentificationFailureHasItsCloseCode) {
  join("taken");
  std::vector<CloseCase> cases = {
      {"not json", 4000},
      {R"({"type":"NOPE"})", 4000},
      {R"({"type":"IDENTIFY","name":"x"})", 4000},  // no version: not a valid payload
      {R"({"type":"SELF_FETCH"})", 4003},
      {R"({"type":"MESSAGE","target":{"type":"ALL"},"data":1})", 4003},
      {R"({"type":"IDENTIFY","name":"taken","version":"0.2.0"})", 4005},
      {R"({"type":"IDENTIFY","name":"ok","version":"0.3.0"})", 4007},
      {R"({"type":"IDENTIFY","name":"ok","version":"not a version"})", 4007},  // no crash
      {R"({"type":"IDENTIFY","name":"no spaces","version":"0.2.0"})", 4008},
      {R"({"type":"IDENTIFY","name":"","version":"0.2.0"})", 4008},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.first);
    Client& x = open();
    x.conn->on_text(c.first);
    dispatcher.drain();
    EXPECT_EQ(x.sink.close_code, c.code);
    EXPECT_EQ(x.sink.close_reason, close_reason(c.code));
    EXPECT_TRUE(x.sink.sent.empty());
    x.conn->on_text(identify_text("late"));  // nothing after the close
    EXPECT_TRUE(x.sink.sent.empty());
  }
  Client& binary = open();
  binary.conn->on_binary("\x01\x02");
  EXPECT_EQ(binary.sink.close_code, 4003);
  EXPECT_EQ(registry.client_count(), 1u);
}

TEST(ConciergeConnectionLimits, IdentifyPastTheServersChannelLimitCloses1013) {
  // Each client needs two channels in memory: the shared one and its own.
  test::QueueDispatcher dispatcher{1};
  core::LocalBrokerOptions options;
  options.max_channels = 3;
  core::LocalBroker broker{dispatcher, nullptr, options};
  Registry registry{broker};
  auto open = [&](test::ConciergeSink& sink, std::uint64_t session) {
    auto c = std::make_unique<Connection>(registry, sink, session, 0, "127.0.0.1:1",
                                          ConnectionOptions{});
    c->on_open();
    return c;
  };
  test::ConciergeSink first_sink, second_sink;
  auto first = open(first_sink, 1);
  first->on_text(Fixture::identify_text("first"));
  dispatcher.drain();
  EXPECT_EQ(first_sink.close_code, 0);
  auto second = open(second_sink, 2);
  second->on_text(Fixture::identify_text("second"));  // the shared channel and 1 of its own: 3
  dispatcher.drain();
  EXPECT_EQ(second_sink.close_code, 0);
  test::ConciergeSink third_sink;
  auto third = open(third_sink, 3);
  third->on_text(Fixture::identify_text("third"));
  dispatcher.drain();
  EXPECT_EQ(third_sink.close_code, 1013);
  EXPECT_EQ(third_sink.close_reason, "Try again later");
  EXPECT_EQ(registry.client_count(), 2u);
  EXPECT_EQ(broker.stats().channels, 3u) << "nothing of the refused client is left";
  second->on_close();
  test::ConciergeSink fourth_sink;
  auto fourth = open(fourth_sink, 4);
  fourth->on_text(Fixture::identify_text("fourth"));
  dispatcher.drain();
  EXPECT_EQ(fourth_sink.close_code, 0) << "a client left: room again";
  for (auto* c : {first.get(), third.get(), fourth.get()}) c->on_close();
}

TEST_F(ConciergeConnection, SecretMustMatchWhenSet) {
  ConnectionOptions options;
  options.secret = "s3cret";
  Client& wrong = open(options);
  wrong.conn->on_text(R"({"type":"IDENTIFY","name":"a","version":"0.2.0","secret":"nope"})");
  EXPECT_EQ(wrong.sink.close_code, 4006);
  Client& none = open(options);
  none.conn->on_text(R"({"type":"IDENTIFY","name":"a","version":"0.2.0"})");
  EXPECT_EQ(none.sink.close_code, 4006);
  Client& right = open(options);
  right.conn->on_text(R"({"type":"IDENTIFY","name":"a","version":"0.2.0","secret":"s3cret"})");
  EXPECT_EQ(right.sink.close_code, 0);
  EXPECT_EQ(received(right).at(0).at("type"), "HELLO");
  // Without a server secret, a client's secret is not looked at (the original's SECRET = None).
  Client& free = open();
  free.conn->on_text(R"({"type":"IDENTIFY","name":"b","version":"0.2.0","secret":"any"})");
  EXPECT_EQ(free.sink.close_code, 0);
}

TEST_F(ConciergeConnection, NoIdentifyWithinFiveSecondsCloses4004) {
  Client& idle = open();
  Client& quick = open();
  quick.conn->on_text(identify_text("quick"));
  idle.sink.fire(5000ms);
  quick.sink.fire(5000ms);
  EXPECT_EQ(idle.sink.close_code, 4004);
  EXPECT_EQ(idle.sink.close_reason, "Authorization failed");
  EXPECT_EQ(quick.sink.close_code, 0);
}

TEST_F(ConciergeConnection, HeartbeatPingsEveryFiveSecondsAndCloses4009AfterTenSilent) {
  Client& alive = join("alive");
  Client& silent = join("silent");
  for (int tick = 1; tick <= 4; ++tick) {
    now += 5s;
    alive.conn->on_alive();  // its pong
    alive.sink.fire(5000ms);
    silent.sink.fire(5000ms);
    if (tick <= 2) {
      EXPECT_EQ(silent.sink.pings, tick);  // 5 s and 10 s: not more than 10 s yet
      EXPECT_EQ(silent.sink.close_code, 0);
    }
  }
  EXPECT_EQ(silent.sink.close_code, 4009);  // at 15 s
  EXPECT_EQ(silent.sink.close_reason, "Heartbeat failed");
  EXPECT_EQ(alive.sink.close_code, 0);
  EXPECT_EQ(alive.sink.pings, 4);
  dispatcher.drain();
  // Closing took it out at once: the others saw it leave.
  auto left = received(alive);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].at("type"), "CLIENT_LEFT");
  EXPECT_EQ(left[0].at("client").at("name"), "silent");
  EXPECT_FALSE(registry.uuid_of("silent"));
}

// ---- seq ------------------------------------------------------------------------------------

TEST_F(ConciergeConnection, SeqCountsEveryTextPayloadAfterIdentify) {
  Client& a = join("alice");
  EXPECT_EQ(send(a, {{"type", "SERVICE_FETCH_ALL"}}).at(0).at("seq"), 0);
  auto err = send_text(a, "{broken");
  EXPECT_EQ(err.at(0).at("type"), "ERROR_PROTOCOL");
  EXPECT_EQ(err.at(0).at("seq"), 1);
  a.conn->on_binary("ignored");  // binary frames are not counted
  EXPECT_TRUE(a.sink.sent.empty());
  EXPECT_EQ(send(a, {{"type", "SELF_FETCH"}}).at(0).at("seq"), 2);
  auto again = send(a, json::parse(identify_text("alice")).as_object());
  EXPECT_EQ(again.at(0).at("type"), "ERROR_UNSUPPORTED");
  EXPECT_EQ(again.at(0).at("seq"), 3);
  auto set = send(a, {{"type", "SELF_SET_SEQ"}, {"seq", 41}});
  ASSERT_EQ(set.size(), 1u);
  EXPECT_EQ(set[0], json::parse(R"({"type":"OK","seq":41})"));
  EXPECT_EQ(send(a, {{"type", "CLIENT_FETCH_ALL"}}).at(0).at("seq"), 42);
  EXPECT_EQ(send(a, {{"type", "SELF_SUBSCRIBE"}}).at(0).at("seq"), 43);  // missing field
}

// ---- Services ---------------------------------------------------------------------------------

TEST_F(ConciergeConnection, ServiceCreateBroadcastsThenAnswersWithSeq) {
  Client& owner = join("owner");
  Client& other = join("other");
  auto got = send(owner, {{"type", "SERVICE_CREATE"}, {"service", "s"}, {"nickname", "S"}});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_FALSE(got[0].as_object().contains("seq"));  // the broadcast copy first
  EXPECT_EQ(got[1].at("seq"), 0);
  EXPECT_EQ(got[1].at("successful"), true);
  EXPECT_EQ(got[1].at("service"), json::parse(R"({"name":"s","nickname":"S","owner_uuid":")" +
                                              owner.uuid + R"(","subscribers":[]})"));
  auto seen = received(other);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].at("type"), "SERVICE_CREATE_RESULT");
  EXPECT_FALSE(seen[0].as_object().contains("seq"));
  // Again, by anyone: unsuccessful, the existing service, to the requester only.
  auto dup = send(other, {{"type", "SERVICE_CREATE"}, {"service", "s"}});
  ASSERT_EQ(dup.size(), 1u);
  EXPECT_EQ(dup[0].at("successful"), false);
  EXPECT_EQ(dup[0].at("service").at("owner_uuid"), json::value(owner.uuid));
  EXPECT_TRUE(received(owner).empty());
  EXPECT_EQ(registry.service_count(), 1u);
}

TEST_F(ConciergeConnection, SubscribeAndUnsubscribeEvents) {
  Client& owner = join("owner");
  Client& a = join("a");
  Client& b = join("b");
  make_service(owner, "s", {&owner});
  auto got = send(a, {{"type", "SELF_SUBSCRIBE"}, {"service", "s"}});
  EXPECT_EQ(types(got),
            (std::vector<std::string>{"SELF_SUBSCRIBE_RESULT", "SERVICE_CLIENT_SUBSCRIBED"}));
  EXPECT_EQ(got[0].at("successful"), true);
  EXPECT_EQ(got[0].at("service").at("subscribers").as_array().size(), 2u);
  auto to_owner = received(owner);  // a subscriber (the owner subscribed itself)
  ASSERT_EQ(to_owner.size(), 1u);
  EXPECT_EQ(to_owner[0].at("type"), "SERVICE_CLIENT_SUBSCRIBED");
  EXPECT_EQ(to_owner[0].at("client").at("uuid"), json::value(a.uuid));
  EXPECT_TRUE(received(b).empty());  // not a subscriber
  // Twice: unsuccessful, no event.
  auto again = send(a, {{"type", "SELF_SUBSCRIBE"}, {"service", "s"}});
  EXPECT_EQ(types(again), (std::vector<std::string>{"SELF_SUBSCRIBE_RESULT"}));
  EXPECT_EQ(again[0].at("successful"), false);
  EXPECT_TRUE(received(owner).empty());

  auto fetch = send(a, {{"type", "SELF_FETCH"}});
  EXPECT_EQ(fetch.at(0).at("client").at("name"), "a");
  EXPECT_EQ(fetch.at(0).at("subscriptions").as_array().size(), 1u);

  auto off = send(a, {{"type", "SELF_UNSUBSCRIBE"}, {"service", "s"}});
  EXPECT_EQ(types(off), (std::vector<std::string>{"SELF_UNSUBSCRIBE_RESULT"}));
  EXPECT_EQ(off[0].at("successful"), true);
  auto gone = received(owner);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0].at("type"), "SERVICE_CLIENT_UNSUBSCRIBED");
  EXPECT_EQ(gone[0].at("service").at("subscribers"), json::array{owner.uuid});
  EXPECT_EQ(send(a, {{"type", "SELF_UNSUBSCRIBE"}, {"service", "s"}}).at(0).at("successful"),
            false);
  for (const char* type :
       {"SELF_SUBSCRIBE", "SELF_UNSUBSCRIBE", "SERVICE_FETCH", "SERVICE_DELETE"}) {
    auto none = send(b, {{"type", type}, {"service", "nothing"}});
    ASSERT_EQ(none.size(), 1u) << type;
    EXPECT_EQ(none[0], json::parse(R"({"type":"INVALID_SERVICE","seq":)" +
                                   std::to_string(none[0].at("seq").as_int64()) +
                                   R"(,"service":"nothing"})"));
  }
}

TEST_F(ConciergeConnection, FetchPayloads) {
  Client& owner = join("owner");
  Client& a = join("a");
  make_service(owner, "zeta", {&a});
  make_service(owner, "alpha", {});
  auto one = send(a, {{"type", "SERVICE_FETCH"}, {"service", "zeta"}});
  EXPECT_EQ(one.at(0).at("type"), "SERVICE_FETCH_RESULT");
  EXPECT_EQ(one.at(0).at("service").at("subscribers"), json::array{a.uuid});
  auto all = send(a, {{"type", "SERVICE_FETCH_ALL"}});
  EXPECT_EQ(all.at(0).at("type"), "SERVICE_FETCH_ALL_RESULT");
  ASSERT_EQ(all.at(0).at("services").as_array().size(), 2u);
  EXPECT_EQ(all.at(0).at("services").at(0).at("name"), "alpha");
  auto clients_all = send(a, {{"type", "CLIENT_FETCH_ALL"}});
  EXPECT_EQ(clients_all.at(0).at("type"), "CLIENT_FETCH_ALL_RESULT");
  EXPECT_EQ(clients_all.at(0).at("clients").as_array().size(), 2u);
  auto c = send(owner, {{"type", "CLIENT_FETCH"}, {"uuid", a.uuid}});
  EXPECT_EQ(c.at(0).at("type"), "CLIENT_FETCH_RESULT");
  EXPECT_EQ(c.at(0).at("client").at("tags"), json::array{"t"});
  EXPECT_EQ(c.at(0).at("subscriptions").at(0).at("name"), "zeta");
  // Unknown: INVALID_UUID (the original answered nothing).
  std::string unknown = "00000000-0000-4000-8000-000000000000";
  auto none = send(owner, {{"type", "CLIENT_FETCH"}, {"uuid", unknown}});
  ASSERT_EQ(none.size(), 1u);
  EXPECT_EQ(none[0].at("type"), "INVALID_UUID");
  EXPECT_EQ(none[0].at("uuid"), json::value(unknown));
}

TEST_F(ConciergeConnection, ServiceDeleteByOwnerOnly) {
  Client& owner = join("owner");
  Client& a = join("a");
  make_service(owner, "s", {&a, &owner});
  auto bad = send(a, {{"type", "SERVICE_DELETE"}, {"service", "s"}});
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad[0], json::parse(R"({"type":"BAD"})"));  // no seq, as the original
  auto got = send(owner, {{"type", "SERVICE_DELETE"}, {"service", "s"}});
  EXPECT_EQ(types(got),
            (std::vector<std::string>{"SERVICE_DELETE_RESULT", "SERVICE_DELETE_RESULT"}));
  EXPECT_FALSE(got[0].as_object().contains("seq"));
  EXPECT_EQ(got[1].at("seq"), 2);  // after its SERVICE_CREATE and SELF_SUBSCRIBE
  auto seen = received(a);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].at("type"), "SERVICE_DELETE_RESULT");
  EXPECT_EQ(registry.service_count(), 0u);
  // The subscription went with it: a new service of the same name starts empty, and a's stale
  // broker subscription does not deliver it anything.
  make_service(owner, "s", {});
  send(owner, msg({{"type", "SERVICE"}, {"service", "s"}}, 1));
  EXPECT_TRUE(received(a).empty());
  EXPECT_EQ(send(a, {{"type", "SELF_FETCH"}}).at(0).at("subscriptions"), json::array{});
}

// ---- Routing -----------------------------------------------------------------------------

TEST_F(ConciergeConnection, NameAndUuidTargets) {
  Client& a = join("alice");
  Client& b = join("bob");
  auto ok = send(a, msg({{"type", "NAME"}, {"name", "bob"}}, json::parse(R"({"hi":1})")));
  EXPECT_EQ(ok, (std::vector<json::value>{json::parse(R"({"type":"OK","seq":0})")}));
  auto at_b = received(b);
  ASSERT_EQ(at_b.size(), 1u);
  EXPECT_EQ(at_b[0].at("origin").at("name"), "alice");
  EXPECT_EQ(at_b[0].at("origin").at("uuid"), json::value(a.uuid));
  EXPECT_EQ(at_b[0].at("origin").at("service"), nullptr);
  EXPECT_EQ(at_b[0].at("target"), json::parse(R"({"type":"NAME","name":"bob"})"));
  EXPECT_EQ(at_b[0].at("data"), json::parse(R"({"hi":1})"));
  EXPECT_FALSE(at_b[0].as_object().contains("seq"));

  send(a, msg({{"type", "UUID"}, {"uuid", b.uuid}}, "x"));
  EXPECT_EQ(received(b).size(), 1u);
  // To itself: the message, then OK.
  auto self = send(a, msg({{"type", "NAME"}, {"name", "alice"}}, 1));
  EXPECT_EQ(types(self), (std::vector<std::string>{"MESSAGE", "OK"}));

  auto no_name = send(a, msg({{"type", "NAME"}, {"name", "carol"}}, 1));
  EXPECT_EQ(no_name.at(0), json::parse(R"({"type":"INVALID_NAME","seq":3,"name":"carol"})"));
  std::string ghost = "00000000-0000-4000-8000-000000000000";
  auto no_uuid = send(a, msg({{"type", "UUID"}, {"uuid", ghost}}, 1));
  EXPECT_EQ(no_uuid.at(0).at("type"), "INVALID_UUID");
  EXPECT_EQ(no_uuid.at(0).at("uuid"), json::value(ghost));
  EXPECT_TRUE(received(b).empty());
}

TEST_F(ConciergeConnection, ServiceTargetFollowsTheOriginalsRules) {
  Client& owner = join("owner");
  Client& s1 = join("s1");
  Client& s2 = join("s2");
  Client& outsider = join("outsider");
  make_service(owner, "svc", {&owner, &s1, &s2});
  json::object to_service{{"type", "SERVICE"}, {"service", "svc"}};

  // Owner: to every subscriber but itself.
  auto ok = send(owner, msg(to_service, "broadcast"));
  EXPECT_EQ(types(ok), (std::vector<std::string>{"OK"}));
  for (Client* c : {&s1, &s2}) {
    auto got = received(*c);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].at("origin").at("uuid"), json::value(owner.uuid));
    EXPECT_EQ(got[0].at("origin").at("service").at("name"), "svc");
    EXPECT_EQ(got[0].at("origin").at("service").at("subscribers").as_array().size(), 3u);
  }
  EXPECT_TRUE(received(outsider).empty());

  // Subscriber: to the owner only.
  EXPECT_EQ(types(send(s1, msg(to_service, "up"))), (std::vector<std::string>{"OK"}));
  auto up = received(owner);
  ASSERT_EQ(up.size(), 1u);
  EXPECT_EQ(up[0].at("origin").at("uuid"), json::value(s1.uuid));
  EXPECT_EQ(up[0].at("data"), "up");
  EXPECT_TRUE(received(s2).empty());

  // Neither: BAD. Unknown service: INVALID_SERVICE.
  EXPECT_EQ(send(outsider, msg(to_service, 1)).at(0), json::parse(R"({"type":"BAD","seq":0})"));
  EXPECT_EQ(send(outsider, msg({{"type", "SERVICE"}, {"service", "nope"}}, 1)).at(0),
            json::parse(R"({"type":"INVALID_SERVICE","seq":1,"service":"nope"})"));
  EXPECT_TRUE(received(owner).empty());
}

TEST_F(ConciergeConnection, ServiceClientUuidIsForTheOwnerOnly) {
  Client& owner = join("owner");
  Client& sub = join("sub");
  Client& other = join("other");
  make_service(owner, "svc", {&sub});
  auto target = [](const std::string& uuid) {
    return json::object{{"type", "SERVICE_CLIENT_UUID"}, {"service", "svc"}, {"uuid", uuid}};
  };
  // To one client, subscribed or not, with the service in the origin.
  EXPECT_EQ(types(send(owner, msg(target(other.uuid), "psst"))), (std::vector<std::string>{"OK"}));
  auto got = received(other);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at("origin").at("service").at("name"), "svc");
  EXPECT_EQ(got[0].at("target").at("uuid"), json::value(other.uuid));
  EXPECT_TRUE(received(sub).empty());
  // Not the owner: BAD; unknown uuid: INVALID_UUID; unknown service: INVALID_SERVICE.
  EXPECT_EQ(send(sub, msg(target(other.uuid), 1)).at(0).at("type"), "BAD");
  EXPECT_TRUE(received(other).empty());
  EXPECT_EQ(send(owner, msg(target("00000000-0000-4000-8000-000000000000"), 1)).at(0).at("type"),
            "INVALID_UUID");
  json::object nowhere{{"type", "SERVICE_CLIENT_UUID"}, {"service", "no"}, {"uuid", sub.uuid}};
  EXPECT_EQ(send(owner, msg(nowhere, 1)).at(0).at("type"), "INVALID_SERVICE");
}

TEST_F(ConciergeConnection, AllTargetReachesEveryoneSenderIncluded) {
  Client& a = join("a", {}, 0);
  Client& b = join("b", {}, 1);
  Client& c = join("c", {}, 0);
  Client& d = join("d", {}, 1);
  for (auto& x : clients) x->sink.frames_made = 0;
  auto got = send(a, msg({{"type", "ALL"}}, "hi"));
  EXPECT_EQ(types(got), (std::vector<std::string>{"MESSAGE", "OK"}));
  EXPECT_EQ(got[0].at("origin").at("service"), nullptr);
  for (Client* x : {&b, &c, &d})
    EXPECT_EQ(types(received(*x)), (std::vector<std::string>{"MESSAGE"}));
  // Rendered once per I/O thread: b and d share one frame.
  EXPECT_EQ(b.sink.frames_made + c.sink.frames_made + d.sink.frames_made, 2);
}

// ---- Leaving ----------------------------------------------------------------------------------

TEST_F(ConciergeConnection, OwnerDisconnectDeletesItsServices) {
  Client& owner = join("owner");
  Client& a = join("a");
  Client& bystander = join("bystander");
  make_service(owner, "mine", {&a});
  make_service(a, "yours", {&owner, &a});
  owner.conn->on_close();
  dispatcher.drain();
  auto at_a = received(a);
  EXPECT_EQ(types(at_a), (std::vector<std::string>{"SERVICE_DELETE_RESULT",
                                                   "SERVICE_CLIENT_UNSUBSCRIBED", "CLIENT_LEFT"}));
  EXPECT_EQ(at_a[0].at("service").at("name"), "mine");
  EXPECT_EQ(at_a[1].at("service").at("name"), "yours");
  EXPECT_EQ(at_a[1].at("service").at("subscribers"), json::array{a.uuid});
  // Only to the services it was subscribed to (the original told every service).
  EXPECT_EQ(types(received(bystander)),
            (std::vector<std::string>{"SERVICE_DELETE_RESULT", "CLIENT_LEFT"}));
  EXPECT_EQ(registry.service_count(), 1u);
  EXPECT_FALSE(registry.uuid_of("owner"));
  // Its name is free again; a newcomer on the same slot gets nothing meant for the old one.
  Client& again = join("owner");
  EXPECT_NE(again.uuid, owner.uuid);
  owner.conn->on_close();  // idempotent
  EXPECT_EQ(registry.client_count(), 3u);
}

TEST_F(ConciergeConnection, StaleDeliveriesToAReusedClientSlotAreDropped) {
  Client& a = join("a", {}, 0);
  Client& b = join("b", {}, 1);
  // A message to b is broadcast but not yet delivered when b leaves and c, on b's thread, takes
  // its slot (and so its private channel).
  a.conn->on_text(json::serialize(msg({{"type", "NAME"}, {"name", "b"}}, "for b")));
  b.conn->on_close();
  Client& c = open({}, 1);
  c.conn->on_text(identify_text("c"));
  dispatcher.drain();
  auto got = received(c);
  EXPECT_EQ(types(got), (std::vector<std::string>{"HELLO"}));
}

TEST_F(ConciergeConnection, StaleDeliveriesToAReusedServiceSlotAreDropped) {
  Client& owner = join("owner", {}, 0);
  Client& b = join("b", {}, 1);
  Client& c = join("c", {}, 1);
  make_service(owner, "old", {&b, &c});
  // b leaves the service; a message is sent to it (c's thread is b's: it is posted there); the
  // service is deleted and a new one takes its slot; b subscribes to the new one before any of
  // this is delivered.
  b.conn->on_text(R"({"type":"SELF_UNSUBSCRIBE","service":"old"})");
  owner.conn->on_text(json::serialize(msg({{"type", "SERVICE"}, {"service", "old"}}, "late")));
  owner.conn->on_text(R"({"type":"SERVICE_DELETE","service":"old"})");
  owner.conn->on_text(R"({"type":"SERVICE_CREATE","service":"new"})");
  b.conn->on_text(R"({"type":"SELF_SUBSCRIBE","service":"new"})");
  dispatcher.drain();
  for (auto& v : received(b)) EXPECT_NE(v.at("type"), "MESSAGE") << v;
  bool c_got_it = false;
  for (auto& v : received(c)) c_got_it = c_got_it || v.at("type") == "MESSAGE";
  EXPECT_TRUE(c_got_it);
  // b's subscription to the new service works.
  send(owner, msg({{"type", "SERVICE"}, {"service", "new"}}, "fresh"));
  auto fresh = received(b);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0].at("data"), "fresh");
}

TEST_F(ConciergeConnection, LimitsAnswerErrorInternal) {
  Client& a = join("a");
  EXPECT_EQ(send(a, {{"type", "SERVICE_CREATE"}, {"service", "1"}}).size(), 2u);
  EXPECT_EQ(send(a, {{"type", "SERVICE_CREATE"}, {"service", "2"}}).size(), 2u);
  auto third = send(a, {{"type", "SERVICE_CREATE"}, {"service", "3"}});
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].at("type"), "ERROR_INTERNAL");
  Client& b = join("b");
  make_service(b, "x", {});
  make_service(b, "y", {});
  for (const char* s : {"1", "2", "x"})
    EXPECT_EQ(send(a, {{"type", "SELF_SUBSCRIBE"}, {"service", s}}).at(0).at("successful"), true);
  auto over = send(a, {{"type", "SELF_SUBSCRIBE"}, {"service", "y"}});
  EXPECT_EQ(over.at(0).at("type"), "ERROR_INTERNAL");
}

}  // namespace
}  // namespace parley::dialects::concierge
