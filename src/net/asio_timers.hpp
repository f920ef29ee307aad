#pragma once
// core::Timers on the I/O threads: each delayed call is an Asio steady_timer on the calling I/O
// thread (or on the next one round robin when called from elsewhere).
#include "core/timers.hpp"
#include "net/io_threads.hpp"

namespace parley::net {

class AsioTimers final : public core::Timers {
 public:
  explicit AsioTimers(IoThreads& threads) : threads_(threads) {}
  // Timers still pending when the I/O threads stop are dropped unrun.
  void after(std::chrono::milliseconds delay, std::function<void()> fn) override;

 private:
  IoThreads& threads_;
};

}  // namespace parley::net
