#include "core/stats.hpp"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

namespace parley::core::stats {

namespace {

struct Family {
  std::string name;
  std::string help;
  Type type = Type::counter;
  std::optional<Label> label;
  std::size_t first = 0;
  std::size_t count = 1;
  std::vector<std::uint64_t> bounds;  // histograms
  double unit = 1.0;
  std::function<double()> read;  // callback gauges
};

struct Registry {
  std::mutex mutex;
  std::vector<std::unique_ptr<Slot>> slots;
  std::vector<Family> families;
  std::map<std::size_t, Family> callbacks;
  std::size_t next_cell = 0;
  std::size_t next_callback = 0;

  // Allocates n cells for a new family. Past kCells every further metric shares the last cell
  // (wrong figures, logged): raise kCells.
  std::size_t allocate(std::size_t n) {
    if (next_cell + n > kCells) {
      spdlog::critical("stats: more than {} cells; raise core::stats::kCells", kCells);
      return kCells - 1;
    }
    std::size_t first = next_cell;
    next_cell += n;
    return first;
  }
};

Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: threads may record until the very end
  return *r;
}

std::size_t define(Family f) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  f.first = r.allocate(f.count);
  std::size_t first = f.first;
  r.families.push_back(std::move(f));
  return first;
}

// v in the observed unit, rendered in the metric's unit (1e-6: microseconds as seconds),
// divided rather than multiplied so that 100 us renders as 0.0001, not 9.999999999999999e-05.
double scaled(std::uint64_t v, double unit) {
  if (unit < 1.0) return static_cast<double>(v) / std::round(1.0 / unit);
  return static_cast<double>(v) * unit;
}

std::size_t define_labelled(std::string name, std::string help, Type type, Label label) {
  Family f{std::move(name), std::move(help), type};
  f.count = label.values.size();
  f.label = std::move(label);
  return define(std::move(f));
}

std::string number(double v) {
  if (v == static_cast<double>(static_cast<std::int64_t>(v)))
    return fmt::format("{}", static_cast<std::int64_t>(v));
  return fmt::format("{}", v);
}

std::string escape_help(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

}  // namespace

Slot& new_slot() {
  auto slot = std::make_unique<Slot>();
  Slot& s = *slot;
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.slots.push_back(std::move(slot));
  return s;
}

std::uint64_t sum(std::size_t cell) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::uint64_t total = 0;
  for (const auto& s : r.slots) total += s->cells[cell].load(std::memory_order_relaxed);
  return total;
}

Counter::Counter(std::string name, std::string help)
    : first_(define({std::move(name), std::move(help), Type::counter})), count_(1) {}

Counter::Counter(std::string name, std::string help, Label label) : count_(label.values.size()) {
  first_ = define_labelled(std::move(name), std::move(help), Type::counter, std::move(label));
}

std::uint64_t Counter::total() const {
  std::uint64_t t = 0;
  for (std::size_t i = 0; i < count_; ++i) t += value(i);
  return t;
}

Gauge::Gauge(std::string name, std::string help)
    : first_(define({std::move(name), std::move(help), Type::gauge})), count_(1) {}

Gauge::Gauge(std::string name, std::string help, Label label) : count_(label.values.size()) {
  first_ = define_labelled(std::move(name), std::move(help), Type::gauge, std::move(label));
}

std::int64_t Gauge::total() const {
  std::int64_t t = 0;
  for (std::size_t i = 0; i < count_; ++i) t += value(i);
  return t;
}

Histogram::Histogram(std::string name, std::string help, std::vector<std::uint64_t> bounds,
                     double unit)
    : bounds_(std::move(bounds)), unit_(unit) {
  Family f{std::move(name), std::move(help), Type::histogram};
  f.count = bounds_.size() + 2;
  f.bounds = bounds_;
  f.unit = unit_;
  first_ = define(std::move(f));
}

void Histogram::observe(std::uint64_t v) const {
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  stats::add(first_ + i, 1);
  stats::add(first_ + bounds_.size() + 1, v);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  s.unit = unit_;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    s.buckets.push_back(sum(first_ + i));
    s.count += s.buckets.back();
  }
  s.sum = sum(first_ + bounds_.size() + 1);
  return s;
}

double Histogram::Snapshot::quantile(double q) const {
  if (!count) return 0.0;
  auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count) + 0.5);
  if (rank == 0) rank = 1;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    seen += buckets[i];
    if (seen >= rank) {
      std::uint64_t bound = i < bounds.size() ? bounds[i] : (bounds.empty() ? 0 : bounds.back());
      return unit * static_cast<double>(bound);
    }
  }
  return unit * static_cast<double>(bounds.empty() ? 0 : bounds.back());
}

CallbackGauge::CallbackGauge(std::string name, std::string help, std::function<double()> read) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  id_ = r.next_callback++;
  Family f{std::move(name), std::move(help), Type::gauge};
  f.read = std::move(read);
  r.callbacks.emplace(id_, std::move(f));
}

CallbackGauge::~CallbackGauge() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.callbacks.erase(id_);
}

std::string render(std::string_view prefix) {
  Registry& r = registry();
  // The callbacks run outside the registry's lock (they may take locks of their own, and may
  // record): copy what is needed first.
  std::vector<Family> families;
  std::vector<std::function<double()>> reads;
  {
    std::lock_guard lock(r.mutex);
    families = r.families;
    for (auto& [id, f] : r.callbacks) families.push_back(f);
  }
  std::sort(families.begin(), families.end(),
            [](const Family& a, const Family& b) { return a.name < b.name; });
  std::string out;
  for (const Family& f : families) {
    if (!prefix.empty() && !std::string_view(f.name).starts_with(prefix)) continue;
    const char* type = f.type == Type::counter ? "counter"
                       : f.type == Type::gauge ? "gauge"
                                               : "histogram";
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", f.name, escape_help(f.help), f.name, type);
    if (f.read) {
      out += fmt::format("{} {}\n", f.name, number(f.read()));
      continue;
    }
    if (f.type == Type::histogram) {
      std::uint64_t cumulative = 0;
      for (std::size_t i = 0; i <= f.bounds.size(); ++i) {
        cumulative += sum(f.first + i);
        std::string le = i < f.bounds.size() ? number(scaled(f.bounds[i], f.unit)) : "+Inf";
        out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", f.name, le, cumulative);
      }
      out += fmt::format("{}_sum {}\n", f.name,
                         number(scaled(sum(f.first + f.bounds.size() + 1), f.unit)));
      out += fmt::format("{}_count {}\n", f.name, cumulative);
      continue;
    }
    for (std::size_t i = 0; i < f.count; ++i) {
      std::uint64_t raw = sum(f.first + i);
      std::string value = f.type == Type::gauge ? fmt::format("{}", static_cast<std::int64_t>(raw))
                                                : fmt::format("{}", raw);
      if (f.label)
        out +=
            fmt::format("{}{{{}=\"{}\"}} {}\n", f.name, f.label->name, f.label->values[i], value);
      else
        out += fmt::format("{} {}\n", f.name, value);
    }
  }
  return out;
}

namespace {
constexpr std::size_t kMaxPendingDeliveries = 4096;
thread_local std::vector<std::chrono::steady_clock::time_point> pending_deliveries;
}  // namespace

void note_delivery(std::chrono::steady_clock::time_point committed) {
  if (pending_deliveries.size() < kMaxPendingDeliveries) pending_deliveries.push_back(committed);
}

void observe_written() {
  if (pending_deliveries.empty()) return;
  auto now = std::chrono::steady_clock::now();
  for (auto t : pending_deliveries) commit_socket_seconds.observe(now - t);
  pending_deliveries.clear();
}

namespace {
// Microseconds: 50 us to 10 s.
std::vector<std::uint64_t> latency_bounds() {
  return {50,     100,    250,     500,     1000,    2500,      5000,      10'000,
          25'000, 50'000, 100'000, 250'000, 500'000, 1'000'000, 2'500'000, 10'000'000};
}
}  // namespace

const Histogram publish_commit_seconds(
    "parley_publish_commit_seconds",
    "From a message's publish to its store commit (the store's group commit included).",
    latency_bounds(), 1e-6);
const Histogram commit_socket_seconds(
    "parley_commit_socket_seconds",
    "From a message's commit to the delivering I/O thread's socket writes (per thread, per "
    "message).",
    latency_bounds(), 1e-6);
const Histogram store_batch_messages("parley_store_batch_messages",
                                     "Messages written per store transaction (group commit).",
                                     {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024});
const Histogram store_commit_seconds("parley_store_commit_seconds",
                                     "Duration of one store transaction, BEGIN to COMMIT.",
                                     latency_bounds(), 1e-6);
const Counter messages_published("parley_messages_published_total",
                                 "Messages committed and delivered by the broker.");

}  // namespace parley::core::stats
