#pragma once
// Process-wide statistics (counters, gauges, histograms), rendered at GET /metrics in the
// Prometheus text format and read by the admin page.
//
// Design: no shared atomic on the data path. Every thread that records something gets a slot of
// its own (a cache-line-aligned block of cells, allocated on its first record and kept for the
// life of the process), and writes only its own cells, with a plain load and store (no locked
// read-modify-write, no line bouncing between cores). A reader sums a cell over every slot. A
// metric is a range of cells, allocated when it is defined (at static initialization or
// start-up); a labelled metric has one cell per label value, fixed when it is defined.
//
// A gauge is recorded as increments and decrements, possibly on different threads (a
// connection counted open on the accepting thread and closed on its own): the slots' sum,
// taken modulo 2^64, is its value. Values computed on demand (a queue's depth) are a
// CallbackGauge, registered for as long as the object lives.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::core::stats {

inline constexpr std::size_t kCells = 256;  // per slot: every metric's cells together

struct alignas(64) Slot {
  std::atomic<std::uint64_t> cells[kCells];  // value-initialized (C++20): zero
};

// The calling thread's slot (allocated and registered on its first call).
Slot& new_slot();
inline Slot& local_slot() {
  thread_local Slot* slot = nullptr;
  if (!slot) slot = &new_slot();
  return *slot;
}

// Adds n to the calling thread's cell (wrapping: a gauge adds 2^64 - n to subtract n).
inline void add(std::size_t cell, std::uint64_t n) {
  auto& c = local_slot().cells[cell];
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}
// A cell's sum over every thread's slot.
std::uint64_t sum(std::size_t cell);

enum class Type { counter, gauge, histogram };

// One label dimension, its values fixed (e.g. system = hub, concierge, ...).
struct Label {
  std::string name;
  std::vector<std::string> values;
};

class Counter {
 public:
  Counter(std::string name, std::string help);
  Counter(std::string name, std::string help, Label label);
  void add(std::uint64_t n = 1) const { stats::add(first_, n); }
  // For label value i (an index into Label::values).
  void add(std::size_t i, std::uint64_t n) const { stats::add(first_ + i, n); }
  std::uint64_t value(std::size_t i = 0) const { return sum(first_ + i); }
  std::uint64_t total() const;

 private:
  std::size_t first_;
  std::size_t count_;
};

class Gauge {
 public:
  Gauge(std::string name, std::string help);
  Gauge(std::string name, std::string help, Label label);
  void add(std::int64_t n, std::size_t i = 0) const {
    stats::add(first_ + i, static_cast<std::uint64_t>(n));
  }
  std::int64_t value(std::size_t i = 0) const { return static_cast<std::int64_t>(sum(first_ + i)); }
  std::int64_t total() const;

 private:
  std::size_t first_;
  std::size_t count_;
};

// Observations of integers (microseconds, messages), counted in buckets of upper bounds;
// rendered multiplied by `unit` (1e-6: microseconds as seconds).
class Histogram {
 public:
  Histogram(std::string name, std::string help, std::vector<std::uint64_t> bounds,
            double unit = 1.0);
  void observe(std::uint64_t v) const;
  void observe(std::chrono::steady_clock::duration d) const {
    observe(static_cast<std::uint64_t>(std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::microseconds>(d).count())));
  }

  struct Snapshot {
    std::vector<std::uint64_t> bounds;
    std::vector<std::uint64_t> buckets;  // per bound, not cumulative; one more: above the last
    std::uint64_t count = 0;
    std::uint64_t sum = 0;  // in the observed unit
    double unit = 1.0;
    // The value below which q (0..1) of the observations fall, estimated from the buckets (the
    // bucket's upper bound), in the rendered unit; 0 without observations.
    double quantile(double q) const;
    double mean() const { return count ? unit * static_cast<double>(sum) / count : 0.0; }
  };
  Snapshot snapshot() const;

 private:
  std::vector<std::uint64_t> bounds_;
  double unit_;
  std::size_t first_;  // bounds_.size() + 1 bucket cells, then the sum
};

// A gauge whose value is computed when read, while the object lives.
class CallbackGauge {
 public:
  CallbackGauge(std::string name, std::string help, std::function<double()> read);
  ~CallbackGauge();
  CallbackGauge(const CallbackGauge&) = delete;
  CallbackGauge& operator=(const CallbackGauge&) = delete;

 private:
  std::size_t id_;
};

// Every metric defined, in the Prometheus text exposition format (version 0.0.4), sorted by
// name.
std::string render(std::string_view prefix = "parley_");

// Commit-to-socket latency: a delivering thread notes each message's commit time; the thread's
// flush of its connections (after it wrote what the kernel took) observes them all.
void note_delivery(std::chrono::steady_clock::time_point committed);
void observe_written();

// What the core and the store record (defined in stats.cpp, always present in /metrics).
extern const Histogram publish_commit_seconds;  // publish() to the store's commit callback
extern const Histogram commit_socket_seconds;   // the commit to the delivering thread's write
extern const Histogram store_batch_messages;    // messages per store transaction
extern const Histogram store_commit_seconds;    // one store transaction, BEGIN to COMMIT
extern const Counter messages_published;        // messages committed and delivered

}  // namespace parley::core::stats
