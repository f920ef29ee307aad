#include "dialects/concierge/chat_service.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "dialects/concierge/codec.hpp"

namespace parley::dialects::concierge {

namespace json = boost::json;

namespace {

std::string display_name(const ClientInfo& c) {
  return c.nickname && !c.nickname->empty() ? *c.nickname : c.name;
}

std::string message(Target target, const json::object& data) {
  return encode(PayloadIn{in::Message{std::move(target), json::serialize(data)}});
}

}  // namespace

std::string ChatService::on_connected() {
  uuid_.reset();
  return encode(PayloadIn{in::Identify{options_.name, options_.nickname, options_.version,
                                       std::nullopt, options_.tags}});
}

std::string ChatService::to_service(std::string data) const {
  return encode(PayloadIn{
      in::Message{Target{.type = Target::Type::service, .service = options_.service}, data}});
}

std::vector<std::string> ChatService::on_payload(std::string_view text) {
  auto decoded = decode_out(text);
  if (auto* err = std::get_if<DecodeError>(&decoded)) {
    spdlog::warn("chat service: unreadable payload: {}", err->desc);
    return {};
  }
  const PayloadOut& p = std::get<PayloadOut>(decoded);
  std::vector<std::string> out;

  if (auto* hello = std::get_if<out::Hello>(&p.body)) {
    uuid_ = hello->uuid;
    spdlog::info("chat service: my uuid is {}. The server version is {}.", hello->uuid,
                 hello->version);
    out.push_back(
        encode(PayloadIn{in::ServiceCreate{options_.service, options_.service_nickname}}));
    out.push_back(encode(PayloadIn{in::SelfSubscribe{options_.service}}));
    return out;
  }
  auto status = [&](const ClientInfo& who, std::string_view what) {
    json::object data{{"type", "STATUS"}, {"text", display_name(who) + std::string(what)}};
    out.push_back(to_service(json::serialize(data)));
  };
  if (auto* joined = std::get_if<out::ServiceClientSubscribed>(&p.body)) {
    if (joined->service.name == options_.service) status(joined->client, " joined the chat.");
    return out;
  }
  if (auto* left = std::get_if<out::ServiceClientUnsubscribed>(&p.body)) {
    if (left->service.name == options_.service) status(left->client, " left the chat.");
    return out;
  }
  if (auto* deleted = std::get_if<out::ServiceDeleteResult>(&p.body)) {
    // Someone else held the name (e.g. this service's previous connection, not yet timed out):
    // now that it is free, take it.
    if (deleted->service.name == options_.service && uuid_ &&
        deleted->service.owner_uuid != *uuid_) {
      out.push_back(
          encode(PayloadIn{in::ServiceCreate{options_.service, options_.service_nickname}}));
      out.push_back(encode(PayloadIn{in::SelfSubscribe{options_.service}}));
    }
    return out;
  }
  if (auto* created = std::get_if<out::ServiceCreateResult>(&p.body)) {
    // Someone else's service of the same name (e.g. an earlier instance of this one): say so.
    if (p.seq && !created->successful && created->service.name == options_.service &&
        created->service.owner_uuid != uuid_.value_or(""))
      spdlog::warn("chat service: service {} exists already, owned by {}", options_.service,
                   created->service.owner_uuid);
    return out;
  }
  auto* m = std::get_if<out::Message>(&p.body);
  if (!m || !m->origin.service || m->origin.service->name != options_.service) return out;

  boost::system::error_code ec;
  json::value data = json::parse(m->data, ec);
  const json::object* fields = ec ? nullptr : data.if_object();
  const json::value* type = fields ? fields->if_contains("type") : nullptr;
  const json::value* input = fields ? fields->if_contains("text") : nullptr;
  if (!input || !input->is_string() || (type && (!type->is_string() || *type != "INPUT")))
    return out;  // not an INPUT
  std::string_view said = input->get_string();
  const ClientInfo& from = m->origin.client;
  if (said == "/about") {
    json::object about{
        {"type", "TEXT"}, {"author", "System Message"}, {"author_uuid", "0"}, {"text", kAboutText}};
    out.push_back(message(Target{.type = Target::Type::service_client_uuid,
                                 .uuid = from.uuid,
                                 .service = options_.service},
                          about));
    return out;
  }
  json::object line{
      {"type", "TEXT"}, {"author", display_name(from)}, {"author_uuid", from.uuid}, {"text", said}};
  out.push_back(to_service(json::serialize(line)));
  return out;
}

}  // namespace parley::dialects::concierge
