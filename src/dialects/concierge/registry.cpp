#include "dialects/concierge/registry.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/overloaded.hpp"
#include "core/uuid.hpp"
#include "dialects/concierge/codec.hpp"

namespace parley::dialects::concierge {

namespace json = boost::json;

namespace {

std::string render(PayloadOut::Body body, std::optional<std::uint64_t> seq = std::nullopt) {
  return encode(PayloadOut{seq, std::move(body)});
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

std::size_t Registry::SlotPool::take() {
  if (free_.empty()) return next_++;
  std::size_t slot = free_.back();
  free_.pop_back();
  return slot;
}

Registry::Registry(core::Broker& broker, RegistryOptions options)
    : broker_(broker), options_(options) {}

std::string Registry::client_channel(std::size_t slot) {
  return "_ert/client/" + std::to_string(slot);
}

std::string Registry::service_channel(std::size_t slot) {
  return "_ert/service/" + std::to_string(slot);
}

void Registry::broadcast(const std::string& channel, Envelope e) {
  json::object payload{{"text", std::move(e.text)}};
  if (!e.to.empty()) payload["to"] = e.to;
  if (!e.skip.empty()) payload["skip"] = e.skip;
  if (e.instance) payload["instance"] = *e.instance;
  if (e.deleted) payload["deleted"] = *e.deleted;
  broker_.broadcast(channel, std::make_shared<const core::Broadcast>(core::Broadcast{
                                 std::string(kDialect), "", json::value(std::move(payload))}));
}

std::variant<std::string, Registry::Refused> Registry::identify(Caller& c, const in::Identify& id) {
  std::lock_guard lock(mutex_);
  if (names_.contains(id.name)) return Refused::name_taken;
  std::string uuid = core::make_uuid();
  Client client{ClientInfo{id.name, id.nickname, uuid, id.tags}, client_slots_.take()};
  const std::string all(kAllChannel), own = client_channel(client.slot);
  if (broker_.subscribe(all, c.thread, c.subscriber) != core::Outcome::ok) {
    client_slots_.give(client.slot);
    return Refused::server_full;
  }
  if (broker_.subscribe(own, c.thread, c.subscriber) != core::Outcome::ok) {
    broker_.unsubscribe(all, c.thread, c.subscriber);
    client_slots_.give(client.slot);
    return Refused::server_full;
  }
  // To the clients there before (skipped for the new one, subscribed already).
  broadcast(all, Envelope{.text = render(out::ClientJoined{client.info}), .skip = uuid});
  names_[id.name] = uuid;
  clients_.emplace(uuid, std::move(client));
  c.uuid = uuid;
  spdlog::debug("concierge: {} identified as {}", id.name, uuid);
  return render(out::Hello{uuid, std::string(kVersion)});
}

void Registry::leave(Caller& c) {
  std::lock_guard lock(mutex_);
  if (c.uuid.empty()) return;
  auto it = clients_.find(c.uuid);
  c.uuid.clear();
  for (const auto& [channel, instance] : c.service_channels)
    broker_.unsubscribe(channel, c.thread, c.subscriber);
  c.service_channels.clear();
  if (it == clients_.end()) return;
  Client client = std::move(it->second);
  clients_.erase(it);
  names_.erase(client.info.name);
  broker_.unsubscribe(std::string(kAllChannel), c.thread, c.subscriber);
  broker_.unsubscribe(client_channel(client.slot), c.thread, c.subscriber);
  client_slots_.give(client.slot);
  const std::string& uuid = client.info.uuid;

  for (auto s = services_.begin(); s != services_.end();) {
    if (s->second.info.owner_uuid == uuid)
      remove_service(s++, {});
    else
      ++s;
  }
  for (auto& [name, s] : services_) {
    auto& subs = s.info.subscribers;
    auto pos = std::find(subs.begin(), subs.end(), uuid);
    if (pos == subs.end()) continue;  // the original told every service: not Parley
    subs.erase(pos);
    broadcast(service_channel(s.slot),
              Envelope{.text = render(out::ServiceClientUnsubscribed{client.info, s.info}),
                       .instance = s.instance});
  }
  broadcast(std::string(kAllChannel), Envelope{.text = render(out::ClientLeft{client.info})});
  spdlog::debug("concierge: {} ({}) left", client.info.name, uuid);
}

ServiceInfo Registry::remove_service(std::map<std::string, Service>::iterator it,
                                     const std::string& skip) {
  Service s = std::move(it->second);
  services_.erase(it);
  for (const auto& sub : s.info.subscribers) {
    auto c = clients_.find(sub);
    if (c != clients_.end() && c->second.subscriptions) --c->second.subscriptions;
  }
  if (auto owner = clients_.find(s.info.owner_uuid); owner != clients_.end())
    --owner->second.services;
  service_slots_.give(s.slot);
  broadcast(std::string(kAllChannel), Envelope{.text = render(out::ServiceDeleteResult{s.info}),
                                               .skip = skip,
                                               .deleted = s.instance});
  return std::move(s.info);
}

void Registry::drop_instance(Caller& c, std::uint64_t instance) {
  for (auto it = c.service_channels.begin(); it != c.service_channels.end();) {
    if (it->second == instance) {
      broker_.unsubscribe(it->first, c.thread, c.subscriber);
      it = c.service_channels.erase(it);
    } else {
      ++it;
    }
  }
}

std::vector<std::string> Registry::handle(Caller& c, std::uint64_t seq, const PayloadIn& payload) {
  std::lock_guard lock(mutex_);
  Replies r;
  auto me = clients_.find(c.uuid);
  if (me == clients_.end()) return r;  // not identified: the connection does not call this
  Client& client = me->second;
  auto find_service = [&](const std::string& name) -> Service* {
    auto it = services_.find(name);
    if (it != services_.end()) return &it->second;
    r.push_back(render(out::InvalidService{name}, seq));
    return nullptr;
  };
  std::visit(core::overloaded{
                 [&](const in::SelfSubscribe& p) {
                   if (Service* s = find_service(p.service))
                     subscribe_service(c, client, *s, seq, r);
                 },
                 [&](const in::SelfUnsubscribe& p) {
                   if (Service* s = find_service(p.service))
                     unsubscribe_service(c, client, *s, seq, r);
                 },
                 [&](const in::SelfFetch&) { self_fetch(client, seq, r); },
                 [&](const in::ServiceCreate& p) { create_service(c, client, p, seq, r); },
                 [&](const in::ServiceDelete& p) { delete_service(c, p.service, seq, r); },
                 [&](const in::ServiceFetch& p) {
                   if (Service* s = find_service(p.service))
                     r.push_back(render(out::ServiceFetchResult{s->info}, seq));
                 },
                 [&](const in::ServiceFetchAll&) {
                   out::ServiceFetchAllResult all;
                   for (const auto& [name, s] : services_) all.services.push_back(s.info);
                   r.push_back(render(std::move(all), seq));
                 },
                 [&](const in::ClientFetch& p) { client_fetch(p.uuid, seq, r); },
                 [&](const in::ClientFetchAll&) {
                   out::ClientFetchAllResult all;
                   for (const auto& [uuid, other] : clients_) all.clients.push_back(other.info);
                   std::sort(
                       all.clients.begin(), all.clients.end(),
                       [](const ClientInfo& a, const ClientInfo& b) { return a.name < b.name; });
                   r.push_back(render(std::move(all), seq));
                 },
                 [&](const in::Message& m) { message(c, client, m, seq, r); },
                 [&](const auto&) { r.push_back(render(out::ErrorUnsupported{}, seq)); },
             },
             payload);
  return r;
}

void Registry::subscribe_service(Caller& c, Client& client, Service& s, std::uint64_t seq,
                                 Replies& r) {
  if (contains(s.info.subscribers, client.info.uuid)) {
    r.push_back(render(out::SelfSubscribeResult{false, s.info}, seq));
    return;
  }
  if (client.subscriptions >= options_.max_subscriptions) {
    r.push_back(render(out::ErrorInternal{"Subscription limit reached (" +
                                          std::to_string(options_.max_subscriptions) + ")"},
                       seq));
    return;
  }
  std::string channel = service_channel(s.slot);
  if (auto outcome = broker_.subscribe(channel, c.thread, c.subscriber);
      outcome != core::Outcome::ok) {
    r.push_back(render(out::ErrorInternal{std::string(core::describe(outcome))}, seq));
    return;
  }
  s.info.subscribers.push_back(client.info.uuid);
  ++client.subscriptions;
  c.service_channels[channel] = s.instance;
  r.push_back(render(out::SelfSubscribeResult{true, s.info}, seq));
  std::string event = render(out::ServiceClientSubscribed{client.info, s.info});
  r.push_back(event);
  broadcast(channel,
            Envelope{.text = std::move(event), .skip = client.info.uuid, .instance = s.instance});
}

void Registry::unsubscribe_service(Caller& c, Client& client, Service& s, std::uint64_t seq,
                                   Replies& r) {
  auto& subs = s.info.subscribers;
  auto pos = std::find(subs.begin(), subs.end(), client.info.uuid);
  if (pos == subs.end()) {
    r.push_back(render(out::SelfUnsubscribeResult{false, s.info}, seq));
    return;
  }
  subs.erase(pos);
  if (client.subscriptions) --client.subscriptions;
  std::string channel = service_channel(s.slot);
  if (c.service_channels.erase(channel)) broker_.unsubscribe(channel, c.thread, c.subscriber);
  r.push_back(render(out::SelfUnsubscribeResult{true, s.info}, seq));
  broadcast(channel, Envelope{.text = render(out::ServiceClientUnsubscribed{client.info, s.info}),
                              .instance = s.instance});
}

std::vector<ServiceInfo> Registry::subscriptions_of(const std::string& uuid) const {
  std::vector<ServiceInfo> out;
  for (const auto& [name, s] : services_)
    if (contains(s.info.subscribers, uuid)) out.push_back(s.info);
  return out;
}

void Registry::self_fetch(Client& client, std::uint64_t seq, Replies& r) {
  r.push_back(render(out::SelfFetchResult{client.info, subscriptions_of(client.info.uuid)}, seq));
}

void Registry::create_service(Caller& c, Client& client, const in::ServiceCreate& p,
                              std::uint64_t seq, Replies& r) {
  if (auto it = services_.find(p.service); it != services_.end()) {
    r.push_back(render(out::ServiceCreateResult{false, it->second.info}, seq));
    return;
  }
  if (client.services >= options_.max_services) {
    r.push_back(render(
        out::ErrorInternal{"Service limit reached (" + std::to_string(options_.max_services) + ")"},
        seq));
    return;
  }
  Service s{ServiceInfo{p.service, p.nickname, client.info.uuid, {}}, ++next_instance_,
            service_slots_.take()};
  ++client.services;
  out::ServiceCreateResult created{true, s.info};
  services_.emplace(p.service, std::move(s));
  std::string event = render(created);
  broadcast(std::string(kAllChannel), Envelope{.text = event, .skip = client.info.uuid});
  r.push_back(std::move(event));
  r.push_back(render(std::move(created), seq));
}

void Registry::delete_service(Caller& c, const std::string& name, std::uint64_t seq, Replies& r) {
  auto it = services_.find(name);
  if (it == services_.end()) {
    r.push_back(render(out::InvalidService{name}, seq));
    return;
  }
  if (it->second.info.owner_uuid != c.uuid) {
    r.push_back(render(out::Bad{}));  // the original sends this one without seq
    return;
  }
  drop_instance(c, it->second.instance);
  ServiceInfo info = remove_service(it, c.uuid);
  r.push_back(render(out::ServiceDeleteResult{info}));
  r.push_back(render(out::ServiceDeleteResult{std::move(info)}, seq));
}

void Registry::client_fetch(const std::string& uuid, std::uint64_t seq, Replies& r) {
  auto it = clients_.find(uuid);
  if (it == clients_.end()) {
    // The original answered nothing at all.
    r.push_back(render(out::InvalidUuid{uuid}, seq));
    return;
  }
  r.push_back(render(out::ClientFetchResult{it->second.info, subscriptions_of(uuid)}, seq));
}

void Registry::deliver_to(Caller& c, const Client& to, const std::string& text, Replies& r) {
  if (to.info.uuid == c.uuid)
    r.push_back(text);
  else
    broadcast(client_channel(to.slot), Envelope{.text = text, .to = to.info.uuid});
}

void Registry::message(Caller& c, Client& client, const in::Message& m, std::uint64_t seq,
                       Replies& r) {
  out::Message delivered{Origin{client.info, std::nullopt}, m.target, m.data};
  const Target& t = m.target;
  switch (t.type) {
    case Target::Type::name:
    case Target::Type::uuid: {
      const Client* to = nullptr;
      if (t.type == Target::Type::name) {
        if (auto n = names_.find(t.name); n != names_.end()) to = &clients_.at(n->second);
        if (!to) return r.push_back(render(out::InvalidName{t.name}, seq));
      } else {
        if (auto u = clients_.find(t.uuid); u != clients_.end()) to = &u->second;
        if (!to) return r.push_back(render(out::InvalidUuid{t.uuid}, seq));
      }
      deliver_to(c, *to, render(std::move(delivered)), r);
      return r.push_back(render(out::Ok{}, seq));
    }
    case Target::Type::service:
    case Target::Type::service_client_uuid: {
      auto it = services_.find(t.service);
      if (it == services_.end()) return r.push_back(render(out::InvalidService{t.service}, seq));
      Service& s = it->second;
      bool owner = s.info.owner_uuid == client.info.uuid;
      delivered.origin.service = s.info;
      if (t.type == Target::Type::service_client_uuid) {
        if (!owner) return r.push_back(render(out::Bad{}, seq));
        auto to = clients_.find(t.uuid);
        if (to == clients_.end()) return r.push_back(render(out::InvalidUuid{t.uuid}, seq));
        deliver_to(c, to->second, render(std::move(delivered)), r);
        return r.push_back(render(out::Ok{}, seq));
      }
      if (owner) {
        // To the subscribers, without an echo to the owner.
        broadcast(service_channel(s.slot), Envelope{.text = render(std::move(delivered)),
                                                    .skip = client.info.uuid,
                                                    .instance = s.instance});
        return r.push_back(render(out::Ok{}, seq));
      }
      if (!contains(s.info.subscribers, client.info.uuid))
        return r.push_back(render(out::Bad{}, seq));
      auto owner_client = clients_.find(s.info.owner_uuid);
      if (owner_client == clients_.end())  // cannot happen: an owner's leave deletes its services
        return r.push_back(render(out::ErrorInternal{"Group owner does not exist"}, seq));
      deliver_to(c, owner_client->second, render(std::move(delivered)), r);
      return r.push_back(render(out::Ok{}, seq));
    }
    case Target::Type::all: {
      std::string text = render(std::move(delivered));
      broadcast(std::string(kAllChannel), Envelope{.text = text, .skip = client.info.uuid});
      r.push_back(std::move(text));
      return r.push_back(render(out::Ok{}, seq));
    }
  }
}

std::optional<std::string> Registry::name_of(const std::string& uuid) const {
  std::lock_guard lock(mutex_);
  auto it = clients_.find(uuid);
  if (it == clients_.end()) return std::nullopt;
  return it->second.info.name;
}

std::optional<std::string> Registry::uuid_of(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = names_.find(name);
  if (it == names_.end()) return std::nullopt;
  return it->second;
}

std::size_t Registry::client_count() const {
  std::lock_guard lock(mutex_);
  return clients_.size();
}

std::size_t Registry::service_count() const {
  std::lock_guard lock(mutex_);
  return services_.size();
}

}  // namespace parley::dialects::concierge
