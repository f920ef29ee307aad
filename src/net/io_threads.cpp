#include "net/io_threads.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

namespace parley::net {

namespace {
thread_local int current_thread = -1;
}

IoThreads::IoThreads(std::size_t count) {
  if (count == 0) count = 1;
  for (std::size_t i = 0; i < count; ++i) {
    // Not concurrency hint 1: with it, Asio keeps what a thread posts to itself in a private
    // queue that joins the shared one only when the current handler returns, so work another
    // thread posted in between would run first. Dispatcher::post promises posting order (a
    // topic's broadcasts reach every subscriber in revision order), whoever posts.
    contexts_.push_back(
        std::make_unique<boost::asio::io_context>(BOOST_ASIO_CONCURRENCY_HINT_SAFE));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
}

IoThreads::~IoThreads() { stop_and_join(); }

int IoThreads::current() { return current_thread; }

void IoThreads::post(std::size_t thread, std::function<void()> fn) {
  boost::asio::post(*contexts_[thread], std::move(fn));
}

void IoThreads::start() {
  for (std::size_t i = 0; i < contexts_.size(); ++i) {
    threads_.emplace_back([this, i] {
      current_thread = static_cast<int>(i);
      for (;;) {
        try {
          contexts_[i]->run();
          break;
        } catch (const std::exception& e) {
          // A handler threw: a bug, not bad input (the data path does not throw). Log, go on.
          spdlog::critical("io thread {}: unexpected exception: {}", i, e.what());
        }
      }
    });
  }
}

void IoThreads::stop_and_join() {
  for (auto& g : guards_) g.reset();
  for (auto& c : contexts_) c->stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

}  // namespace parley::net
