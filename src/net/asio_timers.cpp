#include "net/asio_timers.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

namespace parley::net {

namespace asio = boost::asio;

void AsioTimers::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  int current = IoThreads::current();
  std::size_t thread = current >= 0 ? static_cast<std::size_t>(current) : threads_.next();
  asio::io_context& ctx = threads_.context(thread);
  // Armed on the timer's own thread: an Asio timer object is not thread-safe.
  asio::post(ctx, [&ctx, delay, fn = std::move(fn)]() mutable {
    auto timer = std::make_shared<asio::steady_timer>(ctx, delay);
    timer->async_wait([timer, fn = std::move(fn)](const boost::system::error_code& ec) {
      if (!ec) fn();
    });
  });
}

}  // namespace parley::net
