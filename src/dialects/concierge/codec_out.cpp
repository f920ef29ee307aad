// Server payloads, both ways.
#include <boost/json/serialize.hpp>

#include "core/overloaded.hpp"
#include "dialects/concierge/codec.hpp"
#include "dialects/concierge/codec_json.hpp"
#include "dialects/concierge/codec_table.hpp"

namespace parley::dialects::concierge {

namespace json = boost::json;
using detail::client_json;
using detail::envelope;
using detail::Fields;
using detail::ParsedObject;
using detail::service_json;

namespace {

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

using Body = PayloadOut::Body;

// The fields of each server payload with fields, read in the order of the original's structs
// (so the first error reported is the same). Payloads with the same fields share a reader.
struct OutFields {
  static void read(Fields& f, const ParsedObject&, out::Hello& b) {
    f.uuid("uuid", b.uuid);
    f.string("version", b.version);
  }
  template <class T>
  requires detail::one_of<T, out::SelfSubscribeResult, out::SelfUnsubscribeResult,
                          out::ServiceCreateResult>
  static void read(Fields& f, const ParsedObject&, T& b) {
    f.boolean("successful", b.successful);
    f.service("service", b.service);
  }
  template <class T>
  requires detail::one_of<T, out::SelfFetchResult, out::ClientFetchResult>
  static void read(Fields& f, const ParsedObject&, T& b) {
    f.client("client", b.client);
    f.services("subscriptions", b.subscriptions);
  }
  template <class T>
  requires detail::one_of<T, out::ServiceDeleteResult, out::ServiceFetchResult>
  static void read(Fields& f, const ParsedObject&, T& b) { f.service("service", b.service); }
  static void read(Fields& f, const ParsedObject&, out::ServiceFetchAllResult& b) {
    f.services("services", b.services);
  }
  static void read(Fields& f, const ParsedObject&, out::ClientFetchAllResult& b) {
    f.clients("clients", b.clients);
  }
  template <class T>
  requires detail::one_of<T, out::ClientJoined, out::ClientLeft>
  static void read(Fields& f, const ParsedObject&, T& b) { f.client("client", b.client); }
  template <class T>
  requires detail::one_of<T, out::ServiceClientSubscribed, out::ServiceClientUnsubscribed>
  static void read(Fields& f, const ParsedObject&, T& b) {
    f.client("client", b.client);
    f.service("service", b.service);
  }
  template <class T>
  requires detail::one_of<T, out::ErrorInternal, out::ErrorProtocol>
  static void read(Fields& f, const ParsedObject&, T& b) { f.string("desc", b.desc); }
  static void read(Fields& f, const ParsedObject&, out::InvalidName& b) {
    f.string("name", b.name);
  }
  static void read(Fields& f, const ParsedObject&, out::InvalidUuid& b) {
    f.string("uuid", b.uuid);
  }
  static void read(Fields& f, const ParsedObject&, out::InvalidService& b) {
    f.string("service", b.service);
  }
  // "data" is kept as its raw text. An error in "origin" replaces an earlier one (in "seq").
  static void read(Fields& f, const ParsedObject& parsed, out::Message& b) {
    const json::value* origin = parsed.object.if_contains("origin");
    if (!origin) {
      f.error = "missing field `origin`";
      return;
    }
    if (!origin->is_object()) {
      f.error = "invalid type: " + detail::unexpected(*origin) + ", expected struct OriginInfo";
      return;
    }
    Fields of(origin->get_object());
    of.client_fields(b.origin.client);
    of.optional_service("service", b.origin.service);
    if (!of.ok()) {
      f.error = std::move(of.error);
      return;
    }
    f.target("target", b.target);
    f.raw(parsed, "data", b.data);
  }
};

using Row = detail::Rows<Body, OutFields>;

// Every server payload, in the order of PayloadOut::Body.
constexpr detail::Kind<Body> kOut[] = {
    Row::of<out::Hello>("HELLO"),
    Row::of<out::Ok>("OK"),
    Row::of<out::Bad>("BAD"),
    Row::of<out::SelfSubscribeResult>("SELF_SUBSCRIBE_RESULT"),
    Row::of<out::SelfUnsubscribeResult>("SELF_UNSUBSCRIBE_RESULT"),
    Row::of<out::SelfFetchResult>("SELF_FETCH_RESULT"),
    Row::of<out::ServiceCreateResult>("SERVICE_CREATE_RESULT"),
    Row::of<out::ServiceDeleteResult>("SERVICE_DELETE_RESULT"),
    Row::of<out::ServiceFetchResult>("SERVICE_FETCH_RESULT"),
    Row::of<out::ServiceFetchAllResult>("SERVICE_FETCH_ALL_RESULT"),
    Row::of<out::ClientFetchResult>("CLIENT_FETCH_RESULT"),
    Row::of<out::ClientFetchAllResult>("CLIENT_FETCH_ALL_RESULT"),
    Row::of<out::ClientJoined>("CLIENT_JOINED"),
    Row::of<out::ClientLeft>("CLIENT_LEFT"),
    Row::of<out::ServiceClientSubscribed>("SERVICE_CLIENT_SUBSCRIBED"),
    Row::of<out::ServiceClientUnsubscribed>("SERVICE_CLIENT_UNSUBSCRIBED"),
    Row::of<out::ErrorInternal>("ERROR_INTERNAL"),
    Row::of<out::ErrorUnsupported>("ERROR_UNSUPPORTED"),
    Row::of<out::ErrorProtocol>("ERROR_PROTOCOL"),
    Row::of<out::InvalidName>("INVALID_NAME"),
    Row::of<out::InvalidUuid>("INVALID_UUID"),
    Row::of<out::InvalidService>("INVALID_SERVICE"),
    Row::of<out::Message>("MESSAGE"),
};
static_assert(detail::covers_in_order(kOut));

}  // namespace

std::string_view type_name(const PayloadOut::Body& body) { return kOut[body.index()].type; }

std::string encode(const PayloadOut& p) {
  std::string_view type = type_name(p.body);
  auto seq = p.seq;
  return std::visit(
      core::overloaded{
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
  const auto* row = detail::find_kind(kOut, type);
  if (!row) return DecodeError{"unknown variant `" + type + "`"};
  row->read(f, parsed, p.body);
  if (!f.ok()) return DecodeError{f.error};
  return p;
}

}  // namespace parley::dialects::concierge
