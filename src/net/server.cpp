#include "net/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <thread>

#include "net/connection.hpp"
#include "net/endpoint.hpp"
#include "net/http_session.hpp"
#include "net/metrics.hpp"

namespace parley::net {

namespace asio = boost::asio;
using boost::system::error_code;

// Serves an accepted socket on its I/O thread (HTTP, or a raw connection).
using Serve = std::function<void(asio::ip::tcp::socket socket, std::size_t thread)>;

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(NetContext& net, asio::io_context& ctx, asio::ip::tcp::endpoint ep, Serve serve,
           std::string name)
      : net_(net), acceptor_(ctx), serve_(std::move(serve)), name_(std::move(name)) {
    error_code ec;
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
      throw std::runtime_error("cannot listen on " + ep.address().to_string() + ":" +
                               std::to_string(ep.port()) + " (" + name_ + "): " + ec.message());
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  const std::string& name() const { return name_; }
  std::string address() const { return endpoint_string(acceptor_.local_endpoint()); }

  void accept() {
    std::size_t thread = net_.threads.next();
    acceptor_.async_accept(
        net_.threads.context(thread),
        [self = shared_from_this(), thread](const error_code& ec, asio::ip::tcp::socket socket) {
          self->on_accept(ec, std::move(socket), thread);
        });
  }

  void stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      error_code ignored;
      self->acceptor_.close(ignored);
    });
  }

 private:
  void on_accept(const error_code& ec, asio::ip::tcp::socket socket, std::size_t thread) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // e.g. EMFILE: log, back off a little, go on accepting.
      spdlog::error("listener {}: accept failed: {}", name_, ec.message());
      auto timer = std::make_shared<asio::steady_timer>(acceptor_.get_executor(),
                                                        std::chrono::milliseconds(50));
      timer->async_wait([self = shared_from_this(), timer](const error_code&) { self->accept(); });
      return;
    }
    metrics().connections_accepted.fetch_add(1, std::memory_order_relaxed);
    auto open = metrics().connections_open.fetch_add(1, std::memory_order_relaxed) + 1;
    if (static_cast<std::size_t>(open) > net_.options.max_connections) {
      metrics().connections_open.fetch_sub(1, std::memory_order_relaxed);
      metrics().connections_refused.fetch_add(1, std::memory_order_relaxed);
      spdlog::warn("listener {}: over max_connections ({}); refusing a connection", name_,
                   net_.options.max_connections);
    } else {
      // The socket belongs to the thread's context: start its session there.
      asio::post(net_.threads.context(thread),
                 [s = std::make_shared<asio::ip::tcp::socket>(std::move(socket)), thread,
                  serve = serve_]() mutable { serve(std::move(*s), thread); });
    }
    accept();
  }

  NetContext& net_;
  asio::ip::tcp::acceptor acceptor_;
  Serve serve_;
  std::string name_;
};

Server::Server(IoThreads& threads, NetOptions options)
    : threads_(threads), net_(threads, options) {}

Server::~Server() = default;

std::uint16_t Server::listen(const std::string& address, std::uint16_t port,
                             std::shared_ptr<const Router> router, const std::string& name) {
  return add_listener(
      address, port, name,
      [&net = net_, router = std::move(router)](asio::ip::tcp::socket socket, std::size_t thread) {
        serve_http(std::move(socket), net, thread, router);
      });
}

std::uint16_t Server::listen_raw(const std::string& address, std::uint16_t port, RawAccept accept,
                                 const std::string& name) {
  return add_listener(
      address, port, name,
      [&net = net_, accept = std::move(accept)](asio::ip::tcp::socket socket, std::size_t thread) {
        std::string peer = peer_string(socket);
        ConnectionSetup setup{core::Transport::stream, {}, {}, accept.idle_timeout, accept.make};
        auto conn = std::make_shared<Connection>(std::move(socket), net, thread, std::move(peer),
                                                 std::move(setup));
        conn->start({});
      });
}

std::uint16_t Server::add_listener(const std::string& address, std::uint16_t port,
                                   const std::string& name, Serve serve) {
  error_code ec;
  std::string host = address == "localhost" ? "127.0.0.1" : address;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) throw std::runtime_error("cannot listen on " + address + ": not an IP address");
  auto l = std::make_shared<Listener>(net_, threads_.context(0),
                                      asio::ip::tcp::endpoint(addr, port), std::move(serve), name);
  listeners_.push_back(l);
  return l->port();
}

void Server::start() {
  // Logged once every listener is bound and accepting: tests wait for the first of these lines.
  for (auto& l : listeners_) {
    l->accept();
    spdlog::info("listening on {} ({})", l->address(), l->name());
  }
}

void Server::shutdown(std::chrono::milliseconds grace) {
  net_.stopping = true;
  for (auto& l : listeners_) l->stop();
  for (std::size_t t = 0; t < threads_.thread_count(); ++t)
    threads_.post(t, [this, t] { net_.close_all(t, 1001, "server shutting down"); });
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    std::size_t open = 0;
    for (std::size_t t = 0; t < threads_.thread_count(); ++t) {
      std::promise<std::size_t> p;
      auto f = p.get_future();
      threads_.post(t, [this, t, &p] { p.set_value(net_.count(t)); });
      open += f.get();
    }
    if (open == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Past the grace period: end the rest now, on their threads, so that their handlers leave
  // channels while everything they use is still alive.
  spdlog::warn("shutdown: sessions still open after {} ms; closing them", grace.count());
  for (std::size_t t = 0; t < threads_.thread_count(); ++t) {
    std::promise<void> done;
    threads_.post(t, [this, t, &done] {
      net_.abort_all(t);
      done.set_value();
    });
    done.get_future().wait();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let aborted operations finish
}

}  // namespace parley::net
