#include "net/http_session.hpp"

#include <openssl/sha.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <optional>
#include <sstream>

#include "net/connection.hpp"
#include "net/endpoint.hpp"
#include "net/metrics.hpp"

namespace parley::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

namespace {

std::string base64(const unsigned char* data, std::size_t n) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < n; i += 3) {
    std::uint32_t v = data[i] << 16;
    if (i + 1 < n) v |= data[i + 1] << 8;
    if (i + 2 < n) v |= data[i + 2];
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
    out += i + 2 < n ? alphabet[v & 63] : '=';
  }
  return out;
}

std::string websocket_accept(std::string_view key) {
  std::string s(key);
  s += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), digest);
  return base64(digest, sizeof digest);
}

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(asio::ip::tcp::socket socket, NetContext& net, std::size_t thread,
              std::shared_ptr<const Router> router)
      : peer_(peer_string(socket)),
        stream_(std::move(socket)),
        net_(net),
        thread_(thread),
        router_(std::move(router)) {}

  ~HttpSession() {
    if (!upgraded_) metrics().connections_open.fetch_sub(1, std::memory_order_relaxed);
  }

  void start() { read(); }

 private:
  void read() {
    parser_.emplace();
    // The header is read first, under the largest limit any route has; the route's own limit
    // applies once the route is known (on_header).
    parser_->body_limit(std::max(net_.options.max_http_body_bytes, router_->max_body_bytes()));
    parser_->header_limit(16 * 1024);
    stream_.expires_after(net_.options.http_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](const error_code& ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(const error_code& ec) {
    if (ec) return on_read(ec);
    auto& msg = parser_->get();
    HttpRequest probe;
    probe.method = std::string(msg.method_string());
    std::string_view target = msg.target();
    probe.path = percent_decode(target.substr(0, target.find('?')));
    Router::Match match = router_->match(probe, beast::websocket::is_upgrade(msg));
    std::size_t limit =
        match.max_body_bytes ? match.max_body_bytes : net_.options.max_http_body_bytes;
    if (auto length = parser_->content_length(); length && *length > limit) {
      spdlog::warn("http peer={}: request body of {} bytes over {} for {}", peer_, *length, limit,
                   probe.path);
      return respond(HttpResponse::text(413, "Payload Too Large\n"), false);
    }
    parser_->body_limit(limit);
    auto read_body = [self = shared_from_this()] {
      http::async_read(self->stream_, self->buffer_, *self->parser_,
                       [self](const error_code& ec, std::size_t) { self->on_read(ec); });
    };
    if (!parser_->is_done() && beast::iequals(msg[http::field::expect], "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      return asio::async_write(
          stream_, asio::buffer(kContinue.data(), kContinue.size()),
          [self = shared_from_this(), read_body](const error_code& ec, std::size_t) {
            if (ec) return self->shutdown();
            read_body();
          });
    }
    read_body();
  }

  void on_read(const error_code& ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset)
      return shutdown();
    if (ec == beast::error::timeout) {
      spdlog::debug("http peer={}: request timeout", peer_);
      return shutdown();
    }
    if (ec == http::error::body_limit) {
      spdlog::warn("http peer={}: request body over the limit", peer_);
      return respond(HttpResponse::text(413, "Payload Too Large\n"), false);
    }
    if (ec) {
      spdlog::warn("http peer={}: bad request: {}", peer_, ec.message());
      return respond(HttpResponse::text(400, "Bad Request\n"), false);
    }
    metrics().http_requests.fetch_add(1, std::memory_order_relaxed);
    auto& msg = parser_->get();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    std::string_view target = msg.target();
    std::size_t q = target.find('?');
    req.path = percent_decode(target.substr(0, q));
    if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    req.body = std::move(msg.body());
    req.peer = peer_;

    bool upgrade = beast::websocket::is_upgrade(msg);
    Router::Match match = router_->match(req, upgrade);
    if (upgrade && match.ws) return upgrade_to_websocket(req, *match.ws);
    if (match.stream) return start_stream(req, *match.stream);
    bool keep_alive = msg.keep_alive();
    if (match.async) {
      // Answered later, possibly from another thread: back to this connection's executor.
      spdlog::debug("http peer={} {} {} -> (async)", peer_, req.method, req.target);
      bool head = req.method == "HEAD";
      auto respond_later = [self = shared_from_this(), keep_alive, head](HttpResponse res) {
        asio::post(self->stream_.get_executor(),
                   [self, res = std::move(res), keep_alive, head]() mutable {
                     self->respond(std::move(res), keep_alive, head);
                   });
      };
      return (*match.async)(std::move(req), std::move(respond_later));
    }
    HttpResponse res;
    if (match.http) {
      res = (*match.http)(req);
    } else if (match.upgrade_only) {
      res = HttpResponse::text(426, "Upgrade Required: this is a WebSocket endpoint\n");
      res.headers.emplace_back("Upgrade", "websocket");
    } else if (match.path_known) {
      res = HttpResponse::text(405, "Method Not Allowed\n");
    } else {
      res = HttpResponse::text(404, "Not Found\n");
    }
    spdlog::debug("http peer={} {} {} -> {}", peer_, req.method, req.target, res.status);
    respond(std::move(res), keep_alive, req.method == "HEAD");
  }

  void respond(HttpResponse res, bool keep_alive, bool head = false) {
    stream_.expires_after(net_.options.http_timeout);
    auto out = std::make_shared<http::response<http::string_body>>();
    out->result(res.status);
    out->version(11);
    out->set(http::field::server, "Parley");
    out->set(http::field::content_type, res.content_type);
    for (auto& [k, v] : res.headers) out->set(k, v);
    out->keep_alive(keep_alive);
    if (head) {
      out->content_length(res.body.size());
    } else {
      out->body() = std::move(res.body);
      out->prepare_payload();
    }
    http::async_write(
        stream_, *out,
        [self = shared_from_this(), out, keep_alive](const error_code& ec, std::size_t) {
          if (ec || !keep_alive) return self->shutdown();
          self->read();
        });
  }

  void upgrade_to_websocket(const HttpRequest& req, const WsRoute& route) {
    std::string_view key = req.header("sec-websocket-key");
    if (req.header("sec-websocket-version") != "13") {
      HttpResponse res = HttpResponse::text(426, "Unsupported WebSocket version\n");
      res.headers.emplace_back("Sec-WebSocket-Version", "13");
      return respond(std::move(res), false);
    }
    if (key.size() != 24) return respond(HttpResponse::text(400, "Bad Sec-WebSocket-Key\n"), false);
    if (net_.stopping) return respond(HttpResponse::text(503, "Shutting down\n"), false);
    auto decision = route(req);
    if (auto* refused = std::get_if<HttpResponse>(&decision)) {
      spdlog::info("ws refused peer={} path={}: {}", peer_, req.path, refused->status);
      return respond(std::move(*refused), false);
    }
    auto accept = std::make_shared<WsAccept>(std::move(std::get<WsAccept>(decision)));
    auto res =
        std::make_shared<http::response<http::empty_body>>(http::status::switching_protocols, 11);
    res->set(http::field::server, "Parley");
    res->set(http::field::upgrade, "websocket");
    res->set(http::field::connection, "Upgrade");
    res->set(http::field::sec_websocket_accept, websocket_accept(key));
    if (!accept->protocol.empty()) res->set(http::field::sec_websocket_protocol, accept->protocol);
    std::string path = req.path;
    http::async_write(
        stream_, *res,
        [self = shared_from_this(), res, accept, path](const error_code& ec, std::size_t) {
          if (ec) return self->shutdown();
          self->stream_.expires_never();
          self->upgraded_ = true;
          auto data = self->buffer_.data();
          std::string leftover(static_cast<const char*>(data.data()), data.size());
          ConnectionSetup setup{
              core::Transport::websocket, path, {}, accept->idle_timeout, std::move(accept->make)};
          auto conn = std::make_shared<Connection>(self->stream_.release_socket(), self->net_,
                                                   self->thread_, self->peer_, std::move(setup));
          conn->start(leftover);
        });
  }

  void start_stream(const HttpRequest& req, const StreamRoute& route) {
    if (net_.stopping) return respond(HttpResponse::text(503, "Shutting down\n"), false);
    auto decision = route(req);
    if (auto* refused = std::get_if<HttpResponse>(&decision)) {
      spdlog::debug("http peer={} {} {} -> {}", peer_, req.method, req.target, refused->status);
      return respond(std::move(*refused), true, req.method == "HEAD");
    }
    auto& accept = std::get<StreamAccept>(decision);
    http::response<http::empty_body> head(static_cast<http::status>(accept.status), 11);
    head.set(http::field::server, "Parley");
    for (auto& [k, v] : accept.headers) head.set(k, v);
    head.keep_alive(false);  // the body ends when the connection does
    std::ostringstream os;
    os << head.base();
    stream_.expires_never();
    upgraded_ = true;
    ConnectionSetup setup{core::Transport::stream, req.path, os.str(), {}, std::move(accept.make)};
    auto conn = std::make_shared<Connection>(stream_.release_socket(), net_, thread_, peer_,
                                             std::move(setup));
    conn->start({});
  }

  void shutdown() {
    error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  std::string peer_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  NetContext& net_;
  std::size_t thread_;
  std::shared_ptr<const Router> router_;
  bool upgraded_ = false;
};

}  // namespace

void serve_http(asio::ip::tcp::socket socket, NetContext& net, std::size_t thread,
                std::shared_ptr<const Router> router) {
  std::make_shared<HttpSession>(std::move(socket), net, thread, std::move(router))->start();
}

}  // namespace parley::net
