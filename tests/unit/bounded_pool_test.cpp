#include "core/bounded_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace parley::core {
namespace {

TEST(BoundedPool, RefusesPastItsQueueAndRunsTheRest) {
  BoundedPool pool(1, 2);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(pool.try_post([&started, released] {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();  // the one thread is busy
  std::atomic<int> ran{0};
  EXPECT_TRUE(pool.try_post([&ran] { ++ran; }));
  EXPECT_TRUE(pool.try_post([&ran] { ++ran; }));
  EXPECT_FALSE(pool.try_post([&ran] { ran += 100; })) << "two wait already";
  EXPECT_EQ(pool.queued(), 2u);
  release.set_value();
  std::promise<void> last;
  while (!pool.try_post([&last] { last.set_value(); })) std::this_thread::yield();
  last.get_future().wait();
  EXPECT_EQ(ran, 2);
}

TEST(BoundedPool, StopDropsWhatIsQueuedAndRefusesMore) {
  std::atomic<int> ran{0};
  BoundedPool pool(1, 4);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> started;
  pool.try_post([&started, released] {
    started.set_value();
    released.wait();
  });
  started.get_future().wait();
  pool.try_post([&ran] { ++ran; });
  std::thread stopper([&pool] { pool.stop(); });
  while (pool.queued() != 0) std::this_thread::yield();  // stop() dropped it
  release.set_value();
  stopper.join();
  EXPECT_EQ(ran, 0);
  EXPECT_FALSE(pool.try_post([&ran] { ++ran; }));
}

TEST(BoundedPool, AThrowingJobDoesNotStopTheThread) {
  BoundedPool pool(1, 1);
  ASSERT_TRUE(pool.try_post([] { throw std::runtime_error("boom"); }));
  std::promise<void> done;
  while (!pool.try_post([&done] { done.set_value(); })) std::this_thread::yield();
  done.get_future().wait();
}

}  // namespace
}  // namespace parley::core
