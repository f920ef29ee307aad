#pragma once
// N I/O threads, each running its own io_context. A connection lives on one of them for its
// whole life, so its state needs no lock; other threads reach it only by posting.
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "core/subscriber.hpp"

namespace parley::net {

class IoThreads final : public core::Dispatcher {
 public:
  explicit IoThreads(std::size_t count);
  ~IoThreads() override;

  std::size_t thread_count() const override { return contexts_.size(); }
  void post(std::size_t thread, std::function<void()> fn) override;

  boost::asio::io_context& context(std::size_t thread) { return *contexts_[thread]; }
  // The thread a new connection goes to (round robin).
  std::size_t next() { return next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size(); }
  // The index of the calling I/O thread, or -1 when called from elsewhere.
  static int current();

  void start();
  // Stops the contexts (pending handlers are dropped) and joins the threads.
  void stop_and_join();

 private:
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace parley::net
