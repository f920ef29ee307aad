#include "dialects/heavenland/action.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "dialects/heavenland/errors.hpp"

namespace parley::dialects::heavenland {
namespace {

namespace json = boost::json;

json::object obj(std::string_view text) { return json::parse(text).as_object(); }

template <class T>
std::string_view error_of(const Parsed<T>& p) {
  auto* e = std::get_if<std::string_view>(&p);
  return e ? *e : std::string_view("(no error)");
}

TEST(HeavenlandAction, DecodeFrameGivesObjectAndAction) {
  auto f = decode_frame(R"({"action":"login","token":"t"})");
  ASSERT_TRUE(std::holds_alternative<Frame>(f));
  EXPECT_EQ(std::get<Frame>(f).action, "login");
  EXPECT_EQ(std::get<Frame>(f).object.at("token"), "t");
}

TEST(HeavenlandAction, DecodeFrameErrors) {
  EXPECT_EQ(error_of(decode_frame("not json")), errors::kNotJson);
  EXPECT_EQ(error_of(decode_frame("")), errors::kNotJson);
  EXPECT_EQ(error_of(decode_frame(R"({"action":)")), errors::kNotJson);
  EXPECT_EQ(error_of(decode_frame("[1,2]")), errors::kNotObject);
  EXPECT_EQ(error_of(decode_frame("\"login\"")), errors::kNotObject);
  EXPECT_EQ(error_of(decode_frame("42")), errors::kNotObject);
  EXPECT_EQ(error_of(decode_frame("null")), errors::kNotObject);
}

TEST(HeavenlandAction, MissingOrNonStringActionIsEmpty) {
  EXPECT_EQ(std::get<Frame>(decode_frame("{}")).action, "");
  EXPECT_EQ(std::get<Frame>(decode_frame(R"({"action":5})")).action, "");
  EXPECT_EQ(std::get<Frame>(decode_frame(R"({"action":null})")).action, "");
}

TEST(HeavenlandAction, LoginWithTokenOrCredentials) {
  auto t = parse_login(obj(R"({"action":"login","token":"abc"})"));
  ASSERT_TRUE(std::holds_alternative<LoginRequest>(t));
  EXPECT_EQ(std::get<LoginRequest>(t).token, "abc");

  auto c = parse_login(obj(R"({"action":"login","username":"ann","password":"pw"})"));
  ASSERT_TRUE(std::holds_alternative<LoginRequest>(c));
  EXPECT_EQ(std::get<LoginRequest>(c).token, "");
  EXPECT_EQ(std::get<LoginRequest>(c).username, "ann");
  EXPECT_EQ(std::get<LoginRequest>(c).password, "pw");

  // The token wins, as the original.
  auto both = parse_login(obj(R"({"token":"abc","username":"ann","password":"pw"})"));
  EXPECT_EQ(std::get<LoginRequest>(both).token, "abc");
}

TEST(HeavenlandAction, LoginWithoutUsableFields) {
  for (const char* text : {
           R"({"action":"login"})",
           R"({"action":"login","token":""})",
           R"({"action":"login","token":12})",
           R"({"action":"login","token":null})",
           R"({"action":"login","username":"ann"})",
           R"({"action":"login","password":"pw"})",
           R"({"action":"login","username":"ann","password":""})",
           R"({"action":"login","username":1,"password":"pw"})",
       }) {
    SCOPED_TRACE(text);
    EXPECT_EQ(error_of(parse_login(obj(text))), errors::kLoginFieldsMissing);
  }
}

TEST(HeavenlandAction, MessageKeepsRequestKeysInOrderWithoutServerKeys) {
  auto p = parse_message(obj(
      R"({"action":"message","message":"hi","channel":"General","user_id":"spoof","extra":[1],"timestamp":1,"nickname":"x","z":true})"));
  ASSERT_TRUE(std::holds_alternative<MessageRequest>(p));
  auto& m = std::get<MessageRequest>(p);
  EXPECT_EQ(m.text, "hi");
  ASSERT_TRUE(m.channel);
  EXPECT_EQ(*m.channel, "General");
  EXPECT_EQ(json::serialize(m.payload),
            R"({"message":"hi","channel":"General","extra":[1],"z":true})");
}

TEST(HeavenlandAction, MessageChannelIntegerBecomesString) {
  auto p = parse_message(obj(R"({"action":"message","channel":7,"message":"hi"})"));
  auto& m = std::get<MessageRequest>(p);
  EXPECT_EQ(*m.channel, "7");
  EXPECT_EQ(json::serialize(m.payload), R"({"channel":"7","message":"hi"})");
  auto n = parse_message(obj(R"({"message":"hi","channel":-3})"));
  EXPECT_EQ(*std::get<MessageRequest>(n).channel, "-3");
  auto big = parse_message(obj(R"({"message":"hi","channel":18446744073709551615})"));
  EXPECT_EQ(*std::get<MessageRequest>(big).channel, "18446744073709551615");
}

TEST(HeavenlandAction, MessageWithoutOrWithNullChannel) {
  auto p = parse_message(obj(R"({"action":"message","message":"hi"})"));
  EXPECT_FALSE(std::get<MessageRequest>(p).channel);
  EXPECT_EQ(json::serialize(std::get<MessageRequest>(p).payload), R"({"message":"hi"})");
  auto n = parse_message(obj(R"({"message":"hi","channel":null})"));
  EXPECT_FALSE(std::get<MessageRequest>(n).channel);
  EXPECT_EQ(json::serialize(std::get<MessageRequest>(n).payload), R"({"message":"hi"})");
}

TEST(HeavenlandAction, MessageErrors) {
  EXPECT_EQ(error_of(parse_message(obj(R"({"action":"message"})"))), errors::kMessageNotString);
  EXPECT_EQ(error_of(parse_message(obj(R"({"message":5})"))), errors::kMessageNotString);
  EXPECT_EQ(error_of(parse_message(obj(R"({"message":null})"))), errors::kMessageNotString);
  EXPECT_EQ(error_of(parse_message(obj(R"({"message":["a"]})"))), errors::kMessageNotString);
  for (const char* channel : {"1.5", "true", "[]", "{}", "\"\""}) {
    SCOPED_TRACE(channel);
    EXPECT_EQ(
        error_of(parse_message(obj(std::string(R"({"message":"m","channel":)") + channel + "}"))),
        errors::kBadChannel);
  }
  std::string long_channel(kMaxChannelBytes + 1, 'c');
  EXPECT_EQ(error_of(parse_message(obj(R"({"message":"m","channel":")" + long_channel + "\"}"))),
            errors::kBadChannel);
  std::string max_channel(kMaxChannelBytes, 'c');
  EXPECT_TRUE(std::holds_alternative<MessageRequest>(
      parse_message(obj(R"({"message":"m","channel":")" + max_channel + "\"}"))));
  EXPECT_TRUE(std::holds_alternative<MessageRequest>(parse_message(obj(R"({"message":""})"))));
}

TEST(HeavenlandAction, HistoryDefaultsAndCap) {
  auto d = std::get<HistoryRequest>(parse_history(obj(R"({"action":"history"})"), 100));
  EXPECT_EQ(d.limit, 10u);
  EXPECT_EQ(d.offset, 0u);
  auto l = std::get<HistoryRequest>(parse_history(obj(R"({"limit":3,"offset":2})"), 100));
  EXPECT_EQ(l.limit, 3u);
  EXPECT_EQ(l.offset, 2u);
  auto capped = std::get<HistoryRequest>(parse_history(obj(R"({"limit":1000})"), 100));
  EXPECT_EQ(capped.limit, 100u);
  auto huge = std::get<HistoryRequest>(
      parse_history(obj(R"({"limit":18446744073709551615,"offset":18446744073709551615})"), 100));
  EXPECT_EQ(huge.limit, 100u);
  EXPECT_EQ(huge.offset, std::size_t(18446744073709551615ULL));
  auto zero = std::get<HistoryRequest>(parse_history(obj(R"({"limit":0})"), 100));
  EXPECT_EQ(zero.limit, 0u);
  // The default is capped too.
  EXPECT_EQ(std::get<HistoryRequest>(parse_history(obj("{}"), 5)).limit, 5u);
}

TEST(HeavenlandAction, HistoryWrongTypes) {
  for (const char* v : {"-1", "1.5", "\"5\"", "null", "true", "[]", "{}"}) {
    SCOPED_TRACE(v);
    EXPECT_EQ(error_of(parse_history(obj(std::string(R"({"limit":)") + v + "}"), 100)),
              errors::kBadLimit);
    EXPECT_EQ(error_of(parse_history(obj(std::string(R"({"offset":)") + v + "}"), 100)),
              errors::kBadOffset);
  }
}

}  // namespace
}  // namespace parley::dialects::heavenland
