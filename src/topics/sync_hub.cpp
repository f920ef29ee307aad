// SyncHub: clients and topics. Services are in sync_hub_services.cpp.
#include "topics/sync_hub.hpp"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

namespace parley::topics {

namespace json = boost::json;

struct SyncHub::Waiting {
  std::uint64_t client = 0;
  json::object change;                     // as the client sent it
  std::optional<PreparedChange> prepared;  // while its validator is asked
};

struct SyncHub::Slot {
  explicit Slot(TopicState s) : state(std::move(s)) {}
  std::mutex mutex;
  TopicState state;
  std::deque<Waiting> queue;  // the head waits for a validator when its `prepared` is set
  std::uint64_t validation_seq = 0;
  std::size_t value_watchers = 0;  // subscribers that asked for the value after each change
  bool removed = false;
};

SyncHub::SyncHub(core::Broker& broker, core::Dispatcher& dispatcher, core::Timers& timers,
                 SyncHubOptions options)
    : broker_(broker),
      dispatcher_(dispatcher),
      timers_(timers),
      options_(std::move(options)),
      relay_(options_.max_pending_requests) {
  // Server ids are "0_<n>"; n starts at the time in microseconds so that ids stay unique across
  // restarts (they become string topic versions, which are stored).
  auto now = std::chrono::system_clock::now().time_since_epoch();
  next_id_ = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(now).count());
  ids_ = [this] { return make_id(); };
  if (!options_.status_topic.empty()) {
    TopicState status(options_.status_topic, TopicType::string);
    status.value = "server started";
    topics_.emplace(options_.status_topic, std::make_shared<Slot>(std::move(status)));
  }
}

SyncHub::~SyncHub() = default;

std::string SyncHub::make_id() { return "0_" + std::to_string(++next_id_); }

void SyncHub::restore(const std::vector<TopicRecord>& records) {
  std::lock_guard lock(registry_mutex_);
  for (const auto& r : records) {
    if (reserved(r.name)) continue;
    auto state = TopicState::from_record(r);
    if (!state) {
      spdlog::error("chatroom: stored topic '{}' is unreadable; skipped", r.name);
      continue;
    }
    topics_[r.name] = std::make_shared<Slot>(std::move(*state));
  }
}

std::optional<TopicRecord> SyncHub::record(const std::string& topic) const {
  if (reserved(topic)) return std::nullopt;
  auto slot = find(topic);
  if (!slot) return std::nullopt;
  std::lock_guard lock(slot->mutex);
  if (slot->removed) return std::nullopt;
  return slot->state.to_record();
}

std::shared_ptr<SyncHub::Slot> SyncHub::find(const std::string& topic) const {
  std::lock_guard lock(registry_mutex_);
  auto it = topics_.find(topic);
  return it == topics_.end() ? nullptr : it->second;
}

std::shared_ptr<SyncHub::Slot> SyncHub::find_or_create(const std::string& topic,
                                                       std::optional<TopicType> type, bool& created,
                                                       std::string& error) {
  std::lock_guard lock(registry_mutex_);
  if (auto it = topics_.find(topic); it != topics_.end()) return it->second;
  if (!type) {
    error = fmt::format("topic '{}' does not exist: subscribe with its type to create it", topic);
    return nullptr;
  }
  if (topics_.size() >= options_.max_topics) {
    error = fmt::format("cannot create topic '{}': the server has {} topics already", topic,
                        topics_.size());
    return nullptr;
  }
  auto slot = std::make_shared<Slot>(TopicState(topic, *type));
  topics_.emplace(topic, slot);
  created = true;
  return slot;
}

std::string_view SyncHub::topic_of_channel(std::string_view channel) const {
  if (!channel.starts_with(options_.channel_prefix)) return {};
  return channel.substr(options_.channel_prefix.size());
}

// ---- clients ----------------------------------------------------------------------------------

std::uint64_t SyncHub::connect(std::size_t thread, std::weak_ptr<SyncClient> client,
                               std::string peer) {
  std::uint64_t id = ++next_client_;
  {
    std::lock_guard lock(clients_mutex_);
    clients_.emplace(id, ClientEntry{thread, std::move(client), peer});
  }
  if (observer_) observer_->on_client(id, peer, true);
  set_status(fmt::format("client {} connected", id));
  return id;
}

void SyncHub::disconnect(std::uint64_t client) {
  std::string peer;
  {
    std::lock_guard lock(clients_mutex_);
    auto it = clients_.find(client);
    if (it == clients_.end()) return;
    peer = std::move(it->second.peer);
    clients_.erase(it);
  }
  auto departure = relay_.leave(client);
  for (const auto& name : departure.services) {
    spdlog::info("chatroom: service '{}' gone with its provider, client {}", name, client);
    if (observer_) observer_->on_service(name, 0);
  }
  for (auto& [id, caller] : departure.owed)
    answer(caller, std::nullopt,
           fmt::format("the provider of '{}' disconnected before responding", caller.service));
  remove_topic(options_.client_message_prefix + std::to_string(client));
  if (observer_) observer_->on_client(client, peer, false);
  set_status(fmt::format("client {} disconnected", client));
}

void SyncHub::send_private(std::uint64_t client, std::string_view kind, json::object content) {
  ClientEntry entry;
  {
    std::lock_guard lock(clients_mutex_);
    auto it = clients_.find(client);
    if (it == clients_.end()) return;
    entry = it->second;
  }
  dispatcher_.post(entry.thread, [weak = std::move(entry.client), kind = std::string(kind),
                                  content = std::move(content)] {
    if (auto c = weak.lock()) c->deliver_private(kind, content);
  });
}

void SyncHub::message_client(std::uint64_t client, std::string text) {
  std::string topic = options_.client_message_prefix + std::to_string(client);
  if (options_.client_message_prefix.empty() || !find(topic)) return;
  std::size_t thread = 0;
  {
    std::lock_guard lock(clients_mutex_);
    auto it = clients_.find(client);
    if (it == clients_.end()) return;
    thread = it->second.thread;
  }
  // Posted: the caller may hold another topic's mutex.
  dispatcher_.post(thread, [this, topic = std::move(topic), text = std::move(text)]() mutable {
    server_set(topic, json::string(text));
  });
}

// ---- topics -----------------------------------------------------------------------------------

std::variant<SyncHub::Subscribed, std::string> SyncHub::subscribe(
    std::uint64_t client, std::size_t thread, core::Subscriber* s, const std::string& topic,
    std::optional<TopicType> type, bool wants_values) {
  if (topic.empty() || topic.size() > options_.max_name_bytes)
    return fmt::format("a topic name is 1 to {} bytes", options_.max_name_bytes);
  bool created = false;
  std::string error;
  std::shared_ptr<Slot> slot;
  bool is_reserved = reserved(topic);
  if (!is_reserved) {
    slot = find_or_create(topic, type, created, error);
  } else if (topic == options_.status_topic) {
    slot = find(topic);
  } else if (!options_.client_message_prefix.empty() &&
             topic.starts_with(options_.client_message_prefix)) {
    std::string_view suffix = std::string_view(topic).substr(options_.client_message_prefix.size());
    std::uint64_t id = 0;
    auto [end, ec] = std::from_chars(suffix.data(), suffix.data() + suffix.size(), id);
    bool connected = false;
    if (ec == std::errc{} && end == suffix.data() + suffix.size()) {
      std::lock_guard lock(clients_mutex_);
      connected = clients_.contains(id);
    }
    if (connected)
      slot = find_or_create(topic, TopicType::string, created, error);
    else
      error = fmt::format("'{}' is not the message topic of a connected client", topic);
  }
  if (!slot) {
    if (error.empty()) error = fmt::format("'{}' is reserved for the server's own topics", topic);
    return error;
  }

  // Subscribed first, then the value read: a change after the read reaches s, and s drops the
  // ones the value already holds by their revision.
  if (auto outcome = broker_.subscribe(channel_of(topic), thread, s); outcome != core::Outcome::ok)
    return fmt::format("topic '{}': {}", topic, core::describe(outcome));
  Subscribed out;
  {
    std::lock_guard lock(slot->mutex);
    if (slot->removed) {
      broker_.unsubscribe(channel_of(topic), thread, s);
      return fmt::format("topic '{}' was removed", topic);
    }
    out.type = slot->state.type;
    out.revision = slot->state.revision;
    out.change = snapshot_change(slot->state, ids_);
    out.type_differs = !is_reserved && type && *type != slot->state.type;
    out.created = created;
    if (wants_values) ++slot->value_watchers;
    if (created && observer_) observer_->on_topic(slot->state, nullptr, client);
  }
  if (created && !is_reserved) {
    spdlog::info("chatroom: client {} created topic '{}' ({})", client, topic,
                 topic_type_name(out.type));
    if (store_) store_->dirty(topic);
    set_status(fmt::format("topic '{}' created ({})", topic, topic_type_name(out.type)));
  }
  return out;
}

void SyncHub::unsubscribe(std::size_t thread, core::Subscriber* s, const std::string& topic,
                          bool wants_values) {
  broker_.unsubscribe(channel_of(topic), thread, s);
  if (!wants_values) return;
  if (auto slot = find(topic)) {
    std::lock_guard lock(slot->mutex);
    if (slot->value_watchers > 0) --slot->value_watchers;
  }
}

void SyncHub::update(std::uint64_t client, const std::string& topic, json::object change) {
  if (reserved(topic))
    return reject(client, topic, std::move(change),
                  fmt::format("topic '{}' is written by the server only", topic));
  auto slot = find(topic);
  if (!slot)
    return reject(
        client, topic, std::move(change),
        fmt::format("topic '{}' does not exist: subscribe with its type to create it", topic));
  std::lock_guard lock(slot->mutex);
  if (!slot->queue.empty()) {  // a validation is under way: keep the order
    if (slot->queue.size() >= options_.max_queued_changes)
      return reject(client, topic, std::move(change),
                    fmt::format("too many changes to '{}' are waiting for validation", topic));
    slot->queue.push_back(Waiting{client, std::move(change), std::nullopt});
    return;
  }
  process(*slot, Waiting{client, std::move(change), std::nullopt});
}

bool SyncHub::process(Slot& slot, Waiting w) {
  const std::string& topic = slot.state.name;
  auto prepared = prepare_change(slot.state, w.change, ids_, options_.limits);
  if (auto* reason = std::get_if<std::string>(&prepared)) {
    reject(w.client, topic, std::move(w.change), std::move(*reason));
    return true;
  }
  auto& p = std::get<PreparedChange>(prepared);
  std::string validator = options_.validator_prefix + topic;
  if (options_.validator_prefix.empty() || !relay_.provider_of(validator)) {
    apply(slot, p, w.client);
    return true;
  }

  TopicState preview(topic, slot.state.type);  // the value as it would be
  preview.value = slot.state.value;
  preview.version = slot.state.version;
  commit_change(preview, p, options_.limits);
  json::object args{{"topic_name", topic},
                    {"change", p.change},
                    {"old_value", slot.state.value},
                    {"new_value", std::move(preview.value)},
                    {"sender", w.client}};
  std::uint64_t seq = ++slot.validation_seq;
  ServiceRelay::Caller caller;
  caller.internal = [this, topic, seq](std::optional<json::value> response, std::string error) {
    on_validated(topic, seq, std::move(response), std::move(error));
  };
  auto opened = relay_.open(validator, std::move(caller));
  if (std::holds_alternative<std::string>(opened)) {  // the validator left meanwhile
    apply(slot, p, w.client);
    return true;
  }
  auto& relayed = std::get<ServiceRelay::Relayed>(opened);
  args["service_name"] = validator;
  args["request_id"] = relayed.request_id;
  send_private(relayed.provider, "validate", std::move(args));
  timers_.after(options_.request_timeout, [this, id = relayed.request_id] { expire(id); });
  w.prepared = std::move(p);
  slot.queue.push_front(std::move(w));
  return false;
}

namespace {

// A validator's answer: {"valid": true} or {"valid": false, "reason": "..."} (a bare boolean is
// taken too). Empty when valid, else the reason to reject.
std::string verdict(const json::value& response) {
  const json::value* valid = &response;
  const json::object* o = response.if_object();
  if (o) valid = o->if_contains("valid");
  if (!valid || !valid->is_bool())
    return "the validator answered something else than {\"valid\": true|false}";
  if (valid->get_bool()) return {};
  const json::value* reason = o ? o->if_contains("reason") : nullptr;
  if (reason && reason->is_string() && !reason->get_string().empty())
    return std::string(reason->get_string());
  return "rejected by the topic's validator";
}

}  // namespace

void SyncHub::on_validated(const std::string& topic, std::uint64_t seq,
                           std::optional<json::value> response, std::string error) {
  auto slot = find(topic);
  if (!slot) return;
  std::lock_guard lock(slot->mutex);
  if (slot->queue.empty() || slot->validation_seq != seq || !slot->queue.front().prepared) return;
  Waiting head = std::move(slot->queue.front());
  slot->queue.pop_front();
  std::string reason = response ? verdict(*response) : "validation failed: " + error;
  if (reason.empty())
    apply(*slot, *head.prepared, head.client);
  else
    reject(head.client, topic, std::move(head.change), std::move(reason));
  while (!slot->queue.empty()) {
    Waiting next = std::move(slot->queue.front());
    slot->queue.pop_front();
    if (!process(*slot, std::move(next))) break;
  }
}

void SyncHub::apply(Slot& slot, const PreparedChange& p, std::uint64_t client) {
  TopicState& state = slot.state;
  commit_change(state, p, options_.limits);
  auto b = std::make_shared<core::Broadcast>();
  b->dialect = options_.dialect;
  b->event = "update";
  json::object payload{
      {"topic_name", state.name}, {"change", p.change}, {"revision", state.revision}};
  if (slot.value_watchers > 0 && p.kind != ChangeKind::set && p.kind != ChangeKind::emit &&
      p.kind != ChangeKind::reversed_emit)
    payload["value"] = state.value;
  b->payload = std::move(payload);
  broker_.broadcast(channel_of(state.name), std::move(b));
  if (store_ && state.type != TopicType::event && !reserved(state.name)) store_->dirty(state.name);
  if (observer_) observer_->on_topic(state, &p.change, client);
}

void SyncHub::reject(std::uint64_t client, const std::string& topic, json::object change,
                     std::string reason) {
  spdlog::info("chatroom: client {}: change to '{}' rejected: {}", client, topic, reason);
  if (observer_) observer_->on_rejected(topic, change, reason, client);
  message_client(client, fmt::format("your change to '{}' was rejected: {}", topic, reason));
  send_private(
      client, "reject_update",
      json::object{
          {"topic_name", topic}, {"change", std::move(change)}, {"reason", std::move(reason)}});
}

void SyncHub::server_set(const std::string& topic, json::value value) {
  auto slot = find(topic);
  if (!slot) return;
  std::lock_guard lock(slot->mutex);
  if (slot->removed) return;
  json::object change{
      {"type", "set"}, {"value", std::move(value)}, {"old_value", slot->state.value}};
  auto prepared = prepare_change(slot->state, change, ids_, options_.limits);
  if (auto* reason = std::get_if<std::string>(&prepared)) {
    spdlog::warn("chatroom: server change to '{}' failed: {}", topic, *reason);
    return;
  }
  apply(*slot, std::get<PreparedChange>(prepared), 0);
}

void SyncHub::set_status(std::string text) {
  if (!options_.status_topic.empty()) server_set(options_.status_topic, json::string(text));
}

void SyncHub::remove_topic(const std::string& topic) {
  std::shared_ptr<Slot> slot;
  {
    std::lock_guard lock(registry_mutex_);
    auto it = topics_.find(topic);
    if (it == topics_.end()) return;
    slot = std::move(it->second);
    topics_.erase(it);
  }
  std::lock_guard lock(slot->mutex);
  slot->removed = true;
  if (observer_) observer_->on_topic_removed(topic);
}

// ---- inspection -------------------------------------------------------------------------------

json::object SyncHub::snapshot() const {
  json::array clients;
  {
    std::lock_guard lock(clients_mutex_);
    std::vector<std::pair<std::uint64_t, std::string>> list;
    for (const auto& [id, c] : clients_) list.emplace_back(id, c.peer);
    std::sort(list.begin(), list.end());
    for (auto& [id, peer] : list) clients.push_back(json::object{{"id", id}, {"peer", peer}});
  }
  std::vector<std::pair<std::string, std::shared_ptr<Slot>>> slots;
  {
    std::lock_guard lock(registry_mutex_);
    slots.assign(topics_.begin(), topics_.end());
  }
  std::sort(slots.begin(), slots.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  json::array topics;
  for (auto& [name, slot] : slots) {
    std::lock_guard lock(slot->mutex);
    const TopicState& s = slot->state;
    topics.push_back(json::object{{"name", s.name},
                                  {"type", topic_type_name(s.type)},
                                  {"value", s.value},
                                  {"version", s.version},
                                  {"revision", s.revision},
                                  {"queued", slot->queue.size()}});
  }
  json::array services;
  for (auto& [name, provider] : relay_.list())
    services.push_back(json::object{{"name", name}, {"provider", provider}});
  return json::object{{"clients", std::move(clients)},
                      {"topics", std::move(topics)},
                      {"services", std::move(services)}};
}

std::size_t SyncHub::topic_count() const {
  std::lock_guard lock(registry_mutex_);
  return topics_.size();
}

std::size_t SyncHub::client_count() const {
  std::lock_guard lock(clients_mutex_);
  return clients_.size();
}

std::optional<json::value> SyncHub::value_of(const std::string& topic) const {
  auto slot = find(topic);
  if (!slot) return std::nullopt;
  std::lock_guard lock(slot->mutex);
  return slot->state.value;
}

}  // namespace parley::topics
