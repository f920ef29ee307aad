#include "app/server_main.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>

#include "app/admin.hpp"
#include "app/landing.hpp"
#include "app/logging.hpp"
#include "app/system.hpp"
#include "core/local_broker.hpp"
#include "core/stats.hpp"
#include "net/common_routes.hpp"
#include "net/io_threads.hpp"
#include "net/server.hpp"
#include "storage/sqlite_store.hpp"

namespace parley::app {

namespace asio = boost::asio;

namespace {

net::NetOptions net_options(const Config& cfg) {
  net::NetOptions o;
  o.max_frame_bytes = cfg.limits.max_frame_bytes;
  o.max_queue_bytes = cfg.limits.max_queue_bytes;
  o.slow_consumer = cfg.limits.slow_consumer == SlowConsumerPolicy::drop
                        ? net::SlowConsumer::drop
                        : net::SlowConsumer::disconnect;
  o.max_connections = cfg.limits.max_connections;
  o.max_messages_per_second = cfg.limits.max_messages_per_second;
  o.max_http_body_bytes = cfg.limits.max_http_body_bytes;
  return o;
}

// Runs the store's retention every interval from I/O thread 0 (it only queues the work: the
// store's thread deletes). Lives on run_server's stack until the threads are joined.
class RetentionTimer {
 public:
  RetentionTimer(asio::io_context& ctx, core::MessageStore& store, const core::Retention& retention,
                 std::chrono::milliseconds every)
      : timer_(ctx), store_(store), retention_(retention), every_(every) {
    arm(std::chrono::milliseconds(1000));
  }

 private:
  void arm(std::chrono::milliseconds after) {
    timer_.expires_after(after);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      store_.apply_retention(retention_);
      arm(every_);
    });
  }

  asio::steady_timer timer_;
  core::MessageStore& store_;
  const core::Retention& retention_;
  std::chrono::milliseconds every_;
};

}  // namespace

int run_server(const Config& cfg) {
  setup_logging(cfg.log_level, cfg.log_format);
  // Caught from the start: a signal during start-up still means an orderly stop.
  asio::io_context signals_ctx(1);
  asio::signal_set signals(signals_ctx, SIGINT, SIGTERM);
  spdlog::info("parley {} starting: {} I/O threads, data in {}", PARLEY_VERSION, cfg.threads,
               cfg.storage.data_dir.string());

  std::unique_ptr<storage::SqliteStore> store;
  try {
    storage::SqliteStoreOptions store_options;
    store_options.max_pending_bytes = cfg.storage.max_pending_bytes;
    store = std::make_unique<storage::SqliteStore>(cfg.storage.data_dir / "parley.db",
                                                   std::move(store_options));
  } catch (const std::exception& e) {
    spdlog::critical("storage: {}", e.what());
    return 1;
  }

  // Declared before the threads so that it outlives them: a connection's handler still pending
  // in an io_context when the threads are destroyed may call into the broker.
  std::unique_ptr<core::LocalBroker> broker_owner;
  net::IoThreads threads(cfg.threads);
  core::LocalBrokerOptions broker_options;
  broker_options.ring_size = cfg.storage.ring_size;
  broker_options.ring_bytes = cfg.storage.ring_bytes;
  broker_options.cache_bytes = cfg.storage.cache_bytes;
  broker_options.idle_channels = cfg.storage.idle_channels;
  broker_options.max_channels = cfg.limits.max_channels;
  broker_options.retention = cfg.storage.retention;
  // Heavenland's history spans every channel: the broker keeps its last N (Broker::recent).
  if (cfg.heavenland.enabled) broker_options.recent_size = cfg.heavenland.history_limit;
  broker_owner = std::make_unique<core::LocalBroker>(threads, store.get(), broker_options);
  core::LocalBroker& broker = *broker_owner;
  // Channels are loaded on demand; only Heavenland's history of every channel is read now. A
  // store that cannot be read stops the start-up (offsets would otherwise restart at 1).
  auto stored_channels = store->channel_count();
  auto recent = store->load_recent(broker_options.recent_size);
  if (!stored_channels || !recent) {
    spdlog::critical("storage: cannot read {}; not starting",
                     (cfg.storage.data_dir / "parley.db").string());
    return 1;
  }
  broker.restore_recent(std::move(*recent));
  spdlog::info("storage: {} channels in the store, loaded on demand", *stored_channels);
  // Read when /metrics is (and by the admin page); gone before the broker and the store.
  core::stats::CallbackGauge store_queue(
      "parley_store_queue_depth", "Messages appended to the store and not yet committed.",
      [&store] { return static_cast<double>(store->pending()); });
  core::stats::CallbackGauge channels(
      "parley_channels", "Channels the broker holds in memory.",
      [&broker] { return static_cast<double>(broker.channel_count()); });
  core::stats::CallbackGauge idle_channels(
      "parley_channels_idle", "Channels in memory only for their history (evictable).",
      [&broker] { return static_cast<double>(broker.stats().idle); });
  core::stats::CallbackGauge cache_bytes(
      "parley_history_cache_bytes", "Bytes of messages held in the channels' history rings.",
      [&broker] { return static_cast<double>(broker.stats().cache_bytes); });

  net::Server server(threads, net_options(cfg));
  auto shared = std::make_shared<net::Router>();
  asio::thread_pool blocking(2);
  SystemContext ctx{
      cfg,     broker,
      threads, server,
      *shared, [&blocking](std::function<void()> fn) { asio::post(blocking, std::move(fn)); },
      {}};
  try {
    server.listen(cfg.http.listen.address, cfg.http.listen.port, shared, "http");
    for (const auto& [name, install] : systems()) install(ctx);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  std::shared_ptr<net::Admin> admin;
  try {
    admin = install_admin(ctx, [&store] { return store->pending(); });
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  // After the systems: a system may serve "/" itself (and fall back to the landing page).
  net::set_landing_data(landing_data(cfg));
  net::add_landing_route(*shared);
  net::add_asset_routes(*shared);

  RetentionTimer retention(threads.context(0), *store, cfg.storage.retention,
                           cfg.storage.retention_interval);
  threads.start();
  server.start();

  int received = 0;
  signals.async_wait([&](const boost::system::error_code&, int sig) { received = sig; });
  signals_ctx.run();

  spdlog::info("signal {}: shutting down", received);
  server.shutdown(std::chrono::milliseconds(3000));
  for (auto& fn : ctx.on_shutdown) fn();
  threads.stop_and_join();
  blocking.join();
  store->close();
  spdlog::info("bye");
  return 0;
}

}  // namespace parley::app
