#pragma once
// What a Concierge connection needs from its transport. Implemented by net's WebSocket session,
// and by a recording fake in the unit tests.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/sink.hpp"

namespace parley::dialects::concierge {

// A Concierge connection also pings its client and keeps time (IDENTIFY within 5 s, silence).
class Sink : public core::Sink {
 public:
  // Sends a WebSocket ping (empty payload).
  virtual void ping() = 0;
  // Runs fn on the connection's thread after delay, unless the connection is gone by then.
  virtual void after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
};

}  // namespace parley::dialects::concierge
