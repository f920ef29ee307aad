#pragma once
// ChatRoom on HTTP: its WebSocket endpoint, bound to the dialect and the SyncHub.
#include <chrono>
#include <string>

#include "dialects/chatroom/connection.hpp"
#include "net/router.hpp"
#include "topics/sync_hub.hpp"

namespace parley::net {

struct ChatroomOptions {
  std::chrono::milliseconds idle_timeout{0};  // 0: none (the original had no idle timeout)
  dialects::chatroom::ConnectionOptions connection;
};

// A WebSocket route at pattern ("/chatroom" on the shared listener, "/*" on ChatRoom's own,
// which the original served on any path). ?envelope=args answers with "args" instead of
// "content"; any other value is refused with 400. hub must outlive the router.
void add_chatroom_routes(Router& router, topics::SyncHub& hub, ChatroomOptions options,
                         const std::string& pattern);

}  // namespace parley::net
