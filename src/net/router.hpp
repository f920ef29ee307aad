#pragma once
// HTTP routing, with no Beast in sight: handlers see plain request and response structs, so
// that route files compile quickly and can be unit-tested. The Beast-facing code lives in
// http_session.cpp alone.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/dialect_connection.hpp"
#include "core/sink.hpp"

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
  std::string protocol;  // the subprotocol to select in the handshake answer, or empty
  std::chrono::milliseconds idle_timeout{0};  // 0: none
  MakeDialect make;
};

// An HTTP response that stays open (Server-Sent Events): status and headers are sent with no
// Content-Length, then whatever the dialect sends, until either side closes. What the client
// sends is handed to the dialect's on_binary.
struct StreamAccept {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  MakeDialect make;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
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
  void add(std::string method, std::string pattern, HttpHandler h);
  void websocket(std::string pattern, WsRoute r);
  void stream(std::string method, std::string pattern, StreamRoute r);
  // An HTTP route answered through HttpRespond. max_body_bytes > 0 replaces the listener's body
  // limit ([limits] max_http_body_bytes) for this route: larger bodies answer 413.
  void add_async(std::string method, std::string pattern, AsyncHttpHandler h,
                 std::size_t max_body_bytes = 0);
  // The largest per-route body limit of this router; 0 when no route has one.
  std::size_t max_body_bytes() const;

  struct Match {
    const HttpHandler* http = nullptr;
    const WsRoute* ws = nullptr;
    const StreamRoute* stream = nullptr;
    bool path_known = false;    // some route has this path (for 405 against 404)
    bool upgrade_only = false;  // a WebSocket route has this path (for 426)
    const AsyncHttpHandler* async = nullptr;
    std::size_t max_body_bytes = 0;  // the route's body limit; 0: the listener's
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
    std::size_t max_body_bytes = 0;
  };
  static bool matches(const Route& r, std::string_view path,
                      std::map<std::string, std::string>& params);
  std::vector<Route> routes_;
};

std::string percent_decode(std::string_view s, bool plus_is_space = false);
std::string html_escape(std::string_view s);

}  // namespace parley::net
