// mqtt::Connection, Session and Engine driven by bytes, over the real LocalBroker: the CONNECT
// handshake with every return code, QoS 0/1/2 both ways, retained messages, wills, keep-alive,
// persistent sessions, takeover, subscription limits and denials, and the SSE system's channels.
#include "dialects/mqtt/connection.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <memory>
#include <optional>

#include "core/local_broker.hpp"
#include "dialects/chat_sse/codec.hpp"
#include "dialects/mqtt/message.hpp"
#include "mqtt_test_support.hpp"
#include "test_support.hpp"

namespace parley::dialects::mqtt {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using test::Received;

// A StateStore in memory: the records as the SQLite one would hold them.
struct MapStateStore final : core::StateStore {
  void put(std::string key, std::string value) override { records[key] = std::move(value); }
  void erase(std::string key) override { records.erase(key); }
  std::vector<std::pair<std::string, std::string>> all() const {
    return {records.begin(), records.end()};
  }
  std::map<std::string, std::string> records;
};

struct Client {
  Client(Engine& engine, std::size_t thread = 0, std::uint64_t id = 1) {
    transport.thread_index = thread;
    transport.session = id;
    transport.transport_kind = core::Transport::stream;  // raw TCP
    connection = std::make_unique<Connection>(engine, transport);
    connection->on_open();
  }
  void send(const std::string& bytes) { EXPECT_TRUE(connection->on_binary(bytes)); }
  // What the server sent since the last take (a subscribe() may have kept some back).
  std::vector<Received> take() {
    auto out = std::move(backlog);
    backlog.clear();
    for (auto& r : test::take_packets(transport)) out.push_back(std::move(r));
    return out;
  }
  // The transport closed (as net reports it).
  void drop() { connection->on_close(); }
  test::RecordingSink transport;
  std::unique_ptr<Connection> connection;
  std::vector<Received> backlog;
};

std::string connect_packet(std::string_view id, bool clean = true, std::uint16_t keep_alive = 0,
                           std::optional<Will> will = std::nullopt,
                           std::optional<std::string_view> user = std::nullopt,
                           std::optional<std::string_view> password = std::nullopt) {
  Connect c;
  c.client_id = id;
  c.clean_session = clean;
  c.keep_alive = keep_alive;
  c.will = will;
  c.username = user;
  c.password = password;
  return encode_connect(c);
}

std::string publish_packet(std::string_view topic, std::string_view payload, std::uint8_t qos = 0,
                           std::uint16_t id = 0, bool retain = false, bool dup = false) {
  return encode_publish(Publish{topic, payload, qos, retain, dup, id});
}

std::string subscribe_packet(std::uint16_t id,
                             std::vector<std::pair<std::string_view, std::uint8_t>> filters) {
  return encode_subscribe(Subscribe{id, std::move(filters)});
}

class MqttConnectionTest : public ::testing::Test {
 protected:
  void make_engine(std::size_t threads = 1) {
    clients_.clear();
    if (dispatcher_) drain();
    engine_.reset();
    broker_.reset();
    dispatcher_ = std::make_unique<test::QueueDispatcher>(threads);
    broker_ = std::make_unique<core::LocalBroker>(*dispatcher_, &store_, broker_options_);
    options_.clock = [this] { return now_; };
    engine_ = std::make_unique<Engine>(*broker_, *dispatcher_, options_, &state_, auth_);
  }
  void SetUp() override { make_engine(); }
  void TearDown() override {
    clients_.clear();
    drain();
    engine_.reset();
  }

  // Runs posted work and commits until nothing is left.
  void drain() {
    do {
      dispatcher_->drain();
      if (!hold_) store_.release();
    } while (!dispatcher_->posted.empty());
  }

  Client& client(std::size_t thread = 0) {
    clients_.push_back(std::make_unique<Client>(*engine_, thread, clients_.size() + 1));
    return *clients_.back();
  }

  // A connected client: CONNECT sent, CONNACK checked and taken.
  Client& connected(std::string_view id, bool clean = true, std::size_t thread = 0,
                    std::optional<Will> will = std::nullopt, std::uint16_t keep_alive = 0) {
    Client& c = client(thread);
    c.send(connect_packet(id, clean, keep_alive, will));
    drain();
    auto got = c.take();
    EXPECT_FALSE(got.empty());
    if (!got.empty()) {
      EXPECT_EQ(got[0].type, PacketType::connack);
      EXPECT_EQ(got[0].connack().code, connack_code::accepted);
    }
    return c;
  }

  void subscribe(Client& c, std::string_view filter, std::uint8_t qos, std::uint16_t id = 1) {
    c.send(subscribe_packet(id, {{filter, qos}}));
    drain();
    auto got = c.take();
    ASSERT_FALSE(got.empty());
    ASSERT_EQ(got[0].type, PacketType::suback);
    EXPECT_EQ(got[0].suback().codes, std::vector<std::uint8_t>{qos});
    c.backlog.assign(std::make_move_iterator(got.begin() + 1), std::make_move_iterator(got.end()));
  }

  std::vector<Received> publishes(Client& c) {
    std::vector<Received> out;
    for (auto& r : c.take())
      if (r.type == PacketType::publish) out.push_back(std::move(r));
    return out;
  }

  // Its commits run when the test drains (never inside append: the broker holds the channel's
  // lock there), or, while hold_ is set, when the test calls store_.release().
  test::HeldStore store_;
  bool hold_ = false;
  core::LocalBrokerOptions broker_options_;
  MapStateStore state_;
  Options options_;
  Authenticator* auth_ = nullptr;
  std::chrono::steady_clock::time_point now_{};
  std::unique_ptr<test::QueueDispatcher> dispatcher_;
  std::unique_ptr<core::LocalBroker> broker_;
  std::unique_ptr<Engine> engine_;
  std::vector<std::unique_ptr<Client>> clients_;
};

// ---- CONNECT -----------------------------------------------------------------------------------

TEST_F(MqttConnectionTest, ConnectThenPing) {
  Client& c = client();
  c.send(connect_packet("c1"));
  c.send(encode_empty(PacketType::pingreq));
  drain();
  auto got = c.take();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].type, PacketType::connack);
  EXPECT_FALSE(got[0].connack().session_present);
  EXPECT_EQ(got[0].connack().code, 0);
  EXPECT_EQ(got[1].type, PacketType::pingresp);
  EXPECT_FALSE(c.transport.closed);
}

TEST_F(MqttConnectionTest, FirstPacketMustBeConnect) {
  Client& c = client();
  c.send(encode_empty(PacketType::pingreq));
  EXPECT_TRUE(c.transport.closed);
  EXPECT_TRUE(c.take().empty());
}

TEST_F(MqttConnectionTest, NoConnectInTime) {
  Client& c = client();
  ASSERT_EQ(c.transport.timers.size(), 1u);
  EXPECT_EQ(c.transport.timers[0].delay, options_.connect_timeout);
  test::fire_all(c.transport);
  EXPECT_TRUE(c.transport.closed);
}

TEST_F(MqttConnectionTest, SecondConnectClosesAndPublishesTheWill) {
  Client& watcher = connected("watcher");
  subscribe(watcher, "wills/#", 0);
  Client& c = connected("c1", true, 0, Will{"wills/c1", "gone", 0, false});
  c.send(connect_packet("c1"));
  EXPECT_TRUE(c.transport.closed);
  c.drop();
  drain();
  auto got = publishes(watcher);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].publish().topic, "wills/c1");
  EXPECT_EQ(got[0].publish().payload, "gone");
}

TEST_F(MqttConnectionTest, UnknownProtocolLevelGets0x01) {
  Client& c = client();
  std::string body = "\x00\x04MQTT\x05\x02\x00\x3C\x00\x00\x01x"s;
  c.send("\x10"s + static_cast<char>(body.size()) + body);
  auto got = c.take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].connack().code, connack_code::bad_protocol_version);
  EXPECT_TRUE(c.transport.closed);
}

TEST_F(MqttConnectionTest, UnknownProtocolNameCloses) {
  Client& c = client();
  c.send("\x10\x0B\x00\x02hj\x04\x02\x00\x00\x00\x01x"s);
  EXPECT_TRUE(c.transport.closed);
  EXPECT_TRUE(c.take().empty());
}

TEST_F(MqttConnectionTest, EmptyClientId) {
  Client& persistent = client();
  persistent.send(connect_packet("", /*clean=*/false));
  auto got = persistent.take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].connack().code, connack_code::identifier_rejected);
  EXPECT_TRUE(persistent.transport.closed);

  Client& clean = client();
  clean.send(connect_packet("", /*clean=*/true));
  got = clean.take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].connack().code, connack_code::accepted);
  EXPECT_TRUE(clean.connection->client_id().starts_with("parley-"));

  options_.allow_zero_length_client_id = false;
  make_engine();
  Client& refused = client();
  refused.send(connect_packet("", true));
  EXPECT_EQ(refused.take().at(0).connack().code, connack_code::identifier_rejected);
}

TEST_F(MqttConnectionTest, MqttThreeOneIsSpoken) {
  Connect c;
  c.protocol_name = "MQIsdp";
  c.level = kLevel31;
  c.client_id = "old-client";
  Client& old = client();
  old.send(encode_connect(c));
  auto got = old.take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].connack().code, connack_code::accepted);
}

TEST_F(MqttConnectionTest, UserNamesAndPasswords) {
  test::FixedAuthenticator auth;
  auth.users["alice"] = "wonder";
  auth_ = &auth;
  options_.allow_anonymous = false;
  make_engine();

  Client& anonymous = client();
  anonymous.send(connect_packet("a"));
  EXPECT_EQ(anonymous.take().at(0).connack().code, connack_code::not_authorized);
  EXPECT_TRUE(anonymous.transport.closed);

  Client& wrong = client();
  wrong.send(connect_packet("w", true, 0, std::nullopt, "alice", "nope"));
  EXPECT_EQ(wrong.take().at(0).connack().code, connack_code::bad_username_or_password);

  Client& unknown = client();
  unknown.send(connect_packet("u", true, 0, std::nullopt, "mallory", "x"));
  EXPECT_EQ(unknown.take().at(0).connack().code, connack_code::bad_username_or_password);

  Client& alice = client();
  alice.send(connect_packet("al", true, 0, std::nullopt, "alice", "wonder"));
  EXPECT_EQ(alice.take().at(0).connack().code, connack_code::accepted);
  EXPECT_EQ(auth.asked.back(), (std::pair<std::string, std::string>("alice", "wonder")));

  auth.unavailable = true;
  Client& down = client();
  down.send(connect_packet("d", true, 0, std::nullopt, "bob", "x"));
  EXPECT_EQ(down.take().at(0).connack().code, connack_code::server_unavailable);

  // A message published by alice carries her user name.
  subscribe(alice, "t", 0);
  alice.send(publish_packet("t", "hi"));
  drain();
  auto history = broker_->history("t", 10, 0);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0]->author_id, "alice");
}

TEST_F(MqttConnectionTest, PacketsAfterConnectWaitForTheLogin) {
  test::FixedAuthenticator auth;
  auth.users["alice"] = "wonder";
  auth.defer = true;
  auth_ = &auth;
  make_engine();
  Client& c = client();
  // CONNECT, SUBSCRIBE and PINGREQ in one write, before CONNACK.
  c.send(connect_packet("c", true, 0, std::nullopt, "alice", "wonder") +
         subscribe_packet(1, {{"x", 1}}) + encode_empty(PacketType::pingreq));
  c.send(encode_empty(PacketType::pingreq));
  EXPECT_TRUE(c.take().empty());
  ASSERT_EQ(auth.pending.size(), 1u);
  auth.pending[0](AuthOutcome::ok);
  drain();
  auto got = c.take();
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].type, PacketType::connack);
  EXPECT_EQ(got[1].type, PacketType::suback);
  EXPECT_EQ(got[2].type, PacketType::pingresp);
  EXPECT_EQ(got[3].type, PacketType::pingresp);
}

TEST_F(MqttConnectionTest, TextFrameCloses) {
  Client& c = connected("c");
  c.connection->on_text("hello");
  EXPECT_TRUE(c.transport.closed);
  EXPECT_EQ(c.transport.close_code, 1003);
}

TEST_F(MqttConnectionTest, MalformedPacketClosesAndPublishesTheWill) {
  Client& watcher = connected("watcher");
  subscribe(watcher, "w", 0);
  Client& c = connected("c", true, 0, Will{"w", "bye", 0, false});
  c.send(publish_packet("a", "x").replace(0, 1, "\x36"));  // QoS 3
  EXPECT_TRUE(c.transport.closed);
  c.drop();
  drain();
  EXPECT_EQ(publishes(watcher).size(), 1u);
}

// ---- QoS, inbound ------------------------------------------------------------------------------

TEST_F(MqttConnectionTest, InboundQosFlows) {
  Client& c = connected("pub");
  c.send(publish_packet("t", "zero"));
  c.send(publish_packet("t", "one", 1, 11));
  c.send(publish_packet("t", "two", 2, 12));
  c.send(publish_packet("t", "two", 2, 12, false, /*dup=*/true));  // sent again, not committed
  drain();
  auto got = c.take();
  ASSERT_EQ(got.size(), 2u);  // the commit answers both copies of 12
  EXPECT_EQ(got[0].type, PacketType::puback);
  EXPECT_EQ(got[0].ack().packet_id, 11);
  EXPECT_EQ(got[1].type, PacketType::pubrec);
  EXPECT_EQ(got[1].ack().packet_id, 12);
  c.send(publish_packet("t", "two", 2, 12, false, /*dup=*/true));  // sent again, committed
  drain();
  got = c.take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type, PacketType::pubrec);
  auto history = broker_->history("t", 10, 0);
  ASSERT_EQ(history.size(), 3u);  // the QoS 2 message once
  EXPECT_EQ(history[0]->text, "zero");
  EXPECT_EQ(history[2]->text, "two");
  c.send(encode_ack(PacketType::pubrel, 12));
  drain();
  got = c.take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type, PacketType::pubcomp);
  EXPECT_EQ(got[0].ack().packet_id, 12);
  // After PUBREL the identifier is free: the same one is a new message.
  c.send(publish_packet("t", "again", 2, 12));
  drain();
  EXPECT_EQ(broker_->history("t", 10, 0).size(), 4u);
}

// ---- Delivery ----------------------------------------------------------------------------------

TEST_F(MqttConnectionTest, DeliveryAtTheLowerQos) {
  Client& sub = connected("sub");
  subscribe(sub, "a/+", 1);
  Client& pub = connected("pub");
  pub.send(publish_packet("a/b", "q2", 2, 5));
  pub.send(publish_packet("a/b", "q0", 0));
  pub.send(publish_packet("a/b/c", "deeper", 0));
  drain();
  auto got = publishes(sub);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].publish().topic, "a/b");
  EXPECT_EQ(got[0].publish().payload, "q2");
  EXPECT_EQ(got[0].publish().qos, 1);
  EXPECT_NE(got[0].publish().packet_id, 0);
  EXPECT_FALSE(got[0].publish().retain);
  EXPECT_FALSE(got[0].publish().dup);
  EXPECT_EQ(got[1].publish().qos, 0);
  sub.send(encode_ack(PacketType::puback, got[0].publish().packet_id));
  drain();
}

TEST_F(MqttConnectionTest, OutboundQos2Flow) {
  Client& sub = connected("sub");
  subscribe(sub, "t", 2);
  Client& pub = connected("pub");
  pub.send(publish_packet("t", "exactly once", 2, 1));
  drain();
  auto got = publishes(sub);
  ASSERT_EQ(got.size(), 1u);
  std::uint16_t id = got[0].publish().packet_id;
  EXPECT_EQ(got[0].publish().qos, 2);
  sub.send(encode_ack(PacketType::pubrec, id));
  drain();
  auto rel = sub.take();
  ASSERT_EQ(rel.size(), 1u);
  EXPECT_EQ(rel[0].type, PacketType::pubrel);
  EXPECT_EQ(rel[0].ack().packet_id, id);
  sub.send(encode_ack(PacketType::pubcomp, id));
  drain();
  EXPECT_TRUE(sub.take().empty());
}

TEST_F(MqttConnectionTest, OverlappingSubscriptionsDeliverOnceAtTheHighestQos) {
  Client& sub = connected("sub");
  sub.send(subscribe_packet(1, {{"TopicA/#", 2}, {"TopicA/+", 1}}));
  drain();
  EXPECT_EQ(sub.take().at(0).suback().codes, (std::vector<std::uint8_t>{2, 1}));
  Client& pub = connected("pub");
  pub.send(publish_packet("TopicA/C", "overlap", 2, 1));
  drain();
  auto got = publishes(sub);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].publish().qos, 2);
}

TEST_F(MqttConnectionTest, InflightWindowAndQueue) {
  options_.max_inflight = 1;
  make_engine();
  Client& sub = connected("sub");
  subscribe(sub, "t", 1);
  Client& pub = connected("pub");
  for (int i = 0; i < 3; ++i) pub.send(publish_packet("t", std::to_string(i), 1, i + 1));
  drain();
  auto got = publishes(sub);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].publish().payload, "0");
  sub.send(encode_ack(PacketType::puback, got[0].publish().packet_id));
  drain();
  got = publishes(sub);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].publish().payload, "1");
  sub.send(encode_ack(PacketType::puback, got[0].publish().packet_id));
  drain();
  got = publishes(sub);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].publish().payload, "2");
}

TEST_F(MqttConnectionTest, DollarTopicsAndWildcards) {
  Client& all = connected("all");
  subscribe(all, "#", 0);
  Client& plus = connected("plus");
  subscribe(plus, "+/+", 0);
  Client& dollar = connected("dollar");
  subscribe(dollar, "$SYS/#", 0);
  Client& pub = connected("pub");
  pub.send(publish_packet("$SYS/load", "1"));
  pub.send(publish_packet("$TopicA/B", "2"));
  pub.send(publish_packet("TopicA/B", "3"));
  drain();
  auto got_all = publishes(all);
  ASSERT_EQ(got_all.size(), 1u);
  EXPECT_EQ(got_all[0].publish().payload, "3");
  auto got_plus = publishes(plus);
  ASSERT_EQ(got_plus.size(), 1u);
  EXPECT_EQ(got_plus[0].publish().payload, "3");
  auto got_dollar = publishes(dollar);
  ASSERT_EQ(got_dollar.size(), 1u);
  EXPECT_EQ(got_dollar[0].publish().payload, "1");
}

TEST_F(MqttConnectionTest, Unsubscribe) {
  Client& sub = connected("sub");
  subscribe(sub, "a/#", 0);
  subscribe(sub, "b", 0, 2);
  sub.send(encode_unsubscribe(Unsubscribe{3, {"a/#", "never/subscribed"}}));
  drain();
  auto got = sub.take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].type, PacketType::unsuback);
  EXPECT_EQ(got[0].ack().packet_id, 3);
  Client& pub = connected("pub");
  pub.send(publish_packet("a/x", "no"));
  pub.send(publish_packet("b", "yes"));
  drain();
  auto p = publishes(sub);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].publish().payload, "yes");
  EXPECT_FALSE(engine_->index(0).on_all_channels());  // the last wildcard went
}

TEST_F(MqttConnectionTest, DeniedFiltersGet0x80) {
  options_.deny_subscribe = {"test/nosubscribe", "private/#"};
  options_.max_subscriptions = 3;
  make_engine();
  Client& sub = connected("sub");
  sub.send(subscribe_packet(1, {{"test/nosubscribe", 2}, {"ok", 1}, {"private/x", 0}, {"#", 0}}));
  drain();
  EXPECT_EQ(sub.take().at(0).suback().codes,
            (std::vector<std::uint8_t>{kSubackFailure, 1, kSubackFailure, 0}));
  // The limit: two granted, one more fits, then 0x80; the same filter again still fits.
  sub.send(subscribe_packet(2, {{"three", 0}, {"four", 0}, {"ok", 2}}));
  drain();
  EXPECT_EQ(sub.take().at(0).suback().codes, (std::vector<std::uint8_t>{0, kSubackFailure, 2}));
  // A denied topic is not delivered through "#" either.
  Client& pub = connected("pub");
  pub.send(publish_packet("test/nosubscribe", "secret"));
  pub.send(publish_packet("private/a", "secret"));
  pub.send(publish_packet("public", "hello"));
  drain();
  auto got = publishes(sub);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].publish().payload, "hello");
}

// ---- Retained ----------------------------------------------------------------------------------

TEST_F(MqttConnectionTest, RetainedMessages) {
  Client& pub = connected("pub");
  pub.send(publish_packet("TopicA/B", "qos 0", 0, 0, true));
  pub.send(publish_packet("Topic/C", "qos 1", 1, 1, true));
  pub.send(publish_packet("TopicA/C", "qos 2", 2, 2, true));
  pub.send(publish_packet("TopicA/C", "qos 2 newer", 2, 3, true));
  drain();
  Client& sub = connected("sub");
  subscribe(sub, "+/+", 2);
  auto got = publishes(sub);
  ASSERT_EQ(got.size(), 3u);
  std::map<std::string, std::string> seen;
  for (const auto& r : got) {
    EXPECT_TRUE(r.publish().retain);
    seen[std::string(r.publish().topic)] = r.publish().payload;
  }
  EXPECT_EQ(seen["TopicA/C"], "qos 2 newer");
  EXPECT_EQ(seen["TopicA/B"], "qos 0");
  // Subscribing to the same filter again sends them again.
  sub.send(subscribe_packet(2, {{"TopicA/B", 1}}));
  drain();
  got = publishes(sub);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].publish().qos, 0);  // the message's own QoS
  // Live publications have RETAIN clear, retained or not.
  pub.send(publish_packet("TopicA/B", "live", 0, 0, true));
  drain();
  got = publishes(sub);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(got[0].publish().retain);
  // Empty payloads clear them (and are delivered as any publication).
  pub.send(publish_packet("TopicA/B", "", 0, 0, true));
  pub.send(publish_packet("Topic/C", "", 1, 4, true));
  pub.send(publish_packet("TopicA/C", "", 2, 5, true));
  drain();
  EXPECT_EQ(publishes(sub).size(), 3u);
  Client& late = connected("late");
  subscribe(late, "#", 2);
  EXPECT_TRUE(publishes(late).empty());
  EXPECT_EQ(engine_->retained().size(), 0u);
}

TEST_F(MqttConnectionTest, RetainedNotSentTwiceAroundItsCommit) {
  Client& pub = connected("pub");
  hold_ = true;
  pub.send(publish_packet("news", "breaking", 1, 1, true));
  drain();
  // Subscribed after the publication, before its commit: the retained copy, not the live one.
  Client& sub = connected("sub");
  subscribe(sub, "news", 1);
  store_.release();
  drain();
  auto got = publishes(sub);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].publish().retain);
  // The next publication on the topic arrives.
  hold_ = false;
  pub.send(publish_packet("news", "later", 1, 2, true));
  drain();
  got = publishes(sub);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].publish().payload, "later");
}

// ---- Wills and keep-alive ----------------------------------------------------------------------

TEST_F(MqttConnectionTest, WillOnAbnormalEndOnly) {
  Client& watcher = connected("watcher");
  subscribe(watcher, "wills/+", 2);
  Client& a = connected("a", true, 0, Will{"wills/a", "a lost", 1, false});
  Client& b = connected("b", true, 0, Will{"wills/b", "b lost", 1, true});
  a.drop();  // the network went away
  b.send(encode_empty(PacketType::disconnect));
  EXPECT_TRUE(b.transport.closed);
  b.drop();
  drain();
  auto got = publishes(watcher);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].publish().topic, "wills/a");
  EXPECT_EQ(got[0].publish().payload, "a lost");
  EXPECT_EQ(got[0].publish().qos, 1);
}

TEST_F(MqttConnectionTest, RetainedWill) {
  Client& a = connected("a", true, 0, Will{"status/a", "offline", 0, true});
  a.drop();
  drain();
  Client& later = connected("later");
  subscribe(later, "status/#", 0);
  auto got = publishes(later);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].publish().retain);
  EXPECT_EQ(got[0].publish().payload, "offline");
}

TEST_F(MqttConnectionTest, KeepAliveOneAndAHalfTimes) {
  Client& watcher = connected("watcher");
  subscribe(watcher, "ka", 0);
  Client& c = connected("c", true, 0, Will{"ka", "expired", 0, false}, /*keep_alive=*/10);
  ASSERT_FALSE(c.transport.timers.empty());
  EXPECT_EQ(c.transport.timers.back().delay, 15s);
  // A packet at 10 s pushes the deadline to 25 s.
  now_ += 10s;
  c.send(encode_empty(PacketType::pingreq));
  now_ += 5s;
  c.transport.timers.erase(c.transport.timers.begin());  // the CONNECT deadline
  test::fire_all(c.transport);
  EXPECT_FALSE(c.transport.closed);
  ASSERT_EQ(c.transport.timers.size(), 1u);
  EXPECT_EQ(c.transport.timers[0].delay, 10s);
  now_ += 10s;
  test::fire_all(c.transport);
  EXPECT_TRUE(c.transport.closed);
  c.drop();
  drain();
  EXPECT_EQ(publishes(watcher).size(), 1u);
}

// ---- Sessions ----------------------------------------------------------------------------------

TEST_F(MqttConnectionTest, PersistentSessionQueuesWhileAway) {
  Client& first = connected("p", /*clean=*/false);
  subscribe(first, "q/+", 2);
  first.send(encode_empty(PacketType::disconnect));
  first.drop();
  drain();
  Client& pub = connected("pub");
  pub.send(publish_packet("q/a", "qos 0", 0));
  pub.send(publish_packet("q/a", "qos 1", 1, 1));
  pub.send(publish_packet("q/b", "qos 2", 2, 2));
  drain();
  Client& back = client();
  back.send(connect_packet("p", false));
  drain();
  auto got = back.take();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_TRUE(got[0].connack().session_present);
  EXPECT_EQ(got[1].publish().payload, "qos 1");
  EXPECT_EQ(got[1].publish().qos, 1);
  EXPECT_EQ(got[2].publish().payload, "qos 2");
  EXPECT_EQ(got[2].publish().qos, 2);
}

TEST_F(MqttConnectionTest, QueueBounds) {
  options_.max_queued_messages = 2;
  make_engine();
  Client& first = connected("p", false);
  subscribe(first, "t", 1);
  first.drop();
  drain();
  Client& pub = connected("pub");
  for (int i = 0; i < 3; ++i) pub.send(publish_packet("t", std::to_string(i), 1, i + 1));
  drain();
  Client& back = client();
  back.send(connect_packet("p", false));
  drain();
  auto got = publishes(back);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].publish().payload, "0");
  EXPECT_EQ(got[1].publish().payload, "1");
}

TEST_F(MqttConnectionTest, UnacknowledgedSentAgainWithDup) {
  Client& first = connected("p", false);
  subscribe(first, "t", 2);
  Client& pub = connected("pub");
  pub.send(publish_packet("t", "one", 1, 1));
  pub.send(publish_packet("t", "two", 2, 2));
  drain();
  auto got = publishes(first);
  ASSERT_EQ(got.size(), 2u);
  std::uint16_t one = got[0].publish().packet_id, two = got[1].publish().packet_id;
  first.drop();  // neither acknowledged
  drain();
  Client& second = client();
  second.send(connect_packet("p", false));
  drain();
  got = second.take();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_TRUE(got[0].connack().session_present);
  EXPECT_TRUE(got[1].publish().dup);
  EXPECT_EQ(got[1].publish().packet_id, one);
  EXPECT_EQ(got[1].publish().payload, "one");
  EXPECT_TRUE(got[2].publish().dup);
  EXPECT_EQ(got[2].publish().packet_id, two);
  // PUBREC for the QoS 2 one, then the connection drops: PUBREL is what is sent again.
  second.send(encode_ack(PacketType::puback, one));
  second.send(encode_ack(PacketType::pubrec, two));
  drain();
  second.take();
  second.drop();
  drain();
  Client& third = client();
  third.send(connect_packet("p", false));
  drain();
  got = third.take();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].type, PacketType::pubrel);
  EXPECT_EQ(got[1].ack().packet_id, two);
  third.send(encode_ack(PacketType::pubcomp, two));
  drain();
  EXPECT_TRUE(third.take().empty());
}

TEST_F(MqttConnectionTest, TakeoverClosesTheOldConnection) {
  Client& watcher = connected("watcher");
  subscribe(watcher, "w", 0);
  // Persistent on both sides: the session moves, the will is dropped.
  Client& a = connected("x", false, 0, Will{"w", "a's will", 0, false});
  subscribe(a, "t", 1);
  Client& b = client();
  b.send(connect_packet("x", false));
  drain();
  EXPECT_TRUE(a.transport.closed);
  EXPECT_TRUE(b.take().at(0).connack().session_present);
  a.drop();
  drain();
  EXPECT_TRUE(publishes(watcher).empty());
  Client& pub = connected("pub");
  pub.send(publish_packet("t", "to b", 1, 1));
  drain();
  EXPECT_EQ(publishes(b).size(), 1u);
  EXPECT_TRUE(publishes(a).empty());
  // A clean connection takes over: the will is published, the session is new.
  b.connection->on_close();
  Client& c = connected("y", true, 0, Will{"w", "c's will", 0, false});
  Client& d = client();
  d.send(connect_packet("y", true));
  drain();
  EXPECT_TRUE(c.transport.closed);
  c.drop();
  drain();
  auto got = publishes(watcher);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].publish().payload, "c's will");
}

TEST_F(MqttConnectionTest, CleanSessionDiscardsThePersistentOne) {
  Client& first = connected("p", false);
  subscribe(first, "t", 1);
  first.drop();
  drain();
  EXPECT_TRUE(state_.records.count("s/p"));
  Client& clean = client();
  clean.send(connect_packet("p", true));
  drain();
  EXPECT_FALSE(clean.take().at(0).connack().session_present);
  EXPECT_FALSE(state_.records.count("s/p"));
  Client& pub = connected("pub");
  pub.send(publish_packet("t", "nobody", 1, 1));
  drain();
  EXPECT_TRUE(publishes(clean).empty());
  clean.drop();
  drain();
  // And a persistent one again starts empty.
  Client& again = client();
  again.send(connect_packet("p", false));
  drain();
  EXPECT_FALSE(again.take().at(0).connack().session_present);
}

TEST_F(MqttConnectionTest, MaxSessions) {
  options_.max_sessions = 1;
  make_engine();
  connected("one", false);
  Client& two = client();
  two.send(connect_packet("two", false));
  EXPECT_EQ(two.take().at(0).connack().code, connack_code::server_unavailable);
  connected("clean-ones-do-not-count", true);
  connected("one", false);  // resuming is not a new one
}

TEST_F(MqttConnectionTest, SessionOnAnotherThread) {
  make_engine(2);
  Client& first = connected("p", false, /*thread=*/0);
  subscribe(first, "t", 1);
  first.drop();
  drain();
  // Back on thread 1: the session stays on thread 0 and is reached through posts.
  Client& back = client(1);
  back.send(connect_packet("p", false));
  back.send(publish_packet("t", "to myself", 1, 7));
  back.send(encode_empty(PacketType::pingreq));
  drain();
  auto got = back.take();
  ASSERT_EQ(got.size(), 4u);
  EXPECT_TRUE(got[0].connack().session_present);
  EXPECT_EQ(got[1].type, PacketType::pingresp);  // answered at once, on this thread
  // Committed: delivered back (fanned out at the commit) and acknowledged.
  EXPECT_EQ(got[2].publish().payload, "to myself");
  EXPECT_EQ(got[3].type, PacketType::puback);
  back.send(encode_ack(PacketType::puback, got[2].publish().packet_id));
  drain();
  EXPECT_TRUE(back.take().empty());
}

TEST_F(MqttConnectionTest, RacingTakeoversLeaveTheSessionWithTheLastConnection) {
  make_engine(3);
  Client& first = connected("p", false, /*thread=*/0);
  subscribe(first, "t", 1);
  first.drop();
  drain();
  Client& a = client(1);
  Client& b = client(2);
  a.send(connect_packet("p", false));
  b.send(connect_packet("p", false));
  // The two attaches, posted from two threads, reach the session's thread in the other order.
  std::reverse(dispatcher_->posted.begin(), dispatcher_->posted.end());
  drain();
  EXPECT_TRUE(a.transport.closed);
  a.drop();
  Client& pub = connected("pub", true, 0);
  pub.send(publish_packet("t", "to b", 1, 1));
  drain();
  EXPECT_EQ(publishes(b).size(), 1u);
}

// ---- Channels shared with the other systems ----------------------------------------------------

TEST_F(MqttConnectionTest, TheChatServiceTopicIsTheSseChannel) {
  const std::string uuid = "c3743620-a5d4-4f56-9a0f-4e8b6a1c2d3e";
  Client& sub = connected("monitor");
  subscribe(sub, "affinitas_chat/one_to_one/+", 2);
  // What the SSE system's REST publish puts on the channel.
  broker_->publish(chat_sse::make_message(uuid, "u-1", "from the page"));
  drain();
  auto got = publishes(sub);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].publish().topic, "affinitas_chat/one_to_one/" + uuid);
  EXPECT_EQ(got[0].publish().qos, 2);
  auto history = broker_->history(uuid, 1, 0);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(got[0].publish().payload, chat_sse::event_json(*history[0]));
  // And what an MQTT client publishes there is an SSE event of the same shape.
  std::string json = R"({"id":"5f0c","userId":"u-2","message":"from mqtt"})";
  Client& pub = connected("service");
  pub.send(publish_packet("affinitas_chat/one_to_one/" + uuid, json, 2, 1));
  drain();
  history = broker_->history(uuid, 1, 0);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(chat_sse::event_json(*history[0]), json);
  EXPECT_EQ(publishes(sub).at(0).publish().payload, json);
}

TEST_F(MqttConnectionTest, QosZeroBroadcastIsRenderedOnce) {
  Client& a = connected("a");
  subscribe(a, "room", 0);
  Client& b = connected("b");
  subscribe(b, "#", 0);
  Client& pub = connected("pub");
  pub.send(publish_packet("room", "hello"));
  drain();
  ASSERT_EQ(a.transport.shared.size(), 1u);
  ASSERT_EQ(b.transport.shared.size(), 1u);
  EXPECT_EQ(a.transport.shared[0], b.transport.shared[0]);  // one frame, shared
  EXPECT_EQ(a.transport.frames_made + b.transport.frames_made, 1);
  // QoS 1 with a large payload: each its own head, one shared payload.
  Client& c = connected("c");
  subscribe(c, "big", 1);
  Client& d = connected("d");
  subscribe(d, "big", 1);
  pub.send(publish_packet("big", std::string(4096, 'x'), 1, 9));
  drain();
  auto pc = publishes(c), pd = publishes(d);
  ASSERT_EQ(pc.size(), 1u);
  ASSERT_EQ(pd.size(), 1u);
  EXPECT_EQ(pc[0].publish().payload, std::string(4096, 'x'));
  ASSERT_EQ(c.transport.shared.size(), 1u);
  EXPECT_EQ(c.transport.shared[0], d.transport.shared[0]);
}

// ---- Restarts ----------------------------------------------------------------------------------

TEST_F(MqttConnectionTest, SessionsAndRetainedKeptAcrossARestart) {
  Client& p = connected("p", false);
  subscribe(p, "t/#", 2);
  Client& pub = connected("pub");
  pub.send(publish_packet("t/r", "retained", 1, 1, true));
  drain();
  auto got = publishes(p);
  ASSERT_EQ(got.size(), 1u);  // in flight, not acknowledged
  p.drop();
  drain();
  pub.send(publish_packet("t/q", "queued", 2, 2));
  drain();
  // Written as they changed (no shutdown step): what a kill -9 leaves.
  auto records = state_.all();
  clients_.clear();
  drain();

  // A new process: the same records.
  make_engine();
  EXPECT_EQ(engine_->restore(records), 4u);  // s/p, two m/p/<seq>, r/t/r
  Client& back = client();
  back.send(connect_packet("p", false));
  drain();
  got = back.take();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_TRUE(got[0].connack().session_present);
  EXPECT_TRUE(got[1].publish().dup);
  EXPECT_EQ(got[1].publish().payload, "retained");
  EXPECT_EQ(got[2].publish().payload, "queued");
  Client& late = connected("late");
  subscribe(late, "t/r", 0);
  got = publishes(late);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].publish().retain);
}

TEST_F(MqttConnectionTest, UnreadableRecordsAreSkipped) {
  const std::vector<std::pair<std::string, std::string>> records = {
      {"s/good", R"({"subscriptions":[["a/#",1]]})"},
      {"s/bad-json", "{not json"},
      {"s/bad-filter", R"({"subscriptions":[["a/#/b",1]]})"},
      {"p/good", R"({"awaiting_pubrel":[3]})"},
      {"p/nobody", R"({"awaiting_pubrel":[1]})"},
      {"m/good/00000000000000ff", R"({"topic":"a/b","qos":1,"packet_id":0})"},  // no message
      {"q/good", R"({"last_packet_id":7,"inflight":[],"queue":[]})"},           // an older format
      {"r/x", "[]"},
      {"unknown/key", "whatever"},
  };
  EXPECT_EQ(engine_->restore(records), 2u);  // s/good and p/good
  // What could not be used is erased.
  for (const char* gone : {"p/nobody", "m/good/00000000000000ff", "q/good"})
    EXPECT_FALSE(state_.records.count(gone)) << gone;
  Client& good = client();
  good.send(connect_packet("good", false));
  drain();
  EXPECT_TRUE(good.take().at(0).connack().session_present);
  // Its QoS 2 identifier 3 is still awaiting PUBREL: the same PUBLISH is not published again.
  good.send(publish_packet("a/b", "dup", 2, 3, false, true));
  drain();
  EXPECT_TRUE(broker_->history("a/b", 10, 0).empty());
  EXPECT_EQ(good.take().at(0).type, PacketType::pubrec);
}

TEST_F(MqttConnectionTest, AcknowledgedOnlyOnceCommitted) {
  hold_ = true;
  Client& c = connected("pub");
  c.send(publish_packet("t", "one", 1, 1));
  c.send(publish_packet("t", "two", 2, 2));
  drain();
  EXPECT_TRUE(c.take().empty());  // nothing durable yet: nothing acknowledged
  c.send(publish_packet("t", "two", 2, 2, false, /*dup=*/true));
  drain();
  EXPECT_TRUE(c.take().empty());
  store_.release();
  drain();
  auto got = c.take();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].type, PacketType::puback);
  EXPECT_EQ(got[0].ack().packet_id, 1);
  EXPECT_EQ(got[1].type, PacketType::pubrec);
  EXPECT_EQ(got[1].ack().packet_id, 2);
  EXPECT_EQ(broker_->history("t", 10, 0).size(), 2u);
}

TEST_F(MqttConnectionTest, AFailedWriteIsNotAcknowledged) {
  hold_ = true;
  Client& c = connected("pub");
  c.send(publish_packet("t", "lost", 1, 1));
  drain();
  store_.release(/*ok=*/false);
  drain();
  EXPECT_TRUE(c.take().empty());
  EXPECT_TRUE(c.transport.closed);  // the client sends it again on its next connection
}

TEST_F(MqttConnectionTest, SessionRecordsFollowItsMessages) {
  auto records = [this](std::string_view prefix) {
    std::size_t n = 0;
    for (const auto& [key, value] : state_.records) n += key.starts_with(prefix);
    return n;
  };
  Client& p = connected("p", false);
  EXPECT_EQ(records("s/p"), 1u);  // the session itself, before any subscription
  subscribe(p, "q", 2);
  p.drop();
  drain();
  Client& pub = connected("pub");
  pub.send(publish_packet("q", "m1", 1, 1));
  pub.send(publish_packet("q", "m2", 2, 2));
  drain();
  EXPECT_EQ(records("m/p/"), 2u);  // queued for the absent client, on disk as they came
  Client& back = client();
  back.send(connect_packet("p", false));
  drain();
  auto got = publishes(back);
  ASSERT_EQ(got.size(), 2u);
  back.send(encode_ack(PacketType::puback, got[0].publish().packet_id));
  drain();
  EXPECT_EQ(records("m/p/"), 1u);
  back.send(encode_ack(PacketType::pubrec, got[1].publish().packet_id));
  drain();
  EXPECT_EQ(records("m/p/"), 1u);  // released, waiting for PUBCOMP
  back.send(encode_ack(PacketType::pubcomp, got[1].publish().packet_id));
  drain();
  EXPECT_EQ(records("m/p/"), 0u);
  // Inbound QoS 2 identifiers are kept once committed, until PUBREL.
  back.send(publish_packet("x", "in", 2, 7));
  drain();
  EXPECT_EQ(state_.records.at("p/p"), R"({"awaiting_pubrel":[7]})");
  back.send(encode_ack(PacketType::pubrel, 7));
  drain();
  EXPECT_EQ(records("p/p"), 0u);
  // A clean session taking the client id erases every record of the old one.
  back.drop();
  drain();
  pub.send(publish_packet("q", "m3", 1, 3));
  drain();
  EXPECT_EQ(records("m/p/"), 1u);
  Client& clean = connected("p", true);
  drain();
  EXPECT_EQ(records("m/p/") + records("s/p") + records("p/p"), 0u);
  (void)clean;
}

TEST_F(MqttConnectionTest, LoginsAreLimitedPerAddressAndPerAccount) {
  test::FixedAuthenticator auth;
  auth.users["alice"] = "wonder";
  auth_ = &auth;
  options_.login_per_account = {2, std::chrono::milliseconds(60'000)};
  options_.login_per_address = {3, std::chrono::milliseconds(60'000)};
  make_engine();
  int n = 0;
  auto attempt = [&](std::optional<std::string_view> user, std::optional<std::string_view> password,
                     std::string address) {
    Client& c = client();
    c.transport.peer_address = address + ":1234";
    c.send(connect_packet("c" + std::to_string(++n), true, 0, std::nullopt, user, password));
    drain();
    return c.take().at(0).connack().code;
  };
  // Per account, whatever the address: the third try is refused without a check.
  EXPECT_EQ(attempt("alice", "x", "10.0.0.1"), connack_code::bad_username_or_password);
  EXPECT_EQ(attempt("alice", "y", "10.0.0.2"), connack_code::bad_username_or_password);
  EXPECT_EQ(attempt("alice", "wonder", "10.0.0.3"), connack_code::server_unavailable);
  EXPECT_EQ(auth.asked.size(), 2u);
  // Per address, whatever the account.
  EXPECT_EQ(attempt("bob", "x", "10.0.0.9"), connack_code::bad_username_or_password);
  EXPECT_EQ(attempt("carol", "x", "10.0.0.9"), connack_code::bad_username_or_password);
  EXPECT_EQ(attempt("dave", "x", "10.0.0.9"), connack_code::bad_username_or_password);
  EXPECT_EQ(attempt("erin", "x", "10.0.0.9"), connack_code::server_unavailable);
  EXPECT_EQ(auth.asked.size(), 5u);
  // Anonymous CONNECTs are not counted (no password to check).
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(attempt(std::nullopt, std::nullopt, "10.0.0.9"), connack_code::accepted);
  // The window refills.
  now_ += std::chrono::milliseconds(60'000);
  EXPECT_EQ(attempt("alice", "wonder", "10.0.0.9"), connack_code::accepted);
}

TEST_F(MqttConnectionTest, TheChannelLimitIsRefusedInMqttTerms) {
  broker_options_.max_channels = 1;
  make_engine();
  Client& a = connected("a");
  subscribe(a, "one", 1);  // the one channel in memory, not idle: it has a subscriber
  a.send(subscribe_packet(2, {{"two", 1}}));
  drain();
  auto got = a.take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].suback().codes, std::vector<std::uint8_t>{kSubackFailure});
  // A QoS 1 publication to another channel cannot be stored: never acknowledged.
  Client& p = connected("p");
  p.send(publish_packet("three", "x", 1, 5));
  drain();
  EXPECT_TRUE(p.take().empty());
  EXPECT_TRUE(p.transport.closed);
  // The channel in memory still works.
  Client& q = connected("q");
  q.send(publish_packet("one", "fine", 1, 6));
  drain();
  EXPECT_EQ(q.take().at(0).type, PacketType::puback);
  EXPECT_EQ(publishes(a).at(0).publish().payload, "fine");
}

TEST_F(MqttConnectionTest, ExactAndWildcardFiltersOfOneSessionGiveOneCopy) {
  Client& sub = connected("sub");
  subscribe(sub, "room", 1);
  EXPECT_FALSE(engine_->index(0).on_all_channels());
  subscribe(sub, "+", 2, 2);
  EXPECT_TRUE(engine_->index(0).on_all_channels());
  Client& pub = connected("pub");
  pub.send(publish_packet("room", "once", 2, 1));
  drain();
  auto got = publishes(sub);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].publish().qos, 2);
  sub.send(encode_unsubscribe(Unsubscribe{3, {"+"}}));
  drain();
  sub.take();
  EXPECT_FALSE(engine_->index(0).on_all_channels());  // back on the channel alone
  pub.send(publish_packet("room", "still", 0));
  pub.send(publish_packet("other", "not this", 0));
  drain();
  got = publishes(sub);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].publish().payload, "still");
}

// ---- Input split anywhere ----------------------------------------------------------------------

TEST_F(MqttConnectionTest, ConversationSplitAtEveryPosition) {
  const std::string input = connect_packet("split", true, 30) + subscribe_packet(1, {{"s/#", 2}}) +
                            publish_packet("s/a", "zero") + publish_packet("s/b", "one", 1, 2) +
                            publish_packet("s/c", "two", 2, 3) + encode_ack(PacketType::pubrel, 3) +
                            encode_empty(PacketType::pingreq);
  auto run = [&](std::size_t split) {
    make_engine();
    Client& c = client();
    c.send(input.substr(0, split));
    drain();
    c.send(input.substr(split));
    drain();
    std::vector<PacketType> types;
    for (const auto& r : c.take()) types.push_back(r.type);
    return types;
  };
  auto whole = run(input.size());
  ASSERT_GE(whole.size(), 7u);
  for (std::size_t split = 0; split < input.size(); ++split) {
    auto types = run(split);
    // Deliveries interleave with acknowledgements depending on when the split lets them run;
    // the multiset of packets is the same.
    std::sort(types.begin(), types.end());
    auto expected = whole;
    std::sort(expected.begin(), expected.end());
    ASSERT_EQ(types, expected) << "split at " << split;
  }
}

}  // namespace
}  // namespace parley::dialects::mqtt
