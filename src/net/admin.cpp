#include "net/admin.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <mutex>
#include <optional>

#include "core/stats.hpp"
#include "net/assets.hpp"
#include "net/common_routes.hpp"
#include "net/connection.hpp"
#include "net/metrics.hpp"

namespace parley::net {

namespace json = boost::json;
using std::chrono::milliseconds;

namespace {

constexpr std::string_view kCookie = "parley_admin";
constexpr std::size_t kMaxListed = 200;

std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

bool same(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// The value of cookie `name` in a Cookie header, or empty.
std::string_view cookie(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    std::size_t semi = header.find(';');
    std::string_view pair = trim(header.substr(0, semi));
    std::size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return {};
}

// A Host header naming a loopback address: 127.x.x.x, localhost or [::1], with or without port.
bool loopback_host(std::string_view host) {
  if (host.starts_with("[::1]")) return host.size() == 5 || host[5] == ':';
  std::string_view name = host.substr(0, host.find(':'));
  return name == "localhost" || name.starts_with("127.");
}

std::optional<std::uint64_t> parse_id(std::string_view s) {
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::size_t limit_param(const HttpRequest& req, std::size_t fallback) {
  auto v = parse_id(req.query_param("limit"));
  return v ? std::min<std::size_t>(*v, kMaxListed) : fallback;
}

HttpResponse json_response(unsigned status, const json::value& v) {
  auto res = HttpResponse::json(status, json::serialize(v));
  res.headers.emplace_back("Cache-Control", "no-store");
  return res;
}

HttpResponse unauthorized() { return json_response(401, json::object{{"error", "unauthorized"}}); }

HttpResponse login_page(bool failed) {
  auto res = page_with_data("admin_login.html", json::object{{"failed", failed}});
  if (failed) res.status = 401;
  return res;
}

json::object system_counts(const std::array<std::uint32_t, core::Subscriber::kTags>& by_tag) {
  json::object out;
  for (std::size_t i = 0; i < kSystemCount; ++i)
    if (by_tag[i]) out[kSystemNames[i]] = by_tag[i];
  return out;
}

json::array channels_json(const std::vector<core::ChannelSummary>& list) {
  json::array out;
  for (const auto& c : list)
    out.push_back(json::object{{"name", c.name},
                               {"subscribers", c.subscribers},
                               {"by_system", system_counts(c.by_tag)},
                               {"presence", c.presence},
                               {"messages", c.last_offset}});
  return out;
}

struct SessionInfo {
  std::uint64_t id = 0;
  std::string system, transport, peer, path;
  std::int64_t opened_ms = 0;
  std::size_t queued_bytes = 0;
};

bool session_matches(const Connection& c, std::string_view q) {
  if (q.empty()) return true;
  if (auto id = parse_id(q); id && *id == c.id()) return true;
  return c.peer().find(q) != std::string::npos || c.path().find(q) != std::string::npos ||
         name(c.system()) == q;
}

// Runs per_thread on every I/O thread, then done (on the last thread to finish) with the
// results in thread order. Never blocks a thread.
template <class T>
void gather(IoThreads& threads, std::function<T(std::size_t)> per_thread,
            std::function<void(std::vector<T>)> done) {
  struct State {
    std::mutex mutex;
    std::vector<T> results;
    std::size_t remaining;
    std::function<void(std::vector<T>)> done;
  };
  auto state = std::make_shared<State>();
  state->results.resize(threads.thread_count());
  state->remaining = threads.thread_count();
  state->done = std::move(done);
  for (std::size_t t = 0; t < threads.thread_count(); ++t) {
    threads.post(t, [state, t, per_thread] {
      T result = per_thread(t);
      std::unique_lock lock(state->mutex);
      state->results[t] = std::move(result);
      if (--state->remaining) return;
      lock.unlock();
      state->done(std::move(state->results));
    });
  }
}

}  // namespace

std::string admin_cookie_value(std::string_view token) {
  std::string input = "parley-admin-cookie\n";
  input += token;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

bool admin_authorized(const HttpRequest& req, std::string_view token) {
  if (token.empty()) return loopback_host(req.header("host"));
  std::string_view auth = req.header("authorization");
  if (auth.starts_with("Bearer ") && same(trim(auth.substr(7)), token)) return true;
  std::string_view c = cookie(req.header("cookie"), kCookie);
  return !c.empty() && same(c, admin_cookie_value(token));
}

Admin::Admin(AdminSources sources, std::string token)
    : sources_(std::move(sources)), token_(std::move(token)), started_ms_(now_ms()) {}

void Admin::start() {
  timer_ = std::make_unique<boost::asio::steady_timer>(sources_.net.threads.context(0));
  sample();
  arm();
}

void Admin::stop() {
  if (!timer_) return;
  sources_.net.threads.post(0, [self = shared_from_this()] { self->timer_->cancel(); });
}

void Admin::arm() {
  timer_->expires_after(kSampleInterval);
  timer_->async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->sample();
    self->arm();
  });
}

Admin::Sample Admin::take() const {
  const Metrics& m = metrics();
  Sample s;
  s.time_ms = now_ms();
  for (std::size_t i = 0; i < kSystemCount; ++i) {
    s.connections[i] = m.connections_open.value(i);
    s.messages_in[i] = m.messages_in.value(i);
    s.deliveries[i] = m.frames_out.value(i);
  }
  s.slow_consumer_disconnects = m.slow_consumer_disconnects.total();
  s.store_queue_depth = sources_.store_queue_depth ? sources_.store_queue_depth() : 0;
  auto commits = core::stats::publish_commit_seconds.snapshot();
  s.commits = commits.count;
  s.commit_micros = commits.sum;
  return s;
}

void Admin::sample() {
  Sample s = take();
  std::lock_guard lock(mutex_);
  history_.push_back(s);
  const std::int64_t keep = std::chrono::duration_cast<milliseconds>(kHistory).count();
  while (!history_.empty() && history_.front().time_ms < s.time_ms - keep) history_.pop_front();
}

json::object Admin::stats() {
  Sample now = take();
  json::array t, in, out, connections, slow, queue;
  Sample ref = now;  // the newest sample at least a second old: the rates' base
  {
    std::lock_guard lock(mutex_);
    for (const Sample& s : history_) {
      std::int64_t c = 0;
      std::uint64_t i = 0, o = 0;
      for (std::size_t k = 0; k < kSystemCount; ++k) {
        c += s.connections[k];
        i += s.messages_in[k];
        o += s.deliveries[k];
      }
      t.push_back(s.time_ms);
      in.push_back(i);
      out.push_back(o);
      connections.push_back(c);
      slow.push_back(s.slow_consumer_disconnects);
      queue.push_back(s.store_queue_depth);
      if (s.time_ms <= now.time_ms - 1000) ref = s;
    }
    if (ref.time_ms == now.time_ms && !history_.empty()) ref = history_.front();
  }
  const double dt =
      std::max<double>(0.001, static_cast<double>(now.time_ms - ref.time_ms) / 1000.0);
  auto rate = [dt](std::uint64_t a, std::uint64_t b) {
    return a > b ? static_cast<double>(a - b) / dt : 0.0;
  };

  core::ChannelStats channels = sources_.broker.channel_stats("", 10);
  const Metrics& m = metrics();
  json::array systems;
  json::object totals{{"connections", 0},         {"channels", channels.channels},
                      {"messages_in", 0},         {"deliveries", 0},
                      {"messages_in_per_s", 0.0}, {"deliveries_per_s", 0.0}};
  std::int64_t total_connections = 0;
  std::uint64_t total_in = 0, total_out = 0;
  double total_in_rate = 0, total_out_rate = 0;
  for (std::size_t i = 0; i < kSystemCount; ++i) {
    double in_rate = rate(now.messages_in[i], ref.messages_in[i]);
    double out_rate = rate(now.deliveries[i], ref.deliveries[i]);
    systems.push_back(json::object{
        {"name", kSystemNames[i]},
        {"connections", now.connections[i]},
        {"channels", channels.channels_by_tag[i]},
        {"messages_in", now.messages_in[i]},
        {"deliveries", now.deliveries[i]},
        {"messages_in_per_s", in_rate},
        {"deliveries_per_s", out_rate},
        {"slow_consumer_disconnects", m.slow_consumer_disconnects.value(i)},
    });
    total_connections += now.connections[i];
    total_in += now.messages_in[i];
    total_out += now.deliveries[i];
    total_in_rate += in_rate;
    total_out_rate += out_rate;
  }
  totals["connections"] = total_connections;
  totals["messages_in"] = total_in;
  totals["deliveries"] = total_out;
  totals["messages_in_per_s"] = total_in_rate;
  totals["deliveries_per_s"] = total_out_rate;
  totals["slow_consumer_disconnects"] = now.slow_consumer_disconnects;
  totals["messages_published"] = core::stats::messages_published.value();

  auto publish = core::stats::publish_commit_seconds.snapshot();
  auto commit = core::stats::store_commit_seconds.snapshot();
  auto batch = core::stats::store_batch_messages.snapshot();
  auto socket = core::stats::commit_socket_seconds.snapshot();
  std::uint64_t recent_commits = now.commits - ref.commits;
  double recent_ms = recent_commits ? static_cast<double>(now.commit_micros - ref.commit_micros) /
                                          static_cast<double>(recent_commits) / 1000.0
                                    : 0.0;
  json::object store{
      {"queue_depth", now.store_queue_depth},
      {"publish_commit_ms_recent", recent_ms},
      {"publish_commit_ms_mean", publish.mean() * 1000},
      {"publish_commit_ms_p99", publish.quantile(0.99) * 1000},
      {"transaction_ms_mean", commit.mean() * 1000},
      {"transaction_ms_p99", commit.quantile(0.99) * 1000},
      {"transactions", commit.count},
      {"batch_mean", batch.mean()},
      {"commit_socket_ms_p99", socket.quantile(0.99) * 1000},
  };

  return json::object{
      {"time_ms", now.time_ms},
      {"started_ms", started_ms_},
      {"interval_ms", std::chrono::duration_cast<milliseconds>(kSampleInterval).count()},
      {"totals", std::move(totals)},
      {"systems", std::move(systems)},
      {"store", std::move(store)},
      {"channels", channels_json(channels.busiest)},
      {"history", json::object{{"t", std::move(t)},
                               {"messages_in", std::move(in)},
                               {"deliveries", std::move(out)},
                               {"connections", std::move(connections)},
                               {"slow_consumer_disconnects", std::move(slow)},
                               {"store_queue_depth", std::move(queue)}}},
  };
}

void add_admin_routes(Router& router, std::shared_ptr<Admin> admin) {
  auto authorized = [admin](const HttpRequest& req) {
    return admin_authorized(req, admin->token());
  };
  router.get("/admin", [admin, authorized](const HttpRequest& req) {
    if (!authorized(req)) {
      if (admin->token().empty())
        return HttpResponse::text(403, "Forbidden: not a loopback Host\n");
      return login_page(false);
    }
    auto res = page_with_data("admin.html", json::object{{"login", !admin->token().empty()}});
    return res;
  });
  router.add("POST", "/admin/login", [admin](const HttpRequest& req) {
    if (admin->token().empty()) return HttpResponse::text(404, "Not Found\n");
    // The form's body: token=<urlencoded>. Only the body: never the URL.
    HttpRequest form;
    form.query = req.body;
    std::string given = form.query_param("token");
    if (!same(given, admin->token())) {
      spdlog::warn("admin: failed login from {}", req.peer);
      return login_page(true);
    }
    spdlog::info("admin: login from {}", req.peer);
    HttpResponse res = HttpResponse::text(303, "");
    res.headers.emplace_back("Location", "/admin");
    res.headers.emplace_back("Set-Cookie", std::string(kCookie) + "=" +
                                               admin_cookie_value(admin->token()) +
                                               "; Path=/admin; HttpOnly; SameSite=Strict");
    res.headers.emplace_back("Cache-Control", "no-store");
    return res;
  });
  router.add("POST", "/admin/logout", [](const HttpRequest&) {
    HttpResponse res = HttpResponse::text(303, "");
    res.headers.emplace_back("Location", "/admin");
    res.headers.emplace_back("Set-Cookie", std::string(kCookie) +
                                               "=; Path=/admin; HttpOnly; SameSite=Strict; "
                                               "Max-Age=0");
    return res;
  });
  router.get("/admin/api/stats", [admin, authorized](const HttpRequest& req) {
    if (!authorized(req)) return unauthorized();
    return json_response(200, admin->stats());
  });
  router.get("/admin/api/channels", [admin, authorized](const HttpRequest& req) {
    if (!authorized(req)) return unauthorized();
    auto stats = admin->sources().broker.channel_stats(req.query_param("q"), limit_param(req, 20));
    return json_response(
        200, json::object{{"channels", stats.channels}, {"busiest", channels_json(stats.busiest)}});
  });
  router.add_async(
      "GET", "/admin/api/sessions", [admin, authorized](HttpRequest req, HttpRespond respond) {
        if (!authorized(req)) return respond(unauthorized());
        std::string q = req.query_param("q");
        std::size_t limit = limit_param(req, 50);
        NetContext& net = admin->sources().net;
        gather<std::vector<SessionInfo>>(
            net.threads,
            [&net, q, limit](std::size_t t) {
              std::vector<SessionInfo> out;
              for (Connection* c : net.sessions(t)) {
                if (!session_matches(*c, q)) continue;
                auto opened =
                    std::chrono::duration_cast<milliseconds>(c->opened_at().time_since_epoch());
                out.push_back(
                    {c->id(), std::string(name(c->system())),
                     c->transport() == core::Transport::websocket ? "websocket" : "stream",
                     c->peer(), c->path(), opened.count(), c->queued_bytes()});
              }
              std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.id < b.id; });
              if (out.size() > limit) out.resize(limit);
              return out;
            },
            [respond, limit](std::vector<std::vector<SessionInfo>> per_thread) {
              std::vector<SessionInfo> all;
              for (auto& v : per_thread)
                for (auto& s : v) all.push_back(std::move(s));
              std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.id < b.id; });
              std::size_t found = all.size();
              if (all.size() > limit) all.resize(limit);
              json::array list;
              for (auto& s : all)
                list.push_back(json::object{{"id", s.id},
                                            {"system", s.system},
                                            {"transport", s.transport},
                                            {"peer", s.peer},
                                            {"path", s.path},
                                            {"opened_ms", s.opened_ms},
                                            {"queued_bytes", s.queued_bytes}});
              respond(json_response(200,
                                    json::object{{"found", found}, {"sessions", std::move(list)}}));
            });
      });
  router.add_async(
      "POST", "/admin/api/sessions/:id/close",
      [admin, authorized](HttpRequest req, HttpRespond respond) {
        if (!authorized(req)) return respond(unauthorized());
        if (req.header("x-parley-admin") != "1")
          return respond(json_response(403, json::object{{"error", "X-Parley-Admin: 1 missing"}}));
        auto id = parse_id(req.params.at("id"));
        if (!id) return respond(json_response(400, json::object{{"error", "bad session id"}}));
        NetContext& net = admin->sources().net;
        std::string by = req.peer;
        gather<char>(
            net.threads,
            [&net, id = *id, by](std::size_t t) -> char {
              for (Connection* c : net.sessions(t)) {
                if (c->id() != id) continue;
                spdlog::info("admin: closing session={} system={} peer={} (asked by {})", id,
                             name(c->system()), c->peer(), by);
                metrics().admin_closes.add();
                c->close(1008, "closed by the operator");
                return 1;
              }
              return 0;
            },
            [respond, id = *id](std::vector<char> found) {
              bool any = std::find(found.begin(), found.end(), 1) != found.end();
              respond(json_response(any ? 200 : 404, json::object{{"id", id}, {"closed", any}}));
            });
      });
}

}  // namespace parley::net
