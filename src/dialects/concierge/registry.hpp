#pragma once
// The Concierge's shared state: the connected clients (by uuid and by name) and the services
// (owner, subscribers), and the routing rules of every payload. One Registry serves every
// connection of the process, on any I/O thread.
//
// Design: one mutex guards everything and is held for a whole operation, broadcasts included,
// so every client sees the events in one order (the original ran all of this in one actor).
// Nothing slow happens under it: maps, rendering a few payloads, and broker calls that only
// take a channel lock and post.
//
// Delivery to other clients goes through the core broker, as Broadcasts of dialect "concierge"
// carrying the rendered payload (an Envelope, below) on these channels:
//   _ert/all             every identified client (CLIENT_JOINED/LEFT, SERVICE_CREATE_RESULT and
//                        SERVICE_DELETE_RESULT broadcasts, MESSAGE to ALL)
//   _ert/client/<slot>   one client (MESSAGE to NAME, UUID, SERVICE_CLIENT_UUID; subscriber to
//                        owner)
//   _ert/service/<slot>  a service's subscribers (SERVICE_CLIENT_(UN)SUBSCRIBED; owner to
//                        subscribers)
// Slots are small integers reused once their client or service is gone, which bounds the
// broker's channels by the peak number of clients and services. The envelope says whom a
// broadcast is for, so a late delivery to a slot's next holder is dropped by the recipient.
//
// What the caller itself must see is never broadcast to it: each operation returns the
// caller's payloads in the order the original sends them, and the caller sends them directly.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/broker.hpp"
#include "dialects/concierge/payload.hpp"

namespace parley::dialects::concierge {

inline constexpr std::string_view kDialect = "concierge";
inline constexpr std::string_view kAllChannel = "_ert/all";

// The Broadcast payload: {"text": rendered payload, "to": uuid (only this client),
// "skip": uuid (everyone but this client), "instance": n (only subscribers of this service
// instance), "deleted": n (the service instance is gone: drop its subscription)}.
struct Envelope {
  std::string text;
  std::string to;
  std::string skip;
  std::optional<std::uint64_t> instance;
  std::optional<std::uint64_t> deleted;
};

// One connection as the registry sees it. Touched only on the connection's thread (and by the
// registry while that thread calls it).
struct Caller {
  std::string uuid;  // empty until identified
  std::size_t thread = 0;
  core::Subscriber* subscriber = nullptr;
  // The service channels the broker delivers to this connection, and the service instance each
  // is for (a slot's earlier service may still be listed until its deletion is delivered).
  std::map<std::string, std::uint64_t> service_channels;
};

struct RegistryOptions {
  std::size_t max_subscriptions = 100;  // services one client may subscribe to
  std::size_t max_services = 100;       // services one client may own
};

class Registry {
 public:
  explicit Registry(core::Broker& broker, RegistryOptions options = {});

  // Why identify() refused a client.
  enum class Refused {
    name_taken,   // close 4005
    server_full,  // the broker refused its channels (core::Outcome::too_many_channels): 1013
  };
  // Registers the caller under id.name and subscribes it to its channels; CLIENT_JOINED goes to
  // the others. Returns the HELLO to send, or why not (nothing registered then).
  // The name, version and secret are checked by the caller before.
  std::variant<std::string, Refused> identify(Caller& caller, const in::Identify& id);

  // The caller is gone: its services are deleted (SERVICE_DELETE_RESULT to all), it leaves the
  // services it subscribed to (SERVICE_CLIENT_UNSUBSCRIBED to their subscribers), CLIENT_LEFT
  // goes to all, and its broker subscriptions end. Idempotent; a no-op before identify.
  void leave(Caller& caller);

  // Runs one payload of an identified caller, answered with `seq`. Returns what the caller
  // receives, in order. IDENTIFY and SELF_SET_SEQ are the connection's business, not this.
  std::vector<std::string> handle(Caller& caller, std::uint64_t seq, const PayloadIn& payload);

  // A deleted service instance was announced to this connection: ends its subscription.
  void drop_instance(Caller& caller, std::uint64_t instance);

  // For the file store: the name of a connected client's uuid, and the uuid of a name.
  std::optional<std::string> name_of(const std::string& uuid) const;
  std::optional<std::string> uuid_of(const std::string& name) const;

  std::size_t client_count() const;
  std::size_t service_count() const;
  core::Broker& broker() { return broker_; }

 private:
  struct Client {
    ClientInfo info;
    std::size_t slot = 0;
    std::size_t subscriptions = 0;
    std::size_t services = 0;
  };
  struct Service {
    ServiceInfo info;
    std::uint64_t instance = 0;
    std::size_t slot = 0;
  };
  class SlotPool {
   public:
    std::size_t take();
    void give(std::size_t slot) { free_.push_back(slot); }

   private:
    std::vector<std::size_t> free_;
    std::size_t next_ = 0;
  };
  using Replies = std::vector<std::string>;

  void subscribe_service(Caller& c, Client& client, Service& s, std::uint64_t seq, Replies& r);
  void unsubscribe_service(Caller& c, Client& client, Service& s, std::uint64_t seq, Replies& r);
  void self_fetch(Client& client, std::uint64_t seq, Replies& r);
  void create_service(Caller& c, Client& client, const in::ServiceCreate& p, std::uint64_t seq,
                      Replies& r);
  void delete_service(Caller& c, const std::string& name, std::uint64_t seq, Replies& r);
  void client_fetch(const std::string& uuid, std::uint64_t seq, Replies& r);
  void message(Caller& c, Client& client, const in::Message& m, std::uint64_t seq, Replies& r);
  // Sends text to one client: directly when it is the caller, else on its private channel.
  void deliver_to(Caller& c, const Client& to, const std::string& text, Replies& r);
  // Removes a service (and its subscribers' counts) and announces SERVICE_DELETE_RESULT to all
  // but `skip`; returns its info.
  ServiceInfo remove_service(std::map<std::string, Service>::iterator it, const std::string& skip);
  std::vector<ServiceInfo> subscriptions_of(const std::string& uuid) const;
  void broadcast(const std::string& channel, Envelope e);

  static std::string client_channel(std::size_t slot);
  static std::string service_channel(std::size_t slot);

  core::Broker& broker_;
  const RegistryOptions options_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Client> clients_;     // by uuid
  std::unordered_map<std::string, std::string> names_;  // name -> uuid
  std::map<std::string, Service> services_;             // by name
  SlotPool client_slots_;
  SlotPool service_slots_;
  std::uint64_t next_instance_ = 0;
};

}  // namespace parley::dialects::concierge
