#pragma once
// HTTP routing, with no Beast in sight: handlers see plain request and response structs, so
// that route files compile quickly and can be unit-tested. The Beast-facing code lives in
// http_session.cpp alone.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/dialect_connection.hpp"
#include "core/sink.hpp"
#include "net/system.hpp"

namespace parley::net {

struct HttpRequest {
  std::string method;                                        // "GET", ...
  std::string target;                                        // as sent: path and query
  std::string path;                                          // percent-decoded path
  std::string query;                                         // raw query string, without '?'
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string peer;                           // "ADDR:PORT" of the client
  std::map<std::string, std::string> params;  // from the route pattern (":room")

  // The header's value, or empty. name is lower-case.
  std::string_view header(std::string_view name) const;
  // The percent-decoded value of a query parameter, or empty.
  std::string query_param(std::string_view name) const;
  bool has_query_param(std::string_view name) const;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static HttpResponse text(unsigned status, std::string body);
  static HttpResponse html(std::string body);
  static HttpResponse json(unsigned status, std::string body);
};

// Makes the dialect connection of a long-lived connection, on the connection's I/O thread once
// the handshake (or the stream's head) is done. The sink is the connection itself; it outlives
// the dialect connection, and so does the function with what it captured (e.g. a shared state).
using MakeDialect = std::function<std::shared_ptr<core::DialectConnection>(core::Sink&)>;

struct WsAccept {
  System system = System::http;  // the system the connection belongs to (metrics, logs)
  std::string protocol;          // the subprotocol to select in the handshake answer, or empty
  std::chrono::milliseconds idle_timeout{0};  // 0: none
  MakeDialect make;
};

// An HTTP response that stays open (Server-Sent Events): status and headers are sent with no
// Content-Length, then whatever the dialect sends, until either side closes. What the client
// sends is handed to the dialect's on_binary.
struct StreamAccept {
  System system = System::http;
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  MakeDialect make;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// What the HTTP layer does for a route before its handler runs.
struct RouteOptions {
  // > 0: replaces the listener's body limit ([limits] max_http_body_bytes) for this route:
  // larger bodies answer 413.
  std::size_t max_body_bytes = 0;
  // Added to the answers the HTTP layer gives for this route by itself (413), e.g. the route's
  // CORS headers, so that a browser sees them as it sees the route's own answers.
  std::vector<std::pair<std::string, std::string>> headers;
  // Runs on the route's thread once the request's head is read, before its body: req has all
  // but the body (params filled). An answer refuses the request with it, unread (the connection
  // is closed after it); nullopt lets the body be read and the handler run.
  std::function<std::optional<HttpResponse>(const HttpRequest& req)> check_head;
};
// Answers a request later: call it exactly once, from any thread (e.g. after blocking work done
// with run_blocking). The connection waits for it.
using HttpRespond = std::function<void(HttpResponse)>;
using AsyncHttpHandler = std::function<void(HttpRequest, HttpRespond)>;
using StreamRoute = std::function<std::variant<StreamAccept, HttpResponse>(const HttpRequest&)>;
// Answers an upgrade request: accept it (WsAccept) or refuse it with an HTTP response.
using WsRoute = std::function<std::variant<WsAccept, HttpResponse>(const HttpRequest&)>;

class Router {
 public:
  // Patterns: "/c", "/c/:room" (one segment), "/assets/*" (the rest, as params["*"]).
  void get(std::string pattern, HttpHandler h) { add("GET", std::move(pattern), std::move(h)); }
  void add(std::string method, std::string pattern, HttpHandler h, RouteOptions options = {});
  void websocket(std::string pattern, WsRoute r);
  void stream(std::string method, std::string pattern, StreamRoute r);
  // An HTTP route answered through HttpRespond.
  void add_async(std::string method, std::string pattern, AsyncHttpHandler h,
                 RouteOptions options = {});
  // The largest per-route body limit of this router; 0 when no route has one.
  std::size_t max_body_bytes() const;

  struct Match {
    const HttpHandler* http = nullptr;
    const WsRoute* ws = nullptr;
    const StreamRoute* stream = nullptr;
    bool path_known = false;    // some route has this path (for 405 against 404)
    bool upgrade_only = false;  // a WebSocket route has this path (for 426)
    const AsyncHttpHandler* async = nullptr;
    const RouteOptions* options = nullptr;  // the matched route's; null when none matched
    std::size_t max_body_bytes() const { return options ? options->max_body_bytes : 0; }
  };
  // Finds the route for the request and fills req.params.
  Match match(HttpRequest& req, bool upgrade) const;

 private:
  struct Route {
    std::string method;  // empty for WebSocket routes
    std::vector<std::string> segments;
    HttpHandler http;
    WsRoute ws;
    StreamRoute stream;
    AsyncHttpHandler async;
    RouteOptions options;
  };
  static bool matches(const Route& r, std::string_view path,
                      std::map<std::string, std::string>& params);
  std::vector<Route> routes_;
};

std::string percent_decode(std::string_view s, bool plus_is_space = false);
std::string html_escape(std::string_view s);
// True when the request's Sec-WebSocket-Protocol lists (comma-separated) offer protocol.
bool offers_subprotocol(const HttpRequest& req, std::string_view protocol);

}  // namespace parley::net
