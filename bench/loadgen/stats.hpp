#pragma once
// Measurement primitives of the load generator: a log-linear latency histogram and a per-
// publisher sequence tracker that tells new, duplicated and reordered messages apart.
#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace bench {

// Latencies in nanoseconds, 64 sub-buckets per power of two (about 1.6 % precision), exact
// below 128 ns. Merging and percentiles are O(buckets).
class Histogram {
 public:
  static constexpr int kBuckets = 64 * 64;

  void record(std::uint64_t ns) {
    ++counts_[index(ns)];
    ++total_;
    max_ = std::max(max_, ns);
  }
  void merge(const Histogram& o) {
    for (int i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
    max_ = std::max(max_, o.max_);
  }
  void clear() { *this = Histogram(); }
  std::uint64_t count() const { return total_; }
  std::uint64_t max() const { return max_; }

  // The value at quantile q (0..1): the upper bound of the bucket holding it.
  std::uint64_t quantile(double q) const {
    if (total_ == 0) return 0;
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_));
    if (rank >= total_) rank = total_ - 1;
    std::uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen > rank) return std::min(upper(i), max_);
    }
    return max_;
  }

 private:
  static int index(std::uint64_t v) {
    if (v < 128) return static_cast<int>(v);
    int e = 63 - __builtin_clzll(v);  // >= 7
    int shift = e - 6;
    return shift * 64 + static_cast<int>(v >> shift);  // v >> shift is in [64, 127]
  }
  static std::uint64_t upper(int i) {
    if (i < 128) return static_cast<std::uint64_t>(i);
    int shift = i / 64 - 1;
    std::uint64_t mant = static_cast<std::uint64_t>(i % 64 + 64);
    return ((mant + 1) << shift) - 1;
  }

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t total_ = 0;
  std::uint64_t max_ = 0;
};

// Sequence numbers of one publisher as seen by one subscriber. Sequences start at 1. A window of
// the 64 sequences below the highest seen tells a late arrival (reordered) from a repeat
// (duplicate); anything older than the window counts as reordered.
class SeqTracker {
 public:
  enum class Seen { in_order, reordered, duplicate };

  Seen see(std::uint64_t s) {
    if (s > max_) {
      std::uint64_t gap = s - max_;
      window_ = gap >= 64 ? 0 : window_ << gap;
      window_ |= 1;
      max_ = s;
      return Seen::in_order;  // after a gap too: the gap may still be filled (reordered) later
    }
    std::uint64_t d = max_ - s;
    if (d >= 64) return Seen::reordered;
    std::uint64_t bit = std::uint64_t{1} << d;
    if (window_ & bit) return Seen::duplicate;
    window_ |= bit;
    return Seen::reordered;
  }

 private:
  std::uint64_t max_ = 0;
  std::uint64_t window_ = 0;  // bit d: sequence max_ - d was seen
};

// Trackers of one subscriber, keyed by publisher id (a handful per subscriber at most).
class SeqTrackers {
 public:
  SeqTracker::Seen see(std::uint32_t publisher, std::uint64_t seq) {
    for (auto& [p, t] : trackers_)
      if (p == publisher) return t.see(seq);
    trackers_.emplace_back(publisher, SeqTracker{});
    return trackers_.back().second.see(seq);
  }
  void clear() { trackers_.clear(); }

 private:
  std::vector<std::pair<std::uint32_t, SeqTracker>> trackers_;
};

}  // namespace bench
