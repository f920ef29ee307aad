#include "dialects/chat_sse/codec.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "dialects/chat_sse/publish.hpp"

namespace parley::dialects::chat_sse {
namespace {

namespace json = boost::json;

TEST(ChatSseCodec, Uuids) {
  EXPECT_TRUE(is_uuid("c3743620-cc30-11e6-9d9d-cec0c932ce01"));
  EXPECT_TRUE(is_uuid("C3743620-CC30-11E6-9D9D-CEC0C932CE01"));
  EXPECT_TRUE(is_uuid("00000000-0000-0000-0000-000000000000"));
  for (const char* bad : {"", "nope", "c3743620cc3011e69d9dcec0c932ce01",
                          "c3743620-cc30-11e6-9d9d-cec0c932ce0",     // short
                          "c3743620-cc30-11e6-9d9d-cec0c932ce011",   // long
                          "c3743620-cc30-11e6-9d9d_cec0c932ce01",    // wrong separator
                          "g3743620-cc30-11e6-9d9d-cec0c932ce01",    // not hex
                          "{c3743620-cc30-11e6-9d9d-cec0c932ce01}",  // braces
                          " c3743620-cc30-11e6-9d9d-cec0c932ce0"}) {
    EXPECT_FALSE(is_uuid(bad)) << bad;
  }
  EXPECT_EQ(normalize_uuid("C3743620-CC30-11E6-9D9D-CEC0C932CE01"),
            "c3743620-cc30-11e6-9d9d-cec0c932ce01");
}

TEST(ChatSseCodec, Utf8) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("hello"));
  EXPECT_TRUE(valid_utf8("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(valid_utf8("\xff"));
  EXPECT_FALSE(valid_utf8("\xc3"));              // truncated
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));          // overlong
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(valid_utf8("a\x80z"));            // stray continuation
}

TEST(ChatSseCodec, EventBytesAreTheOriginalsWithAnId) {
  core::Message m;
  m.id = "5f0c0000-0000-4000-8000-000000000001";
  m.author_id = "c3743620-cc30-11e6-9d9d-cec0c932ce01";
  m.text = "hello";
  m.offset = 7;
  EXPECT_EQ(event_json(m), R"({"id":"5f0c0000-0000-4000-8000-000000000001",)"
                           R"("userId":"c3743620-cc30-11e6-9d9d-cec0c932ce01","message":"hello"})");
  EXPECT_EQ(event_text(m), "id: 7\r\ndata: " + event_json(m) + "\r\n\r\n");
  EXPECT_EQ(retry_text(3000), "retry: 3000\r\n\r\n");
  EXPECT_EQ(kKeepAlive, ": keep-alive\r\n\r\n");
}

TEST(ChatSseCodec, MultiLineTextStaysOneDataLine) {
  core::Message m;
  m.text = "two\r\nlines \"quoted\" \\ </script>";
  std::string text = event_text(m);
  // The JSON escapes CR and LF, so the event is exactly three lines.
  EXPECT_EQ(text.find("\r\n"), text.find("\r\ndata: "));
  EXPECT_EQ(text.substr(text.size() - 4), "\r\n\r\n");
  auto data = text.substr(text.find("data: ") + 6);
  data.resize(data.size() - 4);
  EXPECT_EQ(data.find('\n'), std::string::npos);
  EXPECT_EQ(json::parse(data).at("message").as_string(), m.text);
}

TEST(ChatSseCodec, MakeMessage) {
  core::Message m = make_message("chan", "user", "text");
  EXPECT_TRUE(is_uuid(m.id));
  EXPECT_EQ(m.channel, "chan");
  EXPECT_EQ(m.author_id, "user");
  EXPECT_EQ(m.text, "text");
  EXPECT_EQ(m.dialect, "chat_sse");
  EXPECT_EQ(json::serialize(m.payload),
            R"({"id":")" + m.id + R"(","userId":"user","message":"text"})");
  EXPECT_NE(make_message("c", "u", "t").id, m.id);
}

TEST(ChatSseCodec, Offsets) {
  EXPECT_EQ(parse_offset("0"), 0u);
  EXPECT_EQ(parse_offset("42"), 42u);
  EXPECT_EQ(parse_offset("18446744073709551615"), UINT64_MAX);
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "1a", "0x10", "18446744073709551616"})
    EXPECT_FALSE(parse_offset(bad)) << bad;
}

TEST(ChatSseCodec, AcceptHeader) {
  EXPECT_TRUE(accepts_event_stream("text/event-stream"));
  EXPECT_TRUE(accepts_event_stream("Text/Event-Stream"));
  EXPECT_TRUE(accepts_event_stream("text/html, text/event-stream;q=0.9"));
  EXPECT_TRUE(accepts_event_stream("text/event-stream ; charset=utf-8"));
  EXPECT_FALSE(accepts_event_stream(""));
  EXPECT_FALSE(accepts_event_stream("*/*"));
  EXPECT_FALSE(accepts_event_stream("text/event-streamx"));
  EXPECT_FALSE(accepts_event_stream("application/json"));
}

}  // namespace
}  // namespace parley::dialects::chat_sse
