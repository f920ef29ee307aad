#pragma once
// ERT Concierge protocol 0.2.0: every payload a client sends (PayloadIn) and every payload the
// server sends (PayloadOut), as plain structs. JSON text frames, internally tagged by "type" in
// SCREAMING_SNAKE_CASE; the wire forms are in docs/protocols/concierge.md and codec.hpp converts
// both ways. UUIDs are kept in their canonical lower-case hyphenated form.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace parley::dialects::concierge {

inline constexpr std::string_view kVersion = "0.2.0";      // the server's protocol version
inline constexpr std::string_view kMinVersion = "^0.2.0";  // what IDENTIFY's version must match
inline constexpr std::string_view kSubprotocol = "ert-concierge";

// WebSocket close codes (the original's CloseReason) and their reason texts.
namespace close_code {
inline constexpr std::uint16_t unknown = 4000;         // first frame: not a valid payload
inline constexpr std::uint16_t fatal_decode = 4002;    // defined by the original, unused
inline constexpr std::uint16_t no_auth = 4003;         // first payload is not IDENTIFY
inline constexpr std::uint16_t auth_failed = 4004;     // no IDENTIFY within 5 s
inline constexpr std::uint16_t duplicate_auth = 4005;  // the name is connected already
inline constexpr std::uint16_t bad_secret = 4006;      // the shared secret does not match
inline constexpr std::uint16_t bad_version = 4007;     // version does not match ^0.2.0
inline constexpr std::uint16_t bad_auth = 4008;        // name is not alphanumeric/_
inline constexpr std::uint16_t hb_failed = 4009;       // no sign of life for 10 s
// Parley's: RFC 6455's "Try Again Later", when the server holds as many channels as it may.
inline constexpr std::uint16_t try_again_later = 1013;
}  // namespace close_code

// The reason text the original sends with a close code ("Unknown reason" for others).
std::string_view close_reason(std::uint16_t code);

struct ClientInfo {
  std::string name;
  std::optional<std::string> nickname;  // null on the wire when absent
  std::string uuid;
  std::vector<std::string> tags;
  bool operator==(const ClientInfo&) const = default;
};

struct ServiceInfo {
  std::string name;
  std::optional<std::string> nickname;
  std::string owner_uuid;
  std::vector<std::string> subscribers;  // uuids
  bool operator==(const ServiceInfo&) const = default;
};

// Who sent a delivered MESSAGE: the client's fields flattened, plus the service when the message
// went through one (null otherwise).
struct Origin {
  ClientInfo client;
  std::optional<ServiceInfo> service;
  bool operator==(const Origin&) const = default;
};

struct Target {
  enum class Type : std::uint8_t { name, uuid, service, service_client_uuid, all };
  Type type = Type::all;
  std::string name;     // Type::name
  std::string uuid;     // Type::uuid, Type::service_client_uuid
  std::string service;  // Type::service, Type::service_client_uuid
  bool operator==(const Target&) const = default;
};

// ---- Client -> server ----------------------------------------------------------------------

namespace in {
struct Identify {
  std::string name;
  std::optional<std::string> nickname;
  std::string version;
  std::optional<std::string> secret;
  std::vector<std::string> tags;
  bool operator==(const Identify&) const = default;
};
struct SelfSubscribe {
  std::string service;
  bool operator==(const SelfSubscribe&) const = default;
};
struct SelfUnsubscribe {
  std::string service;
  bool operator==(const SelfUnsubscribe&) const = default;
};
struct SelfFetch {
  bool operator==(const SelfFetch&) const = default;
};
struct SelfSetSeq {
  std::uint64_t seq = 0;
  bool operator==(const SelfSetSeq&) const = default;
};
struct ServiceCreate {
  std::string service;
  std::optional<std::string> nickname;
  bool operator==(const ServiceCreate&) const = default;
};
struct ServiceDelete {
  std::string service;
  bool operator==(const ServiceDelete&) const = default;
};
struct ServiceFetch {
  std::string service;
  bool operator==(const ServiceFetch&) const = default;
};
struct ServiceFetchAll {
  bool operator==(const ServiceFetchAll&) const = default;
};
struct ClientFetch {
  std::string uuid;
  bool operator==(const ClientFetch&) const = default;
};
struct ClientFetchAll {
  bool operator==(const ClientFetchAll&) const = default;
};
struct Message {
  Target target;
  std::string data;  // the raw JSON text of "data", forwarded verbatim; "origin" is ignored
  bool operator==(const Message&) const = default;
};
}  // namespace in

using PayloadIn =
    std::variant<in::Identify, in::SelfSubscribe, in::SelfUnsubscribe, in::SelfFetch,
                 in::SelfSetSeq, in::ServiceCreate, in::ServiceDelete, in::ServiceFetch,
                 in::ServiceFetchAll, in::ClientFetch, in::ClientFetchAll, in::Message>;

// ---- Server -> client ----------------------------------------------------------------------

namespace out {
struct Hello {
  std::string uuid;
  std::string version;
  bool operator==(const Hello&) const = default;
};
struct Ok {
  bool operator==(const Ok&) const = default;
};
struct Bad {
  bool operator==(const Bad&) const = default;
};
struct SelfSubscribeResult {
  bool successful = false;
  ServiceInfo service;
  bool operator==(const SelfSubscribeResult&) const = default;
};
struct SelfUnsubscribeResult {
  bool successful = false;
  ServiceInfo service;
  bool operator==(const SelfUnsubscribeResult&) const = default;
};
struct SelfFetchResult {
  ClientInfo client;
  std::vector<ServiceInfo> subscriptions;
  bool operator==(const SelfFetchResult&) const = default;
};
struct ServiceCreateResult {
  bool successful = false;
  ServiceInfo service;
  bool operator==(const ServiceCreateResult&) const = default;
};
struct ServiceDeleteResult {
  ServiceInfo service;
  bool operator==(const ServiceDeleteResult&) const = default;
};
struct ServiceFetchResult {
  ServiceInfo service;
  bool operator==(const ServiceFetchResult&) const = default;
};
struct ServiceFetchAllResult {
  std::vector<ServiceInfo> services;
  bool operator==(const ServiceFetchAllResult&) const = default;
};
struct ClientFetchResult {
  ClientInfo client;
  std::vector<ServiceInfo> subscriptions;
  bool operator==(const ClientFetchResult&) const = default;
};
struct ClientFetchAllResult {
  std::vector<ClientInfo> clients;
  bool operator==(const ClientFetchAllResult&) const = default;
};
struct ClientJoined {
  ClientInfo client;
  bool operator==(const ClientJoined&) const = default;
};
struct ClientLeft {
  ClientInfo client;
  bool operator==(const ClientLeft&) const = default;
};
struct ServiceClientSubscribed {
  ClientInfo client;
  ServiceInfo service;
  bool operator==(const ServiceClientSubscribed&) const = default;
};
struct ServiceClientUnsubscribed {
  ClientInfo client;
  ServiceInfo service;
  bool operator==(const ServiceClientUnsubscribed&) const = default;
};
struct ErrorInternal {
  std::string desc;
  bool operator==(const ErrorInternal&) const = default;
};
struct ErrorUnsupported {
  bool operator==(const ErrorUnsupported&) const = default;
};
struct ErrorProtocol {
  std::string desc;
  bool operator==(const ErrorProtocol&) const = default;
};
struct InvalidName {
  std::string name;
  bool operator==(const InvalidName&) const = default;
};
struct InvalidUuid {
  std::string uuid;
  bool operator==(const InvalidUuid&) const = default;
};
struct InvalidService {
  std::string service;
  bool operator==(const InvalidService&) const = default;
};
struct Message {
  Origin origin;
  Target target;     // the sender's target, as it sent it
  std::string data;  // raw JSON text, verbatim from the sender
  bool operator==(const Message&) const = default;
};
}  // namespace out

struct PayloadOut {
  using Body =
      std::variant<out::Hello, out::Ok, out::Bad, out::SelfSubscribeResult,
                   out::SelfUnsubscribeResult, out::SelfFetchResult, out::ServiceCreateResult,
                   out::ServiceDeleteResult, out::ServiceFetchResult, out::ServiceFetchAllResult,
                   out::ClientFetchResult, out::ClientFetchAllResult, out::ClientJoined,
                   out::ClientLeft, out::ServiceClientSubscribed, out::ServiceClientUnsubscribed,
                   out::ErrorInternal, out::ErrorUnsupported, out::ErrorProtocol, out::InvalidName,
                   out::InvalidUuid, out::InvalidService, out::Message>;
  std::optional<std::uint64_t> seq;  // the index of the payload answered; none when unsolicited
  Body body;
  bool operator==(const PayloadOut&) const = default;
};

}  // namespace parley::dialects::concierge
