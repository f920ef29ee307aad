// The load generator's accounting (bench/loadgen/stats.hpp, header-only): latency histogram
// percentiles, and the sequence tracker that tells duplicates from reordered messages.
#include <gtest/gtest.h>

#include "../../bench/loadgen/stats.hpp"

namespace {

using bench::Histogram;
using bench::SeqTracker;
using Seen = bench::SeqTracker::Seen;

TEST(BenchHistogram, PercentilesWithinBucketPrecision) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 100000; ++v) h.record(v * 1000);  // 1 us .. 100 ms
  EXPECT_EQ(h.count(), 100000u);
  auto near = [](std::uint64_t got, double want) {
    EXPECT_NEAR(static_cast<double>(got), want, want * 0.02) << got;
  };
  near(h.quantile(0.5), 50e6);
  near(h.quantile(0.99), 99e6);
  near(h.quantile(0.999), 99.9e6);
  EXPECT_EQ(h.quantile(1.0), 100000u * 1000);
  EXPECT_EQ(h.max(), 100000u * 1000);
}

TEST(BenchHistogram, SmallValuesAreExactAndMergeAdds) {
  Histogram a, b;
  a.record(5);
  b.record(7);
  b.record(7);
  a.merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.quantile(0.0), 5u);
  EXPECT_EQ(a.quantile(0.9), 7u);
}

TEST(BenchSeqTracker, InOrderGapReorderDuplicate) {
  SeqTracker t;
  EXPECT_EQ(t.see(1), Seen::in_order);
  EXPECT_EQ(t.see(2), Seen::in_order);
  EXPECT_EQ(t.see(5), Seen::in_order);   // a gap: 3 and 4 may still come
  EXPECT_EQ(t.see(3), Seen::reordered);  // late, first time
  EXPECT_EQ(t.see(3), Seen::duplicate);  // again
  EXPECT_EQ(t.see(5), Seen::duplicate);
  EXPECT_EQ(t.see(4), Seen::reordered);
  EXPECT_EQ(t.see(6), Seen::in_order);
  EXPECT_EQ(t.see(1), Seen::duplicate);
}

TEST(BenchSeqTracker, TrackersArePerPublisher) {
  bench::SeqTrackers t;
  EXPECT_EQ(t.see(1, 1), Seen::in_order);
  EXPECT_EQ(t.see(2, 1), Seen::in_order);  // another publisher's first message
  EXPECT_EQ(t.see(1, 1), Seen::duplicate);
  t.clear();
  EXPECT_EQ(t.see(1, 1), Seen::in_order);
}

}  // namespace
