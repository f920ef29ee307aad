// SyncHub: topics shared by clients, the service relay, validation by a client, special topics.
#include "topics/sync_hub.hpp"

#include <gtest/gtest.h>

#include <set>

#include "chatroom_test_support.hpp"
#include "core/local_broker.hpp"
#include "test_support.hpp"

namespace parley::topics {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using test::FakeClient;

json::value J(std::string_view text) { return json::parse(text); }
json::object O(std::string_view text) { return json::parse(text).as_object(); }

struct RecordingStore final : TopicStore {
  void dirty(const std::string& topic) override { names.push_back(topic); }
  std::vector<std::string> names;
};

class SyncHubTest : public ::testing::Test {
 protected:
  SyncHubTest() : dispatcher(2), broker(dispatcher, nullptr, {}), hub(make()) {}

  std::unique_ptr<SyncHub> make(SyncHubOptions options = {}) {
    options.request_timeout = 1000ms;
    return std::make_unique<SyncHub>(broker, dispatcher, timers, options);
  }

  struct Client {
    std::shared_ptr<FakeClient> fake = std::make_shared<FakeClient>();
    std::uint64_t id = 0;
    std::size_t thread = 0;
  };
  Client connect(std::size_t thread = 0) {
    Client c;
    c.thread = thread;
    c.id = hub->connect(thread, c.fake, "127.0.0.1:1");
    return c;
  }
  SyncHub::Subscribed subscribe(Client& c, const std::string& topic,
                                std::optional<TopicType> type) {
    auto r = hub->subscribe(c.id, c.thread, c.fake.get(), topic, type);
    if (auto* e = std::get_if<std::string>(&r)) {
      ADD_FAILURE() << "subscribe failed: " << *e;
      return {};
    }
    auto& s = std::get<SyncHub::Subscribed>(r);
    c.fake->revisions[topic] = s.revision;
    return s;
  }
  std::string subscribe_error(Client& c, const std::string& topic, std::optional<TopicType> type) {
    auto r = hub->subscribe(c.id, c.thread, c.fake.get(), topic, type);
    if (auto* e = std::get_if<std::string>(&r)) return *e;
    ADD_FAILURE() << "subscribed to " << topic;
    return {};
  }
  // The one private message of this kind the client got (after draining).
  json::object only_private(Client& c, std::string_view kind) {
    dispatcher.drain();
    auto got = c.fake->take_privates();
    std::vector<json::object> matching;
    for (auto& p : got)
      if (p.kind == kind) matching.push_back(p.content);
    EXPECT_EQ(matching.size(), 1u) << kind;
    return matching.empty() ? json::object{} : matching.front();
  }
  std::vector<json::object> updates(Client& c) {
    dispatcher.drain();
    return c.fake->take_updates();
  }
  void unsubscribe_all(std::initializer_list<Client*> clients) {
    for (Client* c : clients)
      for (auto& [topic, rev] : c->fake->revisions)
        hub->unsubscribe(c->thread, c->fake.get(), topic);
  }

  test::QueueDispatcher dispatcher;
  test::ManualTimers timers;
  core::LocalBroker broker;
  std::unique_ptr<SyncHub> hub;
};

// ---- clients and topics ----

TEST_F(SyncHubTest, ClientIdsCountFromOneAndTheStatusTopicFollows) {
  Client a = connect(), b = connect(1);
  EXPECT_EQ(a.id, 1u);
  EXPECT_EQ(b.id, 2u);
  EXPECT_EQ(hub->value_of("_chatroom/server_status"), J(R"("client 2 connected")"));
  hub->disconnect(a.id);
  EXPECT_EQ(hub->value_of("_chatroom/server_status"), J(R"("client 1 disconnected")"));
  EXPECT_EQ(hub->client_count(), 1u);
}

TEST_F(SyncHubTest, SubscribeCreatesTheTopicWithItsTypesDefault) {
  Client a = connect();
  auto s = subscribe(a, "count", TopicType::integer);
  EXPECT_EQ(s.type, TopicType::integer);
  EXPECT_EQ(s.revision, 0u);
  EXPECT_EQ(s.change.at("type"), J(R"("set")"));
  EXPECT_EQ(s.change.at("value"), J("0"));
  EXPECT_EQ(s.change.at("topic_type"), J(R"("int")"));
  EXPECT_FALSE(s.type_differs);
  EXPECT_EQ(hub->value_of("_chatroom/server_status"), J("\"topic 'count' created (int)\""));
  unsubscribe_all({&a});
}

TEST_F(SyncHubTest, SubscribeToAnExistingTopicGivesItsValueWhateverTheTypeAsked) {
  Client a = connect(), b = connect(1);
  subscribe(a, "doc", TopicType::string);
  hub->update(a.id, "doc", O(R"({"type":"set","value":"hi"})"));
  auto s = subscribe(b, "doc", TopicType::integer);
  EXPECT_EQ(s.type, TopicType::string);
  EXPECT_TRUE(s.type_differs);
  EXPECT_EQ(s.change.at("value"), J(R"("hi")"));
  EXPECT_EQ(s.revision, 1u);
  auto t = subscribe(b, "doc", std::nullopt);  // no type: existing topics only
  EXPECT_FALSE(t.type_differs);
  unsubscribe_all({&a, &b});
}

TEST_F(SyncHubTest, SubscribeErrors) {
  Client a = connect();
  EXPECT_EQ(subscribe_error(a, "nope", std::nullopt),
            "topic 'nope' does not exist: subscribe with its type to create it");
  EXPECT_EQ(subscribe_error(a, "", TopicType::string), "a topic name is 1 to 256 bytes");
  EXPECT_EQ(subscribe_error(a, std::string(257, 'x'), TopicType::string),
            "a topic name is 1 to 256 bytes");
  EXPECT_EQ(subscribe_error(a, "_chatroom/mine", TopicType::string),
            "'_chatroom/mine' is reserved for the server's own topics");
  EXPECT_EQ(subscribe_error(a, "_chatroom/client_message/99", TopicType::string),
            "'_chatroom/client_message/99' is not the message topic of a connected client");
  EXPECT_EQ(hub->topic_count(), 1u);  // the status topic only
}

TEST_F(SyncHubTest, TopicLimit) {
  SyncHubOptions options;
  options.max_topics = 2;  // the status topic and one more
  hub = make(options);
  Client a = connect();
  subscribe(a, "one", TopicType::generic);
  EXPECT_EQ(subscribe_error(a, "two", TopicType::generic),
            "cannot create topic 'two': the server has 2 topics already");
  unsubscribe_all({&a});
}

TEST_F(SyncHubTest, UpdateIsBroadcastToEverySubscriberInOrder) {
  Client a = connect(0), b = connect(1), c = connect(1);
  subscribe(a, "n", TopicType::integer);
  subscribe(b, "n", TopicType::integer);
  for (int i = 1; i <= 3; ++i) hub->update(c.id, "n", O(R"({"type":"add","value":1})"));
  auto got_a = updates(a), got_b = updates(b);
  ASSERT_EQ(got_a.size(), 3u);
  EXPECT_EQ(got_a, got_b);
  EXPECT_EQ(got_a[0].at("type"), J(R"("add")"));
  EXPECT_TRUE(updates(c).empty());  // not subscribed
  EXPECT_EQ(hub->value_of("n"), J("3"));
  unsubscribe_all({&a, &b});
}

TEST_F(SyncHubTest, InvalidChangeIsRejectedToTheSenderOnly) {
  Client a = connect(), b = connect(1);
  subscribe(a, "tags", TopicType::set);
  subscribe(b, "tags", TopicType::set);
  hub->update(a.id, "tags", O(R"({"type":"append","item":"x"})"));
  updates(a);
  updates(b);
  hub->update(b.id, "tags", O(R"({"type":"append","item":"x","id":"2_1"})"));
  json::object r = only_private(b, "reject_update");
  EXPECT_EQ(r.at("topic_name"), J(R"("tags")"));
  EXPECT_EQ(r.at("change"), J(R"({"type":"append","item":"x","id":"2_1"})"));
  EXPECT_EQ(r.at("reason"), J(R"("Adding \"x\" to 'tags' would create a duplicate.")"));
  EXPECT_TRUE(updates(a).empty());
  EXPECT_TRUE(updates(b).empty());
  EXPECT_TRUE(a.fake->take_privates().empty());
  EXPECT_EQ(hub->value_of("tags"), J(R"(["x"])"));
  unsubscribe_all({&a, &b});
}

TEST_F(SyncHubTest, UpdatesToMissingOrReservedTopicsAreRejected) {
  Client a = connect();
  hub->update(a.id, "nope", O(R"({"type":"set","value":1})"));
  EXPECT_EQ(only_private(a, "reject_update").at("reason"),
            J(R"("topic 'nope' does not exist: subscribe with its type to create it")"));
  hub->update(a.id, "_chatroom/server_status", O(R"({"type":"set","value":"x"})"));
  EXPECT_EQ(only_private(a, "reject_update").at("reason"),
            J(R"("topic '_chatroom/server_status' is written by the server only")"));
}

TEST_F(SyncHubTest, ASubscriberNeverGetsAChangeItsValueAlreadyHolds) {
  Client a = connect(0), b = connect(0);
  subscribe(a, "s", TopicType::string);
  // a's change is applied and its broadcast posted, not yet delivered...
  hub->update(a.id, "s",
              O(R"({"type":"insert","topic_version":"s_init","position":0,"insertion":"x"})"));
  // ...when b subscribes: b's value holds the change, and b must not apply it again.
  auto s = subscribe(b, "s", TopicType::string);
  EXPECT_EQ(s.change.at("value"), J(R"("x")"));
  EXPECT_EQ(updates(a).size(), 1u);
  EXPECT_TRUE(updates(b).empty());
  hub->update(a.id, "s", O(R"({"type":"set","value":"y"})"));
  EXPECT_EQ(updates(b).size(), 1u);
  unsubscribe_all({&a, &b});
}

TEST_F(SyncHubTest, StringTopicsRebaseConcurrentEdits) {
  Client a = connect(0), b = connect(1);
  auto sa = subscribe(a, "doc", TopicType::string);
  subscribe(b, "doc", TopicType::string);
  std::string v0(sa.change.at("id").as_string());
  hub->update(a.id, "doc",
              O(R"({"type":"insert","topic_version":")" + v0 +
                R"(","position":0,"insertion":"hello","result_topic_version":"1_1"})"));
  hub->update(b.id, "doc",
              O(R"({"type":"insert","topic_version":")" + v0 +
                R"(","position":0,"insertion":">> ","result_topic_version":"2_1"})"));
  EXPECT_EQ(hub->value_of("doc"), J(R"(">> hello")"));
  auto got = updates(a);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].at("topic_version"), J(R"("1_1")"));  // rebased onto a's edit
  EXPECT_EQ(updates(b), got);
  unsubscribe_all({&a, &b});
}

TEST_F(SyncHubTest, ChangesMarkTheTopicDirtyForTheStore) {
  RecordingStore store;
  hub->set_store(&store);
  Client a = connect();
  subscribe(a, "x", TopicType::generic);
  subscribe(a, "ev", TopicType::event);
  hub->update(a.id, "x", O(R"({"type":"set","value":1})"));
  hub->update(a.id, "ev", O(R"({"type":"emit"})"));  // events are not stored
  EXPECT_EQ(store.names, (std::vector<std::string>{"x", "ev", "x"}));
  unsubscribe_all({&a});
}

TEST_F(SyncHubTest, RecordAndRestoreKeepValueVersionAndRevision) {
  Client a = connect();
  subscribe(a, "doc", TopicType::string);
  hub->update(a.id, "doc", O(R"({"type":"insert","topic_version":"doc_init","position":0,
                                 "insertion":"abc","result_topic_version":"v1"})"));
  auto record = hub->record("doc");
  ASSERT_TRUE(record);
  EXPECT_FALSE(hub->record("_chatroom/server_status"));
  EXPECT_FALSE(hub->record("nope"));
  unsubscribe_all({&a});

  auto other = make();
  other->restore({*record});
  EXPECT_EQ(other->value_of("doc"), J(R"("abc")"));
  Client b;
  b.id = other->connect(0, b.fake, "peer");
  auto r = other->subscribe(b.id, 0, b.fake.get(), "doc", std::nullopt);
  ASSERT_TRUE(std::holds_alternative<SyncHub::Subscribed>(r));
  EXPECT_EQ(std::get<SyncHub::Subscribed>(r).change.at("id"), J(R"("v1")"));
  EXPECT_EQ(std::get<SyncHub::Subscribed>(r).revision, 1u);
  // An edit made against the initial version still rebases after the restart.
  other->update(b.id, "doc", O(R"({"type":"insert","topic_version":"doc_init","position":0,
                                   "insertion":"X"})"));
  EXPECT_EQ(other->value_of("doc"), J(R"("Xabc")"));
  other->unsubscribe(0, b.fake.get(), "doc");
}

// ---- special topics ----

TEST_F(SyncHubTest, ClientMessageTopicTellsAClientWhyItsChangeWasRejected) {
  Client a = connect();
  auto s = subscribe(a, "_chatroom/client_message/1", TopicType::string);
  EXPECT_EQ(s.type, TopicType::string);
  subscribe(a, "n", TopicType::integer);
  hub->update(a.id, "n", O(R"({"type":"add","value":"x"})"));
  dispatcher.drain();
  auto got = a.fake->take_updates();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at("topic_name"), J(R"("_chatroom/client_message/1")"));
  EXPECT_EQ(
      got[0].at("value"),
      J(R"("your change to 'n' was rejected: \"value\" of a add change must be an integer")"));
  unsubscribe_all({&a});
  hub->disconnect(a.id);
  EXPECT_FALSE(hub->value_of("_chatroom/client_message/1"));  // gone with its client
}

TEST_F(SyncHubTest, StatusTopicIsReadable) {
  Client a = connect();
  auto s = subscribe(a, "_chatroom/server_status", TopicType::string);
  EXPECT_EQ(s.change.at("value"), J(R"("client 1 connected")"));
  connect(1);
  auto got = updates(a);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].at("value"), J(R"("client 2 connected")"));
  unsubscribe_all({&a});
}

// ---- services ----

TEST_F(SyncHubTest, RequestIsRelayedUnderAFreshIdAndAnsweredUnderTheCallers) {
  Client provider = connect(0), caller = connect(1);
  EXPECT_FALSE(hub->register_service(provider.id, "add"));
  hub->request(caller.id, "add", J(R"({"a":1,"b":2})"), J(R"("r1")"));
  json::object req = only_private(provider, "request");
  EXPECT_EQ(req.at("service_name"), J(R"("add")"));
  EXPECT_EQ(req.at("args"), J(R"({"a":1,"b":2})"));
  ASSERT_TRUE(req.at("request_id").is_string());
  EXPECT_NE(req.at("request_id"), J(R"("r1")"));
  EXPECT_EQ(hub->respond(provider.id, req.at("request_id"), J("3")), std::nullopt);
  json::object resp = only_private(caller, "response");
  EXPECT_EQ(resp, O(R"({"response":3,"request_id":"r1"})"));
  // Answered once: a second response finds nothing waiting.
  EXPECT_TRUE(hub->respond(provider.id, req.at("request_id"), J("4")));
}

TEST_F(SyncHubTest, RequestForAMissingServiceIsAnsweredWithAnError) {
  Client caller = connect();
  hub->request(caller.id, "nope", J("{}"), J("7"));
  EXPECT_EQ(only_private(caller, "response"),
            O(R"({"response":{"error":"service 'nope' is not registered"},"request_id":7,
                  "error":"service 'nope' is not registered"})"));
}

TEST_F(SyncHubTest, ProviderDisconnectAnswersItsPendingRequests) {
  Client provider = connect(0), caller = connect(1);
  hub->register_service(provider.id, "slow");
  hub->request(caller.id, "slow", J("{}"), J(R"("a")"));
  hub->request(caller.id, "slow", J("{}"), J(R"("b")"));
  dispatcher.drain();
  hub->disconnect(provider.id);
  dispatcher.drain();
  auto got = caller.fake->take_privates();
  ASSERT_EQ(got.size(), 2u);
  std::set<std::string> ids;
  for (auto& p : got) {
    EXPECT_EQ(p.kind, "response");
    EXPECT_EQ(p.content.at("error"),
              J(R"("the provider of 'slow' disconnected before responding")"));
    ids.insert(std::string(p.content.at("request_id").as_string()));
  }
  EXPECT_EQ(ids, (std::set<std::string>{"a", "b"}));
  // The service went with its provider.
  hub->request(caller.id, "slow", J("{}"), J(R"("c")"));
  EXPECT_EQ(only_private(caller, "response").at("error"),
            J(R"("service 'slow' is not registered")"));
}

TEST_F(SyncHubTest, RequestTimesOut) {
  Client provider = connect(0), caller = connect(1);
  hub->register_service(provider.id, "slow");
  hub->request(caller.id, "slow", J("{}"), J(R"("a")"));
  json::object req = only_private(provider, "request");
  timers.advance(999ms);
  dispatcher.drain();
  EXPECT_TRUE(caller.fake->take_privates().empty());
  timers.advance(1ms);
  EXPECT_EQ(only_private(caller, "response").at("error"),
            J(R"("request to 'slow' timed out after 1000 ms")"));
  // A late response is refused, and the caller hears nothing more.
  EXPECT_EQ(
      hub->respond(provider.id, req.at("request_id"), J("1")).value_or(""),
      "no request " + std::string(req.at("request_id").as_string()) + " is waiting for a response");
  dispatcher.drain();
  EXPECT_TRUE(caller.fake->take_privates().empty());
}

TEST_F(SyncHubTest, OnlyTheProviderAnswersAndUnregisters) {
  Client provider = connect(0), other = connect(1);
  hub->register_service(provider.id, "svc");
  EXPECT_EQ(hub->register_service(other.id, "svc").value_or(""),
            "service 'svc' is already provided by client 1");
  EXPECT_FALSE(hub->register_service(provider.id, "svc"));  // again: fine
  hub->request(other.id, "svc", J("{}"), J(R"("x")"));
  json::object req = only_private(provider, "request");
  EXPECT_EQ(hub->respond(other.id, req.at("request_id"), J("1")).value_or(""),
            "request " + std::string(req.at("request_id").as_string()) +
                " was sent to client 1, not to you");
  EXPECT_EQ(hub->respond(other.id, J("5"), J("1")).value_or(""),
            "a response's request_id is the string its request carried");
  EXPECT_EQ(hub->unregister_service(other.id, "svc").value_or(""),
            "service 'svc' is provided by client 1, not by you");
  EXPECT_EQ(hub->unregister_service(other.id, "nope").value_or(""),
            "service 'nope' is not registered");
  EXPECT_FALSE(hub->unregister_service(provider.id, "svc"));
  EXPECT_EQ(hub->register_service(other.id, "_chatroom/secret").value_or(""),
            "'_chatroom/secret' is reserved for the server's own services");
  EXPECT_EQ(hub->register_service(other.id, "").value_or(""), "a service name is 1 to 256 bytes");
}

TEST_F(SyncHubTest, PendingRequestsPerCallerAreLimited) {
  SyncHubOptions options;
  options.max_pending_requests = 2;
  hub = make(options);
  Client provider = connect(0), caller = connect(1);
  hub->register_service(provider.id, "svc");
  for (int i = 0; i < 3; ++i) hub->request(caller.id, "svc", J("{}"), J(std::to_string(i)));
  EXPECT_EQ(only_private(caller, "response").at("error"),
            J("\"too many requests waiting for a response (at most 2)\""));
}

TEST(ServiceRelay, CallerLeavingForgetsItsRequests) {
  int n = 0;
  ServiceRelay relay(10, [&] { return "id" + std::to_string(++n); });
  relay.add("svc", 1);
  ServiceRelay::Caller caller;
  caller.client = 2;
  caller.request_id = "mine";
  auto opened = relay.open("svc", caller);
  ASSERT_TRUE(std::holds_alternative<ServiceRelay::Relayed>(opened));
  EXPECT_EQ(std::get<ServiceRelay::Relayed>(opened).request_id, "id1");
  EXPECT_EQ(std::get<ServiceRelay::Relayed>(opened).provider, 1u);
  auto departure = relay.leave(2);
  EXPECT_TRUE(departure.services.empty());
  EXPECT_TRUE(departure.owed.empty());
  EXPECT_EQ(relay.open_count(), 0u);
  EXPECT_TRUE(std::holds_alternative<std::string>(relay.answer(1, "id1")));
}

// ---- validation by a client ----

class ValidationTest : public SyncHubTest {
 protected:
  void SetUp() override {
    validator = connect(0);
    writer = connect(1);
    subscribe(writer, "n", TopicType::integer);
    ASSERT_FALSE(hub->register_service(validator.id, "_chatroom/validate_change/n"));
  }
  void TearDown() override { unsubscribe_all({&writer}); }

  // The validator's one pending request.
  json::object asked() { return only_private(validator, "request"); }
  void answer(const json::object& request, std::string_view verdict) {
    EXPECT_FALSE(hub->respond(validator.id, request.at("request_id"), J(verdict)));
  }

  Client validator, writer;
};

TEST_F(ValidationTest, TheValidatorIsAskedBeforeAChangeApplies) {
  hub->update(writer.id, "n", O(R"({"type":"add","value":5})"));
  json::object req = asked();
  EXPECT_EQ(req.at("service_name"), J(R"("_chatroom/validate_change/n")"));
  const json::object& args = req.at("args").as_object();
  EXPECT_EQ(args.at("topic_name"), J(R"("n")"));
  EXPECT_EQ(args.at("change").at("type"), J(R"("add")"));
  EXPECT_EQ(args.at("old_value"), J("0"));
  EXPECT_EQ(args.at("new_value"), J("5"));
  EXPECT_EQ(args.at("sender"), J(std::to_string(writer.id)));
  EXPECT_EQ(hub->value_of("n"), J("0"));  // not yet
  EXPECT_TRUE(updates(writer).empty());
  answer(req, R"({"valid":true})");
  EXPECT_EQ(hub->value_of("n"), J("5"));
  EXPECT_EQ(updates(writer).size(), 1u);
}

TEST_F(ValidationTest, ARejectionReachesTheSenderWithTheValidatorsReason) {
  hub->update(writer.id, "n", O(R"({"type":"set","value":100})"));
  answer(asked(), R"({"valid":false,"reason":"n must stay below 10"})");
  EXPECT_EQ(only_private(writer, "reject_update").at("reason"), J(R"("n must stay below 10")"));
  EXPECT_EQ(hub->value_of("n"), J("0"));
  EXPECT_TRUE(updates(writer).empty());
}

TEST_F(ValidationTest, ChangesQueueBehindAValidationInOrder) {
  hub->update(writer.id, "n", O(R"({"type":"set","value":1,"old_value":0})"));
  hub->update(writer.id, "n", O(R"({"type":"set","value":2,"old_value":1})"));
  hub->update(writer.id, "n", O(R"({"type":"add","value":10})"));
  json::object first = asked();
  EXPECT_EQ(first.at("args").at("new_value"), J("1"));
  answer(first, R"({"valid":true})");
  json::object second = asked();
  EXPECT_EQ(second.at("args").at("old_value"), J("1"));  // prepared against the new state
  EXPECT_EQ(second.at("args").at("new_value"), J("2"));
  answer(second, "false");  // a bare boolean answer
  json::object third = asked();
  EXPECT_EQ(third.at("args").at("new_value"), J("11"));
  answer(third, R"({"valid":true})");
  EXPECT_EQ(hub->value_of("n"), J("11"));
  auto got = updates(writer);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].at("value"), J("1"));
  EXPECT_EQ(got[1].at("type"), J(R"("add")"));
  EXPECT_EQ(only_private(writer, "reject_update").at("reason"),
            J(R"("rejected by the topic's validator")"));
}

TEST_F(ValidationTest, AnInvalidChangeIsRejectedWithoutAskingTheValidator) {
  hub->update(writer.id, "n", O(R"({"type":"add","value":"x"})"));
  EXPECT_EQ(only_private(writer, "reject_update").at("reason"),
            J(R"("\"value\" of a add change must be an integer")"));
  dispatcher.drain();
  EXPECT_TRUE(validator.fake->take_privates().empty());
}

TEST_F(ValidationTest, ATimeoutRejectsAndTheQueueMovesOn) {
  hub->update(writer.id, "n", O(R"({"type":"add","value":1})"));
  hub->update(writer.id, "n", O(R"({"type":"add","value":2})"));
  json::object first = asked();
  timers.advance(1000ms);
  EXPECT_EQ(
      only_private(writer, "reject_update").at("reason"),
      J(R"("validation failed: request to '_chatroom/validate_change/n' timed out after 1000 ms")"));
  answer(asked(), R"({"valid":true})");
  EXPECT_EQ(hub->value_of("n"), J("2"));
  EXPECT_TRUE(hub->respond(validator.id, first.at("request_id"), J("true")));  // too late
}

TEST_F(ValidationTest, TheValidatorLeavingRejectsTheWaitingChangeAndTheRestApply) {
  hub->update(writer.id, "n", O(R"({"type":"add","value":1})"));
  hub->update(writer.id, "n", O(R"({"type":"add","value":2})"));
  asked();
  hub->disconnect(validator.id);
  EXPECT_EQ(
      only_private(writer, "reject_update").at("reason"),
      J(R"("validation failed: the provider of '_chatroom/validate_change/n' disconnected before responding")"));
  EXPECT_EQ(hub->value_of("n"), J("2"));  // no validator any more: applied
}

TEST_F(ValidationTest, GarbledVerdictRejects) {
  hub->update(writer.id, "n", O(R"({"type":"add","value":1})"));
  answer(asked(), R"({"ok":true})");
  EXPECT_EQ(only_private(writer, "reject_update").at("reason"),
            J(R"("the validator answered something else than {\"valid\": true|false}")"));
}

TEST_F(ValidationTest, TooManyWaitingChangesAreRejected) {
  SyncHubOptions options;
  options.max_queued_changes = 2;
  unsubscribe_all({&writer});
  writer.fake->revisions.clear();
  hub = make(options);
  SetUp();
  for (int i = 0; i < 3; ++i) hub->update(writer.id, "n", O(R"({"type":"add","value":1})"));
  EXPECT_EQ(only_private(writer, "reject_update").at("reason"),
            J(R"("too many changes to 'n' are waiting for validation")"));
}

}  // namespace
}  // namespace parley::topics
