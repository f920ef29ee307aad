#include "topics/service_relay.hpp"

#include <spdlog/fmt/fmt.h>

#include "core/uuid.hpp"

namespace parley::topics {

ServiceRelay::ServiceRelay(std::size_t max_pending, std::function<std::string()> make_id)
    : max_pending_(max_pending), make_id_(make_id ? std::move(make_id) : core::make_uuid) {}

std::optional<std::string> ServiceRelay::add(const std::string& name, std::uint64_t provider) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = providers_.emplace(name, provider);
  if (!inserted && it->second != provider)
    return fmt::format("service '{}' is already provided by client {}", name, it->second);
  return std::nullopt;
}

std::optional<std::string> ServiceRelay::remove(const std::string& name, std::uint64_t provider) {
  std::lock_guard lock(mutex_);
  auto it = providers_.find(name);
  if (it == providers_.end()) return fmt::format("service '{}' is not registered", name);
  if (it->second != provider)
    return fmt::format("service '{}' is provided by client {}, not by you", name, it->second);
  providers_.erase(it);
  return std::nullopt;
}

std::optional<std::uint64_t> ServiceRelay::provider_of(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = providers_.find(name);
  if (it == providers_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<std::string, std::uint64_t>> ServiceRelay::list() const {
  std::lock_guard lock(mutex_);
  return {providers_.begin(), providers_.end()};
}

std::variant<ServiceRelay::Relayed, std::string> ServiceRelay::open(const std::string& service,
                                                                    Caller caller) {
  std::lock_guard lock(mutex_);
  auto it = providers_.find(service);
  if (it == providers_.end()) return fmt::format("service '{}' is not registered", service);
  if (caller.client != 0 && per_caller_[caller.client] >= max_pending_)
    return fmt::format("too many requests waiting for a response (at most {})", max_pending_);
  Relayed relayed{it->second, make_id_()};
  if (caller.client != 0) ++per_caller_[caller.client];
  caller.service = service;
  open_.emplace(relayed.request_id, Open{it->second, std::move(caller)});
  return relayed;
}

void ServiceRelay::forget(std::unordered_map<std::string, Open>::iterator it) {
  std::uint64_t client = it->second.caller.client;
  if (client != 0) {
    auto c = per_caller_.find(client);
    if (c != per_caller_.end() && --c->second == 0) per_caller_.erase(c);
  }
  open_.erase(it);
}

std::variant<ServiceRelay::Caller, std::string> ServiceRelay::answer(std::uint64_t provider,
                                                                     const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = open_.find(id);
  if (it == open_.end()) return fmt::format("no request {} is waiting for a response", id);
  if (it->second.provider != provider)
    return fmt::format("request {} was sent to client {}, not to you", id, it->second.provider);
  Caller caller = std::move(it->second.caller);
  forget(it);
  return caller;
}

std::optional<ServiceRelay::Caller> ServiceRelay::expire(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = open_.find(id);
  if (it == open_.end()) return std::nullopt;
  Caller caller = std::move(it->second.caller);
  forget(it);
  return caller;
}

ServiceRelay::Departure ServiceRelay::leave(std::uint64_t client) {
  std::lock_guard lock(mutex_);
  Departure d;
  for (auto it = providers_.begin(); it != providers_.end();) {
    if (it->second == client) {
      d.services.push_back(it->first);
      it = providers_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = open_.begin(); it != open_.end();) {
    auto next = std::next(it);
    if (it->second.provider == client) {
      d.owed.emplace_back(it->first, std::move(it->second.caller));
      forget(it);
    } else if (it->second.caller.client == client) {
      forget(it);
    }
    it = next;
  }
  per_caller_.erase(client);
  return d;
}

std::size_t ServiceRelay::open_count() const {
  std::lock_guard lock(mutex_);
  return open_.size();
}

}  // namespace parley::topics
