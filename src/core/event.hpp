#pragma once
// What a channel delivers to its subscribers. Immutable and shared: one event is rendered once
// per wire format, whatever the number of subscribers.
#include <boost/json/value.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "core/message.hpp"
#include "core/presence.hpp"

namespace parley::core {

// A dialect-specific broadcast with no canonical meaning (e.g. a custom Phoenix event).
struct Broadcast {
  std::string dialect;  // only subscribers of this dialect render it
  std::string event;
  boost::json::value payload;
};

struct Event {
  enum class Kind : std::uint8_t { message, presence_diff, broadcast };
  Kind kind = Kind::message;
  std::string channel;
  MessagePtr message;                          // Kind::message
  std::shared_ptr<const PresenceDiff> diff;    // Kind::presence_diff
  std::shared_ptr<const Broadcast> broadcast;  // Kind::broadcast
  // Kind::message: when its commit was reported (commit-to-socket latency); unset otherwise.
  std::chrono::steady_clock::time_point committed_at{};
};

using EventPtr = std::shared_ptr<const Event>;

}  // namespace parley::core
