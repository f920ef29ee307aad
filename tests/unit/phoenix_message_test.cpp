#include "dialects/phoenix/message.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace parley::dialects::phoenix {
namespace {

namespace json = boost::json;

Message ok(DecodeResult r) {
  if (auto* e = std::get_if<DecodeError>(&r)) ADD_FAILURE() << "decode failed: " << e->reason;
  return std::get<Message>(r);
}

DecodeError err(DecodeResult r) {
  EXPECT_TRUE(std::holds_alternative<DecodeError>(r));
  return std::holds_alternative<DecodeError>(r) ? std::get<DecodeError>(r) : DecodeError{};
}

TEST(PhoenixMessage, DecodesV1Objects) {
  auto m = ok(decode(
      R"({"topic":"room:lobby","event":"phx_join","payload":{"username":"robin"},"ref":null})",
      Vsn::v1));
  EXPECT_EQ(m.topic, "room:lobby");
  EXPECT_EQ(m.event, "phx_join");
  EXPECT_TRUE(m.ref.is_null());
  EXPECT_TRUE(m.join_ref.is_null());
  EXPECT_EQ(m.payload.at("username").as_string(), "robin");
  auto with_join_ref =
      ok(decode(R"({"topic":"t","event":"e","payload":{},"ref":"2","join_ref":"1"})", Vsn::v1));
  EXPECT_EQ(with_join_ref.join_ref.as_string(), "1");
  EXPECT_EQ(with_join_ref.ref.as_string(), "2");
  auto numeric_ref = ok(decode(R"({"topic":"t","event":"e","payload":{},"ref":5})", Vsn::v1));
  EXPECT_EQ(numeric_ref.ref.as_int64(), 5);
}

TEST(PhoenixMessage, DecodesV2Arrays) {
  auto m = ok(decode(R"(["1","2","room:lobby","shout",{"body":"hi"}])", Vsn::v2));
  EXPECT_EQ(m.join_ref.as_string(), "1");
  EXPECT_EQ(m.ref.as_string(), "2");
  EXPECT_EQ(m.topic, "room:lobby");
  EXPECT_EQ(m.event, "shout");
  EXPECT_EQ(m.payload.at("body").as_string(), "hi");
  auto hb = ok(decode(R"([null,"3","phoenix","heartbeat",{}])", Vsn::v2));
  EXPECT_TRUE(hb.join_ref.is_null());
}

TEST(PhoenixMessage, RejectsWhatIsNotAMessage) {
  EXPECT_FALSE(err(decode("not json", Vsn::v1)).recoverable);
  EXPECT_FALSE(err(decode("{\"topic\":", Vsn::v1)).recoverable);
  EXPECT_FALSE(err(decode("[1,2]", Vsn::v1)).recoverable) << "v1 needs an object";
  EXPECT_FALSE(err(decode(R"({"topic":"t"})", Vsn::v2)).recoverable) << "v2 needs an array";
  EXPECT_FALSE(err(decode("42", Vsn::v2)).recoverable);
  EXPECT_FALSE(err(decode(R"({"event":"e","payload":{},"ref":null})", Vsn::v1)).recoverable)
      << "no topic: nothing to reply on";
  EXPECT_FALSE(
      err(decode(R"({"topic":5,"event":"e","payload":{},"ref":null})", Vsn::v1)).recoverable);
}

TEST(PhoenixMessage, ShapeErrorsKeepTopicAndRefForTheReply) {
  auto missing = err(decode(R"({"topic":"room:a","event":"shout","ref":"7"})", Vsn::v1));
  EXPECT_TRUE(missing.recoverable);
  EXPECT_EQ(missing.topic, "room:a");
  EXPECT_EQ(missing.ref.as_string(), "7");
  EXPECT_NE(missing.reason.find("missing"), std::string::npos);
  auto bad_event = err(decode(R"({"topic":"room:a","event":3,"payload":{},"ref":"1"})", Vsn::v1));
  EXPECT_TRUE(bad_event.recoverable);
  auto bad_ref = err(decode(R"({"topic":"room:a","event":"e","payload":{},"ref":{}})", Vsn::v1));
  EXPECT_TRUE(bad_ref.recoverable);
  auto short_v2 = err(decode(R"(["1","2","room:a","e"])", Vsn::v2));
  EXPECT_TRUE(short_v2.recoverable);
  EXPECT_EQ(short_v2.topic, "room:a");
  EXPECT_EQ(short_v2.ref.as_string(), "2");
  auto bad_event_v2 = err(decode(R"(["1","2","room:a",7,{}])", Vsn::v2));
  EXPECT_TRUE(bad_event_v2.recoverable);
}

TEST(PhoenixMessage, EncodesV1WithoutJoinRef) {
  std::string s = encode(Vsn::v1, "1", "2", "room:lobby", "phx_reply",
                         json::object{{"status", "ok"}, {"response", json::object{}}});
  auto v = json::parse(s).as_object();
  EXPECT_EQ(v.at("topic").as_string(), "room:lobby");
  EXPECT_EQ(v.at("event").as_string(), "phx_reply");
  EXPECT_EQ(v.at("ref").as_string(), "2");
  EXPECT_EQ(v.at("payload").at("status").as_string(), "ok");
  EXPECT_FALSE(v.contains("join_ref"));
}

TEST(PhoenixMessage, EncodesV2Arrays) {
  std::string s =
      encode(Vsn::v2, nullptr, nullptr, "room:lobby", "shout", json::object{{"body", "hi"}});
  EXPECT_EQ(s, R"([null,null,"room:lobby","shout",{"body":"hi"}])");
}

TEST(PhoenixMessage, RoundTripsBothVersions) {
  json::value payload = json::parse(R"({"body":"h\u00e9llo \"quoted\"","n":[1,2,{"x":null}]})");
  for (Vsn v : {Vsn::v1, Vsn::v2}) {
    std::string s = encode(v, "9", "10", "room:été", "shout", payload);
    auto m = ok(decode(s, v));
    EXPECT_EQ(m.topic, "room:été");
    EXPECT_EQ(m.event, "shout");
    EXPECT_EQ(m.ref.as_string(), "10");
    EXPECT_EQ(m.payload, payload);
    if (v == Vsn::v2) EXPECT_EQ(m.join_ref.as_string(), "9");
  }
}

TEST(PhoenixMessage, ParsesVsn) {
  Vsn v;
  ASSERT_TRUE(parse_vsn("", v));
  EXPECT_EQ(v, Vsn::v1);
  ASSERT_TRUE(parse_vsn("1.0.0", v));
  EXPECT_EQ(v, Vsn::v1);
  ASSERT_TRUE(parse_vsn("2.0.0", v));
  EXPECT_EQ(v, Vsn::v2);
  EXPECT_FALSE(parse_vsn("3.0.0", v));
  EXPECT_FALSE(parse_vsn("banana", v));
}

}  // namespace
}  // namespace parley::dialects::phoenix
