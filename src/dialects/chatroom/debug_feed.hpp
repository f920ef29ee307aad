#pragma once
// The debugger's view of the hub: a SyncObserver that numbers every event (client connected or
// gone, topic created or changed, change rejected, service registered or gone), keeps the latest
// ones as a log, and broadcasts each on the broker channel kChannel as
// Broadcast{kDialect, kind, event}, so debugger pages on any I/O thread receive them in order.
//
// A page first subscribes to kChannel, then reads snapshot(): events with seq <= the
// snapshot's seq are already in it. A topic event carries the topic's whole state, so applying
// one twice is harmless.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

#include "core/broker.hpp"
#include "topics/sync_hub.hpp"

namespace parley::dialects::chatroom {

class DebugFeed final : public topics::SyncObserver {
 public:
  static constexpr std::string_view kChannel = "chatroom/debug";
  static constexpr std::string_view kDialect = "chatroom-debug";
  static constexpr std::uint32_t kFormatSse = 0x6310;

  // hub is only read (snapshot); now_ms: unix time in ms (system clock when empty).
  DebugFeed(core::Broker& broker, const topics::SyncHub& hub, std::size_t log_size = 200,
            std::function<std::int64_t()> now_ms = {});

  // {"kind": "snapshot", "seq", "clients", "topics", "services", "log": [events, oldest first]}
  boost::json::object snapshot() const;

  // One Server-Sent Event for a feed event: "id: <seq>\ndata: <json>\n\n".
  static std::string render_sse(const boost::json::object& event);

  void on_client(std::uint64_t id, const std::string& peer, bool connected) override;
  void on_topic(const topics::TopicState& topic, const boost::json::object* change,
                std::uint64_t client) override;
  void on_rejected(const std::string& topic, const boost::json::object& change,
                   const std::string& reason, std::uint64_t client) override;
  void on_topic_removed(const std::string& topic) override;
  void on_service(const std::string& name, std::uint64_t provider) override;

 private:
  // Numbers the event, logs it (without `state`, which only the live event carries) and
  // broadcasts it, all under one lock so that pages see seq order.
  void emit(std::string_view kind, boost::json::object event, boost::json::value state = nullptr);

  core::Broker& broker_;
  const topics::SyncHub& hub_;
  const std::size_t log_size_;
  std::function<std::int64_t()> now_ms_;
  mutable std::mutex mutex_;
  std::uint64_t seq_ = 0;
  std::deque<boost::json::object> log_;
};

}  // namespace parley::dialects::chatroom
