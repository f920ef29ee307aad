#include "dialects/heavenland/chat_connection.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "core/local_broker.hpp"
#include "dialects/heavenland/errors.hpp"
#include "dialects/heavenland/render.hpp"
#include "heavenland_test_support.hpp"
#include "test_support.hpp"

namespace parley::dialects::heavenland {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

json::value error(std::string_view text) { return json::object{{"error", text}}; }
const json::value kConnected = json::object{{"info", "connected"}};

class ChatTest : public testing::Test {
 protected:
  ChatTest()
      : dispatcher(2),
        broker(dispatcher, nullptr, broker_options()),
        limiter(RateLimit{30, 60s}),
        account_limiter(RateLimit{10, 60s}),
        shared{broker, auth, limiter, account_limiter, online, chat_options()} {}

  static core::LocalBrokerOptions broker_options() {
    core::LocalBrokerOptions o;
    o.recent_size = 100;
    o.now_ms = [] { return std::int64_t(1'666'259'380'123); };
    return o;
  }
  ChatOptions chat_options() {
    ChatOptions o;
    o.history_limit = 100;
    o.login_per_connection = {5, 60s};
    o.now = [this] { return clock.now; };
    return o;
  }

  struct Client {
    test::HeavenlandSink sink;
    std::unique_ptr<ChatConnection> conn;
  };
  std::unique_ptr<Client> client(std::size_t thread = 0, std::string peer = "10.0.0.1:5000") {
    auto c = std::make_unique<Client>();
    c->conn = std::make_unique<ChatConnection>(shared, c->sink, ++sessions, thread, peer);
    return c;
  }
  void send(Client& c, const json::value& v) { c.conn->on_text(json::serialize(v)); }
  // Logs c in as user_id through the scripted authenticator.
  void login(Client& c, const std::string& user_id, const std::string& nickname) {
    send(c, json::object{{"action", "login"}, {"token", "t-" + user_id}});
    auth.succeed(user_id, nickname);
    ASSERT_EQ(c.sink.take(), std::vector<json::value>{kConnected});
  }

  test::ManualClock clock;
  test::QueueDispatcher dispatcher;
  core::LocalBroker broker;
  test::ScriptedAuth auth;
  KeyedLimiter limiter;
  KeyedLimiter account_limiter;
  OnlinePlayers online;
  ChatShared shared;
  std::uint64_t sessions = 0;
};

TEST_F(ChatTest, EverythingButLoginNeedsAuthentication) {
  auto c = client();
  for (const char* text :
       {R"({"action":"message","message":"hi"})", R"({"action":"history"})",
        R"({"action":"bogus"})", R"({})", R"({"action":"history","limit":"x"})"}) {
    c->conn->on_text(text);
    EXPECT_EQ(c->sink.take(), std::vector<json::value>{error(errors::kNotAuthenticated)}) << text;
  }
  EXPECT_TRUE(auth.calls.empty());
}

TEST_F(ChatTest, NotJsonAndNotObjectAnswerErrorsInAnyState) {
  auto c = client();
  c->conn->on_text("hello");
  c->conn->on_text("[1]");
  EXPECT_EQ(c->sink.take(),
            (std::vector<json::value>{error(errors::kNotJson), error(errors::kNotObject)}));
  login(*c, "HL1", "Hero");
  c->conn->on_text("{\"action\":");
  c->conn->on_text("\"message\"");
  EXPECT_EQ(c->sink.take(),
            (std::vector<json::value>{error(errors::kNotJson), error(errors::kNotObject)}));
}

TEST_F(ChatTest, TokenLoginSucceeds) {
  auto c = client(1);
  send(*c, json::object{{"action", "login"}, {"token", "abc"}});
  EXPECT_EQ(c->conn->state(), ChatConnection::State::pending);
  ASSERT_EQ(auth.calls.size(), 1u);
  EXPECT_EQ(auth.calls[0].token, "abc");
  EXPECT_EQ(auth.calls[0].thread, 1u);
  EXPECT_TRUE(c->sink.take().empty());
  auth.succeed("HL365393213667", "Great Heavenland Hero");
  EXPECT_EQ(c->sink.take(), std::vector<json::value>{kConnected});
  EXPECT_EQ(c->conn->state(), ChatConnection::State::authenticated);
  EXPECT_EQ(c->conn->user_id(), "HL365393213667");
  ASSERT_EQ(online.list().size(), 1u);
  EXPECT_EQ(online.list()[0].nickname, "Great Heavenland Hero");
}

TEST_F(ChatTest, PasswordLoginGoesToTheAuthenticator) {
  auto c = client();
  send(*c, json::object{{"action", "login"}, {"username", "ann"}, {"password", "pw"}});
  ASSERT_EQ(auth.calls.size(), 1u);
  EXPECT_EQ(auth.calls[0].username, "ann");
  EXPECT_EQ(auth.calls[0].password, "pw");
  auth.fail(AuthFailure::unknown_username);
  EXPECT_EQ(c->sink.take(),
            std::vector<json::value>{error("could not find user with username ann")});
  EXPECT_EQ(c->conn->state(), ChatConnection::State::anonymous);
}

TEST_F(ChatTest, LoginFailuresAnswerTheOriginalStrings) {
  struct Case {
    AuthFailure failure;
    std::string detail;
    std::string_view expected;
  };
  const Case cases[] = {
      {AuthFailure::token_invalid, "", errors::kTokenInvalid},
      {AuthFailure::token_unparsable, "", errors::kTokenUnparsable},
      {AuthFailure::user_not_found, "", errors::kTokenUserNotFound},
      {AuthFailure::account_timeout, "", errors::kAccountTimeout},
      {AuthFailure::account_error, "", errors::kAccountError},
      {AuthFailure::account_error, "account is banned", "account is banned"},
      {AuthFailure::invalid_credentials, "", errors::kInvalidCredentials},
      {AuthFailure::unavailable, "", errors::kAuthUnavailable},
      {AuthFailure::internal, "", errors::kLoginFailed},
  };
  auto c = client();
  for (const auto& k : cases) {
    clock.advance(60s);  // keep under the rate limit
    send(*c, json::object{{"action", "login"}, {"token", "x"}});
    auth.fail(k.failure, k.detail);
    EXPECT_EQ(c->sink.take(), std::vector<json::value>{error(k.expected)});
    EXPECT_EQ(c->conn->state(), ChatConnection::State::anonymous);
  }
  EXPECT_TRUE(online.list().empty());
}

TEST_F(ChatTest, LoginWithoutFieldsAndWhilePending) {
  auto c = client();
  send(*c, json::object{{"action", "login"}});
  EXPECT_EQ(c->sink.take(), std::vector<json::value>{error(errors::kLoginFieldsMissing)});
  send(*c, json::object{{"action", "login"}, {"token", "a"}});
  send(*c, json::object{{"action", "login"}, {"token", "b"}});
  send(*c, json::object{{"action", "message"}, {"message", "early"}});
  EXPECT_EQ(c->sink.take(), (std::vector<json::value>{error(errors::kLoginInProgress),
                                                      error(errors::kNotAuthenticated)}));
  EXPECT_EQ(auth.calls.size(), 1u);
}

TEST_F(ChatTest, LoginAgainAfterLoginIsIgnored) {
  auto c = client();
  login(*c, "HL1", "Hero");
  send(*c, json::object{{"action", "login"}, {"token", "other"}});
  EXPECT_TRUE(auth.calls.empty());
  EXPECT_TRUE(c->sink.take().empty());
  EXPECT_EQ(c->conn->user_id(), "HL1");
}

TEST_F(ChatTest, LoginRateLimitedPerConnection) {
  auto c = client();
  for (int i = 0; i < 5; ++i) {
    send(*c, json::object{{"action", "login"}, {"token", "bad"}});
    auth.fail(AuthFailure::token_unparsable);
  }
  EXPECT_EQ(c->sink.take().size(), 5u);
  send(*c, json::object{{"action", "login"}, {"token", "bad"}});
  EXPECT_EQ(c->sink.take(), std::vector<json::value>{error(errors::kTooManyLogins)});
  EXPECT_TRUE(auth.calls.empty());
  // One attempt comes back every window / burst (12 s).
  clock.advance(12s);
  send(*c, json::object{{"action", "login"}, {"token", "ok"}});
  ASSERT_EQ(auth.calls.size(), 1u);
  auth.succeed("HL1", "Hero");
  EXPECT_EQ(c->sink.take(), std::vector<json::value>{kConnected});
  // Another connection from elsewhere is not affected.
  auto d = client(0, "10.0.0.2:1");
  send(*d, json::object{{"action", "login"}, {"token", "ok"}});
  EXPECT_EQ(auth.calls.size(), 1u);
}

TEST_F(ChatTest, LoginRateLimitedPerAddress) {
  std::vector<std::unique_ptr<Client>> clients;
  int refused = 0;
  for (int i = 0; i < 8; ++i) {
    clients.push_back(client(0, "10.9.9.9:" + std::to_string(1000 + i)));
    for (int k = 0; k < 5; ++k) {
      send(*clients.back(), json::object{{"action", "login"}, {"token", "bad"}});
      if (!auth.calls.empty()) auth.fail(AuthFailure::token_invalid);
    }
    for (const auto& v : clients.back()->sink.take())
      if (v == error(errors::kTooManyLogins)) ++refused;
  }
  EXPECT_EQ(refused, 8 * 5 - 30);
  // Another address still gets in.
  auto other = client(0, "[::1]:4000");
  send(*other, json::object{{"action", "login"}, {"token", "ok"}});
  EXPECT_EQ(auth.calls.size(), 1u);
}

TEST_F(ChatTest, PasswordLoginsRateLimitedPerAccountFromAnyAddress) {
  // One address each (no per-address limit applies): the account's limit, 10 per window.
  int refused = 0;
  for (int i = 0; i < 15; ++i) {
    auto c = client(0, "10.1.0." + std::to_string(i) + ":4000");
    send(*c, json::object{{"action", "login"}, {"username", "ann"}, {"password", "guess"}});
    if (!auth.calls.empty()) auth.fail(AuthFailure::invalid_credentials);
    for (const auto& v : c->sink.take())
      if (v == error(errors::kTooManyLogins)) ++refused;
  }
  EXPECT_EQ(refused, 5);
  // Another account, and token logins, are not held back by it.
  auto other = client(0, "10.2.0.1:4000");
  send(*other, json::object{{"action", "login"}, {"username", "bob"}, {"password", "pw"}});
  EXPECT_EQ(auth.calls.size(), 1u);
  auth.fail(AuthFailure::invalid_credentials);
  auto token = client(0, "10.2.0.2:4000");
  login(*token, "ann", "Ann");
}

TEST_F(ChatTest, BusyAuthenticatorAnswersAtOnce) {
  auto c = client();
  send(*c, json::object{{"action", "login"}, {"username", "ann"}, {"password", "pw"}});
  auth.fail(AuthFailure::busy);
  EXPECT_EQ(c->sink.take(), std::vector<json::value>{error(errors::kLoginsBusy)});
  EXPECT_EQ(c->conn->state(), ChatConnection::State::anonymous);
}

TEST(HeavenlandBackpressure, AMessageIntoAFullStorePausesReading) {
  test::QueueDispatcher dispatcher;
  test::HeldStore store;
  core::LocalBroker broker(dispatcher, &store, {});
  test::ScriptedAuth auth;
  KeyedLimiter limiter(RateLimit{30, 60s}), accounts(RateLimit{10, 60s});
  OnlinePlayers online;
  ChatShared shared{broker, auth, limiter, accounts, online, {}};
  test::HeavenlandSink sink;
  ChatConnection c(shared, sink, 1, 0, "10.0.0.1:5000");
  c.on_text(R"({"action":"login","token":"t"})");
  auth.succeed("HL1", "Hero");
  c.on_text(R"({"action":"message","message":"one"})");
  EXPECT_EQ(sink.pauses, 0);
  store.room = false;
  c.on_text(R"({"action":"message","message":"two"})");
  EXPECT_EQ(store.appended.size(), 2u) << "the message that found the store full is kept";
  EXPECT_EQ(sink.pauses, 1);
  store.release();
  dispatcher.drain();
}

TEST_F(ChatTest, MessageBroadcastToEveryLoggedInSocketSenderIncluded) {
  auto a = client(0), b = client(1), anonymous = client(1);
  login(*a, "HL1", "Hero");
  login(*b, "HL2", "Villain");
  send(*a, json::parse(R"({"action":"message","message":"hello","channel":"General","x":[1]})"));
  dispatcher.drain();
  json::value expected = json::parse(
      R"({"user_id":"HL1","timestamp":1666259380,"message":"hello","channel":"General","x":[1],"nickname":"Hero"})");
  EXPECT_EQ(a->sink.take(), std::vector<json::value>{expected});
  EXPECT_EQ(b->sink.take(), std::vector<json::value>{expected});
  EXPECT_TRUE(anonymous->sink.take().empty());
  // The stored message: channel General, canonical fields filled.
  auto h = broker.history("General", 10, 0);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0]->author_id, "HL1");
  EXPECT_EQ(h[0]->author_name, "Hero");
  EXPECT_EQ(h[0]->text, "hello");
  EXPECT_EQ(h[0]->dialect, "heavenland");
}

TEST_F(ChatTest, MessageWithoutChannelGoesToTheDefaultChannelAndHasNoChannelKey) {
  auto a = client();
  login(*a, "HL1", "Hero");
  send(*a, json::parse(R"({"action":"message","message":"plain"})"));
  dispatcher.drain();
  auto got = a->sink.take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(got[0].as_object().contains("channel"));
  EXPECT_EQ(broker.history(std::string(kDefaultChannel), 10, 0).size(), 1u);
}

TEST_F(ChatTest, BroadcastEncodedOncePerFanOut) {
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(client(0));
    login(*clients.back(), "HL" + std::to_string(i), "n");
  }
  send(*clients[0], json::parse(R"({"action":"message","message":"m"})"));
  dispatcher.drain();
  int made = 0;
  for (auto& c : clients) made += c->sink.frames_made;
  EXPECT_EQ(made, 1);
  EXPECT_EQ(clients[3]->sink.shared[0], clients[1]->sink.shared[0]);
}

TEST_F(ChatTest, MessageErrorsAfterLogin) {
  auto a = client();
  login(*a, "HL1", "Hero");
  send(*a, json::parse(R"({"action":"message"})"));
  send(*a, json::parse(R"({"action":"message","message":"m","channel":true})"));
  send(*a, json::parse(R"({"action":"history","limit":-1})"));
  send(*a, json::parse(R"({"action":"history","offset":"2"})"));
  dispatcher.drain();
  EXPECT_EQ(a->sink.take(),
            (std::vector<json::value>{error(errors::kMessageNotString), error(errors::kBadChannel),
                                      error(errors::kBadLimit), error(errors::kBadOffset)}));
}

TEST_F(ChatTest, UnknownActionsAfterLoginAreIgnored) {
  auto a = client();
  login(*a, "HL1", "Hero");
  send(*a, json::parse(R"({"action":"dance"})"));
  send(*a, json::parse(R"({"no":"action"})"));
  dispatcher.drain();
  EXPECT_TRUE(a->sink.take().empty());
}

TEST_F(ChatTest, HistoryNewestFirstWithLimitAndOffsetAcrossChannels) {
  auto a = client();
  login(*a, "HL1", "Hero");
  for (int i = 1; i <= 12; ++i) {
    json::object m{{"action", "message"}, {"message", "m" + std::to_string(i)}};
    if (i % 3 == 0) m["channel"] = "c" + std::to_string(i % 2);
    send(*a, m);
  }
  // Another system's message is history too.
  core::Message hub;
  hub.channel = "lobby";
  hub.author_id = "robin";
  hub.author_name = "robin";
  hub.text = "from hub";
  hub.dialect = "phoenix";
  broker.publish(hub);
  dispatcher.drain();
  a->sink.take();

  auto texts = [&](const json::value& reply) {
    std::vector<std::string> out;
    for (const auto& m : reply.at("history").as_array())
      out.emplace_back(m.at("message").as_string());
    return out;
  };
  send(*a, json::parse(R"({"action":"history"})"));
  auto got = a->sink.take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(texts(got[0]), (std::vector<std::string>{"from hub", "m12", "m11", "m10", "m9", "m8",
                                                     "m7", "m6", "m5", "m4"}));
  EXPECT_EQ(got[0].at("history").at(0),
            json::parse(R"({"user_id":"robin","timestamp":1666259380,"message":"from hub",)"
                        R"("channel":"lobby","nickname":"robin"})"));
  send(*a, json::parse(R"({"action":"history","limit":2,"offset":3})"));
  EXPECT_EQ(texts(a->sink.take()[0]), (std::vector<std::string>{"m10", "m9"}));
  send(*a, json::parse(R"({"action":"history","limit":5,"offset":11})"));
  EXPECT_EQ(texts(a->sink.take()[0]), (std::vector<std::string>{"m2", "m1"}));
  send(*a, json::parse(R"({"action":"history","limit":5,"offset":13})"));
  EXPECT_EQ(a->sink.take()[0], json::parse(R"({"history":[]})"));
  send(*a, json::parse(R"({"action":"history","limit":0})"));
  EXPECT_EQ(a->sink.take()[0], json::parse(R"({"history":[]})"));
  send(*a, json::parse(R"({"action":"history","limit":100})"));
  EXPECT_EQ(texts(a->sink.take()[0]).size(), 13u);
}

TEST_F(ChatTest, HistoryLimitIsCapped) {
  shared.options.history_limit = 3;
  auto a = client();
  login(*a, "HL1", "Hero");
  for (int i = 0; i < 5; ++i) send(*a, json::object{{"action", "message"}, {"message", "m"}});
  dispatcher.drain();
  a->sink.take();
  send(*a, json::parse(R"({"action":"history","limit":50})"));
  EXPECT_EQ(a->sink.take()[0].at("history").as_array().size(), 3u);
}

TEST_F(ChatTest, CloseDuringLoginIgnoresTheResult) {
  auto a = client();
  send(*a, json::object{{"action", "login"}, {"token", "t"}});
  a->conn->on_close();
  auth.succeed("HL1", "Hero");
  EXPECT_TRUE(a->sink.take().empty());
  EXPECT_TRUE(online.list().empty());
  // Not subscribed: a message reaches no one.
  core::Message m;
  m.channel = "x";
  broker.publish(m);
  EXPECT_TRUE(dispatcher.posted.empty());
}

TEST_F(ChatTest, DestroyedDuringLoginIgnoresTheResult) {
  auto a = client();
  send(*a, json::object{{"action", "login"}, {"token", "t"}});
  a.reset();
  auth.succeed("HL1", "Hero");  // must not touch the freed connection
  EXPECT_TRUE(online.list().empty());
}

TEST_F(ChatTest, CloseLeavesOnlinePlayersAndTheGroup) {
  auto a = client(0), b = client(0);
  login(*a, "HL1", "Hero");
  login(*b, "HL1", "Hero");  // the same user twice: one player
  EXPECT_EQ(online.list().size(), 1u);
  a->conn->on_close();
  EXPECT_EQ(online.list().size(), 1u);
  b->conn->on_close();
  EXPECT_TRUE(online.list().empty());
  core::Message m;
  m.channel = "x";
  broker.publish(m);
  EXPECT_TRUE(dispatcher.posted.empty());
}

TEST(HeavenlandRender, OtherSystemsMessagesOnTheDefaultChannelHaveNoChannel) {
  core::Message m;
  m.channel = std::string(kDefaultChannel);
  m.author_id = "a";
  m.author_name = "A";
  m.text = "t";
  m.time_ms = 5'999;
  m.dialect = "phoenix";
  EXPECT_EQ(json::serialize(render_message(m)),
            R"({"user_id":"a","timestamp":5,"message":"t","nickname":"A"})");
}

TEST(HeavenlandLimiter, TokenBucketAndAddresses) {
  Clock::time_point t{std::chrono::hours(1)};
  TokenBucket b(RateLimit{2, 10s}, t);
  EXPECT_TRUE(b.take(t));
  EXPECT_TRUE(b.take(t));
  EXPECT_FALSE(b.take(t));
  EXPECT_FALSE(b.full(t + 9s));
  EXPECT_TRUE(b.take(t + 5s));
  EXPECT_FALSE(b.take(t + 5s));
  EXPECT_TRUE(b.full(t + 15s));
  EXPECT_EQ(address_of("127.0.0.1:5000"), "127.0.0.1");
  EXPECT_EQ(address_of("[::1]:5000"), "::1");
  EXPECT_EQ(address_of("?"), "?");
}

TEST(HeavenlandLimiter, AddressTableForgetsFullBuckets) {
  Clock::time_point t{std::chrono::hours(1)};
  KeyedLimiter l(RateLimit{1, 1s});
  for (std::size_t i = 0; i < KeyedLimiter::kSweepAt; ++i) l.take("a" + std::to_string(i), t);
  EXPECT_EQ(l.size(), KeyedLimiter::kSweepAt);
  EXPECT_TRUE(l.take("new", t + 2s));
  EXPECT_EQ(l.size(), 1u);
}

TEST_F(ChatTest, AMessagePastTheServersChannelLimitIsAnError) {
  core::LocalBrokerOptions options;
  options.max_channels = 1;
  core::LocalBroker small(dispatcher, nullptr, options);
  ChatShared small_shared{small, auth, limiter, account_limiter, online, chat_options()};
  Client c;
  c.conn = std::make_unique<ChatConnection>(small_shared, c.sink, ++sessions, 0, "10.0.0.1:1");
  send(c, json::object{{"action", "login"}, {"token", "t"}});
  auth.succeed("HL1", "Hero");
  ASSERT_EQ(c.sink.take(), std::vector<json::value>{kConnected});
  send(c, json::object{{"action", "message"}, {"message", "one"}, {"channel", "a"}});
  dispatcher.drain();
  ASSERT_EQ(c.sink.take().size(), 1u);  // delivered back
  send(c, json::object{{"action", "message"}, {"message", "two"}, {"channel", "b"}});
  dispatcher.drain();
  EXPECT_EQ(c.sink.take(), std::vector<json::value>{error(errors::kTooManyChannels)});
  EXPECT_TRUE(small.history("b", 10, 0).empty()) << "not stored";
  EXPECT_EQ(small.stats().channels, 1u);
  c.conn->on_close();
}

}  // namespace
}  // namespace parley::dialects::heavenland
