#pragma once
// Listeners and the orderly shutdown of every connection.
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/net_context.hpp"
#include "net/router.hpp"

namespace parley::net {

class Listener;

// A raw TCP listener's connections: a byte stream each, for the dialect `make` makes.
struct RawAccept {
  std::chrono::milliseconds idle_timeout{0};  // 0: none
  MakeDialect make;
};

class Server {
 public:
  Server(IoThreads& threads, NetOptions options);
  ~Server();

  // Binds address:port (port 0: any free port) for router's routes; returns the bound port.
  // Throws std::runtime_error naming the address when it cannot bind (start-up only).
  std::uint16_t listen(const std::string& address, std::uint16_t port,
                       std::shared_ptr<const Router> router, const std::string& name);
  // Binds address:port for raw TCP connections (no HTTP): each is a byte stream handed to the
  // dialect accept.make makes (MQTT). Same errors as listen().
  std::uint16_t listen_raw(const std::string& address, std::uint16_t port, RawAccept accept,
                           const std::string& name);
  // Starts accepting on every listener. The I/O threads must be running.
  void start();
  // Stops accepting, closes every WebSocket with 1001, and waits (up to `grace`) until the
  // sessions are gone. Call from outside the I/O threads.
  void shutdown(std::chrono::milliseconds grace);

  NetContext& context() { return net_; }

 private:
  std::uint16_t add_listener(const std::string& address, std::uint16_t port,
                             const std::string& name,
                             std::function<void(boost::asio::ip::tcp::socket, std::size_t)> serve);

  IoThreads& threads_;
  NetContext net_;
  std::vector<std::shared_ptr<Listener>> listeners_;
};

}  // namespace parley::net
