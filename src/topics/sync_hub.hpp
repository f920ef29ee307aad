#pragma once
// Synchronized topics and client-to-client services (ChatRoom's model), shared by every
// connection on every I/O thread. No I/O of its own: it delivers through the broker, posts
// through the dispatcher, waits through Timers and persists through a TopicStore.
//
// Design:
// - Topics. A registry (one mutex, held for lookups only) maps names to slots. A slot's own
//   mutex serializes the topic's changes: a change is prepared, applied and broadcast under it
//   (broker channel "<channel_prefix><name>", Broadcast{dialect, "update", {topic_name, change,
//   revision}}), so every subscriber sees one topic's changes in one order. A subscriber is
//   subscribed to the channel before it reads the value; it remembers the revision it was sent
//   and drops broadcasts at or below it.
// - Validation by a client. While a client provides "<validator_prefix><topic>", a change to the
//   topic waits at the head of the topic's queue for the validator's answer; later changes queue
//   behind it, so the topic's order holds. The answer applies or rejects it; a timeout or the
//   validator leaving rejects it. Then the queue drains.
// - Clients get ids from 1. Private messages (reject_update, request, response) are posted to
//   the client's I/O thread and handed to its SyncClient there, if it still exists.
// - Services (ServiceRelay): no provider, the provider leaving and a timeout each answer the
//   caller with an error response, never silence.
// - Reserved topics (reserved_prefix, "_chatroom/"): written by the server only and not stored:
//   the status topic (a string set on each notable event) and one message topic per client
//   (created when the client subscribes to it, removed when it leaves).
// - Persistence: a change marks the topic dirty in the TopicStore, which reads record() later on
//   its own thread. Changes are broadcast without waiting for the disk (see docs/protocols).
//
// Lock order: registry alone; slot -> relay | clients | broker | store | observer. The relay's
// and the clients' mutexes are leaves, and nothing calls out while holding them.
#include <atomic>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/broker.hpp"
#include "core/timers.hpp"
#include "topics/service_relay.hpp"
#include "topics/topic_change.hpp"
#include "topics/topic_store.hpp"

namespace parley::topics {

// The hub's view of a connected client.
class SyncClient {
 public:
  virtual ~SyncClient() = default;
  // A message for this client alone: kind "reject_update" {topic_name, change, reason},
  // "request" {service_name, args, request_id} or "response" {response, request_id[, error]}.
  // Called on the client's own I/O thread only.
  virtual void deliver_private(std::string_view kind, const boost::json::object& content) = 0;
};

// Sees what happens in the hub (the debugger). Called on any thread, sometimes under a topic's
// mutex: must not block and must not call back into the hub.
class SyncObserver {
 public:
  virtual ~SyncObserver() = default;
  virtual void on_client(std::uint64_t id, const std::string& peer, bool connected) = 0;
  // A topic was created (change null) or changed by client (0: the server).
  virtual void on_topic(const TopicState& topic, const boost::json::object* change,
                        std::uint64_t client) = 0;
  virtual void on_rejected(const std::string& topic, const boost::json::object& change,
                           const std::string& reason, std::uint64_t client) = 0;
  // A topic went away (a client's message topic, when the client left).
  virtual void on_topic_removed(const std::string& topic) = 0;
  // provider 0: the service is gone.
  virtual void on_service(const std::string& name, std::uint64_t provider) = 0;
};

struct SyncHubOptions {
  std::string dialect = "chatroom";  // Broadcast::dialect of topic updates
  std::string channel_prefix = "chatroom/topic/";
  std::string reserved_prefix = "_chatroom/";
  std::string status_topic = "_chatroom/server_status";
  std::string client_message_prefix = "_chatroom/client_message/";
  std::string validator_prefix = "_chatroom/validate_change/";
  std::chrono::milliseconds request_timeout{30'000};  // services and validators
  std::size_t max_topics = 10'000;
  std::size_t max_name_bytes = 256;         // topic and service names
  std::size_t max_pending_requests = 1000;  // per caller
  std::size_t max_queued_changes = 1000;    // per topic, behind a validation
  ChangeLimits limits;
};

class SyncHub {
 public:
  // broker, dispatcher and timers must outlive the hub.
  SyncHub(core::Broker& broker, core::Dispatcher& dispatcher, core::Timers& timers,
          SyncHubOptions options = {});
  ~SyncHub();

  // Start-up, before serving: the stored topics, the store and the observer (either may be null).
  void restore(const std::vector<TopicRecord>& records);
  void set_store(TopicStore* store) { store_ = store; }
  void set_observer(SyncObserver* observer) { observer_ = observer; }

  // The topic's state for the store; nullopt for an unknown or reserved topic. Any thread.
  std::optional<TopicRecord> record(const std::string& topic) const;

  // ---- clients ----
  // A new client on I/O thread `thread`; returns its id (from 1). client is only used on thread.
  std::uint64_t connect(std::size_t thread, std::weak_ptr<SyncClient> client, std::string peer);
  // The client is gone: its services and message topic go, requests relayed to it are answered
  // with an error. Its topic subscriptions are the caller's to undo (unsubscribe()).
  void disconnect(std::uint64_t client);

  // ---- topics ----
  struct Subscribed {
    TopicType type;
    std::uint64_t revision;      // of the value in change; drop broadcasts at or below it
    boost::json::object change;  // a set change carrying the current value
    bool type_differs = false;   // the topic exists with another type than asked
  };
  // Subscribes s (on `thread`, called there) to the topic, creating it with type's default value
  // when it does not exist (type nullopt: not created). An error when the name is invalid or
  // reserved, the topic does not exist and cannot be created, or there are too many topics.
  std::variant<Subscribed, std::string> subscribe(std::uint64_t client, std::size_t thread,
                                                  core::Subscriber* s, const std::string& topic,
                                                  std::optional<TopicType> type);
  void unsubscribe(std::size_t thread, core::Subscriber* s, const std::string& topic);
  // A client's change. Applied and broadcast, now or after validation, or answered with a
  // reject_update to the client.
  void update(std::uint64_t client, const std::string& topic, boost::json::object change);

  // The status topic's new value (a notable event). Must not be called under a topic's mutex.
  void set_status(std::string text);
  // A message for the client on its message topic, if it subscribed to it. Any thread.
  void message_client(std::uint64_t client, std::string text);

  // ---- services ----
  // Errors are for the client (reserved or overlong name, provided by someone else...).
  std::optional<std::string> register_service(std::uint64_t client, const std::string& name);
  std::optional<std::string> unregister_service(std::uint64_t client, const std::string& name);
  // Relays a request; any failure is answered with an error response to the caller.
  void request(std::uint64_t client, const std::string& service, boost::json::value args,
               boost::json::value request_id);
  // A provider's response. An error when nothing is waiting for it from this client.
  std::optional<std::string> respond(std::uint64_t client, const boost::json::value& request_id,
                                     boost::json::value response);

  // ---- naming ----
  std::string channel_of(std::string_view topic) const {
    return options_.channel_prefix + std::string(topic);
  }
  // The topic a channel carries; empty when the channel is not a topic's.
  std::string_view topic_of_channel(std::string_view channel) const;
  bool reserved(std::string_view topic) const {
    return topic.starts_with(options_.reserved_prefix);
  }
  const SyncHubOptions& options() const { return options_; }

  // ---- inspection (debugger, tests) ----
  // {"clients": [{id, peer}], "topics": [{name, type, value, version, revision}],
  //  "services": [{name, provider}]}
  boost::json::object snapshot() const;
  std::size_t topic_count() const;
  std::size_t client_count() const;
  std::optional<boost::json::value> value_of(const std::string& topic) const;

 private:
  struct Waiting;
  struct Slot;
  struct ClientEntry {
    std::size_t thread;
    std::weak_ptr<SyncClient> client;
    std::string peer;
  };

  std::shared_ptr<Slot> find(const std::string& topic) const;
  // The slot, created with type when missing; null and error set when it cannot be.
  std::shared_ptr<Slot> find_or_create(const std::string& topic, std::optional<TopicType> type,
                                       bool& created, std::string& error);
  std::string make_id();

  // Under slot's mutex: prepares w's change and applies it, rejects it, or asks the validator
  // (then w waits at the head of the queue and this returns false).
  bool process(Slot& slot, Waiting w);
  void apply(Slot& slot, const PreparedChange& p, std::uint64_t client);
  void on_validated(const std::string& topic, std::uint64_t seq,
                    std::optional<boost::json::value> response, std::string error);
  void reject(std::uint64_t client, const std::string& topic, boost::json::object change,
              std::string reason);
  // A server-made set of a reserved topic's value.
  void server_set(const std::string& topic, boost::json::value value);
  void remove_topic(const std::string& topic);

  void send_private(std::uint64_t client, std::string_view kind, boost::json::object content);
  void answer(const ServiceRelay::Caller& caller, std::optional<boost::json::value> response,
              std::string error);
  void expire(const std::string& request_id);

  core::Broker& broker_;
  core::Dispatcher& dispatcher_;
  core::Timers& timers_;
  const SyncHubOptions options_;
  TopicStore* store_ = nullptr;
  SyncObserver* observer_ = nullptr;
  ServiceRelay relay_;
  std::atomic<std::uint64_t> next_client_{0};
  std::atomic<std::uint64_t> next_id_;
  IdSource ids_;

  mutable std::mutex registry_mutex_;
  std::unordered_map<std::string, std::shared_ptr<Slot>> topics_;
  mutable std::mutex clients_mutex_;
  std::unordered_map<std::uint64_t, ClientEntry> clients_;
};

}  // namespace parley::topics
