#pragma once
// Listeners and the orderly shutdown of every connection.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "net/net_context.hpp"
#include "net/router.hpp"

namespace parley::net {

class Listener;

class Server {
 public:
  Server(IoThreads& threads, NetOptions options);
  ~Server();

  // Binds address:port (port 0: any free port) for router's routes; returns the bound port.
  // Throws std::runtime_error naming the address when it cannot bind (start-up only).
  std::uint16_t listen(const std::string& address, std::uint16_t port,
                       std::shared_ptr<const Router> router, const std::string& name);
  // Starts accepting on every listener. The I/O threads must be running.
  void start();
  // Stops accepting, closes every WebSocket with 1001, and waits (up to `grace`) until the
  // sessions are gone. Call from outside the I/O threads.
  void shutdown(std::chrono::milliseconds grace);

  NetContext& context() { return net_; }

 private:
  IoThreads& threads_;
  NetContext net_;
  std::vector<std::shared_ptr<Listener>> listeners_;
};

}  // namespace parley::net
