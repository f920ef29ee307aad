// The chat service's logic: what it sends for what the server sends it.
#include "dialects/concierge/chat_service.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "dialects/concierge/codec.hpp"

namespace parley::dialects::concierge {
namespace {

namespace json = boost::json;

const std::string kMe = "11111111-1111-4111-8111-111111111111";
const std::string kUser = "22222222-2222-4222-8222-222222222222";

ServiceInfo chat_service() {
  return ServiceInfo{"chat_service", "Chat Service", kMe, {kMe, kUser}};
}

std::string delivered(json::object data, std::optional<std::string> nickname = std::nullopt,
                      std::string service = "chat_service") {
  ServiceInfo s = chat_service();
  s.name = service;
  return encode(PayloadOut{
      std::nullopt, out::Message{Origin{ClientInfo{"web_user", std::move(nickname), kUser, {}}, s},
                                 Target{.type = Target::Type::service, .service = service},
                                 json::serialize(data)}});
}

json::object decoded_message(const std::string& text, Target& target) {
  auto p = std::get<PayloadIn>(decode_in(text));
  auto& m = std::get<in::Message>(p);
  target = m.target;
  return json::parse(m.data).as_object();
}

TEST(ConciergeChatService, IdentifiesThenCreatesAndSubscribes) {
  ChatService chat;
  auto id = std::get<in::Identify>(std::get<PayloadIn>(decode_in(chat.on_connected())));
  EXPECT_EQ(id.name, "chat_service");
  EXPECT_EQ(id.nickname, "Chat Service Client");
  EXPECT_EQ(id.version, "0.2.0");
  EXPECT_EQ(id.tags, (std::vector<std::string>{"service", "chat"}));
  auto next = chat.on_payload(encode(PayloadOut{std::nullopt, out::Hello{kMe, "0.2.0"}}));
  ASSERT_EQ(next.size(), 2u);
  EXPECT_EQ(std::get<PayloadIn>(decode_in(next[0])),
            PayloadIn{(in::ServiceCreate{"chat_service", "Chat Service"})});
  EXPECT_EQ(std::get<PayloadIn>(decode_in(next[1])), PayloadIn{in::SelfSubscribe{"chat_service"}});
  EXPECT_EQ(chat.uuid(), kMe);
  chat.on_connected();  // a new connection forgets the old uuid
  EXPECT_FALSE(chat.uuid());
}

TEST(ConciergeChatService, TurnsInputIntoTextForEveryone) {
  ChatService chat;
  auto out = chat.on_payload(delivered({{"type", "INPUT"}, {"text", "hello"}}, "Web User"));
  ASSERT_EQ(out.size(), 1u);
  Target t;
  auto data = decoded_message(out[0], t);
  EXPECT_EQ(t.type, Target::Type::service);
  EXPECT_EQ(t.service, "chat_service");
  EXPECT_EQ(data, json::parse(R"({"type":"TEXT","author":"Web User","author_uuid":")" + kUser +
                              R"(","text":"hello"})"));
  // Without a nickname, the name is the author.
  auto plain = chat.on_payload(delivered({{"type", "INPUT"}, {"text", "x"}}));
  EXPECT_EQ(decoded_message(plain.at(0), t).at("author"), "web_user");
}

TEST(ConciergeChatService, AboutIsAnsweredPrivately) {
  ChatService chat;
  auto out = chat.on_payload(delivered({{"type", "INPUT"}, {"text", "/about"}}));
  ASSERT_EQ(out.size(), 1u);
  Target t;
  auto data = decoded_message(out[0], t);
  EXPECT_EQ(t.type, Target::Type::service_client_uuid);
  EXPECT_EQ(t.service, "chat_service");
  EXPECT_EQ(t.uuid, kUser);
  EXPECT_EQ(data.at("author"), "System Message");
  EXPECT_EQ(data.at("author_uuid"), "0");
  EXPECT_EQ(data.at("text"), "(Only you can see this!)\nERT Chat Service\nVersion: 0.1");
}

TEST(ConciergeChatService, StatusOnJoinAndLeave) {
  ChatService chat;
  ClientInfo user{"web_user", "Web User", kUser, {}};
  auto joined = chat.on_payload(
      encode(PayloadOut{std::nullopt, out::ServiceClientSubscribed{user, chat_service()}}));
  Target t;
  EXPECT_EQ(decoded_message(joined.at(0), t),
            json::parse(R"({"type":"STATUS","text":"Web User joined the chat."})"));
  user.nickname.reset();
  auto left = chat.on_payload(
      encode(PayloadOut{std::nullopt, out::ServiceClientUnsubscribed{user, chat_service()}}));
  EXPECT_EQ(decoded_message(left.at(0), t),
            json::parse(R"({"type":"STATUS","text":"web_user left the chat."})"));
  ServiceInfo other = chat_service();
  other.name = "other";
  EXPECT_TRUE(
      chat.on_payload(encode(PayloadOut{std::nullopt, out::ServiceClientSubscribed{user, other}}))
          .empty());
}

TEST(ConciergeChatService, TakesTheServiceBackWhenAnotherOwnerDeletesIt) {
  ChatService chat;
  chat.on_payload(encode(PayloadOut{std::nullopt, out::Hello{kMe, "0.2.0"}}));
  ServiceInfo stale{"chat_service", "Chat Service", kUser, {}};
  auto again = chat.on_payload(encode(PayloadOut{std::nullopt, out::ServiceDeleteResult{stale}}));
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(std::get<PayloadIn>(decode_in(again[0])).index(),
            PayloadIn{in::ServiceCreate{}}.index());
  EXPECT_EQ(std::get<PayloadIn>(decode_in(again[1])), PayloadIn{in::SelfSubscribe{"chat_service"}});
  // Its own deletion, or another service's: nothing.
  EXPECT_TRUE(
      chat.on_payload(encode(PayloadOut{2, out::ServiceDeleteResult{chat_service()}})).empty());
  stale.name = "other";
  EXPECT_TRUE(
      chat.on_payload(encode(PayloadOut{std::nullopt, out::ServiceDeleteResult{stale}})).empty());
}

TEST(ConciergeChatService, IgnoresWhatIsNotForIt) {
  ChatService chat;
  EXPECT_TRUE(chat.on_payload(delivered({{"type", "INPUT"}, {"text", "x"}}, {}, "other")).empty());
  EXPECT_TRUE(chat.on_payload(delivered({{"type", "TEXT"}, {"text", "x"}})).empty());
  EXPECT_TRUE(chat.on_payload(delivered({{"type", "INPUT"}, {"text", 5}})).empty());
  EXPECT_TRUE(chat.on_payload(delivered({{"type", "INPUT"}})).empty());
  // A MESSAGE without a service (NAME, UUID, ALL targets) crashed the original; ignored here.
  EXPECT_TRUE(chat.on_payload(encode(PayloadOut{
                                  std::nullopt,
                                  out::Message{Origin{ClientInfo{"u", {}, kUser, {}}, std::nullopt},
                                               Target{.type = Target::Type::all},
                                               R"({"type":"INPUT","text":"hi"})"}}))
                  .empty());
  EXPECT_TRUE(chat.on_payload("not json").empty());
  EXPECT_TRUE(chat.on_payload(R"({"type":"OK","seq":1})").empty());
}

}  // namespace
}  // namespace parley::dialects::concierge
