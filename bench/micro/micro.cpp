// Micro-benchmarks of Parley's hot path (Google Benchmark):
//   - WebSocket frame encode (server frame) and parse (masked client frame), net/ws_codec;
//   - Phoenix v2 encode of a shout (what a broadcast renders once per wire format);
//   - a publish fanned out through LocalBroker + EncodeCache to N fake subscribers that do what
//     a Phoenix session does per delivery (cache lookup, shared frame pushed on a queue);
//   - a presence diff: track + untrack in a channel of N present users, rendered and encoded.
#include <benchmark/benchmark.h>

#include <deque>
#include <string>

#include "core/local_broker.hpp"
#include "core/presence.hpp"
#include "dialects/phoenix/connection.hpp"
#include "dialects/phoenix/message.hpp"
#include "net/ws_codec.hpp"

namespace {

using namespace parley;
namespace json = boost::json;
namespace phoenix = dialects::phoenix;

std::string body100() {
  std::string b = "~Q";
  b.resize(100, 'x');
  return b;
}

std::string shout_text() {
  return phoenix::encode(phoenix::Vsn::v2, nullptr, nullptr, "room:r0", "shout",
                         json::object{{"body", body100()}});
}

void BM_WsEncodeFrame(benchmark::State& state) {
  std::string text = shout_text();
  for (auto _ : state) {
    auto f = net::ws::encode_frame(net::ws::Opcode::text, text);
    benchmark::DoNotOptimize(f);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WsEncodeFrame);

struct CountingHandler final : net::ws::FrameHandler {
  std::size_t messages = 0, bytes = 0;
  void on_message(net::ws::Opcode, std::string_view p) override {
    ++messages;
    bytes += p.size();
  }
  void on_ping(std::string_view) override {}
  void on_pong(std::string_view) override {}
  void on_close(std::uint16_t, std::string_view) override {}
};

// A masked client text frame, as a browser or the load generator sends it.
std::string client_frame(std::string_view text) {
  std::string f;
  f += static_cast<char>(0x81);
  f += static_cast<char>(0x80 | 126);
  f += static_cast<char>((text.size() >> 8) & 0xff);
  f += static_cast<char>(text.size() & 0xff);
  const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
  f.append(reinterpret_cast<const char*>(mask), 4);
  for (std::size_t i = 0; i < text.size(); ++i) f += static_cast<char>(text[i] ^ mask[i & 3]);
  return f;
}

void BM_WsParseFrame(benchmark::State& state) {
  // 64 frames per feed, as a read of a busy connection would hand the parser.
  std::string one =
      client_frame("[\"1\",null,\"room:r0\",\"shout\",{\"body\":\"" + body100() + "\"}]");
  std::string many;
  for (int i = 0; i < 64; ++i) many += one;
  net::ws::FrameParser parser(1 << 20);
  CountingHandler h;
  for (auto _ : state) {
    auto err = parser.feed(many, h);
    benchmark::DoNotOptimize(err);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(h.messages));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * many.size()));
}
BENCHMARK(BM_WsParseFrame);

void BM_PhoenixEncodeShout(benchmark::State& state) {
  core::Message m;
  m.channel = "r0";
  m.dialect = "phoenix";
  m.payload = json::object{{"body", body100()}};
  for (auto _ : state) {
    auto text = phoenix::encode(phoenix::Vsn::v2, nullptr, nullptr, "room:r0", "shout",
                                phoenix::render_shout(m));
    auto frame = net::ws::encode_frame(net::ws::Opcode::text, text);
    benchmark::DoNotOptimize(frame);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PhoenixEncodeShout);

void BM_PhoenixDecodeShout(benchmark::State& state) {
  std::string text = "[\"1\",null,\"room:r0\",\"shout\",{\"body\":\"" + body100() + "\"}]";
  for (auto _ : state) {
    auto m = phoenix::decode(text, phoenix::Vsn::v2);
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PhoenixDecodeShout);

// Runs posted work at once, on the caller's thread.
class InlineDispatcher final : public core::Dispatcher {
 public:
  std::size_t thread_count() const override { return 1; }
  void post(std::size_t, std::function<void()> fn) override { fn(); }
};

// Does per delivery what a Phoenix session does: the frame from the cache (rendered by the
// first subscriber), then a shared pointer pushed on the session's queue.
class FakeSubscriber final : public core::Subscriber {
 public:
  void deliver(const core::Event& ev, core::EncodeCache& cache) override {
    const core::Frame& frame = cache.get(phoenix::kFormatV2, [&]() -> core::Frame {
      std::string topic = "room:" + ev.channel;
      return std::make_shared<const std::string>(net::ws::encode_frame(
          net::ws::Opcode::text, phoenix::encode(phoenix::Vsn::v2, nullptr, nullptr, topic, "shout",
                                                 phoenix::render_shout(*ev.message))));
    });
    queue.push_back(frame);
    queued_bytes += frame->size();
  }
  std::deque<core::Frame> queue;
  std::size_t queued_bytes = 0;
};

void BM_FanOut(benchmark::State& state) {
  auto n = static_cast<std::size_t>(state.range(0));
  InlineDispatcher dispatcher;
  core::LocalBroker broker(dispatcher, nullptr, {});
  std::vector<FakeSubscriber> subs(n);
  for (auto& s : subs) broker.subscribe("r0", 0, &s);
  json::object payload{{"body", body100()}};
  for (auto _ : state) {
    core::Message m;
    m.channel = "r0";
    m.dialect = "phoenix";
    m.author_id = m.author_name = "u1";
    m.payload = payload;
    broker.publish(std::move(m));
    state.PauseTiming();
    for (auto& s : subs) s.queue.clear(), s.queued_bytes = 0;
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
  state.SetLabel("items = deliveries");
}
BENCHMARK(BM_FanOut)->Arg(1)->Arg(1000)->Arg(10000);

void BM_PresenceDiff(benchmark::State& state) {
  auto n = static_cast<std::size_t>(state.range(0));
  core::Presence presence;
  for (std::size_t i = 0; i < n; ++i)
    presence.track("user" + std::to_string(i), i + 1,
                   json::object{{"typing", false}, {"username", "user" + std::to_string(i)}});
  std::uint64_t session = n + 1;
  for (auto _ : state) {
    auto join = presence.track("newcomer", session,
                               json::object{{"typing", false}, {"username", "newcomer"}});
    auto text = phoenix::encode(phoenix::Vsn::v2, nullptr, nullptr, "room:r0", "presence_diff",
                                phoenix::render_diff(join));
    auto leave = presence.untrack(session);
    auto text2 = phoenix::encode(phoenix::Vsn::v2, nullptr, nullptr, "room:r0", "presence_diff",
                                 phoenix::render_diff(leave));
    benchmark::DoNotOptimize(text);
    benchmark::DoNotOptimize(text2);
    ++session;
  }
  state.SetItemsProcessed(state.iterations() * 2);
  state.SetLabel("items = diffs (a join, a leave)");
}
BENCHMARK(BM_PresenceDiff)->Arg(10)->Arg(10000);

}  // namespace

BENCHMARK_MAIN();
