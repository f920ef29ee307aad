#include "net/http_client.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <optional>
#include <stdexcept>

namespace parley::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {

class Client;

// One GET: resolve, connect, (TLS handshake), write, read. Owns itself through the handlers.
class Request : public std::enable_shared_from_this<Request> {
 public:
  Request(std::shared_ptr<ssl::context> tls_context, asio::io_context& ctx, HttpClient::Done done)
      : tls_context_(std::move(tls_context)),
        resolver_(ctx),
        deadline_(ctx),
        done_(std::move(done)) {}

  void start(const std::string& url, const HttpClient::Headers& headers,
             std::chrono::milliseconds timeout) {
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) return fail_soon("bad URL: " + url);
    const auto& u = *parsed;
    bool https = u.scheme() == "https";
    if (!https && u.scheme() != "http") return fail_soon("unsupported scheme in " + url);
    host_ = u.host_address();
    if (host_.empty()) return fail_soon("no host in " + url);
    port_ = u.has_port() ? std::string(u.port().data(), u.port().size()) : (https ? "443" : "80");
    auto encoded_target = u.encoded_target();
    std::string target(encoded_target.data(), encoded_target.size());
    if (target.empty()) target = "/";
    request_.method(http::verb::get);
    request_.target(target);
    request_.version(11);
    auto host_and_port = u.encoded_host_and_port();
    request_.set(http::field::host, std::string_view(host_and_port.data(), host_and_port.size()));
    request_.set(http::field::user_agent, "Parley");
    request_.set(http::field::accept, "application/json");
    request_.set(http::field::connection, "close");
    for (const auto& [k, v] : headers) request_.set(k, v);
    if (https) {
      tls_.emplace(resolver_.get_executor(), *tls_context_);
      error_code not_ip;
      asio::ip::make_address(host_, not_ip);
      if (not_ip && !SSL_set_tlsext_host_name(tls_->native_handle(), host_.c_str()))
        ERR_clear_error();  // SNI carries names only; without it the server picks its default
      tls_->set_verify_mode(ssl::verify_peer);
      tls_->set_verify_callback(ssl::host_name_verification(host_));
    } else {
      tcp_.emplace(resolver_.get_executor());
    }
    parser_.body_limit(HttpClient::kMaxBody);
    deadline_.expires_after(timeout);
    deadline_.async_wait([self = shared_from_this()](const error_code& ec) {
      if (ec || self->finished_) return;
      self->timed_out_ = true;
      self->resolver_.cancel();
      self->lowest().close();
    });
    resolver_.async_resolve(
        host_, port_,
        [self = shared_from_this()](const error_code& ec, const tcp::resolver::results_type& r) {
          self->on_resolve(ec, r);
        });
  }

 private:
  beast::tcp_stream& lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *tcp_; }

  void on_resolve(const error_code& ec, const tcp::resolver::results_type& results) {
    if (ec) return fail("resolve " + host_ + ": " + ec.message());
    lowest().async_connect(results,
                           [self = shared_from_this()](const error_code& ec, const tcp::endpoint&) {
                             self->on_connect(ec);
                           });
  }

  void on_connect(const error_code& ec) {
    if (ec) return fail("connect " + host_ + ":" + port_ + ": " + ec.message());
    if (!tls_) return write(*tcp_);
    tls_->async_handshake(ssl::stream_base::client,
                          [self = shared_from_this()](const error_code& ec) {
                            if (ec) return self->fail("TLS handshake: " + ec.message());
                            self->write(*self->tls_);
                          });
  }

  template <class Stream>
  void write(Stream& stream) {
    http::async_write(stream, request_,
                      [self = shared_from_this(), &stream](const error_code& ec, std::size_t) {
                        if (ec) return self->fail("write: " + ec.message());
                        self->read(stream);
                      });
  }

  template <class Stream>
  void read(Stream& stream) {
    http::async_read(stream, buffer_, parser_,
                     [self = shared_from_this()](const error_code& ec, std::size_t) {
                       if (ec) return self->fail("read: " + ec.message());
                       HttpClientResult r;
                       r.outcome = HttpClientResult::Outcome::ok;
                       r.status = self->parser_.get().result_int();
                       r.body = std::move(self->parser_.get().body());
                       self->finish(std::move(r));
                     });
  }

  // Fails from start(): done must not run before get() returns.
  void fail_soon(std::string why) {
    asio::post(resolver_.get_executor(),
               [self = shared_from_this(), why = std::move(why)] { self->fail(why); });
  }

  void fail(std::string why) {
    HttpClientResult r;
    r.outcome = timed_out_ ? HttpClientResult::Outcome::timeout : HttpClientResult::Outcome::failed;
    r.error = timed_out_ ? "no answer in time (" + why + ")" : std::move(why);
    finish(std::move(r));
  }

  void finish(HttpClientResult r) {
    if (finished_) return;
    finished_ = true;
    deadline_.cancel();
    error_code ignored;
    if (tls_ || tcp_) lowest().socket().close(ignored);
    auto done = std::move(done_);
    done(std::move(r));
  }

  std::shared_ptr<ssl::context> tls_context_;  // outlives tls_
  tcp::resolver resolver_;
  asio::steady_timer deadline_;
  std::optional<beast::tcp_stream> tcp_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  http::request<http::empty_body> request_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
  std::string host_, port_;
  HttpClient::Done done_;
  bool timed_out_ = false;
  bool finished_ = false;
};

class Client final : public HttpClient {
 public:
  Client() : tls_(std::make_shared<ssl::context>(ssl::context::tls_client)) {
    error_code ec;
    tls_->set_default_verify_paths(ec);
    if (ec) throw std::runtime_error("TLS: cannot load the system's certificates: " + ec.message());
    tls_->set_verify_mode(ssl::verify_peer);
  }

  void get(asio::io_context& ctx, const std::string& url, Headers headers,
           std::chrono::milliseconds timeout, Done done) override {
    std::make_shared<Request>(tls_, ctx, std::move(done))->start(url, headers, timeout);
  }

 private:
  std::shared_ptr<ssl::context> tls_;
};

}  // namespace

std::shared_ptr<HttpClient> HttpClient::create() { return std::make_shared<Client>(); }

}  // namespace parley::net
