// GET /metrics: every network figure with the right type, the per-system ones with one series per
// system, and the core's and the store's histograms alongside.
#include "net/metrics.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

namespace parley::net {
namespace {

bool has(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

TEST(Metrics, GaugesAreGaugesAndCountersCounters) {
  std::string text = metrics().render();
  for (const char* gauge : {"connections_open", "websockets_open", "streams_open"})
    EXPECT_TRUE(has(text, std::string("# TYPE parley_") + gauge + " gauge\n")) << gauge;
  for (const char* counter :
       {"connections_accepted_total", "connections_refused_total", "http_requests_total",
        "messages_in_total", "frames_out_total", "bytes_out_total",
        "slow_consumer_disconnects_total", "slow_consumer_drops_total", "protocol_errors_total",
        "throttled_total", "admin_closes_total", "messages_published_total"})
    EXPECT_TRUE(has(text, std::string("# TYPE parley_") + counter + " counter\n")) << counter;
  for (const char* histogram : {"publish_commit_seconds", "commit_socket_seconds",
                                "store_batch_messages", "store_commit_seconds"})
    EXPECT_TRUE(has(text, std::string("# TYPE parley_") + histogram + " histogram\n")) << histogram;
  // Every series name is declared by a TYPE line of its family (no counter named like a gauge).
  std::regex type_re("^# TYPE (\\S+) (\\S+)$");
  std::set<std::string> families;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, type_re)) families.insert(m[1]);
    if (line.empty() || line[0] == '#') continue;
    std::string name = line.substr(0, line.find_first_of("{ "));
    bool declared = families.count(name) > 0;
    for (const char* suffix : {"_bucket", "_sum", "_count"})
      if (name.ends_with(suffix) && families.count(name.substr(0, name.size() - strlen(suffix))))
        declared = true;
    EXPECT_TRUE(declared) << line;
  }
}

TEST(Metrics, PerSystemFiguresHaveOneSeriesPerSystem) {
  std::string text = metrics().render();
  for (const char* family : {"connections_open", "messages_in_total", "frames_out_total",
                             "slow_consumer_disconnects_total", "throttled_total"})
    for (auto system : kSystemNames)
      EXPECT_TRUE(
          has(text, "parley_" + std::string(family) + "{system=\"" + std::string(system) + "\"} "))
          << family << " " << system;
}

TEST(Metrics, RecordedOnIoThreadsSummedOnRead) {
  const auto& m = metrics();
  auto before = m.frames_out.value(index(System::concierge));
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&m] {
      for (int i = 0; i < 1000; ++i) m.frames_out.add(index(System::concierge), 2);
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(m.frames_out.value(index(System::concierge)) - before, 6000u);
  std::string expected = "parley_frames_out_total{system=\"concierge\"} " +
                         std::to_string(m.frames_out.value(index(System::concierge))) + "\n";
  EXPECT_TRUE(has(m.render(), expected)) << expected;
}

}  // namespace
}  // namespace parley::net
