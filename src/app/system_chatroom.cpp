// ChatRoom: synchronized topics and client-to-client services on GET /chatroom, on any path of
// its own listener when [chatroom] listen is set, and the debugger on a listener of its own
// (127.0.0.1:8800) when DEBUG=true is in the environment or [chatroom] debug is set.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>

#include "app/system.hpp"
#include "dialects/chatroom/debug_feed.hpp"
#include "net/asio_timers.hpp"
#include "net/chatroom_debug_routes.hpp"
#include "net/chatroom_routes.hpp"
#include "net/common_routes.hpp"
#include "storage/sqlite_topic_store.hpp"
#include "topics/sync_hub.hpp"

namespace parley::app {

namespace {

// DEBUG=true (also 1, yes; any case), as the original read it.
bool debug_from_environment() {
  const char* value = std::getenv("DEBUG");
  if (!value) return false;
  std::string v(value);
  std::transform(v.begin(), v.end(), v.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return v == "true" || v == "1" || v == "yes";
}

bool is_loopback(const std::string& address) {
  return address == "localhost" || address == "::1" || address.rfind("127.", 0) == 0;
}

// Everything ChatRoom keeps for the life of the process. Kept alive by the shutdown hook, which
// the server holds until its I/O threads are joined.
struct ChatroomSystem {
  ChatroomSystem(SystemContext& ctx, topics::SyncHubOptions options)
      : timers(ctx.threads), hub(ctx.broker, ctx.threads, timers, std::move(options)) {}
  net::AsioTimers timers;
  topics::SyncHub hub;
  std::unique_ptr<storage::SqliteTopicStore> store;
  std::unique_ptr<dialects::chatroom::DebugFeed> feed;
};

}  // namespace

void install_chatroom(SystemContext& ctx) {
  const ChatroomConfig& cfg = ctx.config.chatroom;
  if (!cfg.enabled) return;
  topics::SyncHubOptions hub_options;
  hub_options.request_timeout = cfg.request_timeout;
  auto sys = std::make_shared<ChatroomSystem>(ctx, hub_options);

  // Topics: read once now (start-up may block), written by the store's own thread from then on.
  sys->store =
      std::make_unique<storage::SqliteTopicStore>(ctx.config.storage.data_dir / "chatroom.db");
  auto records = sys->store->load();
  sys->hub.restore(records);
  spdlog::info("chatroom: {} topics restored from {}", records.size(), sys->store->path().string());
  sys->hub.set_store(sys->store.get());
  sys->store->start([hub = &sys->hub](const std::string& topic) { return hub->record(topic); });
  ctx.on_shutdown.push_back([sys] { sys->store->close(); });

  net::ChatroomOptions options;
  options.idle_timeout = cfg.idle_timeout;
  options.connection.max_subscriptions = ctx.config.limits.max_channels_per_connection;
  net::add_chatroom_routes(ctx.shared, sys->hub, options, "/chatroom");
  if (cfg.listen) {
    auto own = std::make_shared<net::Router>();
    net::add_chatroom_routes(*own, sys->hub, options, "/*");  // the original: any path
    net::add_asset_routes(*own);
    ctx.listen(*cfg.listen, own, "chatroom");
  }

  if (cfg.debug || debug_from_environment()) {
    sys->feed = std::make_unique<dialects::chatroom::DebugFeed>(ctx.broker, sys->hub);
    sys->hub.set_observer(sys->feed.get());
    auto debug = std::make_shared<net::Router>();
    net::add_chatroom_debug_routes(*debug, ctx.broker, *sys->feed);
    net::add_asset_routes(*debug);
    ctx.listen(cfg.debug_listen, debug, "chatroom-debug");
    if (!is_loopback(cfg.debug_listen.address))
      spdlog::warn("chatroom: the debugger listens on {}: whoever reaches it sees every topic",
                   cfg.debug_listen.to_string());
  }
}

}  // namespace parley::app
