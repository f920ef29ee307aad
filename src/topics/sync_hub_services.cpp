// SyncHub: client-to-client services (register, relay, respond, timeouts).
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "topics/sync_hub.hpp"

namespace parley::topics {

namespace json = boost::json;

std::optional<std::string> SyncHub::register_service(std::uint64_t client,
                                                     const std::string& name) {
  if (name.empty() || name.size() > options_.max_name_bytes)
    return fmt::format("a service name is 1 to {} bytes", options_.max_name_bytes);
  bool validator = !options_.validator_prefix.empty() &&
                   name.starts_with(options_.validator_prefix) &&
                   name.size() > options_.validator_prefix.size();
  if (reserved(name) && !validator)
    return fmt::format("'{}' is reserved for the server's own services", name);
  if (relay_.provider_of(name) == client) return std::nullopt;
  if (auto error = relay_.add(name, client)) return error;
  spdlog::info("chatroom: client {} provides service '{}'", client, name);
  if (observer_) observer_->on_service(name, client);
  set_status(fmt::format("service '{}' registered by client {}", name, client));
  return std::nullopt;
}

std::optional<std::string> SyncHub::unregister_service(std::uint64_t client,
                                                       const std::string& name) {
  if (auto error = relay_.remove(name, client)) return error;
  spdlog::info("chatroom: client {} no longer provides service '{}'", client, name);
  if (observer_) observer_->on_service(name, 0);
  set_status(fmt::format("service '{}' unregistered", name));
  return std::nullopt;
}

void SyncHub::request(std::uint64_t client, const std::string& service, json::value args,
                      json::value request_id) {
  ServiceRelay::Caller caller;
  caller.client = client;
  caller.request_id = request_id;
  auto opened = relay_.open(service, std::move(caller));
  if (auto* error = std::get_if<std::string>(&opened)) {
    spdlog::info("chatroom: client {}: request to '{}' failed: {}", client, service, *error);
    ServiceRelay::Caller failed;
    failed.client = client;
    failed.request_id = std::move(request_id);
    failed.service = service;
    return answer(failed, std::nullopt, std::move(*error));
  }
  auto& relayed = std::get<ServiceRelay::Relayed>(opened);
  send_private(relayed.provider, "request",
               json::object{{"service_name", service},
                            {"args", std::move(args)},
                            {"request_id", relayed.request_id}});
  timers_.after(options_.request_timeout, [this, id = relayed.request_id] { expire(id); });
}

std::optional<std::string> SyncHub::respond(std::uint64_t client, const json::value& request_id,
                                            json::value response) {
  if (!request_id.is_string())
    return std::string("a response's request_id is the string its request carried");
  auto answered = relay_.answer(client, std::string(request_id.get_string()));
  if (auto* error = std::get_if<std::string>(&answered)) return *error;
  answer(std::get<ServiceRelay::Caller>(answered), std::move(response), {});
  return std::nullopt;
}

void SyncHub::answer(const ServiceRelay::Caller& caller, std::optional<json::value> response,
                     std::string error) {
  if (caller.internal) return caller.internal(std::move(response), std::move(error));
  json::object content;
  if (response) {
    content = json::object{{"response", std::move(*response)}, {"request_id", caller.request_id}};
  } else {
    content = json::object{{"response", json::object{{"error", error}}},
                           {"request_id", caller.request_id},
                           {"error", error}};
  }
  send_private(caller.client, "response", std::move(content));
}

void SyncHub::expire(const std::string& request_id) {
  auto caller = relay_.expire(request_id);
  if (!caller) return;
  spdlog::info("chatroom: request {} to '{}' timed out", request_id, caller->service);
  answer(*caller, std::nullopt,
         fmt::format("request to '{}' timed out after {} ms", caller->service,
                     options_.request_timeout.count()));
}

}  // namespace parley::topics
