#include "net/endpoint.hpp"

namespace parley::net {

std::string endpoint_string(const boost::asio::ip::tcp::endpoint& ep) {
  auto addr = ep.address();
  return (addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string()) + ":" +
         std::to_string(ep.port());
}

std::string peer_string(const boost::asio::ip::tcp::socket& socket) {
  boost::system::error_code ec;
  auto ep = socket.remote_endpoint(ec);
  return ec ? "?" : endpoint_string(ep);
}

}  // namespace parley::net
