#pragma once
// Starts serving HTTP on an accepted socket: requests are routed by the listener's router; a
// WebSocket upgrade hands the socket to a Connection. The only Beast-heavy translation unit.
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "net/net_context.hpp"
#include "net/router.hpp"

namespace parley::net {

void serve_http(boost::asio::ip::tcp::socket socket, NetContext& net, std::size_t thread,
                std::shared_ptr<const Router> router);

}  // namespace parley::net
