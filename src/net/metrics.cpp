#include "net/metrics.hpp"

#include <spdlog/fmt/fmt.h>

namespace parley::net {

Metrics& metrics() {
  static Metrics m;
  return m;
}

std::string Metrics::render() const {
  std::string out;
  auto counter = [&](const char* name, const char* help, const auto& value) {
    out += fmt::format("# HELP parley_{} {}\n# TYPE parley_{} counter\nparley_{} {}\n", name, help,
                       name, name, value.load(std::memory_order_relaxed));
  };
  counter("connections_accepted_total", "TCP connections accepted.", connections_accepted);
  counter("connections_open", "TCP connections open now.", connections_open);
  counter("websockets_open", "WebSocket sessions open now.", websockets_open);
  counter("streams_open", "HTTP streams (Server-Sent Events) open now.", streams_open);
  counter("http_requests_total", "HTTP requests served.", http_requests);
  counter("frames_in_total", "WebSocket messages received.", frames_in);
  counter("frames_out_total", "Frames (WebSocket or stream) written whole to sockets.", frames_out);
  counter("bytes_out_total", "Bytes written to sockets by WebSocket sessions.", bytes_out);
  counter("slow_consumer_disconnects_total", "Sessions closed for falling behind.",
          slow_consumer_disconnects);
  counter("slow_consumer_drops_total", "Frames dropped for slow sessions (policy drop).",
          slow_consumer_drops);
  counter("protocol_errors_total", "Connections closed for protocol violations.", protocol_errors);
  counter("connections_refused_total", "Connections refused over max_connections.",
          connections_refused);
  counter("throttled_total", "Times a connection was read more slowly for sending too fast.",
          throttled);
  return out;
}

}  // namespace parley::net
