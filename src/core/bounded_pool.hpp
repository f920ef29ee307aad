#pragma once
// A fixed set of threads running queued jobs, with a bound on the jobs waiting: past it,
// try_post() refuses and the caller answers "busy" at once, so a flood of expensive work (e.g.
// password hashing) neither grows memory nor delays other pools' work.
//
// Threading: try_post() is thread-safe. stop() (or the destructor) lets the running jobs finish,
// drops the queued ones unrun, and joins; jobs posted after it are refused.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace parley::core {

class BoundedPool {
 public:
  // threads >= 1; max_queued: jobs waiting for a thread at most (0: none wait, a job runs only
  // when a thread is idle).
  BoundedPool(std::size_t threads, std::size_t max_queued);
  ~BoundedPool();
  BoundedPool(const BoundedPool&) = delete;
  BoundedPool& operator=(const BoundedPool&) = delete;

  // Queues job; false (and job dropped, not run) when max_queued jobs wait already, or after
  // stop(). A job that throws is logged; the thread goes on.
  bool try_post(std::function<void()> job);
  // Drops what is queued, waits for the running jobs, joins the threads. Idempotent.
  void stop();

  std::size_t queued() const;

 private:
  void run();

  const std::size_t max_queued_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  std::size_t idle_ = 0;  // threads waiting for a job
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace parley::core
