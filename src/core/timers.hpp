#pragma once
// Delayed work for the core, which has no event loop of its own. Implemented by net (Asio
// timers on the I/O threads) and by a manual clock in the unit tests.
#include <chrono>
#include <functional>

namespace parley::core {

class Timers {
 public:
  virtual ~Timers() = default;
  // Runs fn once, on some I/O thread, after delay. Thread-safe. There is no cancel: fn checks
  // whether it is still wanted. Never runs fn inline. fn may be dropped unrun at shutdown.
  virtual void after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
};

}  // namespace parley::core
