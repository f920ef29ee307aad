#include "core/bounded_pool.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

namespace parley::core {

BoundedPool::BoundedPool(std::size_t threads, std::size_t max_queued) : max_queued_(max_queued) {
  for (std::size_t i = 0; i < std::max<std::size_t>(1, threads); ++i)
    threads_.emplace_back([this] { run(); });
}

BoundedPool::~BoundedPool() { stop(); }

bool BoundedPool::try_post(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    // Jobs beyond the idle threads wait: at most max_queued_ of them.
    if (stopping_ || jobs_.size() >= idle_ + max_queued_) return false;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

void BoundedPool::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    jobs_.clear();
  }
  wake_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

std::size_t BoundedPool::queued() const {
  std::lock_guard lock(mutex_);
  return jobs_.size();
}

void BoundedPool::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      ++idle_;
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      --idle_;
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    try {
      job();
    } catch (const std::exception& e) {
      spdlog::error("pool: a job threw: {}", e.what());
    } catch (...) {
      spdlog::error("pool: a job threw");
    }
  }
}

}  // namespace parley::core
