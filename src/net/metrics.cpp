#include "net/metrics.hpp"

namespace parley::net {

namespace {
core::stats::Label systems() {
  core::stats::Label label{"system", {}};
  for (auto n : kSystemNames) label.values.emplace_back(n);
  return label;
}
}  // namespace

Metrics::Metrics()
    : connections_open("parley_connections_open",
                       "TCP connections open now, by the system that accepted them (http: not "
                       "upgraded).",
                       systems()),
      websockets_open("parley_websockets_open", "WebSocket sessions open now."),
      streams_open("parley_streams_open",
                   "Byte streams open now (HTTP streams: Server-Sent Events; raw TCP)."),
      connections_accepted("parley_connections_accepted_total", "TCP connections accepted."),
      connections_refused("parley_connections_refused_total",
                          "Connections refused over max_connections."),
      http_requests("parley_http_requests_total", "HTTP requests served."),
      messages_in("parley_messages_in_total",
                  "Messages received from clients (WebSocket messages; Chat SSE publishes).",
                  systems()),
      frames_out("parley_frames_out_total",
                 "Frames (WebSocket messages or stream events) written whole to sockets: the "
                 "deliveries.",
                 systems()),
      bytes_out("parley_bytes_out_total", "Bytes written to sockets by long-lived connections.",
                systems()),
      slow_consumer_disconnects("parley_slow_consumer_disconnects_total",
                                "Connections closed for falling behind.", systems()),
      slow_consumer_drops("parley_slow_consumer_drops_total",
                          "Frames dropped for slow connections (policy drop).", systems()),
      protocol_errors("parley_protocol_errors_total", "Connections closed for protocol violations.",
                      systems()),
      throttled("parley_throttled_total",
                "Times a connection was read more slowly for sending too fast.", systems()),
      admin_closes("parley_admin_closes_total", "Sessions closed from the admin page.") {}

Metrics& metrics() {
  static Metrics* m = new Metrics;  // never destroyed: threads may record until the very end
  return *m;
}

// Defined at start-up, not on the first record, so that /metrics lists every figure at once.
[[maybe_unused]] static Metrics& defined_early = metrics();

std::string Metrics::render() const { return core::stats::render(); }

}  // namespace parley::net
