// Topic names, filters, matching (section 4.7) and the topic tree, checked against the plain
// matcher on every pair of a set of topics and filters.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "dialects/mqtt/message.hpp"
#include "dialects/mqtt/topic.hpp"
#include "dialects/mqtt/topic_tree.hpp"

namespace parley::dialects::mqtt {
namespace {

using namespace std::string_literals;

TEST(MqttTopic, Validity) {
  for (std::string_view t :
       {"a", "a/b", "/", "//", "/a", "a/", "$SYS/x", "sport/tennis player1", "\xC3\xA9t\xC3\xA9"})
    EXPECT_TRUE(valid_topic_name(t)) << t;
  for (std::string_view t : {"", "a/+", "#", "a/#", "a+b"}) EXPECT_FALSE(valid_topic_name(t)) << t;
  EXPECT_FALSE(valid_topic_name("a\0b"s));
  EXPECT_FALSE(valid_topic_name(std::string(65536, 'a')));
  EXPECT_TRUE(valid_topic_name(std::string(65535, 'a')));

  for (std::string_view f : {"#", "+", "a/#", "a/+/b", "+/+", "/+", "+/", "a//#", "$SYS/#"})
    EXPECT_TRUE(valid_topic_filter(f)) << f;
  for (std::string_view f : {"", "a#", "a/#/b", "#/", "a+", "+a/b", "a/b#", "##"})
    EXPECT_FALSE(valid_topic_filter(f)) << f;
}

TEST(MqttTopic, MatchingAsTheSpecificationSays) {
  struct Case {
    std::string filter, topic;
    bool match;
  };
  const std::vector<Case> cases = {
      // Section 4.7.1.2.
      {"sport/tennis/player1/#", "sport/tennis/player1", true},
      {"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
      {"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
      {"sport/#", "sport", true},
      {"#", "sport/tennis", true},
      // Section 4.7.1.3.
      {"sport/tennis/+", "sport/tennis/player1", true},
      {"sport/tennis/+", "sport/tennis/player2", true},
      {"sport/tennis/+", "sport/tennis/player1/ranking", false},
      {"sport/+", "sport", false},
      {"sport/+", "sport/", true},
      {"+/+", "/finance", true},
      {"/+", "/finance", true},
      {"+", "/finance", false},
      // Section 4.7.2: $ topics.
      {"#", "$SYS/broker", false},
      {"+/monitor/Clients", "$SYS/monitor/Clients", false},
      {"$SYS/#", "$SYS/monitor/Clients", true},
      {"$SYS/monitor/+", "$SYS/monitor/Clients", true},
      {"+/+", "$TopicA/B", false},
      // Levels are compared whole and case-sensitively.
      {"a/b", "a/b", true},
      {"a/b", "A/b", false},
      {"a/b", "a/bc", false},
      {"a/b", "a/b/c", false},
      {"a/+/c", "a//c", true},
      {"+", "", true},
  };
  for (const auto& c : cases)
    EXPECT_EQ(topic_matches(c.filter, c.topic), c.match) << c.filter << " " << c.topic;
}

TEST(MqttTopic, TreeAgreesWithTheMatcher) {
  const std::vector<std::string> topics = {
      "a",      "a/b",  "a/b/c",  "a/c",    "b",        "/",       "/a",       "a/",      "//",
      "$SYS/x", "$SYS", "$x/a/b", "TopicA", "TopicA/B", "Topic/C", "TopicA/C", "/TopicA", "a//c"};
  const std::vector<std::string> filters = {
      "#",   "+", "+/+", "a/#",      "a/+", "a/+/c",    "+/b",  "/#",    "/+",    "$SYS/#", "$SYS",
      "+/#", "a", "a/b", "TopicA/+", "+/C", "TopicA/#", "a//c", "a/+/+", "+/+/+", "$x/+/b"};
  TopicTree<std::string> by_filter;
  for (const auto& f : filters) by_filter.insert(f, f);
  TopicTree<std::string> by_topic;
  for (const auto& t : topics) by_topic.insert(t, t);
  for (const auto& t : topics) {
    std::vector<std::string> got, want;
    by_filter.match_topic(t, [&](const std::string& f) { got.push_back(f); });
    for (const auto& f : filters)
      if (topic_matches(f, t)) want.push_back(f);
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want) << "topic " << t;
  }
  for (const auto& f : filters) {
    std::vector<std::string> got, want;
    by_topic.match_filter(f, [&](const std::string& t) { got.push_back(t); });
    for (const auto& t : topics)
      if (topic_matches(f, t)) want.push_back(t);
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want) << "filter " << f;
  }
}

TEST(MqttTopic, TreeEraseAndPrune) {
  TopicTree<int> tree;
  tree.insert("a/b/c", 1);
  tree.insert("a/b/c", 2);
  tree.insert("a/+", 3);
  EXPECT_EQ(tree.size(), 3u);
  EXPECT_EQ(tree.erase_if("a/b/c", [](int v) { return v == 1; }), 1u);
  EXPECT_EQ(tree.erase_if("a/b/x", [](int) { return true; }), 0u);
  EXPECT_EQ(tree.erase_if("a/b/c", [](int) { return true; }), 1u);
  EXPECT_EQ(tree.find("a/b/c"), nullptr);  // pruned
  EXPECT_EQ(tree.find("a/b"), nullptr);
  ASSERT_NE(tree.find("a/+"), nullptr);
  int seen = 0;
  tree.match_topic("a/z", [&](int v) { seen = v; });
  EXPECT_EQ(seen, 3);
  EXPECT_EQ(tree.size(), 1u);
}

TEST(MqttTopic, ChannelMapping) {
  const std::string uuid = "c3743620-a5d4-4f56-9a0f-4e8b6a1c2d3e";
  EXPECT_EQ(topic_to_channel("affinitas_chat/one_to_one/" + uuid), uuid);
  EXPECT_EQ(channel_to_topic(uuid), "affinitas_chat/one_to_one/" + uuid);
  // Only the canonical lower-case form is the SSE channel.
  std::string upper = "C3743620-A5D4-4F56-9A0F-4E8B6A1C2D3E";
  EXPECT_EQ(topic_to_channel("affinitas_chat/one_to_one/" + upper),
            "affinitas_chat/one_to_one/" + upper);
  EXPECT_EQ(topic_to_channel("affinitas_chat/one_to_one/x"), "affinitas_chat/one_to_one/x");
  EXPECT_EQ(topic_to_channel("lobby"), "lobby");
  EXPECT_EQ(channel_to_topic("lobby"), "lobby");
  EXPECT_EQ(topic_to_channel("a/b/c"), "a/b/c");
}

TEST(MqttTopic, MessagesBothWays) {
  const std::string uuid = "c3743620-a5d4-4f56-9a0f-4e8b6a1c2d3e";
  const std::string topic = "affinitas_chat/one_to_one/" + uuid;
  std::string chat = R"({"id":"m-1","userId":"u-1","message":"hi there"})";
  core::Message m = make_message(topic, chat, 2, "client");
  EXPECT_EQ(m.channel, uuid);
  EXPECT_EQ(m.text, "hi there");
  EXPECT_EQ(m.author_id, "u-1");
  EXPECT_EQ(m.id, "m-1");
  EXPECT_EQ(m.dialect, "mqtt");
  EXPECT_EQ(topic_of(m), topic);
  EXPECT_EQ(payload_of(m), chat);  // the bytes as published
  EXPECT_EQ(qos_of(m), 2);

  core::Message plain = make_message("sensors/1", "21.5", 0, "dev-1");
  EXPECT_EQ(plain.text, "21.5");
  EXPECT_EQ(plain.author_id, "dev-1");
  EXPECT_EQ(payload_of(plain), "21.5");
  EXPECT_EQ(qos_of(plain), 0);

  std::string binary = "\x00\xFF\xC3"s;
  core::Message bin = make_message("bin", binary, 1, "dev");
  EXPECT_EQ(bin.text, "");
  EXPECT_EQ(payload_of(bin), binary);

  // A message of another system: the Chat Service's JSON, at QoS 2.
  core::Message hub;
  hub.channel = uuid;
  hub.id = "x-1";
  hub.author_id = "bob";
  hub.text = "from \"hub\"";
  hub.dialect = "phoenix";
  EXPECT_EQ(topic_of(hub), topic);
  EXPECT_EQ(payload_of(hub), R"({"id":"x-1","userId":"bob","message":"from \"hub\""})");
  EXPECT_EQ(qos_of(hub), 2);

  // Through JSON and back (the records kept across restarts).
  auto back = message_from_json(message_to_json(bin));
  ASSERT_TRUE(back);
  EXPECT_EQ(payload_of(*back), binary);
  EXPECT_EQ(topic_of(*back), "bin");
}

TEST(MqttTopic, Base64) {
  for (std::string s : {""s, "f"s, "fo"s, "foo"s, "foob"s, "fooba"s, "foobar"s, "\x00\xFF\x10"s}) {
    auto back = base64_decode(base64_encode(s));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_FALSE(base64_decode("Zm9"));
  EXPECT_FALSE(base64_decode("Z!9v"));
}

}  // namespace
}  // namespace parley::dialects::mqtt
