// The chat service's socket: a Beast WebSocket client (the client side is the only place Parley
// uses Beast's websocket::stream; the server has its own codec). Synchronous, one thread: it is
// a single connection doing little.
#include "app/concierge_chat.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <thread>

#include "dialects/concierge/chat_service.hpp"
#include "dialects/concierge/payload.hpp"

namespace parley::app {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::system::error_code;

namespace {

struct Address {
  std::string host;
  std::string port;
  std::string target;  // path and query
};

bool parse_ws_url(const std::string& url, Address& out, std::string& error) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    error = "not a URL";
    return false;
  }
  if (parsed->scheme() != "ws") {
    error = "only ws:// URLs are supported";
    return false;
  }
  out.host = parsed->host();
  if (out.host.empty()) {
    error = "no host";
    return false;
  }
  if (out.host.size() > 2 && out.host.front() == '[')
    out.host = out.host.substr(1, out.host.size() - 2);
  out.port = parsed->has_port() ? std::string(parsed->port()) : "80";
  out.target = parsed->encoded_path().empty() ? "/" : std::string(parsed->encoded_path());
  if (parsed->has_query()) out.target += "?" + std::string(parsed->encoded_query());
  return true;
}

// A server that vanishes without closing (power, network) would leave the read waiting for
// ever: TCP keep-alive probes find it gone within about 35 s.
void keep_alive(asio::ip::tcp::socket& socket) {
  int fd = socket.native_handle();
  int on = 1, idle = 20, interval = 5, count = 3;
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

// One connection, from connect to the first error. Returns why it ended.
std::string serve_once(const Address& at, dialects::concierge::ChatService& chat,
                       bool& identified) {
  asio::io_context ctx;
  error_code ec;
  asio::ip::tcp::resolver resolver(ctx);
  auto endpoints = resolver.resolve(at.host, at.port, ec);
  if (ec) return "resolve: " + ec.message();
  websocket::stream<beast::tcp_stream> ws(ctx);
  beast::get_lowest_layer(ws).connect(endpoints, ec);
  if (ec) return "connect: " + ec.message();
  keep_alive(beast::get_lowest_layer(ws).socket());
  ws.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
    req.set(beast::http::field::sec_websocket_protocol,
            std::string(dialects::concierge::kSubprotocol));
    req.set(beast::http::field::user_agent, "parley concierge-chat");
  }));
  ws.handshake(at.host + ":" + at.port, at.target, ec);
  if (ec) return "handshake: " + ec.message();
  ws.text(true);
  ws.write(asio::buffer(chat.on_connected()), ec);
  if (ec) return "write: " + ec.message();
  spdlog::info("chat service: connected to ws://{}:{}{}", at.host, at.port, at.target);
  beast::flat_buffer buffer;
  for (;;) {
    buffer.clear();
    ws.read(buffer, ec);
    if (ec == websocket::error::closed)
      return "closed by the server (" + std::to_string(ws.reason().code) + " " +
             std::string(ws.reason().reason.data(), ws.reason().reason.size()) + ")";
    if (ec) return "read: " + ec.message();
    std::string text = beast::buffers_to_string(buffer.data());
    for (auto& reply : chat.on_payload(text)) {
      ws.write(asio::buffer(reply), ec);
      if (ec) return "write: " + ec.message();
    }
    if (chat.uuid()) identified = true;
  }
}

}  // namespace

int run_concierge_chat(const std::string& url) {
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  Address at;
  std::string error;
  if (!parse_ws_url(url, at, error)) {
    spdlog::error("chat service: {}: {}", url, error);
    return 2;
  }
  dialects::concierge::ChatService chat;
  auto delay = std::chrono::milliseconds(500);
  for (;;) {
    bool identified = false;
    std::string why = serve_once(at, chat, identified);
    if (identified) delay = std::chrono::milliseconds(500);  // it worked: retry quickly
    spdlog::warn("chat service: {}; reconnecting in {} ms", why, delay.count());
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(5000));
  }
}

}  // namespace parley::app
