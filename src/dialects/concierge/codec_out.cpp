// Server payloads, both ways.
#include <boost/json/serialize.hpp>

#include "dialects/concierge/codec.hpp"
#include "dialects/concierge/codec_json.hpp"

namespace parley::dialects::concierge {

namespace json = boost::json;
using detail::client_json;
using detail::envelope;
using detail::Fields;
using detail::service_json;

namespace {

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

json::array services_json(const std::vector<ServiceInfo>& v) {
  json::array a;
  a.reserve(v.size());
  for (const auto& s : v) a.emplace_back(service_json(s));
  return a;
}

json::array clients_json(const std::vector<ClientInfo>& v) {
  json::array a;
  a.reserve(v.size());
  for (const auto& c : v) a.emplace_back(client_json(c));
  return a;
}

}  // namespace

std::string_view type_name(const PayloadOut::Body& body) {
  return std::visit(
      overloaded{
          [](const out::Hello&) { return std::string_view("HELLO"); },
          [](const out::Ok&) { return std::string_view("OK"); },
          [](const out::Bad&) { return std::string_view("BAD"); },
          [](const out::SelfSubscribeResult&) { return std::string_view("SELF_SUBSCRIBE_RESULT"); },
          [](const out::SelfUnsubscribeResult&) {
            return std::string_view("SELF_UNSUBSCRIBE_RESULT");
          },
          [](const out::SelfFetchResult&) { return std::string_view("SELF_FETCH_RESULT"); },
          [](const out::ServiceCreateResult&) { return std::string_view("SERVICE_CREATE_RESULT"); },
          [](const out::ServiceDeleteResult&) { return std::string_view("SERVICE_DELETE_RESULT"); },
          [](const out::ServiceFetchResult&) { return std::string_view("SERVICE_FETCH_RESULT"); },
          [](const out::ServiceFetchAllResult&) {
            return std::string_view("SERVICE_FETCH_ALL_RESULT");
          },
          [](const out::ClientFetchResult&) { return std::string_view("CLIENT_FETCH_RESULT"); },
          [](const out::ClientFetchAllResult&) {
            return std::string_view("CLIENT_FETCH_ALL_RESULT");
          },
          [](const out::ClientJoined&) { return std::string_view("CLIENT_JOINED"); },
          [](const out::ClientLeft&) { return std::string_view("CLIENT_LEFT"); },
          [](const out::ServiceClientSubscribed&) {
            return std::string_view("SERVICE_CLIENT_SUBSCRIBED");
          },
          [](const out::ServiceClientUnsubscribed&) {
            return std::string_view("SERVICE_CLIENT_UNSUBSCRIBED");
          },
          [](const out::ErrorInternal&) { return std::string_view("ERROR_INTERNAL"); },
          [](const out::ErrorUnsupported&) { return std::string_view("ERROR_UNSUPPORTED"); },
          [](const out::ErrorProtocol&) { return std::string_view("ERROR_PROTOCOL"); },
          [](const out::InvalidName&) { return std::string_view("INVALID_NAME"); },
          [](const out::InvalidUuid&) { return std::string_view("INVALID_UUID"); },
          [](const out::InvalidService&) { return std::string_view("INVALID_SERVICE"); },
          [](const out::Message&) { return std::string_view("MESSAGE"); },
      },
      body);
}

std::string encode(const PayloadOut& p) {
  std::string_view type = type_name(p.body);
  auto seq = p.seq;
  return std::visit(
      overloaded{
          [&](const out::Hello& b) {
            return envelope(type, seq, {{"uuid", b.uuid}, {"version", b.version}});
          },
          [&](const out::SelfSubscribeResult& b) {
            return envelope(type, seq,
                            {{"successful", b.successful}, {"service", service_json(b.service)}});
          },
          [&](const out::SelfUnsubscribeResult& b) {
            return envelope(type, seq,
                            {{"successful", b.successful}, {"service", service_json(b.service)}});
          },
          [&](const out::SelfFetchResult& b) {
            return envelope(type, seq,
                            {{"client", client_json(b.client)},
                             {"subscriptions", services_json(b.subscriptions)}});
          },
          [&](const out::ServiceCreateResult& b) {
            return envelope(type, seq,
                            {{"successful", b.successful}, {"service", service_json(b.service)}});
          },
          [&](const out::ServiceDeleteResult& b) {
            return envelope(type, seq, {{"service", service_json(b.service)}});
          },
          [&](const out::ServiceFetchResult& b) {
            return envelope(type, seq, {{"service", service_json(b.service)}});
          },
          [&](const out::ServiceFetchAllResult& b) {
            return envelope(type, seq, {{"services", services_json(b.services)}});
          },
          [&](const out::ClientFetchResult& b) {
            return envelope(type, seq,
                            {{"client", client_json(b.client)},
                             {"subscriptions", services_json(b.subscriptions)}});
          },
          [&](const out::ClientFetchAllResult& b) {
            return envelope(type, seq, {{"clients", clients_json(b.clients)}});
          },
          [&](const out::ClientJoined& b) {
            return envelope(type, seq, {{"client", client_json(b.client)}});
          },
          [&](const out::ClientLeft& b) {
            return envelope(type, seq, {{"client", client_json(b.client)}});
          },
          [&](const out::ServiceClientSubscribed& b) {
            return envelope(
                type, seq,
                {{"client", client_json(b.client)}, {"service", service_json(b.service)}});
          },
          [&](const out::ServiceClientUnsubscribed& b) {
            return envelope(
                type, seq,
                {{"client", client_json(b.client)}, {"service", service_json(b.service)}});
          },
          [&](const out::ErrorInternal& b) {
            return envelope(type, seq, {{"desc", b.desc}});
          },
          [&](const out::ErrorProtocol& b) {
            return envelope(type, seq, {{"desc", b.desc}});
          },
          [&](const out::InvalidName& b) {
            return envelope(type, seq, {{"name", b.name}});
          },
          [&](const out::InvalidUuid& b) {
            return envelope(type, seq, {{"uuid", b.uuid}});
          },
          [&](const out::InvalidService& b) {
            return envelope(type, seq, {{"service", b.service}});
          },
          [&](const out::Message& b) {
            // "data" is the sender's raw JSON text: composed, not re-serialized.
            std::string head = envelope(type, seq,
                                        {{"origin", detail::origin_json(b.origin)},
                                         {"target", detail::target_json(b.target)}});
            head.pop_back();  // '}'
            head += ",\"data\":";
            head += b.data.empty() ? std::string_view("null") : std::string_view(b.data);
            head += '}';
            return head;
          },
          [&](const auto&) { return envelope(type, seq, {}); },  // OK, BAD, ERROR_UNSUPPORTED
      },
      p.body);
}

std::variant<PayloadOut, DecodeError> decode_out(std::string_view text) {
  detail::ParsedObject parsed;
  std::string type, error;
  if (!detail::parse_tagged(text, parsed, type, error, "internally tagged enum PayloadOut"))
    return DecodeError{std::move(error)};
  Fields f(parsed.object);

  PayloadOut p;
  if (parsed.object.contains("seq")) {
    std::uint64_t seq = 0;
    f.u64("seq", seq);
    p.seq = seq;
  }
  if (type == "HELLO") {
    out::Hello b;
    f.uuid("uuid", b.uuid);
    f.string("version", b.version);
    p.body = std::move(b);
  } else if (type == "OK") {
    p.body = out::Ok{};
  } else if (type == "BAD") {
    p.body = out::Bad{};
  } else if (type == "SELF_SUBSCRIBE_RESULT") {
    out::SelfSubscribeResult b;
    f.boolean("successful", b.successful);
    f.service("service", b.service);
    p.body = std::move(b);
  } else if (type == "SELF_UNSUBSCRIBE_RESULT") {
    out::SelfUnsubscribeResult b;
    f.boolean("successful", b.successful);
    f.service("service", b.service);
    p.body = std::move(b);
  } else if (type == "SELF_FETCH_RESULT") {
    out::SelfFetchResult b;
    f.client("client", b.client);
    f.services("subscriptions", b.subscriptions);
    p.body = std::move(b);
  } else if (type == "SERVICE_CREATE_RESULT") {
    out::ServiceCreateResult b;
    f.boolean("successful", b.successful);
    f.service("service", b.service);
    p.body = std::move(b);
  } else if (type == "SERVICE_DELETE_RESULT") {
    out::ServiceDeleteResult b;
    f.service("service", b.service);
    p.body = std::move(b);
  } else if (type == "SERVICE_FETCH_RESULT") {
    out::ServiceFetchResult b;
    f.service("service", b.service);
    p.body = std::move(b);
  } else if (type == "SERVICE_FETCH_ALL_RESULT") {
    out::ServiceFetchAllResult b;
    f.services("services", b.services);
    p.body = std::move(b);
  } else if (type == "CLIENT_FETCH_RESULT") {
    out::ClientFetchResult b;
    f.client("client", b.client);
    f.services("subscriptions", b.subscriptions);
    p.body = std::move(b);
  } else if (type == "CLIENT_FETCH_ALL_RESULT") {
    out::ClientFetchAllResult b;
    f.clients("clients", b.clients);
    p.body = std::move(b);
  } else if (type == "CLIENT_JOINED") {
    out::ClientJoined b;
    f.client("client", b.client);
    p.body = std::move(b);
  } else if (type == "CLIENT_LEFT") {
    out::ClientLeft b;
    f.client("client", b.client);
    p.body = std::move(b);
  } else if (type == "SERVICE_CLIENT_SUBSCRIBED") {
    out::ServiceClientSubscribed b;
    f.client("client", b.client);
    f.service("service", b.service);
    p.body = std::move(b);
  } else if (type == "SERVICE_CLIENT_UNSUBSCRIBED") {
    out::ServiceClientUnsubscribed b;
    f.client("client", b.client);
    f.service("service", b.service);
    p.body = std::move(b);
  } else if (type == "ERROR_INTERNAL") {
    out::ErrorInternal b;
    f.string("desc", b.desc);
    p.body = std::move(b);
  } else if (type == "ERROR_UNSUPPORTED") {
    p.body = out::ErrorUnsupported{};
  } else if (type == "ERROR_PROTOCOL") {
    out::ErrorProtocol b;
    f.string("desc", b.desc);
    p.body = std::move(b);
  } else if (type == "INVALID_NAME") {
    out::InvalidName b;
    f.string("name", b.name);
    p.body = std::move(b);
  } else if (type == "INVALID_UUID") {
    out::InvalidUuid b;
    f.string("uuid", b.uuid);
    p.body = std::move(b);
  } else if (type == "INVALID_SERVICE") {
    out::InvalidService b;
    f.string("service", b.service);
    p.body = std::move(b);
  } else if (type == "MESSAGE") {
    out::Message b;
    const json::value* origin = parsed.object.if_contains("origin");
    if (!origin) return DecodeError{"missing field `origin`"};
    if (!origin->is_object())
      return DecodeError{"invalid type: " + detail::unexpected(*origin) +
                         ", expected struct OriginInfo"};
    Fields of(origin->get_object());
    of.client_fields(b.origin.client);
    of.optional_service("service", b.origin.service);
    if (!of.ok()) return DecodeError{of.error};
    f.target("target", b.target);
    std::string_view data = parsed.raw_of("data");
    if (f.ok() && data.empty()) return DecodeError{"missing field `data`"};
    b.data = std::string(data);
    p.body = std::move(b);
  } else {
    return DecodeError{"unknown variant `" + type + "`"};
  }
  if (!f.ok()) return DecodeError{f.error};
  return p;
}

}  // namespace parley::dialects::concierge
