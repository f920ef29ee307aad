#pragma once
// The network's statistics, exposed at GET /metrics (with the core's and the store's: see
// core/stats.hpp for how they are recorded: per thread, summed when read).
//
// Labels: most figures are per system, the system being the one whose route or listener
// accepted the connection (WsAccept, StreamAccept, RawAccept::system). An HTTP connection
// counts as "http" until a route upgrades it to a WebSocket or a stream of a system.
#include <string>

#include "core/stats.hpp"
#include "net/system.hpp"

namespace parley::net {

struct Metrics {
  Metrics();
  // Gauges.
  core::stats::Gauge connections_open;  // per system
  core::stats::Gauge websockets_open;
  core::stats::Gauge streams_open;
  // Counters.
  core::stats::Counter connections_accepted;
  core::stats::Counter connections_refused;
  core::stats::Counter http_requests;
  core::stats::Counter messages_in;                // per system
  core::stats::Counter frames_out;                 // per system
  core::stats::Counter bytes_out;                  // per system
  core::stats::Counter slow_consumer_disconnects;  // per system
  core::stats::Counter slow_consumer_drops;        // per system
  core::stats::Counter protocol_errors;            // per system
  core::stats::Counter throttled;                  // per system
  core::stats::Counter admin_closes;               // sessions closed from the admin page

  // Every metric of the process (core, store, network), Prometheus text.
  std::string render() const;
};

Metrics& metrics();

}  // namespace parley::net
