#include "dialects/phoenix/connection.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/local_broker.hpp"
#include "test_support.hpp"

namespace parley::dialects::phoenix {
namespace {

namespace json = boost::json;

// A broker with sockets on one thread; each socket a Connection with a recording sink.
struct Fixture : ::testing::Test {
  test::QueueDispatcher dispatcher;
  core::LocalBroker broker{dispatcher, nullptr, {}};

  struct Socket {
    test::RecordingSink sink;
    std::unique_ptr<Connection> conn;
  };
  std::vector<std::unique_ptr<Socket>> sockets;

  Socket& open(Vsn vsn, ConnectionOptions options = {}) {
    auto s = std::make_unique<Socket>();
    s->conn = std::make_unique<Connection>(vsn, broker, s->sink, sockets.size() + 1, 0, options);
    sockets.push_back(std::move(s));
    return *sockets.back();
  }

  // Sends text, runs the posted fan-out, returns what the socket got, parsed.
  std::vector<json::value> send(Socket& s, std::string_view text) {
    s.conn->on_text(text);
    dispatcher.drain();
    return received(s);
  }
  std::vector<json::value> received(Socket& s) {
    std::vector<json::value> out;
    for (auto& t : s.sink.take()) out.push_back(json::parse(t));
    return out;
  }
  static std::string join_v1(std::string_view topic, std::string_view user,
                             std::string_view ref = "1") {
    return json::serialize(json::object{{"topic", topic},
                                        {"event", "phx_join"},
                                        {"payload", json::object{{"username", user}}},
                                        {"ref", ref}});
  }
};

using PhoenixConnection = Fixture;

// v1 accessors
const json::value& event(const json::value& v) { return v.at("event"); }
const json::value& payload(const json::value& v) { return v.at("payload"); }

TEST_F(PhoenixConnection, HeartbeatRepliesOk) {
  auto& s = open(Vsn::v2);
  auto got = send(s, R"([null,"5","phoenix","heartbeat",{}])");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(json::serialize(got[0]),
            R"([null,"5","phoenix","phx_reply",{"status":"ok","response":{}}])");
}

TEST_F(PhoenixConnection, JoinRepliesThenStateThenOwnDiff) {
  auto& a = open(Vsn::v1);
  auto got = send(a, join_v1("room:lobby", "robin", "1"));
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(event(got[0]), "phx_reply");
  EXPECT_EQ(payload(got[0]).at("status"), "ok");
  EXPECT_EQ(got[0].at("ref"), "1");
  EXPECT_EQ(event(got[1]), "presence_state");
  EXPECT_TRUE(payload(got[1]).as_object().empty()) << "the joiner is tracked after the state";
  EXPECT_EQ(event(got[2]), "presence_diff");
  auto& meta = payload(got[2]).at("joins").at("robin").at("metas").at(0);
  EXPECT_EQ(meta.at("username"), "robin");
  EXPECT_EQ(meta.at("typing"), false);
  EXPECT_TRUE(meta.as_object().contains("phx_ref"));
  EXPECT_TRUE(payload(got[2]).at("leaves").as_object().empty());

  auto& b = open(Vsn::v1);
  auto got_b = send(b, join_v1("room:lobby", "robin2"));
  ASSERT_EQ(got_b.size(), 3u);
  EXPECT_TRUE(payload(got_b[1]).as_object().contains("robin"));
  auto got_a = received(a);
  ASSERT_EQ(got_a.size(), 1u);
  EXPECT_TRUE(payload(got_a[0]).at("joins").as_object().contains("robin2"));
}

TEST_F(PhoenixConnection, JoinWithoutUsernameIsAnErrorAndTheSocketStays) {
  auto& a = open(Vsn::v2);
  for (auto bad : {R"(["1","1","room:lobby","phx_join",{}])",
                   R"(["1","1","room:lobby","phx_join",{"username":5}])",
                   R"(["1","1","room:lobby","phx_join",{"username":""}])",
                   R"(["1","1","room:lobby","phx_join","robin"])"}) {
    auto got = send(a, bad);
    ASSERT_EQ(got.size(), 1u) << bad;
    EXPECT_EQ(got[0].at(3), "phx_reply");
    EXPECT_EQ(got[0].at(4).at("status"), "error");
    EXPECT_FALSE(got[0].at(4).at("response").at("reason").as_string().empty());
  }
  EXPECT_EQ(a.sink.close_code, 0);
  EXPECT_EQ(a.conn->joined_count(), 0u);
  EXPECT_EQ(send(a, R"(["1","2","room:lobby","phx_join",{"username":"ok"}])").size(), 3u);
}

TEST_F(PhoenixConnection, UnmatchedTopics) {
  auto& a = open(Vsn::v2);
  auto got = send(a, R"(["1","1","lobby","phx_join",{"username":"robin"}])");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at(4).at("response").at("reason"), "unmatched topic");
  got = send(a, R"([null,"2","room:notjoined","shout",{"body":"x"}])");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at(4).at("response").at("reason"), "unmatched topic");
  got = send(a, R"([null,"3","room:notjoined","phx_leave",{}])");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at(4).at("status"), "ok") << "leaving a topic not joined is ok";
}

TEST_F(PhoenixConnection, ShoutIsBroadcastVerbatimToAllIncludingSender) {
  auto& a = open(Vsn::v1);
  auto& b = open(Vsn::v2);
  send(a, join_v1("room:lobby", "robin"));
  send(b, R"(["1","1","room:lobby","phx_join",{"username":"robin2"}])");
  received(a);
  auto got = send(
      a,
      R"({"topic":"room:lobby","event":"shout","payload":{"body":"hello world","channel":"lobby","name":"robin","extra":[1]},"ref":null})");
  ASSERT_EQ(got.size(), 1u) << "no reply to a shout, only the broadcast";
  EXPECT_EQ(
      json::serialize(got[0]),
      R"({"topic":"room:lobby","event":"shout","payload":{"body":"hello world","channel":"lobby","name":"robin","extra":[1]},"ref":null})");
  auto got_b = received(b);
  ASSERT_EQ(got_b.size(), 1u);
  EXPECT_EQ(
      json::serialize(got_b[0]),
      R"([null,null,"room:lobby","shout",{"body":"hello world","channel":"lobby","name":"robin","extra":[1]}])");
  auto h = broker.history("lobby", 10, 0);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0]->author_name, "robin");
  EXPECT_EQ(h[0]->text, "hello world");
  EXPECT_EQ(h[0]->dialect, "phoenix");
}

TEST(PhoenixBackpressure, AShoutIntoAFullStorePausesReadingUntilItHasRoom) {
  test::QueueDispatcher dispatcher;
  test::HeldStore store;
  core::LocalBroker broker{dispatcher, &store, {}};
  test::RecordingSink sink;
  Connection conn(Vsn::v2, broker, sink, 1, 0, {});
  conn.on_text(R"(["1","1","room:lobby","phx_join",{"username":"robin"}])");
  const char* shout = R"([null,null,"room:lobby","shout",{"body":"hi","name":"robin"}])";
  conn.on_text(shout);
  EXPECT_EQ(sink.pauses, 0) << "room in the store: reading goes on";
  store.room = false;
  conn.on_text(shout);
  EXPECT_EQ(store.appended.size(), 2u) << "the message that found the store full is kept";
  EXPECT_EQ(sink.pauses, 1);
  EXPECT_EQ(sink.resumes, 0);
  store.open();
  EXPECT_EQ(sink.resumes, 1) << "read again once the store has room";
  store.release();
  dispatcher.drain();
}

TEST_F(PhoenixConnection, BroadcastFramesAreSharedAcrossSockets) {
  std::vector<Socket*> v2;
  for (int i = 0; i < 5; ++i) {
    v2.push_back(&open(Vsn::v2));
    send(*v2.back(), R"(["1","1","room:lobby","phx_join",{"username":"u"}])");
  }
  for (auto* s : v2) s->sink.shared.clear();
  int made_before = 0;
  for (auto* s : v2) made_before += s->sink.frames_made;
  send(*v2[0], R"([null,null,"room:lobby","shout",{"body":"x"}])");
  int made_after = 0;
  for (auto* s : v2) made_after += s->sink.frames_made;
  EXPECT_EQ(made_after - made_before, 1) << "rendered once for five sockets";
  for (auto* s : v2) {
    ASSERT_EQ(s->sink.shared.size(), 1u);
    EXPECT_EQ(s->sink.shared[0], v2[0]->sink.shared[0]);
  }
}

TEST_F(PhoenixConnection, TypingUpdatesPresenceInOneDiff) {
  auto& a = open(Vsn::v1);
  auto joined = send(a, join_v1("room:lobby", "robin"));
  std::string first_ref(
      payload(joined[2]).at("joins").at("robin").at("metas").at(0).at("phx_ref").as_string());
  auto got = send(
      a,
      R"({"topic":"room:lobby","event":"user:typing","payload":{"typing":true,"username":"robin"},"ref":"5"})");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(event(got[0]), "phx_reply");
  EXPECT_EQ(payload(got[0]).at("status"), "ok");
  EXPECT_TRUE(payload(got[0]).at("response").as_object().empty());
  auto& diff = payload(got[1]);
  auto& joined_meta = diff.at("joins").at("robin").at("metas").at(0);
  auto& left_meta = diff.at("leaves").at("robin").at("metas").at(0);
  EXPECT_EQ(joined_meta.at("typing"), true);
  EXPECT_EQ(joined_meta.at("phx_ref_prev").as_string(), first_ref);
  EXPECT_NE(joined_meta.at("phx_ref").as_string(), first_ref);
  EXPECT_EQ(left_meta.at("typing"), false);
  EXPECT_EQ(left_meta.at("phx_ref").as_string(), first_ref);
  auto bad = send(
      a, R"({"topic":"room:lobby","event":"user:typing","payload":{"typing":"yes"},"ref":"6"})");
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(payload(bad[0]).at("status"), "error");
}

TEST_F(PhoenixConnection, LeaveRepliesClosesAndOthersSeeTheLeave) {
  auto& a = open(Vsn::v2);
  auto& b = open(Vsn::v2);
  send(a, R"(["1","1","room:lobby","phx_join",{"username":"robin"}])");
  send(b, R"(["1","1","room:lobby","phx_join",{"username":"robin2"}])");
  received(a);
  auto got = send(a, R"(["1","2","room:lobby","phx_leave",{}])");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(json::serialize(got[0]),
            R"(["1","2","room:lobby","phx_reply",{"status":"ok","response":{}}])");
  EXPECT_EQ(json::serialize(got[1]), R"(["1","1","room:lobby","phx_close",{}])");
  auto got_b = received(b);
  ASSERT_EQ(got_b.size(), 1u);
  EXPECT_TRUE(got_b[0].at(4).at("leaves").as_object().contains("robin"));
  EXPECT_EQ(a.conn->joined_count(), 0u);
  send(b, R"([null,null,"room:lobby","shout",{"body":"after"}])");
  EXPECT_TRUE(received(a).empty()) << "a left: no more broadcasts";
}

TEST_F(PhoenixConnection, DisconnectLeavesPresence) {
  auto& a = open(Vsn::v2);
  auto& b = open(Vsn::v2);
  send(a, R"(["1","1","room:lobby","phx_join",{"username":"robin"}])");
  send(b, R"(["1","1","room:lobby","phx_join",{"username":"robin2"}])");
  a.conn.reset();  // the transport closed
  dispatcher.drain();
  auto got_b = received(b);
  ASSERT_EQ(got_b.size(), 1u);
  EXPECT_TRUE(got_b[0].at(4).at("leaves").as_object().contains("robin"));
  EXPECT_EQ(broker.presence_list("lobby").count("robin"), 0u);
}

TEST_F(PhoenixConnection, DuplicateJoinClosesTheOldJoin) {
  auto& a = open(Vsn::v2);
  send(a, R"(["1","1","room:lobby","phx_join",{"username":"robin"}])");
  auto got = send(a, R"(["3","3","room:lobby","phx_join",{"username":"robin"}])");
  ASSERT_GE(got.size(), 3u);
  EXPECT_EQ(json::serialize(got[0]), R"(["1","1","room:lobby","phx_close",{}])");
  EXPECT_EQ(got[1].at(3), "phx_reply");
  EXPECT_EQ(got[1].at(0), "3");
  EXPECT_EQ(a.conn->joined_count(), 1u);
  EXPECT_EQ(broker.presence_list("lobby").at("robin").size(), 1u);
}

TEST_F(PhoenixConnection, OneUsernameOnTwoSocketsIsOneKeyWithTwoMetas) {
  auto& a = open(Vsn::v2);
  auto& b = open(Vsn::v2);
  send(a, R"(["1","1","room:lobby","phx_join",{"username":"robin"}])");
  auto got = send(b, R"(["1","1","room:lobby","phx_join",{"username":"robin"}])");
  EXPECT_EQ(got[1].at(4).at("robin").at("metas").as_array().size(), 1u);
  EXPECT_EQ(broker.presence_list("lobby").at("robin").size(), 2u);
}

TEST_F(PhoenixConnection, UnknownEventIsAnErrorReplyAndTheChannelStays) {
  auto& a = open(Vsn::v2);
  send(a, R"(["1","1","room:lobby","phx_join",{"username":"robin"}])");
  auto got = send(a, R"(["1","2","room:lobby","dance",{}])");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at(4).at("response").at("reason"), "unhandled event");
  EXPECT_EQ(a.conn->joined_count(), 1u);
  got = send(a, R"(["1","3","room:lobby","shout","not an object"])");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at(4).at("status"), "error");
}

TEST_F(PhoenixConnection, TooManyChannels) {
  auto& a = open(Vsn::v2, ConnectionOptions{2});
  send(a, R"(["1","1","room:a","phx_join",{"username":"robin"}])");
  send(a, R"(["2","2","room:b","phx_join",{"username":"robin"}])");
  auto got = send(a, R"(["3","3","room:c","phx_join",{"username":"robin"}])");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at(4).at("response").at("reason"), "too many channels joined");
  EXPECT_EQ(a.conn->joined_count(), 2u);
}

TEST_F(PhoenixConnection, MalformedFramesCloseOrReply) {
  auto& a = open(Vsn::v1);
  auto got = send(a, R"({"topic":"room:lobby","event":"shout","ref":"1"})");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(payload(got[0]).at("status"), "error");
  EXPECT_EQ(got[0].at("ref"), "1");
  EXPECT_EQ(a.sink.close_code, 0);
  send(a, "{not json");
  EXPECT_EQ(a.sink.close_code, 1007);
  auto& b = open(Vsn::v2);
  send(b, R"({"topic":"room:lobby"})");
  EXPECT_EQ(b.sink.close_code, 1007);
}

TEST_F(PhoenixConnection, MessagesFromOtherDialectsRenderAsShouts) {
  auto& a = open(Vsn::v2);
  send(a, R"(["1","1","room:lobby","phx_join",{"username":"robin"}])");
  core::Message m;
  m.channel = "lobby";
  m.author_name = "mqtt-user";
  m.text = "from elsewhere";
  m.dialect = "mqtt";
  broker.publish(std::move(m));
  dispatcher.drain();
  auto got = received(a);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(
      json::serialize(got[0]),
      R"([null,null,"room:lobby","shout",{"body":"from elsewhere","channel":"lobby","name":"mqtt-user"}])");
}

TEST(PhoenixConnectionLimits, AJoinPastTheServersChannelLimitIsAnErrorReply) {
  test::QueueDispatcher dispatcher;
  core::LocalBrokerOptions options;
  options.max_channels = 1;
  core::LocalBroker broker{dispatcher, nullptr, options};
  test::RecordingSink sink;
  Connection c(Vsn::v2, broker, sink, 1, 0, {});
  auto last = [&] {
    dispatcher.drain();
    auto sent = sink.take();
    return sent.empty() ? std::string() : sent.back();
  };
  c.on_text(R"(["1","1","room:a","phx_join",{"username":"robin"}])");
  EXPECT_NE(last().find("presence_diff"), std::string::npos);
  c.on_text(R"(["2","2","room:b","phx_join",{"username":"robin"}])");
  EXPECT_EQ(
      last(),
      R"(["2","2","room:b","phx_reply",{"status":"error","response":{"reason":"too many channels"}}])");
  // Not joined: an event there is unmatched; the socket and its other room stay.
  c.on_text(R"(["2","3","room:b","shout",{"body":"x"}])");
  EXPECT_NE(last().find("unmatched topic"), std::string::npos);
  EXPECT_EQ(sink.close_code, 0);
  c.on_text(R"(["1","4","room:a","phx_leave",{}])");
  last();
  c.on_text(R"(["5","5","room:b","phx_join",{"username":"robin"}])");
  EXPECT_NE(last().find("presence_diff"), std::string::npos) << "room:a left: room for room:b";
}

}  // namespace
}  // namespace parley::dialects::phoenix
