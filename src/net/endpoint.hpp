#pragma once
#include <boost/asio/ip/tcp.hpp>
#include <string>

namespace parley::net {

// "ADDR:PORT", with IPv6 addresses in brackets: how peers and listeners appear in logs.
std::string endpoint_string(const boost::asio::ip::tcp::endpoint& ep);
// The socket's remote endpoint as above, or "?" when it has none (already reset).
std::string peer_string(const boost::asio::ip::tcp::socket& socket);

}  // namespace parley::net
