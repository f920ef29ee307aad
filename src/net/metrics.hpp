#pragma once
// Process-wide counters, exposed at GET /metrics in Prometheus text format.
#include <atomic>
#include <cstdint>
#include <string>

namespace parley::net {

struct Metrics {
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::int64_t> connections_open{0};
  std::atomic<std::int64_t> websockets_open{0};
  std::atomic<std::int64_t> streams_open{0};
  std::atomic<std::uint64_t> http_requests{0};
  std::atomic<std::uint64_t> frames_in{0};
  std::atomic<std::uint64_t> frames_out{0};
  std::atomic<std::uint64_t> bytes_out{0};
  std::atomic<std::uint64_t> slow_consumer_disconnects{0};
  std::atomic<std::uint64_t> slow_consumer_drops{0};
  std::atomic<std::uint64_t> protocol_errors{0};
  std::atomic<std::uint64_t> connections_refused{0};
  std::atomic<std::uint64_t> throttled{0};

  std::string render() const;
};

Metrics& metrics();

}  // namespace parley::net
