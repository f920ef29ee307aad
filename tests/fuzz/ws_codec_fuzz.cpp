// libFuzzer target for the WebSocket frame parser. Built only with clang -fsanitize=fuzzer.
//
// Input: byte 0 picks the message size limit, bytes 1-2 a split point, the rest is fed to
// FrameParser whole, in two parts at the split point, and byte by byte. Besides not crashing,
// the three runs must report the same events and error, and every event must keep the
// parser's promises (limit, UTF-8, control payload size, close codes).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "net/ws_codec.hpp"

namespace {

using parley::net::ws::FrameHandler;
using parley::net::ws::FrameParser;
using parley::net::ws::Opcode;
using parley::net::ws::ParseError;
using parley::net::ws::valid_utf8;
namespace close_code = parley::net::ws::close_code;

void check(bool ok) {
  if (!ok) std::abort();
}

class Log : public FrameHandler {
 public:
  explicit Log(std::size_t max) : max_(max) {}

  void on_message(Opcode op, std::string_view p) override {
    check(op == Opcode::text || op == Opcode::binary);
    check(p.size() <= max_);
    if (op == Opcode::text) check(valid_utf8(p));
    add('m', static_cast<int>(op), p);
  }
  void on_ping(std::string_view p) override {
    check(p.size() <= 125);
    add('p', 0, p);
  }
  void on_pong(std::string_view p) override {
    check(p.size() <= 125);
    add('o', 0, p);
  }
  void on_close(std::uint16_t code, std::string_view reason) override {
    check(reason.size() <= 123);
    check(valid_utf8(reason));
    check(code == close_code::no_status || (code >= 1000 && code < 5000));
    add('c', code, reason);
  }

  std::string text;

 private:
  void add(char kind, int n, std::string_view p) {
    text += kind;
    text += std::to_string(n);
    text += ':';
    text += std::to_string(p.size());
    text += ':';
    text.append(p);
  }
  std::size_t max_;
};

struct Outcome {
  std::string events;
  std::uint16_t error = 0;
  bool closed = false;
  bool operator==(const Outcome&) const = default;
};

// Feeds bytes[0, split) first, then the rest in chunks of `step` bytes.
Outcome run(std::string_view bytes, std::size_t split, std::size_t step, std::size_t max) {
  FrameParser parser(max);
  Log log(max);
  Outcome out;
  auto feed = [&](std::string_view chunk) {
    ParseError err = parser.feed(chunk, log);
    if (!err) return;
    check(out.error == 0);  // an error is reported once, then input is ignored
    check(err.code == close_code::protocol_error || err.code == close_code::invalid_payload ||
          err.code == close_code::message_too_big);
    check(!err.reason.empty());
    check(parser.closed());
    out.error = err.code;
  };
  feed(bytes.substr(0, split));
  for (std::size_t at = split; at < bytes.size(); at += step) feed(bytes.substr(at, step));
  out.events = std::move(log.text);
  out.closed = parser.closed();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  // Small limits exercise 1009 and the limit arithmetic; odd selectors use the default.
  std::size_t max = (data[0] & 1) ? 64 * 1024 : data[0] >> 1;
  std::size_t split = static_cast<std::size_t>(data[1] | (data[2] << 8));
  std::string_view bytes(reinterpret_cast<const char*>(data + 3), size - 3);
  split %= bytes.size() + 1;

  Outcome whole = run(bytes, bytes.size(), 1, max);
  Outcome two = run(bytes, split, bytes.size(), max);
  Outcome bytewise = run(bytes, 0, 1, max);
  check(two == whole);
  check(bytewise == whole);
  return 0;
}
