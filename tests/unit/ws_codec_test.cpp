#include "net/ws_codec.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace parley::net::ws {
namespace {

using Key = std::array<unsigned char, 4>;
constexpr Key kKey{0x37, 0xFA, 0x21, 0x3D};

// ---- Building client frames -------------------------------------------------------------

struct FrameOpts {
  bool fin = true;
  std::uint8_t rsv = 0;  // bits 0x40, 0x20, 0x10 of the first byte
  bool masked = true;
  Key key = kKey;
};

// The header of a client frame declaring `len` payload bytes (minimal length encoding).
std::string client_header(std::uint8_t op, std::uint64_t len, const FrameOpts& o = {}) {
  std::string h;
  h += static_cast<char>((o.fin ? 0x80 : 0) | o.rsv | op);
  const char mask_bit = o.masked ? static_cast<char>(0x80) : 0;
  if (len <= 125) {
    h += static_cast<char>(mask_bit | static_cast<char>(len));
  } else if (len <= 0xFFFF) {
    h += static_cast<char>(mask_bit | 126);
    h += static_cast<char>(len >> 8);
    h += static_cast<char>(len);
  } else {
    h += static_cast<char>(mask_bit | 127);
    for (int i = 7; i >= 0; --i) h += static_cast<char>(len >> (8 * i));
  }
  if (o.masked) h.append(reinterpret_cast<const char*>(o.key.data()), 4);
  return h;
}

// A complete client frame: header, then the payload masked with o.key.
std::string client_frame(std::uint8_t op, std::string_view payload, const FrameOpts& o = {}) {
  std::string f = client_header(op, payload.size(), o);
  for (std::size_t i = 0; i < payload.size(); ++i)
    f += o.masked ? static_cast<char>(payload[i] ^ o.key[i % 4]) : payload[i];
  return f;
}

std::string client_frame(Opcode op, std::string_view payload, const FrameOpts& o = {}) {
  return client_frame(static_cast<std::uint8_t>(op), payload, o);
}

FrameOpts not_fin() {
  FrameOpts o;
  o.fin = false;
  return o;
}

std::string close_payload(std::uint16_t code, std::string_view reason = {}) {
  std::string p;
  p += static_cast<char>(code >> 8);
  p += static_cast<char>(code & 0xFF);
  p += reason;
  return p;
}

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(i * 7 + (i >> 8));
  return s;
}

// ---- Recording what the parser reports -------------------------------------------------------

struct Event {
  char kind;  // 'm'essage, 'p'ing, p'o'ng, 'c'lose
  Opcode op = Opcode::continuation;
  std::uint16_t code = 0;
  std::string payload;
  bool operator==(const Event&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Event& e) {
  return os << "{" << e.kind << " op=" << int(e.op) << " code=" << e.code
            << " size=" << e.payload.size() << " payload=\"" << e.payload.substr(0, 40) << "\"}";
}

Event message(Opcode op, std::string payload) { return {'m', op, 0, std::move(payload)}; }
Event ping(std::string payload) { return {'p', Opcode::ping, 0, std::move(payload)}; }
Event pong(std::string payload) { return {'o', Opcode::pong, 0, std::move(payload)}; }
Event closed(std::uint16_t code, std::string reason) {
  return {'c', Opcode::close, code, std::move(reason)};
}

class Recorder : public FrameHandler {
 public:
  std::vector<Event> events;
  void on_message(Opcode op, std::string_view p) override {
    events.push_back(message(op, std::string(p)));
  }
  void on_ping(std::string_view p) override { events.push_back(ping(std::string(p))); }
  void on_pong(std::string_view p) override { events.push_back(pong(std::string(p))); }
  void on_close(std::uint16_t code, std::string_view reason) override {
    events.push_back(closed(code, std::string(reason)));
  }
};

struct Outcome {
  std::vector<Event> events;
  std::uint16_t error = 0;   // the first error returned
  bool later_error = false;  // a feed after the first error returned one again
  bool closed = false;
};

// Feeds `bytes` in chunks ending at each of `cuts` (ascending) and then the rest.
Outcome feed_chunks(std::string_view bytes, const std::vector<std::size_t>& cuts,
                    std::size_t max = 64 * 1024) {
  FrameParser parser(max);
  Recorder rec;
  Outcome run;
  std::size_t at = 0;
  auto feed = [&](std::size_t to) {
    ParseError err = parser.feed(bytes.substr(at, to - at), rec);
    if (err && run.error) run.later_error = true;
    if (err && !run.error) run.error = err.code;
    if (err) {
      EXPECT_FALSE(err.reason.empty());
    }
    at = to;
  };
  for (std::size_t c : cuts) feed(c);
  feed(bytes.size());
  run.events = std::move(rec.events);
  run.closed = parser.closed();
  return run;
}

Outcome feed_whole(std::string_view bytes, std::size_t max = 64 * 1024) {
  return feed_chunks(bytes, {}, max);
}

Outcome feed_bytewise(std::string_view bytes, std::size_t max = 64 * 1024) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < bytes.size(); ++i) cuts.push_back(i);
  return feed_chunks(bytes, cuts, max);
}

// Checks that every split of `bytes` (two parts at each position, and byte by byte) gives the
// same events and error as feeding it whole; returns the whole-feed run.
Outcome feed_every_split(std::string_view bytes, std::size_t max = 64 * 1024) {
  Outcome whole = feed_whole(bytes, max);
  EXPECT_FALSE(whole.later_error);
  for (std::size_t i = 0; i <= bytes.size(); ++i) {
    Outcome split = feed_chunks(bytes, {i}, max);
    EXPECT_EQ(split.events, whole.events) << "split at " << i;
    EXPECT_EQ(split.error, whole.error) << "split at " << i;
    EXPECT_FALSE(split.later_error) << "split at " << i;
    EXPECT_EQ(split.closed, whole.closed) << "split at " << i;
  }
  Outcome bytewise = feed_bytewise(bytes, max);
  EXPECT_EQ(bytewise.events, whole.events) << "byte by byte";
  EXPECT_EQ(bytewise.error, whole.error) << "byte by byte";
  EXPECT_FALSE(bytewise.later_error) << "byte by byte";
  return whole;
}

// Expects `bytes` to fail with `code` however it is split, then checks that input is ignored.
Outcome expect_error(std::string_view bytes, std::uint16_t code, std::size_t max = 64 * 1024) {
  Outcome run = feed_every_split(bytes, max);
  EXPECT_EQ(run.error, code);
  EXPECT_TRUE(run.closed);
  // Once failed, a valid frame is ignored.
  std::string more = std::string(bytes) + client_frame(Opcode::text, "after");
  Outcome after = feed_whole(more, max);
  EXPECT_EQ(after.events, run.events);
  EXPECT_EQ(after.error, code);
  return run;
}

// ---- encode_frame ---------------------------------------------------------------------------

TEST(WsEncodeFrame, SevenBitLengths) {
  for (std::size_t n : {0, 1, 125}) {
    std::string p = pattern(n);
    std::string f = encode_frame(Opcode::text, p);
    ASSERT_EQ(f.size(), n + 2);
    EXPECT_EQ(static_cast<unsigned char>(f[0]), 0x81);
    EXPECT_EQ(static_cast<unsigned char>(f[1]), n);  // no mask bit
    EXPECT_EQ(f.substr(2), p);
  }
}

TEST(WsEncodeFrame, SixteenBitLengths) {
  for (std::size_t n : {126, 127, 65535}) {
    std::string p = pattern(n);
    std::string f = encode_frame(Opcode::binary, p);
    ASSERT_EQ(f.size(), n + 4);
    EXPECT_EQ(static_cast<unsigned char>(f[0]), 0x82);
    EXPECT_EQ(static_cast<unsigned char>(f[1]), 126);
    EXPECT_EQ(static_cast<unsigned char>(f[2]), n >> 8);
    EXPECT_EQ(static_cast<unsigned char>(f[3]), n & 0xFF);
    EXPECT_EQ(f.substr(4), p);
  }
}

TEST(WsEncodeFrame, SixtyFourBitLengths) {
  for (std::size_t n : {65536, 70000, 1 << 20}) {
    std::string p = pattern(n);
    std::string f = encode_frame(Opcode::binary, p);
    ASSERT_EQ(f.size(), n + 10);
    EXPECT_EQ(static_cast<unsigned char>(f[1]), 127);
    std::uint64_t len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<unsigned char>(f[2 + i]);
    EXPECT_EQ(len, n);
    EXPECT_EQ(f.substr(10), p);
  }
}

TEST(WsEncodeFrame, EveryOpcodeWithFinAndNoMask) {
  const std::pair<Opcode, unsigned> cases[] = {
      {Opcode::continuation, 0x80}, {Opcode::text, 0x81}, {Opcode::binary, 0x82},
      {Opcode::close, 0x88},        {Opcode::ping, 0x89}, {Opcode::pong, 0x8A},
  };
  for (auto [op, first] : cases) {
    std::string f = encode_frame(op, "ab");
    std::string want{static_cast<char>(first), 2, 'a', 'b'};
    EXPECT_EQ(f, want) << int(op);
  }
}

// ---- encode_close ---------------------------------------------------------------------------

TEST(WsEncodeClose, CodeBigEndianThenReason) {
  EXPECT_EQ(encode_close(1000, "bye"), std::string("\x88\x05\x03\xE8"
                                                   "bye",
                                                   7));
  EXPECT_EQ(encode_close(4001, ""), std::string("\x88\x02\x0F\xA1", 4));
}

TEST(WsEncodeClose, NoStatusIsAnEmptyCloseFrame) {
  EXPECT_EQ(encode_close(close_code::no_status, "ignored"), std::string("\x88\x00", 2));
}

TEST(WsEncodeClose, LongAsciiReasonTruncatedTo125) {
  std::string reason(300, 'r');
  std::string f = encode_close(close_code::policy_violation, reason);
  ASSERT_EQ(f.size(), 127u);
  EXPECT_EQ(static_cast<unsigned char>(f[1]), 125);
  EXPECT_EQ(f.substr(4), std::string(123, 'r'));
}

TEST(WsEncodeClose, ReasonExactly123BytesKept) {
  std::string reason(120, 'r');
  reason += "\xE2\x82\xAC";  // U+20AC ends exactly at byte 123
  std::string f = encode_close(1000, reason);
  EXPECT_EQ(f.substr(4), reason);
}

TEST(WsEncodeClose, TruncatesOnUtf8Boundary) {
  // A 3-byte character straddling the 123-byte limit is dropped whole.
  std::string reason(122, 'r');
  reason += "\xE2\x82\xAC tail";
  std::string f = encode_close(1000, reason);
  EXPECT_EQ(static_cast<unsigned char>(f[1]), 124);
  EXPECT_EQ(f.substr(4), std::string(122, 'r'));

  // Every alignment of 4-byte characters: valid UTF-8, within the limit, a prefix.
  for (std::size_t lead = 0; lead < 4; ++lead) {
    std::string r(lead, 'x');
    while (r.size() < 200) r += "\xF0\x9F\x98\x80";  // U+1F600
    std::string g = encode_close(1001, r);
    std::string kept = g.substr(4);
    EXPECT_LE(g.size(), 127u);
    EXPECT_EQ(static_cast<unsigned char>(g[1]), kept.size() + 2);
    EXPECT_GE(kept.size(), 120u);
    EXPECT_TRUE(valid_utf8(kept)) << lead;
    EXPECT_EQ(r.compare(0, kept.size(), kept), 0);
  }
}

// ---- valid_utf8 -----------------------------------------------------------------------------

TEST(WsUtf8, AcceptsValidText) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("plain ASCII, long enough to take the eight-byte path twice over"));
  EXPECT_TRUE(valid_utf8(std::string_view("\0", 1)));
  EXPECT_TRUE(valid_utf8("\x7F"));
  EXPECT_TRUE(valid_utf8("\xC2\x80"));          // U+0080
  EXPECT_TRUE(valid_utf8("caf\xC3\xA9"));       // é
  EXPECT_TRUE(valid_utf8("\xDF\xBF"));          // U+07FF
  EXPECT_TRUE(valid_utf8("\xE0\xA0\x80"));      // U+0800
  EXPECT_TRUE(valid_utf8("\xE2\x82\xAC"));      // €
  EXPECT_TRUE(valid_utf8("\xED\x9F\xBF"));      // U+D7FF
  EXPECT_TRUE(valid_utf8("\xEE\x80\x80"));      // U+E000
  EXPECT_TRUE(valid_utf8("\xEF\xBF\xBF"));      // U+FFFF
  EXPECT_TRUE(valid_utf8("\xF0\x90\x80\x80"));  // U+10000
  EXPECT_TRUE(valid_utf8("\xF0\x9F\x98\x80"));  // 😀
  EXPECT_TRUE(valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
  EXPECT_TRUE(valid_utf8("\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5 and more ascii text"));
}

TEST(WsUtf8, RejectsOverlongs) {
  EXPECT_FALSE(valid_utf8("\xC0\x80"));
  EXPECT_FALSE(valid_utf8("\xC0\xAF"));
  EXPECT_FALSE(valid_utf8("\xC1\xBF"));
  EXPECT_FALSE(valid_utf8("\xE0\x80\x80"));
  EXPECT_FALSE(valid_utf8("\xE0\x9F\xBF"));
  EXPECT_FALSE(valid_utf8("\xF0\x80\x80\x80"));
  EXPECT_FALSE(valid_utf8("\xF0\x8F\xBF\xBF"));
}

TEST(WsUtf8, RejectsSurrogates) {
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));              // U+D800
  EXPECT_FALSE(valid_utf8("\xED\xAD\xBF"));              // U+DB7F
  EXPECT_FALSE(valid_utf8("\xED\xB0\x80"));              // U+DC00
  EXPECT_FALSE(valid_utf8("\xED\xBF\xBF"));              // U+DFFF
  EXPECT_FALSE(valid_utf8("\xED\xA0\xBD\xED\xB8\x80"));  // a CESU-8 pair
}

TEST(WsUtf8, RejectsAboveU10FFFF) {
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(valid_utf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(valid_utf8("\xF7\xBF\xBF\xBF"));
  EXPECT_FALSE(valid_utf8("\xF8\x88\x80\x80\x80"));
  EXPECT_FALSE(valid_utf8("\xFE"));
  EXPECT_FALSE(valid_utf8("\xFF"));
}

TEST(WsUtf8, RejectsTruncatedAndStrayBytes) {
  // Cut short inside a longer buffer whose next byte would complete the sequence.
  EXPECT_FALSE(valid_utf8(std::string_view("\xC3\xA9", 1)));
  EXPECT_FALSE(valid_utf8(std::string_view("\xE2\x82\xAC", 2)));
  EXPECT_FALSE(valid_utf8(std::string_view("\xF0\x9F\x98\x80", 3)));
  EXPECT_FALSE(valid_utf8("\xC3"));
  EXPECT_FALSE(valid_utf8("\xE2\x82"));
  EXPECT_FALSE(valid_utf8("\xF0\x9F\x98"));
  EXPECT_FALSE(
      valid_utf8("\xE2\x82"
                 "A"));  // cut short by an ASCII byte
  EXPECT_FALSE(valid_utf8("\xC3\xC3\xA9"));
  EXPECT_FALSE(valid_utf8("\x80"));
  EXPECT_FALSE(valid_utf8("\xBF"));
  EXPECT_FALSE(valid_utf8("ab\x80"));
}

TEST(WsUtf8, ByteAtEveryOffsetOfTheAsciiFastPath) {
  for (std::size_t i = 0; i < 40; ++i) {
    std::string bad(40, 'a');
    bad[i] = '\x80';
    EXPECT_FALSE(valid_utf8(bad)) << i;
    std::string good(40, 'a');
    good.insert(i, "\xC3\xA9");
    EXPECT_TRUE(valid_utf8(good)) << i;
    std::string cut(i, 'a');
    cut += std::string_view("\xF0\x9F\x98\x80").substr(0, 1 + i % 3);  // 1-3 of 4 bytes
    EXPECT_FALSE(valid_utf8(cut)) << i;
  }
}

// An obviously correct decoder to compare against.
bool reference_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned c = static_cast<unsigned char>(s[i]);
    std::size_t n;
    std::uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 4, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      unsigned b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr std::uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

TEST(WsUtf8, MatchesReferenceDecoder) {
  std::string s;
  for (std::string_view prefix : {"", "1234567"}) {  // also across the 8-byte boundary
    for (unsigned a = 0; a < 256; ++a)
      for (unsigned b = 0; b < 256; ++b) {
        s.assign(prefix);
        s += static_cast<char>(a);
        s += static_cast<char>(b);
        ASSERT_EQ(valid_utf8(s), reference_utf8(s)) << std::hex << a << " " << b;
      }
  }
  s.resize(3);
  for (unsigned a = 0xC0; a < 256; ++a)
    for (unsigned b = 0x70; b < 0xD0; ++b)
      for (unsigned c = 0; c < 256; ++c) {
        s[0] = static_cast<char>(a), s[1] = static_cast<char>(b), s[2] = static_cast<char>(c);
        ASSERT_EQ(valid_utf8(s), reference_utf8(s)) << std::hex << a << " " << b << " " << c;
      }
  const unsigned tails[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0xBF, 0xC0, 0xFF};
  s.resize(4);
  for (unsigned a = 0xE0; a < 256; ++a)
    for (unsigned b = 0; b < 256; ++b)
      for (unsigned c : tails)
        for (unsigned d : tails) {
          s[0] = static_cast<char>(a), s[1] = static_cast<char>(b);
          s[2] = static_cast<char>(c), s[3] = static_cast<char>(d);
          ASSERT_EQ(valid_utf8(s), reference_utf8(s))
              << std::hex << a << " " << b << " " << c << " " << d;
        }
}

// ---- FrameParser: frames that parse ---------------------------------------------------------

TEST(WsParser, TextAndBinaryMessages) {
  std::string bin = pattern(256);
  Outcome run = feed_whole(client_frame(Opcode::text, "hello") + client_frame(Opcode::binary, bin));
  EXPECT_EQ(run.error, 0);
  EXPECT_FALSE(run.closed);
  EXPECT_EQ(run.events,
            (std::vector<Event>{message(Opcode::text, "hello"), message(Opcode::binary, bin)}));
}

TEST(WsParser, BinaryNeedNotBeUtf8) {
  Outcome run = feed_whole(client_frame(Opcode::binary, "\xFF\xC0\x80"));
  EXPECT_EQ(run.error, 0);
  EXPECT_EQ(run.events, std::vector<Event>{message(Opcode::binary, "\xFF\xC0\x80")});
}

TEST(WsParser, EmptyMessages) {
  Outcome run = feed_whole(client_frame(Opcode::text, "") + client_frame(Opcode::binary, ""));
  EXPECT_EQ(run.events,
            (std::vector<Event>{message(Opcode::text, ""), message(Opcode::binary, "")}));
}

TEST(WsParser, PingAndPong) {
  Outcome run =
      feed_whole(client_frame(Opcode::ping, "are you there") + client_frame(Opcode::pong, "") +
                 client_frame(Opcode::ping, pattern(125)));
  EXPECT_EQ(run.error, 0);
  EXPECT_EQ(run.events, (std::vector<Event>{ping("are you there"), pong(""), ping(pattern(125))}));
}

TEST(WsParser, CloseWithCodeAndReason) {
  Outcome run = feed_whole(client_frame(Opcode::close, close_payload(1000, "bye \xE2\x82\xAC")));
  EXPECT_EQ(run.error, 0);
  EXPECT_TRUE(run.closed);
  EXPECT_EQ(run.events, std::vector<Event>{closed(1000, "bye \xE2\x82\xAC")});
}

TEST(WsParser, CloseWithoutPayloadReportsNoStatus) {
  Outcome run = feed_whole(client_frame(Opcode::close, ""));
  EXPECT_EQ(run.error, 0);
  EXPECT_TRUE(run.closed);
  EXPECT_EQ(run.events, std::vector<Event>{closed(close_code::no_status, "")});
}

TEST(WsParser, ValidCloseCodes) {
  for (std::uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014,
                             3000, 3999, 4000, 4999}) {
    Outcome run = feed_whole(client_frame(Opcode::close, close_payload(code, "r")));
    EXPECT_EQ(run.error, 0) << code;
    EXPECT_EQ(run.events, std::vector<Event>{closed(code, "r")}) << code;
  }
}

TEST(WsParser, InputAfterCloseIsIgnored) {
  FrameParser parser;
  Recorder rec;
  std::string bytes = client_frame(Opcode::close, close_payload(1001)) +
                      client_frame(Opcode::text, "same feed") + "\x00garbage";
  EXPECT_FALSE(parser.feed(bytes, rec));
  EXPECT_TRUE(parser.closed());
  EXPECT_FALSE(parser.feed(client_frame(Opcode::text, "next feed"), rec));
  EXPECT_FALSE(parser.feed("\xFF\xFF\xFF", rec));
  EXPECT_EQ(rec.events, std::vector<Event>{closed(1001, "")});
}

TEST(WsParser, LengthEncodingBoundaries) {
  const std::pair<std::size_t, std::size_t> cases[] = {
      {0, 6}, {1, 6}, {125, 6}, {126, 8}, {127, 8}, {65535, 8}, {65536, 14}, {100000, 14},
  };
  for (auto [n, header] : cases) {
    std::string payload = pattern(n);
    std::string frame = client_frame(Opcode::binary, payload);
    ASSERT_EQ(frame.size(), header + n) << n;  // the helper uses the expected length class
    Outcome run = feed_whole(frame, 200000);
    EXPECT_EQ(run.error, 0) << n;
    ASSERT_EQ(run.events.size(), 1u) << n;
    EXPECT_EQ(run.events[0], message(Opcode::binary, payload)) << n;
  }
}

TEST(WsParser, UnmasksWithAnyKey) {
  const Key keys[] = {{0, 0, 0, 0}, {0xFF, 0xFF, 0xFF, 0xFF}, {1, 2, 3, 4}, {0x80, 0, 0x7F, 9}};
  for (const Key& key : keys) {
    FrameOpts o;
    o.key = key;
    for (std::size_t n = 0; n < 40; ++n) {
      std::string payload = pattern(n);
      std::string frame = client_frame(Opcode::binary, payload, o);
      if (n > 0 && key != Key{0, 0, 0, 0}) {
        EXPECT_NE(frame.substr(6), payload);  // the bytes on the wire really are masked
      }
      Outcome run = feed_whole(frame);
      EXPECT_EQ(run.events, std::vector<Event>{message(Opcode::binary, payload)}) << n;
      // Masking resumes at the right key byte whatever the split.
      Outcome bytewise = feed_bytewise(frame);
      EXPECT_EQ(bytewise.events, run.events) << n;
    }
  }
}

TEST(WsParser, FragmentedMessageWithInterleavedControlFrames) {
  // "wörld": ö (C3 B6) is split across two fragments; UTF-8 is checked on the whole message.
  std::string bytes =
      client_frame(Opcode::text, "Hel", not_fin()) + client_frame(Opcode::ping, "p1") +
      client_frame(Opcode::continuation, "lo, w\xC3", not_fin()) + client_frame(Opcode::pong, "") +
      client_frame(Opcode::continuation, "", not_fin()) + client_frame(Opcode::ping, "") +
      client_frame(Opcode::continuation, "\xB6rld") + client_frame(Opcode::binary, "after");
  Outcome run = feed_every_split(bytes);
  EXPECT_EQ(run.error, 0);
  EXPECT_EQ(run.events, (std::vector<Event>{ping("p1"), pong(""), ping(""),
                                            message(Opcode::text, "Hello, w\xC3\xB6rld"),
                                            message(Opcode::binary, "after")}));
}

TEST(WsParser, FragmentedBinaryThenNewMessage) {
  std::string bytes =
      client_frame(Opcode::binary, "ab", not_fin()) + client_frame(Opcode::continuation, "cd") +
      client_frame(Opcode::text, "x", not_fin()) + client_frame(Opcode::continuation, "y");
  Outcome run = feed_whole(bytes);
  EXPECT_EQ(run.error, 0);
  EXPECT_EQ(run.events,
            (std::vector<Event>{message(Opcode::binary, "abcd"), message(Opcode::text, "xy")}));
}

TEST(WsParser, MessageSplitAtEveryPosition) {
  std::string bytes = client_frame(Opcode::text, "fragmented ", not_fin()) +
                      client_frame(Opcode::ping, "mid") +
                      client_frame(Opcode::continuation, "caf\xC3\xA9") +
                      client_frame(Opcode::binary, pattern(300)) +  // 16-bit length
                      client_frame(Opcode::text, "\xF0\x9F\x98\x80 emoji") +
                      client_frame(Opcode::pong, pattern(125)) +
                      client_frame(Opcode::close, close_payload(1000, "done"));
  Outcome run = feed_every_split(bytes);
  EXPECT_EQ(run.error, 0);
  EXPECT_TRUE(run.closed);
  EXPECT_EQ(run.events,
            (std::vector<Event>{ping("mid"), message(Opcode::text, "fragmented caf\xC3\xA9"),
                                message(Opcode::binary, pattern(300)),
                                message(Opcode::text, "\xF0\x9F\x98\x80 emoji"), pong(pattern(125)),
                                closed(1000, "done")}));
}

TEST(WsParser, SixtyFourBitFrameSplitAnywhere) {
  std::string payload = pattern(70000);
  std::string bytes = client_frame(Opcode::binary, payload) + client_frame(Opcode::text, "next");
  std::vector<Event> want{message(Opcode::binary, payload), message(Opcode::text, "next")};
  for (std::size_t cut : {1, 2, 3, 9, 10, 13, 14, 15, 21, 22, 1000, 70013, 70014, 70015}) {
    EXPECT_EQ(feed_chunks(bytes, {cut}, 100000).events, want) << cut;
  }
  EXPECT_EQ(feed_bytewise(bytes, 100000).events, want);
}

TEST(WsParser, RandomChunkings) {
  std::mt19937 rng(6455);
  std::string bytes;
  std::vector<Event> want;
  for (int i = 0; i < 40; ++i) {
    std::size_t n = rng() % 3 == 0 ? rng() % 2000 : rng() % 130;
    FrameOpts o;
    o.key = {static_cast<unsigned char>(rng()), static_cast<unsigned char>(rng()),
             static_cast<unsigned char>(rng()), static_cast<unsigned char>(rng())};
    if (i % 5 == 4) {
      bytes += client_frame(Opcode::ping, pattern(n % 126), o);
      want.push_back(ping(pattern(n % 126)));
    } else {
      bytes += client_frame(Opcode::binary, pattern(n), o);
      want.push_back(message(Opcode::binary, pattern(n)));
    }
  }
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<std::size_t> cuts;
    for (std::size_t at = rng() % 20; at < bytes.size(); at += 1 + rng() % 64) cuts.push_back(at);
    Outcome run = feed_chunks(bytes, cuts);
    ASSERT_EQ(run.error, 0);
    ASSERT_EQ(run.events, want) << "trial " << trial;
  }
}

// ---- FrameParser: the size limit ------------------------------------------------------------

TEST(WsParserLimit, ExactlyAtTheLimitIsAccepted) {
  Outcome single = feed_whole(client_frame(Opcode::binary, pattern(100)), 100);
  EXPECT_EQ(single.error, 0);
  EXPECT_EQ(single.events, std::vector<Event>{message(Opcode::binary, pattern(100))});

  std::string fragments = client_frame(Opcode::text, std::string(60, 'a'), not_fin()) +
                          client_frame(Opcode::ping, pattern(125)) +  // not counted
                          client_frame(Opcode::continuation, std::string(40, 'b')) +
                          client_frame(Opcode::text, std::string(100, 'c'));  // limit resets
  Outcome frag = feed_every_split(fragments, 100);
  EXPECT_EQ(frag.error, 0);
  EXPECT_EQ(frag.events,
            (std::vector<Event>{ping(pattern(125)),
                                message(Opcode::text, std::string(60, 'a') + std::string(40, 'b')),
                                message(Opcode::text, std::string(100, 'c'))}));
}

TEST(WsParserLimit, OneByteOverIsRefused) {
  expect_error(client_frame(Opcode::binary, pattern(101)), close_code::message_too_big, 100);
  expect_error(client_frame(Opcode::text, std::string(60, 'a'), not_fin()) +
                   client_frame(Opcode::continuation, std::string(41, 'b')),
               close_code::message_too_big, 100);
  // The default limit is 64 KiB.
  expect_error(client_header(0x2, 64 * 1024 + 1), close_code::message_too_big);
}

TEST(WsParserLimit, RefusedFromTheHeaderAlone) {
  // No payload follows: the error comes from the declared length, before any buffering.
  for (std::uint64_t len : {std::uint64_t{101}, std::uint64_t{70000}, std::uint64_t{1} << 40,
                            (std::uint64_t{1} << 63) - 1}) {
    FrameParser parser(100);
    Recorder rec;
    ParseError err = parser.feed(client_header(0x1, len), rec);
    EXPECT_EQ(err.code, close_code::message_too_big) << len;
    EXPECT_TRUE(parser.closed());
  }
}

// ---- FrameParser: protocol errors -----------------------------------------------------------

TEST(WsParserErrors, UnmaskedFrame) {
  FrameOpts o;
  o.masked = false;
  expect_error(client_frame(Opcode::text, "hi", o), close_code::protocol_error);
  expect_error(client_frame(Opcode::ping, "", o), close_code::protocol_error);
  expect_error(client_frame(Opcode::binary, pattern(300), o), close_code::protocol_error);
}

TEST(WsParserErrors, ReservedBits) {
  for (std::uint8_t rsv : {0x40, 0x20, 0x10, 0x70}) {
    FrameOpts o;
    o.rsv = rsv;
    expect_error(client_frame(Opcode::text, "hi", o), close_code::protocol_error);
    expect_error(client_frame(Opcode::ping, "", o), close_code::protocol_error);
  }
}

TEST(WsParserErrors, UnknownOpcodes) {
  for (std::uint8_t op : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    Outcome run = expect_error(client_frame(op, "x"), close_code::protocol_error);
    EXPECT_TRUE(run.events.empty());
  }
}

TEST(WsParserErrors, ControlFramePayloadOver125) {
  for (Opcode op : {Opcode::ping, Opcode::pong, Opcode::close}) {
    std::string payload = close_payload(1000, std::string(124, 'r'));  // 126 bytes
    expect_error(client_frame(op, payload), close_code::protocol_error);
    // Refused from the header alone.
    FrameParser parser;
    Recorder rec;
    EXPECT_EQ(parser.feed(client_header(static_cast<std::uint8_t>(op), 126), rec).code,
              close_code::protocol_error);
  }
}

TEST(WsParserErrors, FragmentedControlFrame) {
  for (Opcode op : {Opcode::ping, Opcode::pong, Opcode::close})
    expect_error(client_frame(op, "", not_fin()), close_code::protocol_error);
}

TEST(WsParserErrors, ContinuationWithoutAMessage) {
  expect_error(client_frame(Opcode::continuation, "x"), close_code::protocol_error);
  Outcome run =
      expect_error(client_frame(Opcode::text, "done") + client_frame(Opcode::continuation, "more"),
                   close_code::protocol_error);
  EXPECT_EQ(run.events, std::vector<Event>{message(Opcode::text, "done")});
}

TEST(WsParserErrors, NewMessageInsideAFragmentedMessage) {
  for (Opcode op : {Opcode::text, Opcode::binary}) {
    expect_error(client_frame(Opcode::text, "a", not_fin()) + client_frame(op, "b"),
                 close_code::protocol_error);
    expect_error(client_frame(Opcode::binary, "a", not_fin()) + client_frame(op, "b", not_fin()),
                 close_code::protocol_error);
  }
}

TEST(WsParserErrors, SixtyFourBitLengthWithHighBit) {
  std::string h("\x82\xFF\x80\x00\x00\x00\x00\x00\x00\x00", 10);
  h.append(reinterpret_cast<const char*>(kKey.data()), 4);
  expect_error(h, close_code::protocol_error);
  h[2] = '\xFF';
  expect_error(h, close_code::protocol_error);
}

TEST(WsParserErrors, TextNotUtf8) {
  expect_error(client_frame(Opcode::text, "bad \xC0\xAF"), close_code::invalid_payload);
  expect_error(client_frame(Opcode::text, "\xED\xA0\x80"), close_code::invalid_payload);
  // Truncated at the end of the message, though each fragment alone could continue.
  expect_error(
      client_frame(Opcode::text, "ok", not_fin()) + client_frame(Opcode::continuation, "\xE2\x82"),
      close_code::invalid_payload);
  // Checked on the complete message: the first fragment alone is delivered as nothing.
  Outcome run = expect_error(client_frame(Opcode::text, "\xFF", not_fin()) +
                                 client_frame(Opcode::ping, "still") +
                                 client_frame(Opcode::continuation, "x"),
                             close_code::invalid_payload);
  EXPECT_EQ(run.events, std::vector<Event>{ping("still")});
}

TEST(WsParserErrors, CloseWithOneBytePayload) {
  expect_error(client_frame(Opcode::close, "\x03"), close_code::protocol_error);
}

TEST(WsParserErrors, InvalidCloseCodes) {
  for (std::uint16_t code :
       {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    Outcome run =
        expect_error(client_frame(Opcode::close, close_payload(code)), close_code::protocol_error);
    EXPECT_TRUE(run.events.empty()) << code;
  }
}

TEST(WsParserErrors, CloseReasonNotUtf8) {
  expect_error(client_frame(Opcode::close, close_payload(1000, "\xC3")),
               close_code::invalid_payload);
  expect_error(client_frame(Opcode::close, close_payload(1000, "ok \xF4\x90\x80\x80")),
               close_code::invalid_payload);
}

TEST(WsParserErrors, EventsBeforeTheErrorAreDelivered) {
  FrameOpts unmasked;
  unmasked.masked = false;
  Outcome run = expect_error(client_frame(Opcode::text, "first") + client_frame(Opcode::ping, "p") +
                                 client_frame(Opcode::text, "second", unmasked),
                             close_code::protocol_error);
  EXPECT_EQ(run.events, (std::vector<Event>{message(Opcode::text, "first"), ping("p")}));
}

TEST(WsParserErrors, ErrorCarriesAReasonAndLaterFeedsAreIgnored) {
  FrameParser parser;
  Recorder rec;
  ParseError err = parser.feed(client_frame(0x3, ""), rec);
  EXPECT_TRUE(err);
  EXPECT_EQ(err.code, close_code::protocol_error);
  EXPECT_FALSE(err.reason.empty());
  EXPECT_TRUE(parser.closed());
  EXPECT_FALSE(parser.feed(client_frame(Opcode::text, "ignored"), rec));
  EXPECT_TRUE(rec.events.empty());
}

TEST(WsParserLimits, LargeMessageBufferReleasedWhenDone) {
  // An idle connection must not keep a large parse buffer after one large message.
  FrameParser parser(64 * 1024);
  Recorder rec;
  ASSERT_FALSE(parser.feed(client_frame(Opcode::binary, pattern(60 * 1024)), rec));
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_LE(parser.buffer_capacity(), FrameParser::kKeptMessageCapacity);
  // Small messages keep their buffer (no allocation per message).
  ASSERT_FALSE(parser.feed(client_frame(Opcode::text, "hi"), rec));
  EXPECT_GT(parser.buffer_capacity(), 0u);
}

TEST(WsParserLimits, EveryFrameIsCounted) {
  // Fragments and control frames count against the rate limit, not only whole messages.
  FrameParser parser;
  Recorder rec;
  std::string in = client_frame(Opcode::text, "a", not_fin());
  for (int i = 0; i < 10; ++i) in += client_frame(Opcode::continuation, "", not_fin());
  in += client_frame(Opcode::ping, "p");
  in += client_frame(Opcode::continuation, "b");
  ASSERT_FALSE(parser.feed(in, rec));
  EXPECT_EQ(parser.frames(), 13u);
  EXPECT_EQ(rec.events.size(), 2u);  // the ping, then the message
}

}  // namespace
}  // namespace parley::net::ws
