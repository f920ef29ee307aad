// core::stats: per-thread cells summed when read, gauges across threads, histograms, and the
// Prometheus text they render.
#include "core/stats.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace parley::core::stats {
namespace {

TEST(Stats, CountersWrittenByManyThreadsSumWhenRead) {
  static const Counter c("test_counter_threads_total", "test");
  const std::uint64_t before = c.value();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([] {
      for (int i = 0; i < 10'000; ++i) c.add();
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value() - before, 40'000u);  // the slots of finished threads still count
}

TEST(Stats, LabelledCounterKeepsOneFigurePerLabelValue) {
  static const Counter c("test_labelled_total", "test", Label{"system", {"a", "b", "c"}});
  c.add(0, 2);
  c.add(2, 5);
  EXPECT_EQ(c.value(0), 2u);
  EXPECT_EQ(c.value(1), 0u);
  EXPECT_EQ(c.value(2), 5u);
  EXPECT_EQ(c.total(), 7u);
  std::string text = render("test_labelled");
  EXPECT_NE(text.find("# TYPE test_labelled_total counter\n"), std::string::npos) << text;
  EXPECT_NE(text.find("test_labelled_total{system=\"a\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("test_labelled_total{system=\"b\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("test_labelled_total{system=\"c\"} 5\n"), std::string::npos) << text;
}

TEST(Stats, GaugeIncrementedOnOneThreadAndDecrementedOnAnother) {
  static const Gauge g("test_gauge_open", "test");
  std::thread([] {
    for (int i = 0; i < 10; ++i) g.add(1);
  }).join();
  std::thread([] {
    for (int i = 0; i < 7; ++i) g.add(-1);
  }).join();
  EXPECT_EQ(g.value(), 3);
  g.add(-5);
  EXPECT_EQ(g.value(), -2);  // below zero shows as negative, not as 2^64 - 2
  std::string text = render("test_gauge_open");
  EXPECT_NE(text.find("# TYPE test_gauge_open gauge\ntest_gauge_open -2\n"), std::string::npos)
      << text;
  g.add(2);
}

TEST(Stats, HistogramCountsBucketsCumulativelyWithSumAndCount) {
  static const Histogram h("test_latency_seconds", "test", {100, 1000, 10'000}, 1e-6);
  for (std::uint64_t v : {50u, 100u, 101u, 5000u, 20'000u}) h.observe(v);
  auto s = h.snapshot();
  EXPECT_EQ(s.count, 5u);
  EXPECT_EQ(s.sum, 25'251u);
  EXPECT_EQ(s.buckets, (std::vector<std::uint64_t>{2, 1, 1, 1}));
  EXPECT_DOUBLE_EQ(s.quantile(0.4), 100e-6);
  EXPECT_DOUBLE_EQ(s.quantile(0.8), 10'000e-6);
  std::string text = render("test_latency");
  EXPECT_EQ(text,
            "# HELP test_latency_seconds test\n"
            "# TYPE test_latency_seconds histogram\n"
            "test_latency_seconds_bucket{le=\"0.0001\"} 2\n"
            "test_latency_seconds_bucket{le=\"0.001\"} 3\n"
            "test_latency_seconds_bucket{le=\"0.01\"} 4\n"
            "test_latency_seconds_bucket{le=\"+Inf\"} 5\n"
            "test_latency_seconds_sum 0.025251\n"
            "test_latency_seconds_count 5\n");
}

TEST(Stats, CallbackGaugeIsReadWhenRenderedAndGoneWithItsObject) {
  double value = 42;
  {
    CallbackGauge g("test_callback_depth", "test", [&] { return value; });
    EXPECT_NE(render("test_callback").find("test_callback_depth 42\n"), std::string::npos);
    value = 7;
    EXPECT_NE(render("test_callback").find("test_callback_depth 7\n"), std::string::npos);
  }
  EXPECT_EQ(render("test_callback"), "");
}

TEST(Stats, CommitToSocketLatencyIsObservedWhenTheThreadHasWritten) {
  observe_written();  // what earlier tests delivered on this thread
  auto before = commit_socket_seconds.snapshot().count;
  note_delivery(std::chrono::steady_clock::now());
  note_delivery(std::chrono::steady_clock::now());
  EXPECT_EQ(commit_socket_seconds.snapshot().count, before);  // not written yet
  observe_written();
  EXPECT_EQ(commit_socket_seconds.snapshot().count, before + 2);
  observe_written();  // nothing new
  EXPECT_EQ(commit_socket_seconds.snapshot().count, before + 2);
}

TEST(Stats, EveryCoreFigureIsListedWithItsType) {
  std::string text = render();
  for (const char* line : {"# TYPE parley_publish_commit_seconds histogram\n",
                           "# TYPE parley_commit_socket_seconds histogram\n",
                           "# TYPE parley_store_batch_messages histogram\n",
                           "# TYPE parley_store_commit_seconds histogram\n",
                           "# TYPE parley_messages_published_total counter\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line;
  EXPECT_EQ(text.find("test_"), std::string::npos) << "the prefix filters";
}

}  // namespace
}  // namespace parley::core::stats
