#include "engine.hpp"

#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unordered_map>

namespace bench {

using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {
constexpr std::size_t kReadBuffer = 256 * 1024;
constexpr int kMaxAttempts = 3;
constexpr std::uint64_t kLateNs = 2'000'000;
int logged_failures = 0;

double us(std::uint64_t ns) { return std::round(static_cast<double>(ns) / 100.0) / 10.0; }
}  // namespace

std::uint64_t wall_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

ProcSample sample_process(int pid) {
  ProcSample s;
  if (pid <= 0) return s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (close == std::string::npos) return s;
  std::istringstream fields(text.substr(close + 2));
  std::string f;
  double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  for (int i = 3; i <= 15 && fields >> f; ++i)
    if (i == 14 || i == 15) s.cpu_s += std::stod(f) / ticks;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) s.rss_kib = std::stoull(line.substr(6));
    if (line.starts_with("VmHWM:")) s.peak_rss_kib = std::stoull(line.substr(6));
  }
  return s;
}

double self_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

boost::json::object StepResult::to_json(bool cdf) const {
  boost::json::object o;
  o["rate"] = rate;
  o["duration_s"] = duration_s;
  o["send_s"] = send_s;
  o["sent"] = sent;
  o["expected"] = expected;
  o["delivered"] = delivered;
  o["lost"] = lost;
  o["duplicated"] = duplicated;
  o["reordered"] = reordered;
  o["stale"] = stale;
  o["disconnected"] = disconnected;
  o["deliveries_per_s"] = std::round(deliveries_per_s);
  o["p50_us"] = us(latency.quantile(0.50));
  o["p99_us"] = us(latency.quantile(0.99));
  o["p999_us"] = us(latency.quantile(0.999));
  o["max_us"] = us(latency.max());
  o["server_cpu_s"] = std::round((server_after.cpu_s - server_before.cpu_s) * 1000) / 1000;
  o["server_rss_kib"] = server_after.rss_kib;
  o["server_rss_max_kib"] = server_rss_max_kib;
  o["server_peak_rss_kib"] = server_after.peak_rss_kib;
  o["loadgen_cpu"] = std::round(loadgen_cpu * 100) / 100;
  o["pass"] = pass;
  if (cdf && latency.count()) {
    boost::json::array points;
    auto add = [&](double q) { points.push_back(boost::json::array{q, us(latency.quantile(q))}); };
    for (double q = 0; q < 0.9; q += 0.02) add(q);
    for (double q = 0.9; q < 0.99; q += 0.005) add(q);
    for (double q = 0.99; q < 0.999; q += 0.0005) add(q);
    add(0.9995);
    add(0.9999);
    points.push_back(boost::json::array{1.0, us(latency.max())});
    o["cdf"] = std::move(points);
  }
  return o;
}

struct Engine::Conn final : WireEvents {
  enum class State { idle, connecting, handshaking, ready, dead };

  Conn(Engine& e, std::size_t i, ConnSpec s)
      : engine(e), index(i), spec(std::move(s)), wire(make_wire()), sock(e.io_) {}

  Wire make_wire() const {
    return Wire(engine.options_.proto, spec.room, spec.subscribe,
                index * 1000 + static_cast<std::uint64_t>(getpid() % 1000));
  }

  void on_ready() override {
    state = State::ready;
    if (spec.slow) paused = true;
    if (in_connect) {
      in_connect = false;
      --engine.in_flight_;
      engine.launch_connects();
    }
  }
  void on_payload(std::string_view payload) override { engine.deliver(*this, payload); }
  void on_reply(std::string bytes) override {
    engine.write(*this, bytes);
    engine.flush(*this);
  }
  void on_failed(std::string_view why) override { engine.on_dead(*this, why); }

  Engine& engine;
  const std::size_t index;
  ConnSpec spec;
  Wire wire;
  tcp::socket sock;
  State state = State::idle;
  unsigned gen = 0;  // bumped on close: handlers of an earlier socket are ignored
  int attempts = 0;
  bool in_connect = false;  // counted by connect()'s window
  bool read_wait = false;
  bool write_wait = false;
  bool paused = false;  // slow consumer: no more reads
  bool dirty = false;
  std::string in;
  std::string out;
  std::size_t out_off = 0;
  SeqTrackers trackers;
};

Engine::Engine(Options options) : options_(std::move(options)) {
  endpoint_ = tcp::endpoint(asio::ip::make_address(options_.host), options_.port);
}

Engine::~Engine() = default;

std::size_t Engine::add(ConnSpec spec) {
  conns_.push_back(std::make_unique<Conn>(*this, conns_.size(), std::move(spec)));
  return conns_.size() - 1;
}

void Engine::launch_connects() {
  while (in_flight_ < window_ && connect_next_ < connect_queue_.size()) {
    Conn& c = *conns_[connect_queue_[connect_next_++]];
    c.in_connect = true;
    c.attempts = 0;
    ++in_flight_;
    start_connect(c);
  }
}

void Engine::start_connect(Conn& c) {
  ++c.attempts;
  ++c.gen;
  c.state = Conn::State::connecting;
  c.wire = c.make_wire();
  c.in.clear();
  c.out.clear();
  c.out_off = 0;
  c.read_wait = c.write_wait = c.paused = c.dirty = false;
  c.sock = tcp::socket(io_);
  error_code ec;
  if (c.spec.slow) {
    c.sock.open(endpoint_.protocol(), ec);
    c.sock.set_option(asio::socket_base::receive_buffer_size(4096), ec);
  }
  c.sock.async_connect(endpoint_, [this, &c, g = c.gen](const error_code& ec) {
    if (g != c.gen) return;
    on_connected(c, ec);
  });
}

void Engine::on_connected(Conn& c, const error_code& ec) {
  if (ec) return on_dead(c, ec.message());
  error_code ignored;
  c.sock.non_blocking(true, ignored);
  c.sock.set_option(tcp::no_delay(true), ignored);
  // The kernel stamps what arrives (software receive timestamps): latency is measured to the
  // arrival at this socket, not to the moment this busy process got to read it.
  int on = 1;
  setsockopt(c.sock.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  c.state = Conn::State::handshaking;
  write(c, c.wire.hello());
  flush(c);
  start_read(c);
}

void Engine::on_dead(Conn& c, std::string_view why) {
  if (c.state == Conn::State::dead || c.state == Conn::State::idle) return;
  bool was_ready = c.state == Conn::State::ready;
  ++c.gen;
  error_code ignored;
  c.sock.close(ignored);
  c.state = Conn::State::dead;
  if (!stopping_ && logged_failures < 10) {
    ++logged_failures;
    std::cerr << "loadgen: conn " << c.index << (was_ready ? " lost: " : " failed: ") << why
              << "\n";
  }
  if (was_ready) {
    if (c.spec.counted && !c.spec.slow) ++disconnected_;
    return;
  }
  if (!c.in_connect) return;
  if (c.attempts < kMaxAttempts) {
    ++retries_;
    return start_connect(c);
  }
  ++failed_;
  c.in_connect = false;
  --in_flight_;
  launch_connects();
}

void Engine::start_read(Conn& c) {
  if (c.read_wait || c.paused || c.state == Conn::State::dead) return;
  c.read_wait = true;
  c.sock.async_wait(tcp::socket::wait_read, [this, &c, g = c.gen](const error_code& ec) {
    if (g != c.gen) return;
    c.read_wait = false;
    on_readable(c, ec);
  });
}

void Engine::on_readable(Conn& c, const error_code& wait_ec) {
  if (wait_ec) return on_dead(c, wait_ec.message());
  static std::vector<char> buffer(kReadBuffer);
  for (int i = 0; i < 8 && !c.paused; ++i) {
    iovec iov{buffer.data(), buffer.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec)) + 64];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t got = ::recvmsg(c.sock.native_handle(), &msg, 0);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
    if (got < 0) return on_dead(c, std::strerror(errno));
    if (got == 0) return on_dead(c, "closed by the server");
    auto n = static_cast<std::size_t>(got);
    read_ns_ = 0;
    for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
      if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
        timespec ts{};
        std::memcpy(&ts, CMSG_DATA(cm), sizeof ts);
        read_ns_ = static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull +
                   static_cast<std::uint64_t>(ts.tv_nsec);
      }
    }
    if (read_ns_ == 0) read_ns_ = wall_ns();
    last_read_ns_ = now_ns();
    std::string_view data(buffer.data(), n);
    if (c.in.empty()) {
      std::size_t used = c.wire.feed(data, c);
      if (c.state == Conn::State::dead) return;
      if (used < n) c.in.assign(data.substr(used));
    } else {
      c.in.append(data);
      std::size_t used = c.wire.feed(c.in, c);
      if (c.state == Conn::State::dead) return;
      c.in.erase(0, used);
    }
    if (n < buffer.size()) break;
  }
  start_read(c);
}

void Engine::write(Conn& c, std::string_view bytes) {
  if (c.state == Conn::State::dead || c.state == Conn::State::idle) return;
  c.out.append(bytes);
}

void Engine::flush(Conn& c) {
  c.dirty = false;
  if (c.write_wait || c.out_off == c.out.size() || c.state == Conn::State::dead) return;
  error_code ec;
  std::size_t n =
      c.sock.write_some(asio::buffer(c.out.data() + c.out_off, c.out.size() - c.out_off), ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    n = 0;
  } else if (ec) {
    return on_dead(c, ec.message());
  }
  c.out_off += n;
  if (c.out_off == c.out.size()) {
    c.out.clear();
    c.out_off = 0;
    return;
  }
  if (c.out_off > (1u << 20)) {
    c.out.erase(0, c.out_off);
    c.out_off = 0;
  }
  c.write_wait = true;
  c.sock.async_wait(tcp::socket::wait_write, [this, &c, g = c.gen](const error_code& ec) {
    if (g != c.gen) return;
    c.write_wait = false;
    if (ec) return on_dead(c, ec.message());
    flush(c);
  });
}

void Engine::deliver(Conn& c, std::string_view payload) {
  if (!c.spec.counted || c.spec.slow) return;
  PayloadFields f;
  if (!find_payload(payload, f)) return;
  if (f.step != (step_id_ & 0xffff)) {
    ++stale_;
    return;
  }
  switch (c.trackers.see(f.publisher, f.seq)) {
    case SeqTracker::Seen::duplicate:
      ++duplicated_;
      return;
    case SeqTracker::Seen::reordered:
      ++reordered_;
      break;
    case SeqTracker::Seen::in_order:
      break;
  }
  ++delivered_;
  last_delivery_ns_ = last_read_ns_;
  latency_.record(read_ns_ > f.sent_ns ? read_ns_ - f.sent_ns : 0);
}

asio::awaitable<void> Engine::sleep(std::chrono::milliseconds d) {
  asio::steady_timer t(io_, d);
  co_await t.async_wait(asio::use_awaitable);
}

asio::awaitable<Engine::ConnectResult> Engine::connect(std::size_t first, std::size_t last,
                                                       std::size_t window,
                                                       std::chrono::seconds timeout) {
  connect_queue_.clear();
  for (std::size_t i = first; i < last; ++i) connect_queue_.push_back(i);
  co_return co_await run_connects(window, timeout, first, last);
}

asio::awaitable<Engine::ConnectResult> Engine::revive() {
  connect_queue_.clear();
  for (auto& c : conns_)
    if (c->state == Conn::State::dead && !c->spec.slow) connect_queue_.push_back(c->index);
  if (connect_queue_.empty()) co_return ConnectResult{};
  std::cerr << "loadgen: reconnecting " << connect_queue_.size() << " lost connections\n";
  co_return co_await run_connects(200, std::chrono::seconds(120), 0, conns_.size());
}

asio::awaitable<Engine::ConnectResult> Engine::run_connects(std::size_t window,
                                                            std::chrono::seconds timeout,
                                                            std::size_t first, std::size_t last) {
  connect_next_ = 0;
  in_flight_ = 0;
  failed_ = 0;
  retries_ = 0;
  window_ = window;
  auto start = now_ns();
  auto limit = start + static_cast<std::uint64_t>(timeout.count()) * 1'000'000'000ull;
  launch_connects();
  while ((connect_next_ < connect_queue_.size() || in_flight_ > 0) && now_ns() < limit)
    co_await sleep(std::chrono::milliseconds(1));
  ConnectResult r;
  r.seconds = static_cast<double>(now_ns() - start) / 1e9;
  r.ready = ready_count(first, last);
  r.failed = failed_ + (connect_queue_.size() - connect_next_) + in_flight_;
  r.retries = retries_;
  for (std::size_t i : connect_queue_) conns_[i]->in_connect = false;
  co_return r;
}

void Engine::close(std::size_t first, std::size_t last) {
  for (std::size_t i = first; i < last; ++i) {
    Conn& c = *conns_[i];
    ++c.gen;
    error_code ignored;
    c.sock.close(ignored);
    c.state = Conn::State::idle;
  }
}

std::size_t Engine::ready_count(std::size_t first, std::size_t last) const {
  std::size_t n = 0;
  for (std::size_t i = first; i < last; ++i) n += conns_[i]->state == Conn::State::ready;
  return n;
}

asio::awaitable<void> Engine::quiesce(std::chrono::milliseconds quiet,
                                      std::chrono::milliseconds limit) {
  auto start = now_ns();
  auto q = static_cast<std::uint64_t>(quiet.count()) * 1'000'000ull;
  auto l = static_cast<std::uint64_t>(limit.count()) * 1'000'000ull;
  for (;;) {
    auto now = now_ns();
    if (now - last_read_ns_ >= q || now - start >= l) co_return;
    co_await sleep(std::chrono::milliseconds(10));
  }
}

asio::awaitable<StepResult> Engine::step(std::vector<Publisher>& publishers, double rate,
                                         double duration_s) {
  co_await quiesce(std::chrono::milliseconds(200), std::chrono::seconds(10));
  StepResult r;
  r.rate = rate;
  r.duration_s = duration_s;
  ++step_id_;
  if ((step_id_ & 0xffff) == 0) ++step_id_;
  delivered_ = duplicated_ = reordered_ = stale_ = disconnected_ = 0;
  latency_.clear();
  std::unordered_map<std::string, std::uint64_t> members;
  for (auto& c : conns_) {
    c->trackers.clear();
    if (c->spec.counted && !c->spec.slow && c->spec.subscribe && c->state == Conn::State::ready)
      ++members[c->spec.room];
  }
  std::vector<std::uint64_t> sent(publishers.size(), 0);
  for (auto& p : publishers) p.seq = 0;

  auto total = static_cast<std::uint64_t>(std::llround(rate * duration_s));
  r.server_before = sample_process(options_.server_pid);
  double cpu0 = self_cpu_s();
  std::uint64_t t0 = now_ns();
  std::uint64_t wall_t0 = wall_ns();
  last_delivery_ns_ = t0;
  std::uint64_t next_sample = t0;
  std::uint64_t k = 0;
  std::string payload(options_.payload, 'x');
  std::vector<Conn*> dirty;
  asio::steady_timer timer(io_);
  const double ns_per_msg = 1e9 / rate;
  while (k < total) {
    std::uint64_t now = now_ns();
    auto due = std::min<std::uint64_t>(
        total, static_cast<std::uint64_t>(static_cast<double>(now - t0) / ns_per_msg) + 1);
    for (; k < due; ++k) {
      std::size_t pi = k % publishers.size();
      Publisher& p = publishers[pi];
      Conn& c = *conns_[p.conn];
      // The send time: now, or the scheduled time when the publisher is more than 2 ms late
      // (the server kept its socket from taking our bytes, or this process was busy): a late
      // message is charged its whole delay.
      auto offset = static_cast<std::uint64_t>(static_cast<double>(k) * ns_per_msg);
      auto stamp = now - (t0 + offset) > kLateNs ? wall_t0 + offset : wall_t0 + (now - t0);
      make_payload(payload.data(), payload.size(), step_id_ & 0xffff, p.id, ++p.seq, stamp);
      if (c.state != Conn::State::ready) continue;
      c.wire.append_publish(c.out, p.room, payload);
      ++sent[pi];
      if (!c.dirty) {
        c.dirty = true;
        dirty.push_back(&c);
      }
    }
    for (Conn* c : dirty) flush(*c);
    dirty.clear();
    if (now >= next_sample) {
      r.server_rss_max_kib =
          std::max(r.server_rss_max_kib, sample_process(options_.server_pid).rss_kib);
      next_sample = now + 100'000'000;
    }
    if (k >= total) break;
    timer.expires_after(std::chrono::microseconds(500));
    co_await timer.async_wait(asio::use_awaitable);
  }
  std::uint64_t send_end = now_ns();
  r.sent = 0;
  for (std::size_t i = 0; i < publishers.size(); ++i) {
    r.sent += sent[i];
    auto it = members.find(publishers[i].room);
    if (it != members.end()) r.expected += sent[i] * it->second;
  }
  // Drain: until everything arrived, or nothing more for 1.5 s (20 s at most).
  std::uint64_t last_progress = now_ns(), seen = delivered_;
  for (;;) {
    std::uint64_t now = now_ns();
    if (delivered_ + duplicated_ >= r.expected) break;
    if (delivered_ != seen) seen = delivered_, last_progress = now;
    if (now - last_progress > 1'500'000'000ull || now - send_end > 20'000'000'000ull) break;
    if (now >= next_sample) {
      r.server_rss_max_kib =
          std::max(r.server_rss_max_kib, sample_process(options_.server_pid).rss_kib);
      next_sample = now + 100'000'000;
    }
    co_await sleep(std::chrono::milliseconds(2));
  }
  std::uint64_t end = now_ns();
  r.server_after = sample_process(options_.server_pid);
  r.server_rss_max_kib = std::max(r.server_rss_max_kib, r.server_after.rss_kib);
  r.loadgen_cpu = (self_cpu_s() - cpu0) / (static_cast<double>(end - t0) / 1e9);
  r.send_s = static_cast<double>(send_end - t0) / 1e9;
  r.delivered = delivered_;
  r.duplicated = duplicated_;
  r.reordered = reordered_;
  r.stale = stale_;
  r.disconnected = disconnected_;
  r.lost = r.expected > delivered_ ? r.expected - delivered_ : 0;
  double span = static_cast<double>(std::max(last_delivery_ns_, send_end) - t0) / 1e9;
  r.deliveries_per_s = span > 0 ? static_cast<double>(delivered_) / span : 0;
  r.latency = latency_;
  r.pass = r.lost == 0 && r.duplicated == 0 && r.disconnected == 0 && r.sent == total &&
           static_cast<double>(latency_.quantile(0.99)) < options_.p99_limit_ms * 1e6;
  co_return r;
}

asio::awaitable<void> Engine::heartbeats() {
  if (options_.proto != Proto::phoenix) co_return;
  for (unsigned tick = 0; !stopping_; ++tick) {
    co_await sleep(std::chrono::seconds(1));
    for (auto& c : conns_) {
      if (c->index % 25 != tick % 25 || c->state != Conn::State::ready || c->paused) continue;
      write(*c, c->wire.heartbeat());
      flush(*c);
    }
  }
}

Engine::SlowFate Engine::drain_slow(std::size_t i) {
  SlowFate fate;
  Conn& c = *conns_[i];
  if (c.state == Conn::State::dead) return fate.closed_by_server = true, fate;
  static std::vector<char> buffer(kReadBuffer);
  for (int k = 0; k < 100000; ++k) {
    error_code ec;
    std::size_t n = c.sock.read_some(asio::buffer(buffer), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) {
      fate.closed_by_server = true;
      break;
    }
    fate.bytes += n;
  }
  return fate;
}

}  // namespace bench
