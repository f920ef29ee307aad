#include "net/io_threads.hpp"

#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <vector>

namespace parley::net {
namespace {

TEST(IoThreads, PostingOrderHoldsWhetherAThreadPostsToItselfOrAnotherDoes) {
  // Thread 0 posts "self" to itself, then, still inside the same handler, thread 1 posts
  // "other" to thread 0. Dispatcher::post promises posting order: "self" runs first.
  IoThreads threads(2);
  threads.start();
  std::mutex m;
  std::vector<std::string> order;
  std::promise<void> done;
  threads.post(0, [&] {
    threads.post(0, [&] {
      std::lock_guard lock(m);
      order.push_back("self");
    });
    std::promise<void> posted;
    threads.post(1, [&] {
      threads.post(0, [&] {
        {
          std::lock_guard lock(m);
          order.push_back("other");
        }
        done.set_value();
      });
      posted.set_value();
    });
    posted.get_future().wait();  // "other" is queued on thread 0 before this handler returns
  });
  done.get_future().wait();
  threads.stop_and_join();
  EXPECT_EQ(order, (std::vector<std::string>{"self", "other"}));
}

}  // namespace
}  // namespace parley::net
