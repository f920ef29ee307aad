// libFuzzer target for Heavenland's untrusted input. Built only with clang -fsanitize=fuzzer:
//   clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -Isrc
//   tests/fuzz/heavenland_fuzz.cpp \
//     src/dialects/heavenland/{action,render,minigame,online_players}.cpp src/auth/jwt.cpp \
//     -lboost_json -lcrypto -o heavenland_fuzz
//
// The input is used as a /chat or /minigame frame (decode_frame, the action parsers, game_end
// against a running harness) and as a login token (JWT verification). Besides not crashing:
// parsers answer a value or an error string, never both or neither; a parsed message renders
// with the server's keys in place and without "action"; a token never verifies (no key could
// have signed random input, and alg none is refused).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "auth/jwt.hpp"
#include "dialects/heavenland/action.hpp"
#include "dialects/heavenland/minigame.hpp"
#include "dialects/heavenland/render.hpp"

namespace {

namespace hl = parley::dialects::heavenland;

void check(bool ok) {
  if (!ok) std::abort();
}

hl::MinigameHarness& harness() {
  static hl::MinigameHarness* h = [] {
    auto* x = new hl::MinigameHarness;
    x->start(600, 300, {{"HL1", "One"}, {"HL2", "Two"}}, 1'700'000'000);
    return x;
  }();
  return *h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  static const parley::auth::JwtVerifier verifier([] {
    parley::auth::JwtOptions o;
    o.secret = "fuzz";
    o.audience = "heavenland-api";
    o.now_s = [] { return std::int64_t(1'700'000'000); };
    return o;
  }());
  check(verifier.verify(text).status != parley::auth::JwtStatus::ok);

  auto decoded = hl::decode_frame(text);
  auto* frame = std::get_if<hl::Frame>(&decoded);
  if (!frame) {
    check(!std::get<std::string_view>(decoded).empty());
    return 0;
  }
  auto login = hl::parse_login(frame->object);
  if (auto* l = std::get_if<hl::LoginRequest>(&login))
    check(!l->token.empty() || (!l->username.empty() && !l->password.empty()));
  auto history = hl::parse_history(frame->object, 100);
  if (auto* h = std::get_if<hl::HistoryRequest>(&history)) check(h->limit <= 100);
  harness().end_game(frame->object);
  harness().events();

  auto message = hl::parse_message(frame->object);
  if (auto* m = std::get_if<hl::MessageRequest>(&message)) {
    check(!m->payload.contains("action") && !m->payload.contains("user_id"));
    check(m->channel.has_value() == m->payload.contains("channel"));
    parley::core::Message canonical;
    canonical.author_id = "HL1";
    canonical.author_name = "One";
    canonical.text = m->text;
    canonical.payload = m->payload;
    canonical.dialect = std::string(hl::kDialect);
    auto rendered = hl::render_message(canonical);
    check(rendered.begin()->key() == "user_id");
    check((rendered.end() - 1)->key() == "nickname");
    check(rendered.at("user_id") == "HL1" && rendered.at("nickname") == "One");
  }
  return 0;
}
