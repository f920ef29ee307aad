#include "dialects/chatroom/debug_feed.hpp"

#include <boost/json/serialize.hpp>
#include <chrono>

namespace parley::dialects::chatroom {

namespace json = boost::json;

DebugFeed::DebugFeed(core::Broker& broker, const topics::SyncHub& hub, std::size_t log_size,
                     std::function<std::int64_t()> now_ms)
    : broker_(broker), hub_(hub), log_size_(log_size), now_ms_(std::move(now_ms)) {
  if (!now_ms_) {
    now_ms_ = [] {
      using namespace std::chrono;
      return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    };
  }
}

json::object DebugFeed::snapshot() const {
  std::uint64_t seq;
  json::array log;
  {
    std::lock_guard lock(mutex_);
    seq = seq_;  // read first: every event up to seq is in the hub's state read below
    for (const auto& e : log_) log.push_back(e);
  }
  json::object out = hub_.snapshot();
  out["kind"] = "snapshot";
  out["seq"] = seq;
  out["log"] = std::move(log);
  return out;
}

std::string DebugFeed::render_sse(const json::object& event) {
  std::string out = "id: ";
  if (const json::value* seq = event.if_contains("seq")) out += json::serialize(*seq);
  out += "\ndata: ";
  out += json::serialize(event);  // one line: JSON text has no raw newlines
  out += "\n\n";
  return out;
}

void DebugFeed::emit(std::string_view kind, json::object event, json::value state) {
  std::lock_guard lock(mutex_);
  event["seq"] = ++seq_;
  event["kind"] = kind;
  event["time_ms"] = now_ms_();
  log_.push_back(event);
  while (log_.size() > log_size_) log_.pop_front();
  if (!state.is_null()) event["state"] = std::move(state);
  auto b = std::make_shared<core::Broadcast>();
  b->dialect = kDialect;
  b->event = kind;
  b->payload = std::move(event);
  broker_.broadcast(std::string(kChannel), std::move(b));
}

void DebugFeed::on_client(std::uint64_t id, const std::string& peer, bool connected) {
  emit(connected ? "client_connected" : "client_disconnected",
       json::object{{"client", id}, {"peer", peer}});
}

void DebugFeed::on_topic(const topics::TopicState& topic, const json::object* change,
                         std::uint64_t client) {
  json::object state{{"name", topic.name},
                     {"type", topics::topic_type_name(topic.type)},
                     {"value", topic.value},
                     {"version", topic.version},
                     {"revision", topic.revision}};
  json::object event{{"topic", topic.name}, {"client", client}};
  if (change) event["change"] = *change;
  emit(change ? "topic_changed" : "topic_created", std::move(event), std::move(state));
}

void DebugFeed::on_rejected(const std::string& topic, const json::object& change,
                            const std::string& reason, std::uint64_t client) {
  emit("change_rejected",
       json::object{{"topic", topic}, {"change", change}, {"reason", reason}, {"client", client}});
}

void DebugFeed::on_topic_removed(const std::string& topic) {
  emit("topic_removed", json::object{{"topic", topic}});
}

void DebugFeed::on_service(const std::string& name, std::uint64_t provider) {
  emit(provider ? "service_registered" : "service_unregistered",
       json::object{{"service", name}, {"provider", provider}});
}

}  // namespace parley::dialects::chatroom
