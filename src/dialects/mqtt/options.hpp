#pragma once
// The MQTT broker's limits and policies ([mqtt] in the configuration).
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "core/rate_limit.hpp"

namespace parley::dialects::mqtt {

struct Options {
  // The largest packet accepted (its Remaining Length); a larger one closes the connection.
  std::size_t max_packet_bytes = 1024 * 1024;
  // QoS 1 and 2 messages sent to a client and not yet acknowledged, per session (1-65535).
  std::size_t max_inflight = 20;
  // Messages waiting per session (for the in-flight window, or for an offline client to come
  // back), and their bytes; past either, new ones are dropped for that session.
  std::size_t max_queued_messages = 1000;
  std::size_t max_queued_bytes = 4 * 1024 * 1024;
  // Topic filters one session may hold; past it a SUBSCRIBE's new filters get 0x80.
  std::size_t max_subscriptions = 100;
  // Persistent sessions (clean session 0) kept, connected or not; past it a CONNECT that would
  // create one more is refused with 0x03.
  std::size_t max_sessions = 10'000;
  // Retained messages kept; past it a retained publication on a new topic is delivered but not
  // retained.
  std::size_t max_retained = 10'000;
  // A connection must send CONNECT within this.
  std::chrono::milliseconds connect_timeout{10'000};
  // CONNECT without a user name is accepted (a user name is always checked).
  bool allow_anonymous = true;
  // An empty client id with clean session 1 gets a generated one (with 0 it is refused, 0x02).
  bool allow_zero_length_client_id = true;
  // Topic filters no client may subscribe to (SUBACK 0x80); a topic they match is not
  // delivered through a wider filter either.
  std::vector<std::string> deny_subscribe;
  // CONNECTs with a user name (password checks), per client address and per user name; past
  // either, CONNACK 0x03 without a check.
  core::RateLimit login_per_address{30, std::chrono::milliseconds(60'000)};
  core::RateLimit login_per_account{10, std::chrono::milliseconds(60'000)};
  // The clock of keep-alive and of the login limits; steady_clock::now when empty (tests inject
  // one).
  std::function<std::chrono::steady_clock::time_point()> clock;
};

}  // namespace parley::dialects::mqtt
