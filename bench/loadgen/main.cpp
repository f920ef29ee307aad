// bench/loadgen: drives one server with one scenario and prints one JSON object on stdout.
//
//   loadgen --proto phoenix|ws|mqtt|redis|nats --port P [--server-pid PID] SCENARIO [options]
//
// Scenarios (see bench/README.md):
//   fanout  N subscribers of one room, one publisher: a search for the sustainable maximum
//           (highest rate with p99 under the limit and nothing lost), runs at that maximum and
//           at fractions of it; or runs at explicit --rates. --slow makes one more subscriber
//           that never reads.
//   rooms   C connections in rooms of S, everyone publishing at --rate-each.
//   idle    C connections subscribed in rooms of S, idle; server RSS per connection.
//   storm   C connections opened at once, closed, and reopened at once.
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <iostream>

#include "engine.hpp"

namespace bench {
namespace {

namespace json = boost::json;

struct Args {
  std::string proto = "phoenix";
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  int server_pid = 0;
  std::size_t payload = 100;
  double p99_limit_ms = 50;
  std::size_t window = 200;

  std::size_t subs = 1000;
  bool search = false;
  double start_rate = 100;
  double max_rate = 2e6;
  int refine = 3;
  double step_s = 2;
  double overload_ms = 500;
  std::vector<double> rates;
  std::vector<double> fractions;
  int repeats = 1;
  double run_s = 2;
  double warmup_s = 1;
  bool slow = false;

  std::size_t conns = 1000;
  std::size_t room_size = 10;
  double rate_each = 0.5;
  std::size_t redis_pool = 100;
  double hold_s = 2;
};

std::string room_name(std::size_t i) { return "r" + std::to_string(i); }

json::object connect_json(const Engine::ConnectResult& r, std::size_t n) {
  json::object o;
  o["connections"] = n;
  o["seconds"] = std::round(r.seconds * 1000) / 1000;
  o["ready"] = r.ready;
  o["failed"] = r.failed;
  o["retries"] = r.retries;
  o["per_s"] = r.seconds > 0 ? std::round(static_cast<double>(r.ready) / r.seconds) : 0;
  return o;
}

// Runs a step after reviving lost connections; the step's JSON.
asio::awaitable<StepResult> run_step(Engine& e, std::vector<Publisher>& pubs, double rate,
                                     double seconds) {
  co_await e.revive();
  co_return co_await e.step(pubs, rate, seconds);
}

// A search step: a rate fails only when two runs in a row fail, so that one hiccup of a shared
// machine does not end the search early.
asio::awaitable<StepResult> search_step(Engine& e, std::vector<Publisher>& pubs, double rate,
                                        double seconds, json::array& steps) {
  auto s = co_await run_step(e, pubs, rate, seconds);
  steps.push_back(s.to_json(false));
  if (s.pass) co_return s;
  s = co_await run_step(e, pubs, rate, seconds);
  steps.push_back(s.to_json(false));
  co_return s;
}

asio::awaitable<json::object> fanout(Engine& e, const Args& a) {
  json::object out;
  Proto proto = e.proto();
  for (std::size_t i = 0; i < a.subs; ++i) e.add({room_name(0), true, true, false});
  std::size_t slow = 0;
  if (a.slow) slow = e.add({room_name(0), true, false, true});
  // The publisher: phoenix must join the room to shout in it; ws connects to the room; the
  // others publish without subscribing. Its own echo (phoenix, ws) is not counted.
  bool pub_subscribes = proto == Proto::phoenix;
  std::size_t pub = e.add({room_name(0), pub_subscribes, false, false});
  auto setup = co_await e.connect(0, e.size(), a.window, std::chrono::seconds(300));
  out["setup"] = connect_json(setup, e.size());
  if (setup.ready != e.size()) {
    out["error"] = "not every connection could be set up";
    co_return out;
  }
  co_await e.quiesce(std::chrono::milliseconds(500), std::chrono::seconds(120));
  std::cerr << "loadgen: " << e.size() << " connections set up in " << setup.seconds << " s\n";
  std::vector<Publisher> pubs{{pub, 0, room_name(0)}};

  if (a.warmup_s > 0) {
    auto w = co_await run_step(e, pubs, a.start_rate, a.warmup_s);
    out["warmup"] = w.to_json(false);
  }
  double best = 0;
  if (a.search) {
    // Up: double the rate while nothing is lost and the server keeps up (p99 under the overload
    // limit), whether or not p99 is under the sustainable limit: on a shared machine one rate
    // may miss the limit and a higher one make it. Then bisect above the best passing rate.
    // Sustainable maximum: the highest rate tried that passed. Loss-free peak: the highest rate
    // tried with nothing lost, whatever its latency.
    json::array steps;
    std::vector<std::pair<double, StepResult>> tried;
    auto lossfree = [](const StepResult& s) {
      return s.lost == 0 && s.duplicated == 0 && s.disconnected == 0 && s.sent > 0;
    };
    auto try_rate = [&](double rate) -> asio::awaitable<StepResult> {
      auto s = co_await search_step(e, pubs, rate, a.step_s, steps);
      std::cerr << "loadgen: " << proto_name(proto) << " " << a.subs << " subs, " << rate
                << " msg/s: " << (s.pass ? "pass" : "fail") << " p99 "
                << s.latency.quantile(0.99) / 1000 << " us, lost " << s.lost << "\n";
      tried.emplace_back(rate, s);
      co_return s;
    };
    const double overload_ns = a.overload_ms * 1e6;
    double rate = a.start_rate;
    for (int i = 0; i < 24 && rate <= a.max_rate; ++i, rate *= 2) {
      auto s = co_await try_rate(rate);
      if (s.pass) best = rate;
      if (!lossfree(s) || static_cast<double>(s.latency.quantile(0.99)) > overload_ns) break;
    }
    for (rate = a.start_rate / 2; best == 0 && rate >= 1; rate /= 2)  // even the start failed
      if ((co_await try_rate(rate)).pass) best = rate;
    double upper = 0;
    for (auto& [r, s] : tried)
      if (r > best && (upper == 0 || r < upper)) upper = r;
    for (int i = 0; i < a.refine && best > 0 && upper > best; ++i) {
      double mid = std::round((best + upper) / 2);
      if (mid <= best || mid >= upper) break;
      ((co_await try_rate(mid)).pass ? best : upper) = mid;
    }
    const StepResult* peak = nullptr;
    double peak_rate = 0;
    for (auto& [r, s] : tried)
      if (lossfree(s) && r > peak_rate) peak_rate = r, peak = &s;
    if (peak) out["peak_lossfree"] = peak->to_json(false);
    out["search"] = std::move(steps);
    out["max_rate"] = best;
    out["max_deliveries_per_s"] = best * static_cast<double>(a.subs);
    if (best > 0) {
      json::array runs;
      for (int r = 0; r < a.repeats; ++r)
        runs.push_back((co_await run_step(e, pubs, best, a.run_s)).to_json(false));
      out["at_max"] = std::move(runs);
    }
  }
  json::array fractions;
  for (double f : a.fractions) {
    if (best <= 0) break;
    double rate = std::max(1.0, std::round(best * f));
    json::array runs;
    for (int r = 0; r < a.repeats; ++r)
      runs.push_back((co_await run_step(e, pubs, rate, a.run_s)).to_json(true));
    fractions.push_back(json::object{{"fraction", f}, {"rate", rate}, {"runs", std::move(runs)}});
  }
  if (!fractions.empty()) out["fractions"] = std::move(fractions);
  json::array runs;
  for (double rate : a.rates)
    for (int r = 0; r < a.repeats; ++r)
      runs.push_back((co_await run_step(e, pubs, rate, a.run_s)).to_json(true));
  if (!a.rates.empty()) out["runs"] = std::move(runs);
  if (a.slow) {
    auto fate = e.drain_slow(slow);
    out["slow"] = json::object{{"bytes_read_at_end", fate.bytes},
                               {"closed_by_server", fate.closed_by_server}};
  }
  co_return out;
}

asio::awaitable<json::object> rooms(Engine& e, const Args& a) {
  json::object out;
  std::size_t rooms = (a.conns + a.room_size - 1) / a.room_size;
  for (std::size_t i = 0; i < a.conns; ++i) e.add({room_name(i / a.room_size), true, true, false});
  std::vector<Publisher> pubs;
  if (e.proto() == Proto::redis) {
    // A subscribed Redis connection cannot publish: a pool of publishing connections.
    std::size_t first = e.size();
    for (std::size_t i = 0; i < a.redis_pool; ++i) e.add({room_name(0), false, false, false});
    for (std::size_t i = 0; i < a.conns; ++i)
      pubs.push_back(
          {first + i % a.redis_pool, static_cast<std::uint32_t>(i), room_name(i / a.room_size)});
  } else {
    for (std::size_t i = 0; i < a.conns; ++i)
      pubs.push_back({i, static_cast<std::uint32_t>(i), room_name(i / a.room_size)});
  }
  auto setup = co_await e.connect(0, e.size(), a.window, std::chrono::seconds(300));
  out["setup"] = connect_json(setup, e.size());
  out["rooms"] = rooms;
  if (setup.ready != e.size()) {
    out["error"] = "not every connection could be set up";
    co_return out;
  }
  co_await e.quiesce(std::chrono::milliseconds(500), std::chrono::seconds(120));
  double rate = a.rate_each * static_cast<double>(a.conns);
  if (a.warmup_s > 0) out["warmup"] = (co_await run_step(e, pubs, rate, a.warmup_s)).to_json(false);
  json::array runs;
  for (int r = 0; r < a.repeats; ++r)
    runs.push_back((co_await run_step(e, pubs, rate, a.run_s)).to_json(true));
  out["runs"] = std::move(runs);
  co_return out;
}

asio::awaitable<json::object> idle(Engine& e, const Args& a, int server_pid) {
  json::object out;
  for (std::size_t i = 0; i < a.conns; ++i) e.add({room_name(i / a.room_size), true, true, false});
  auto before = sample_process(server_pid);
  auto setup = co_await e.connect(0, e.size(), a.window, std::chrono::seconds(300));
  out["setup"] = connect_json(setup, e.size());
  co_await e.quiesce(std::chrono::milliseconds(500), std::chrono::seconds(60));
  co_await e.sleep(std::chrono::milliseconds(static_cast<int>(a.hold_s * 1000)));
  auto after = sample_process(server_pid);
  std::size_t ready = e.ready_count(0, e.size());
  out["ready"] = ready;
  out["server_rss_before_kib"] = before.rss_kib;
  out["server_rss_after_kib"] = after.rss_kib;
  out["server_peak_rss_kib"] = after.peak_rss_kib;
  out["server_cpu_s"] = std::round((after.cpu_s - before.cpu_s) * 1000) / 1000;
  out["rss_per_conn_bytes"] =
      ready ? std::round(
                  static_cast<double>(after.rss_kib - std::min(after.rss_kib, before.rss_kib)) *
                  1024.0 / static_cast<double>(ready))
            : 0.0;
  co_return out;
}

asio::awaitable<json::object> storm(Engine& e, const Args& a, int server_pid) {
  json::object out;
  for (std::size_t i = 0; i < a.conns; ++i) e.add({room_name(i / a.room_size), true, true, false});
  auto before = sample_process(server_pid);
  auto first = co_await e.connect(0, e.size(), e.size(), std::chrono::seconds(120));
  out["connect"] = connect_json(first, e.size());
  co_await e.quiesce(std::chrono::milliseconds(300), std::chrono::seconds(30));
  e.close(0, e.size());
  auto again = co_await e.connect(0, e.size(), e.size(), std::chrono::seconds(120));
  out["reconnect"] = connect_json(again, e.size());
  co_await e.quiesce(std::chrono::milliseconds(300), std::chrono::seconds(30));
  auto after = sample_process(server_pid);
  out["server_cpu_s"] = std::round((after.cpu_s - before.cpu_s) * 1000) / 1000;
  out["server_peak_rss_kib"] = after.peak_rss_kib;
  co_return out;
}

std::vector<double> parse_list(const std::string& s) {
  std::vector<double> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    auto comma = s.find(',', pos);
    if (comma == std::string::npos) comma = s.size();
    if (comma > pos) out.push_back(std::stod(s.substr(pos, comma - pos)));
    pos = comma + 1;
  }
  return out;
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  Args a;
  std::string rates, fractions;
  CLI::App cli{"Parley's load generator: one scenario against one server, JSON on stdout."};
  cli.require_subcommand(1);
  cli.add_option("--proto", a.proto, "phoenix (Parley), ws, mqtt, redis or nats")->required();
  cli.add_option("--host", a.host, "server address");
  cli.add_option("--port", a.port, "server port")->required();
  cli.add_option("--server-pid", a.server_pid, "server process: CPU and RSS from /proc");
  cli.add_option("--payload", a.payload, "payload bytes (>= 46)");
  cli.add_option("--p99-limit-ms", a.p99_limit_ms, "sustainable: p99 under this");
  cli.add_option("--window", a.window, "handshakes in flight while setting up");
  auto* fan = cli.add_subcommand("fanout", "one room, N subscribers, one publisher");
  fan->add_option("--subs", a.subs);
  fan->add_flag("--search", a.search, "search the sustainable maximum");
  fan->add_option("--start-rate", a.start_rate, "msgs/s: search start and warm-up rate");
  fan->add_option("--max-rate", a.max_rate);
  fan->add_option("--refine", a.refine, "bisection steps after the first failure");
  fan->add_option("--step-s", a.step_s, "seconds per search step");
  fan->add_option("--overload-ms", a.overload_ms, "the search stops going up past this p99");
  fan->add_option("--rates", rates, "explicit rates, comma-separated");
  fan->add_option("--fractions", fractions, "runs at these fractions of the maximum");
  fan->add_option("--repeats", a.repeats, "runs per rate");
  fan->add_option("--run-s", a.run_s, "seconds per run");
  fan->add_option("--warmup-s", a.warmup_s);
  fan->add_flag("--slow", a.slow, "one more subscriber that never reads");
  auto* rm = cli.add_subcommand("rooms", "C connections in rooms of S, everyone publishing");
  rm->add_option("--conns", a.conns);
  rm->add_option("--room-size", a.room_size);
  rm->add_option("--rate-each", a.rate_each, "msgs/s per connection");
  rm->add_option("--repeats", a.repeats);
  rm->add_option("--run-s", a.run_s);
  rm->add_option("--warmup-s", a.warmup_s);
  rm->add_option("--redis-pool", a.redis_pool, "publishing connections (redis)");
  auto* id = cli.add_subcommand("idle", "C idle connections: RSS per connection");
  id->add_option("--conns", a.conns);
  id->add_option("--room-size", a.room_size);
  id->add_option("--hold-s", a.hold_s);
  auto* st = cli.add_subcommand("storm", "C connections at once, then all reconnect at once");
  st->add_option("--conns", a.conns);
  st->add_option("--room-size", a.room_size);
  CLI11_PARSE(cli, argc, argv);
  a.rates = parse_list(rates);
  a.fractions = parse_list(fractions);

  Engine::Options o;
  if (!parse_proto(a.proto, o.proto)) {
    std::cerr << "loadgen: unknown protocol " << a.proto << "\n";
    return 2;
  }
  if (a.payload < kPayloadMin) {
    std::cerr << "loadgen: --payload must be at least " << kPayloadMin << "\n";
    return 2;
  }
  o.host = a.host;
  o.port = a.port;
  o.payload = a.payload;
  o.server_pid = a.server_pid;
  o.p99_limit_ms = a.p99_limit_ms;
  Engine e(o);

  std::string scenario = cli.get_subcommands().front()->get_name();
  json::object result;
  int status = 0;
  auto body = [&]() -> asio::awaitable<void> {
    json::object r;
    if (scenario == "fanout")
      r = co_await fanout(e, a);
    else if (scenario == "rooms")
      r = co_await rooms(e, a);
    else if (scenario == "idle")
      r = co_await idle(e, a, a.server_pid);
    else
      r = co_await storm(e, a, a.server_pid);
    r["proto"] = a.proto;
    r["scenario"] = scenario;
    r["payload_bytes"] = a.payload;
    result = std::move(r);
    e.stop();
    e.io().stop();
  };
  asio::co_spawn(e.io(), body(), [&](std::exception_ptr ep) {
    if (!ep) return;
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& ex) {
      std::cerr << "loadgen: " << ex.what() << "\n";
      status = 1;
    }
    e.io().stop();
  });
  asio::co_spawn(e.io(), e.heartbeats(), asio::detached);
  e.io().run();
  std::cout << json::serialize(result) << std::endl;
  return status;
}
