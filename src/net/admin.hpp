#pragma once
// The admin page (/admin) and its JSON API: live figures per system, the last 10 minutes
// sampled, the store, the busiest channels, sessions (search, close one).
//
// Access: every route but the login form needs the token, sent as "Authorization: Bearer
// <token>" or as the cookie the login form sets (a digest of the token, not the token: HttpOnly,
// SameSite=Strict, Path=/admin). The token is never read from the URL. With no token, the routes
// are open: the app adds them only to a loopback-only listener ([admin] listen), and then
// checks that the Host header names a loopback address (no DNS rebinding). Requests that change
// something (closing a session) also need the header "X-Parley-Admin: 1", which a cross-origin
// page cannot send without a preflight that Parley never grants.
//
// Figures: the same cells as /metrics (core::stats), so the page, its JSON and /metrics agree.
// A sampler on I/O thread 0 keeps one sample every kSampleInterval for kHistory (the plot).
#include <array>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "core/broker.hpp"
#include "net/net_context.hpp"
#include "net/router.hpp"
#include "net/system.hpp"

namespace parley::net {

struct AdminSources {
  core::Broker& broker;
  NetContext& net;
  std::function<std::size_t()> store_queue_depth;  // may be empty
};

class Admin : public std::enable_shared_from_this<Admin> {
 public:
  static constexpr std::chrono::seconds kSampleInterval{2};
  static constexpr std::chrono::minutes kHistory{10};

  // token: empty for a loopback-only listener (see above).
  Admin(AdminSources sources, std::string token);

  // Starts the sampler on I/O thread 0 (the threads must be running or about to be).
  void start();
  // Stops it (from any thread).
  void stop();

  // The page's figures now, with the history of samples. Thread-safe.
  boost::json::object stats();
  // Takes one sample now (the sampler does, every kSampleInterval). Thread-safe.
  void sample();

  const std::string& token() const { return token_; }
  AdminSources& sources() { return sources_; }

 private:
  struct Sample {
    std::int64_t time_ms = 0;
    std::array<std::int64_t, kSystemCount> connections{};
    std::array<std::uint64_t, kSystemCount> messages_in{};
    std::array<std::uint64_t, kSystemCount> deliveries{};
    std::uint64_t slow_consumer_disconnects = 0;
    std::size_t store_queue_depth = 0;
    std::uint64_t commits = 0;        // publish-to-commit observations so far
    std::uint64_t commit_micros = 0;  // and their sum
  };
  Sample take() const;
  void arm();

  AdminSources sources_;
  const std::string token_;
  const std::int64_t started_ms_;
  std::mutex mutex_;  // guards history_
  std::deque<Sample> history_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
};

// GET /admin (the page, or the login form), POST /admin/login, POST /admin/logout,
// GET /admin/api/stats, GET /admin/api/channels?q=&limit=, GET /admin/api/sessions?q=&limit=,
// POST /admin/api/sessions/:id/close.
void add_admin_routes(Router& router, std::shared_ptr<Admin> admin);

// The cookie value the login form sets for token (hex SHA-256 of a fixed prefix and the token).
std::string admin_cookie_value(std::string_view token);
// Whether req carries the token (header or cookie); true when token is empty and the Host
// header names a loopback address.
bool admin_authorized(const HttpRequest& req, std::string_view token);

}  // namespace parley::net
