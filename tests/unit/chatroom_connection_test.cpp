// The ChatRoom dialect: envelope codec and connection state machine, fed text frames, against a
// real SyncHub and broker (no sockets).
#include "dialects/chatroom/connection.hpp"

#include <gtest/gtest.h>

#include "chatroom_test_support.hpp"
#include "core/local_broker.hpp"
#include "dialects/chatroom/debug_feed.hpp"
#include "dialects/chatroom/message.hpp"
#include "test_support.hpp"

namespace parley::dialects::chatroom {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

json::value J(std::string_view text) { return json::parse(text); }
json::object O(std::string_view text) { return json::parse(text).as_object(); }

TEST(ChatroomMessage, DecodeTakesContentOrArgs) {
  auto a = decode(R"({"type":"subscribe","content":{"topic_name":"a"}})");
  ASSERT_TRUE(std::holds_alternative<Inbound>(a));
  EXPECT_EQ(std::get<Inbound>(a).type, "subscribe");
  EXPECT_EQ(std::get<Inbound>(a).body, O(R"({"topic_name":"a"})"));
  auto b = decode(R"({"type":"subscribe","args":{"topic_name":"b"}})");
  EXPECT_EQ(std::get<Inbound>(b).body, O(R"({"topic_name":"b"})"));
  auto c = decode(R"({"type":"x"})");
  EXPECT_TRUE(std::get<Inbound>(c).body.empty());
}

TEST(ChatroomMessage, DecodeErrors) {
  EXPECT_EQ(std::get<std::string>(decode("nope")).rfind("not JSON", 0), 0u);
  EXPECT_EQ(std::get<std::string>(decode("[1]")), "a message must be a JSON object");
  EXPECT_EQ(std::get<std::string>(decode(R"({"content":{}})")),
            "a message needs a string \"type\"");
  EXPECT_EQ(std::get<std::string>(decode(R"({"type":""})")), "a message needs a string \"type\"");
  EXPECT_EQ(std::get<std::string>(decode(R"({"type":"a","content":[1]})")),
            "\"content\" must be an object");
  EXPECT_EQ(std::get<std::string>(decode(R"({"type":"a","args":"x"})")),
            "\"args\" must be an object");
  EXPECT_EQ(std::get<std::string>(decode("{\"type\":\"a\",\"content\":{\"x\":\"\xff\"}}"))
                .rfind("not JSON", 0),
            0u);
}

TEST(ChatroomMessage, EncodeAndEnvelopes) {
  EXPECT_EQ(encode(Envelope::content, "hello", O(R"({"id":1})")),
            R"({"type":"hello","content":{"id":1}})");
  EXPECT_EQ(encode(Envelope::args, "hello", O(R"({"id":1})")),
            R"({"type":"hello","args":{"id":1}})");
  Envelope e;
  EXPECT_TRUE(parse_envelope("", e));
  EXPECT_EQ(e, Envelope::content);
  EXPECT_TRUE(parse_envelope("args", e));
  EXPECT_EQ(e, Envelope::args);
  EXPECT_TRUE(parse_envelope("content", e));
  EXPECT_FALSE(parse_envelope("xml", e));
}

class ChatroomConnection : public ::testing::Test {
 protected:
  ChatroomConnection() : dispatcher(2), broker(dispatcher, nullptr, {}) {
    topics::SyncHubOptions options;
    options.request_timeout = 500ms;
    hub = std::make_unique<topics::SyncHub>(broker, dispatcher, timers, options);
  }
  ~ChatroomConnection() override {
    for (auto& c : clients)
      if (c.conn) c.conn->on_close();
  }

  struct Client {
    std::unique_ptr<test::ChatroomSink> sink;
    std::shared_ptr<Connection> conn;
  };
  // A connected client on `thread`; its hello is consumed.
  Client& open(std::size_t thread = 0, Envelope envelope = Envelope::content,
               ConnectionOptions options = {}) {
    Client c;
    c.sink = std::make_unique<test::ChatroomSink>();
    c.conn = std::make_shared<Connection>(*hub, *c.sink, thread, "127.0.0.1:5", envelope, options);
    c.conn->on_open();
    clients.push_back(std::move(c));
    return clients.back();
  }
  // Everything the client was sent, after the dispatcher ran.
  std::vector<json::object> got(Client& c) {
    dispatcher.drain();
    return c.sink->take();
  }
  void send(Client& c, std::string_view type, std::string_view content) {
    c.conn->on_text(R"({"type":")" + std::string(type) + R"(","content":)" + std::string(content) +
                    "}");
  }

  test::QueueDispatcher dispatcher;
  test::ManualTimers timers;
  core::LocalBroker broker;
  std::unique_ptr<topics::SyncHub> hub;
  std::deque<Client> clients;
};

TEST_F(ChatroomConnection, HelloFirstWithTheClientId) {
  Client& a = open();
  Client& b = open(1, Envelope::args);
  (void)a;
  // open() consumed nothing: check the first frames.
  auto first_a = clients[0].sink->take();
  ASSERT_FALSE(first_a.empty());
  EXPECT_EQ(first_a[0], O(R"({"type":"hello","content":{"id":1}})"));
  auto first_b = b.sink->take();
  EXPECT_EQ(first_b[0], O(R"({"type":"hello","args":{"id":2}})"));
}

TEST_F(ChatroomConnection, TheSeedFlow) {
  Client& a = open(0);
  Client& b = open(1);
  got(a);
  got(b);
  send(a, "subscribe", R"({"topic_name":"a","type":"int"})");
  auto sa = got(a);
  ASSERT_EQ(sa.size(), 1u);
  EXPECT_EQ(sa[0].at("type"), J(R"("update")"));
  EXPECT_EQ(sa[0].at("content").at("topic_name"), J(R"("a")"));
  EXPECT_EQ(sa[0].at("content").at("change").at("type"), J(R"("set")"));
  EXPECT_EQ(sa[0].at("content").at("change").at("value"), J("0"));
  b.conn->on_text(R"({"type":"subscribe","args":{"topic_name":"a","type":"int"}})");  // args in
  EXPECT_EQ(got(b).size(), 1u);

  send(b, "update",
       R"({"topic_name":"a","change":{"type":"set","value":5,"old_value":0,"id":"2_1"}})");
  auto ua = got(a), ub = got(b);
  ASSERT_EQ(ua.size(), 1u);
  EXPECT_EQ(ua, ub);
  EXPECT_EQ(ua[0], O(R"({"type":"update","content":{"topic_name":"a","change":{"topic_name":"a",
      "topic_type":"int","type":"set","value":5,"old_value":0,"id":"2_1"}}})"));

  send(a, "update", R"({"topic_name":"a","change":{"type":"add","value":"x"}})");
  auto ra = got(a);
  ASSERT_EQ(ra.size(), 1u);
  EXPECT_EQ(ra[0].at("type"), J(R"("reject_update")"));
  EXPECT_EQ(ra[0].at("content").at("reason"),
            J(R"("\"value\" of a add change must be an integer")"));
  EXPECT_TRUE(got(b).empty());

  send(a, "unsubscribe", R"({"topic_name":"a"})");
  EXPECT_EQ(a.conn->subscription_count(), 0u);
  send(b, "update", R"({"topic_name":"a","change":{"type":"add","value":1}})");
  EXPECT_TRUE(got(a).empty());
  EXPECT_EQ(got(b).size(), 1u);
}

TEST_F(ChatroomConnection, ArgsEnvelopeOnOutput) {
  Client& a = open(0, Envelope::args);
  got(a);
  send(a, "subscribe", R"({"topic_name":"s","type":"string"})");
  auto s = got(a);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_TRUE(s[0].contains("args"));
  EXPECT_FALSE(s[0].contains("content"));
}

TEST_F(ChatroomConnection, OneFramePerEnvelopeForABroadcast) {
  Client &a = open(0), &b = open(0), &c = open(0, Envelope::args);
  for (Client* x : {&a, &b, &c}) {
    send(*x, "subscribe", R"({"topic_name":"n","type":"int"})");
    got(*x);
  }
  int before = a.sink->frames_made + b.sink->frames_made + c.sink->frames_made;
  send(a, "update", R"({"topic_name":"n","change":{"type":"add","value":1}})");
  dispatcher.drain();
  int made = a.sink->frames_made + b.sink->frames_made + c.sink->frames_made - before;
  EXPECT_EQ(made, 2);  // one per envelope, shared by a and b
  EXPECT_EQ(got(a), got(b));
}

TEST_F(ChatroomConnection, AChangeBroadcastBeforeSubscribingIsNotDeliveredTwice) {
  Client &a = open(0), &b = open(0);
  send(a, "subscribe", R"({"topic_name":"s","type":"string"})");
  got(a);
  got(b);
  send(a, "update", R"({"topic_name":"s","change":{"type":"insert","topic_version":"s_init",
                        "position":0,"insertion":"x"}})");
  // The broadcast is posted, not yet delivered, when b subscribes.
  send(b, "subscribe", R"({"topic_name":"s","type":"string"})");
  auto gb = got(b);
  ASSERT_EQ(gb.size(), 1u);
  EXPECT_EQ(gb[0].at("content").at("change").at("value"), J(R"("x")"));
  EXPECT_EQ(got(a).size(), 1u);
}

TEST_F(ChatroomConnection, SubscribeErrorsAnswerRejectUpdate) {
  Client& a = open();
  got(a);
  send(a, "subscribe", R"({"topic_name":"x","type":"bool"})");
  auto r = got(a);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0], O(R"({"type":"reject_update","content":{"topic_name":"x","change":null,
      "reason":"unknown topic type \"bool\": use generic, string, int, float, set, list, dict or event"}})"));
  send(a, "subscribe", R"({"type":"int"})");
  EXPECT_EQ(got(a)[0].at("content").at("reason"),
            J(R"("subscribe needs a topic_name: a non-empty string")"));
  send(a, "subscribe", R"({"topic_name":"missing"})");
  EXPECT_EQ(got(a)[0].at("content").at("reason"),
            J(R"("topic 'missing' does not exist: subscribe with its type to create it")"));
}

TEST_F(ChatroomConnection, SubscriptionLimit) {
  ConnectionOptions options;
  options.max_subscriptions = 1;
  Client& a = open(0, Envelope::content, options);
  got(a);
  send(a, "subscribe", R"({"topic_name":"one","type":"int"})");
  send(a, "subscribe", R"({"topic_name":"one","type":"int"})");  // again: fine
  send(a, "subscribe", R"({"topic_name":"two","type":"int"})");
  auto r = got(a);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[2].at("content").at("reason"), J("\"too many subscriptions (at most 1)\""));
}

TEST_F(ChatroomConnection, MalformedUpdatesAreRejected) {
  Client& a = open();
  got(a);
  send(a, "update", R"({"change":{"type":"set"}})");
  auto r = got(a);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].at("content"), J(R"({"topic_name":null,"change":{"type":"set"},
      "reason":"update needs a topic_name: a non-empty string"})"));
  send(a, "update", R"({"topic_name":"t","change":"set"})");
  EXPECT_EQ(got(a)[0].at("content").at("reason"), J(R"("update needs a change: an object")"));
}

TEST_F(ChatroomConnection, ServicesAcrossClients) {
  Client &provider = open(0), &caller = open(1);
  got(provider);
  got(caller);
  send(provider, "register_service", R"({"service_name":"add"})");
  send(caller, "request", R"({"service_name":"add","args":{"a":1,"b":2},"request_id":"r1"})");
  auto req = got(provider);
  ASSERT_EQ(req.size(), 1u);
  EXPECT_EQ(req[0].at("type"), J(R"("request")"));
  json::value fresh = req[0].at("content").at("request_id");
  EXPECT_NE(fresh, J(R"("r1")"));
  provider.conn->on_text(R"({"type":"response","content":{"response":3,"request_id":)" +
                         json::serialize(fresh) + "}}");
  auto resp = got(caller);
  ASSERT_EQ(resp.size(), 1u);
  EXPECT_EQ(resp[0], O(R"({"type":"response","content":{"response":3,"request_id":"r1"}})"));

  send(caller, "request", R"({"service_name":"add","args":{}})");  // no request_id
  EXPECT_EQ(got(caller)[0].at("content").at("error"),
            J(R"("a request needs a request_id: a string or a number")"));
  send(caller, "request", R"({"request_id":1})");
  EXPECT_EQ(got(caller)[0].at("content"),
            J(R"({"response":{"error":"a request needs a service_name: a non-empty string"},
                  "request_id":1,"error":"a request needs a service_name: a non-empty string"})"));

  send(provider, "unregister_service", R"({"service_name":"add"})");
  send(caller, "request", R"({"service_name":"add","request_id":"r2"})");
  EXPECT_EQ(got(caller)[0].at("content").at("error"), J(R"("service 'add' is not registered")"));
}

TEST_F(ChatroomConnection, ProviderDisconnectAndTimeout) {
  Client &provider = open(0), &caller = open(1);
  send(provider, "register_service", R"({"service_name":"slow"})");
  send(caller, "request", R"({"service_name":"slow","request_id":"a"})");
  got(provider);
  got(caller);
  timers.advance(500ms);
  EXPECT_EQ(got(caller)[0].at("content").at("error"),
            J(R"("request to 'slow' timed out after 500 ms")"));
  send(caller, "request", R"({"service_name":"slow","request_id":"b"})");
  dispatcher.drain();
  provider.conn->on_close();
  EXPECT_EQ(got(caller)[0].at("content").at("error"),
            J(R"("the provider of 'slow' disconnected before responding")"));
}

TEST_F(ChatroomConnection, ValidatorRejectsAChange) {
  Client &validator = open(0), &writer = open(1);
  send(validator, "register_service", R"({"service_name":"_chatroom/validate_change/n"})");
  send(writer, "subscribe", R"({"topic_name":"n","type":"int"})");
  got(validator);
  got(writer);
  send(writer, "update", R"({"topic_name":"n","change":{"type":"set","value":99}})");
  auto req = got(validator);
  ASSERT_EQ(req.size(), 1u);
  EXPECT_EQ(req[0].at("content").at("args").at("new_value"), J("99"));
  validator.conn->on_text(
      R"({"type":"response","content":{"response":{"valid":false,"reason":"too big"},"request_id":)" +
      json::serialize(req[0].at("content").at("request_id")) + "}}");
  auto r = got(writer);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].at("type"), J(R"("reject_update")"));
  EXPECT_EQ(r[0].at("content").at("reason"), J(R"("too big")"));
  EXPECT_EQ(hub->value_of("n"), J("0"));
}

TEST_F(ChatroomConnection, ProtocolErrorsGoToTheClientMessageTopic) {
  Client& a = open();
  send(a, "subscribe", R"({"topic_name":"_chatroom/client_message/1","type":"string"})");
  got(a);
  send(a, "dance", "{}");
  auto m = got(a);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].at("content").at("change").at("value"), J(R"("unknown message type 'dance'")"));
  send(a, "unsubscribe", R"({"topic_name":"zzz"})");
  EXPECT_EQ(got(a)[0].at("content").at("change").at("value"), J(R"("not subscribed to 'zzz'")"));
  send(a, "register_service", "{}");
  EXPECT_EQ(got(a)[0].at("content").at("change").at("value"),
            J(R"("register_service needs a service_name: a non-empty string")"));
  send(a, "response", R"({"request_id":"nope","response":1})");
  EXPECT_EQ(got(a)[0].at("content").at("change").at("value"),
            J(R"("response not delivered: no request nope is waiting for a response")"));
  EXPECT_EQ(a.sink->close_code, 0);  // still open
}

TEST_F(ChatroomConnection, NotJsonClosesWith1007) {
  Client& a = open();
  got(a);
  a.conn->on_text("hello?");
  EXPECT_EQ(a.sink->close_code, 1007);
  EXPECT_EQ(a.sink->close_reason.rfind("not JSON", 0), 0u);
  Client& b = open();
  b.conn->on_text(R"(["subscribe"])");
  EXPECT_EQ(b.sink->close_code, 1007);
}

TEST_F(ChatroomConnection, CloseLeavesEverything) {
  Client& a = open();
  send(a, "subscribe", R"({"topic_name":"n","type":"int"})");
  send(a, "register_service", R"({"service_name":"svc"})");
  a.conn->on_close();
  a.conn->on_close();  // idempotent
  EXPECT_EQ(hub->client_count(), 0u);
  Client& b = open();
  send(b, "request", R"({"service_name":"svc","request_id":"x"})");
  EXPECT_EQ(got(b).back().at("content").at("error"), J(R"("service 'svc' is not registered")"));
}

TEST_F(ChatroomConnection, PrivateMessagesToAGoneConnectionAreDropped) {
  Client &provider = open(0), &caller = open(1);
  send(provider, "register_service", R"({"service_name":"svc"})");
  send(caller, "request", R"({"service_name":"svc","request_id":"x"})");
  auto req = got(provider);
  ASSERT_EQ(req.size(), 2u);  // hello, request
  // The response is posted to the caller's thread; the caller is gone before it runs.
  provider.conn->on_text(R"({"type":"response","content":{"response":1,"request_id":)" +
                         json::serialize(req[1].at("content").at("request_id")) + "}}");
  ASSERT_FALSE(dispatcher.posted.empty());
  std::size_t sent_before = caller.sink->sent.size();
  caller.conn->on_close();
  caller.conn.reset();  // as the session handler does
  dispatcher.drain();
  EXPECT_EQ(caller.sink->sent.size(), sent_before);
  clients.erase(clients.begin() + 1);
}

TEST(ChatroomDebugFeed, EventsAreNumberedLoggedAndBroadcast) {
  test::QueueDispatcher dispatcher(1);
  test::ManualTimers timers;
  core::LocalBroker broker(dispatcher, nullptr, {});
  topics::SyncHub hub(broker, dispatcher, timers);
  DebugFeed feed(broker, hub, 3, [] { return std::int64_t{42}; });
  hub.set_observer(&feed);
  struct Watcher final : core::Subscriber {
    void deliver(const core::Event& ev, core::EncodeCache&) override {
      events.push_back(ev.broadcast->payload.as_object());
    }
    std::vector<json::object> events;
  } watcher;
  broker.subscribe(std::string(DebugFeed::kChannel), 0, &watcher);

  auto fake = std::make_shared<test::FakeClient>();
  std::uint64_t id = hub.connect(0, fake, "1.2.3.4:5");
  auto sub = hub.subscribe(id, 0, fake.get(), "n", topics::TopicType::integer);
  hub.update(id, "n", O(R"({"type":"add","value":2})"));
  dispatcher.drain();
  std::vector<std::string> kinds;
  for (auto& e : watcher.events) kinds.push_back(std::string(e.at("kind").as_string()));
  EXPECT_EQ(kinds, (std::vector<std::string>{"client_connected", "topic_changed", "topic_created",
                                             "topic_changed", "topic_changed"}));
  const json::object& last = watcher.events.back();
  EXPECT_EQ(last.at("seq"), J("5"));
  EXPECT_EQ(last.at("topic"), J(R"("n")"));
  EXPECT_EQ(last.at("state").at("value"), J("2"));
  EXPECT_EQ(last.at("time_ms"), J("42"));

  json::object snap = feed.snapshot();
  EXPECT_EQ(snap.at("seq"), J("5"));
  EXPECT_EQ(snap.at("log").as_array().size(), 3u);  // log_size
  EXPECT_FALSE(snap.at("log").as_array().back().as_object().contains("state"));
  EXPECT_EQ(snap.at("clients"), J(R"([{"id":1,"peer":"1.2.3.4:5"}])"));
  std::string sse = DebugFeed::render_sse(last);
  EXPECT_EQ(sse.rfind("id: 5\ndata: {", 0), 0u);
  EXPECT_EQ(sse.substr(sse.size() - 2), "\n\n");
  EXPECT_EQ(std::count(sse.begin(), sse.end(), '\n'), 3);
  hub.unsubscribe(0, fake.get(), "n");
  broker.unsubscribe(std::string(DebugFeed::kChannel), 0, &watcher);
}

}  // namespace
}  // namespace parley::dialects::chatroom
