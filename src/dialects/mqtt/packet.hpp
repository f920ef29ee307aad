#pragma once
// MQTT 3.1.1 control packets (OASIS, 29 October 2014) as values, and their encoders. The
// decoded forms hold views into the bytes they were parsed from: valid only while those bytes
// are (during a PacketHandler call). Pure functions: no I/O, no state.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace parley::dialects::mqtt {

// Section 2.2.1.
enum class PacketType : std::uint8_t {
  connect = 1,
  connack = 2,
  publish = 3,
  puback = 4,
  pubrec = 5,
  pubrel = 6,
  pubcomp = 7,
  subscribe = 8,
  suback = 9,
  unsubscribe = 10,
  unsuback = 11,
  pingreq = 12,
  pingresp = 13,
  disconnect = 14,
};

const char* type_name(PacketType type);

// CONNACK return codes, section 3.2.2.3.
namespace connack_code {
inline constexpr std::uint8_t accepted = 0x00;
inline constexpr std::uint8_t bad_protocol_version = 0x01;
inline constexpr std::uint8_t identifier_rejected = 0x02;
inline constexpr std::uint8_t server_unavailable = 0x03;
inline constexpr std::uint8_t bad_username_or_password = 0x04;
inline constexpr std::uint8_t not_authorized = 0x05;
}  // namespace connack_code

// The SUBACK return code of a refused subscription (section 3.9.3).
inline constexpr std::uint8_t kSubackFailure = 0x80;

// The largest Remaining Length the four-byte encoding can carry (section 2.2.3).
inline constexpr std::size_t kMaxRemainingLength = 268'435'455;

// The protocol levels Parley speaks: 4 is MQTT 3.1.1 ("MQTT"), 3 is MQTT 3.1 ("MQIsdp").
inline constexpr std::uint8_t kLevel311 = 4;
inline constexpr std::uint8_t kLevel31 = 3;

struct Will {
  std::string_view topic;
  std::string_view payload;
  std::uint8_t qos = 0;
  bool retain = false;
};

struct Connect {
  std::string_view protocol_name;  // "MQTT" (3.1.1) or "MQIsdp" (3.1)
  std::uint8_t level = kLevel311;
  // False when the name is known but the level is not (e.g. MQTT 5): only protocol_name and
  // level are filled, and the server answers CONNACK 0x01 (section 3.1.2.2).
  bool supported = true;
  bool clean_session = true;
  std::uint16_t keep_alive = 0;  // seconds; 0: none
  std::string_view client_id;
  std::optional<Will> will;
  std::optional<std::string_view> username;
  std::optional<std::string_view> password;
};

struct Connack {
  bool session_present = false;
  std::uint8_t code = connack_code::accepted;
};

struct Publish {
  std::string_view topic;
  std::string_view payload;
  std::uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;  // 0 for QoS 0
};

// PUBACK, PUBREC, PUBREL, PUBCOMP and UNSUBACK: a type and a packet identifier.
struct Ack {
  PacketType type = PacketType::puback;
  std::uint16_t packet_id = 0;
};

struct Subscribe {
  std::uint16_t packet_id = 0;
  std::vector<std::pair<std::string_view, std::uint8_t>> filters;  // filter, requested QoS
};

struct Suback {
  std::uint16_t packet_id = 0;
  std::vector<std::uint8_t> codes;  // granted QoS 0-2, or kSubackFailure
};

struct Unsubscribe {
  std::uint16_t packet_id = 0;
  std::vector<std::string_view> filters;
};

// PINGREQ, PINGRESP, DISCONNECT: the type alone.
struct Empty {
  PacketType type = PacketType::pingreq;
};

using Packet = std::variant<Connect, Connack, Publish, Ack, Subscribe, Suback, Unsubscribe, Empty>;

PacketType type_of(const Packet& packet);

// ---- Encoders: complete packets, fixed header included -----------------------------------------

// Appends the Remaining Length encoding of n (n <= kMaxRemainingLength).
void append_remaining_length(std::string& out, std::size_t n);

std::string encode(const Packet& packet);
std::string encode_connect(const Connect& c);
std::string encode_connack(bool session_present, std::uint8_t code);
std::string encode_publish(const Publish& p);
// The bytes of a PUBLISH up to its payload (fixed header, topic, packet identifier) for a
// payload of payload_size bytes: the payload can then follow as a buffer of its own, shared by
// every recipient of a broadcast.
std::string encode_publish_head(const Publish& p, std::size_t payload_size);
std::string encode_ack(PacketType type, std::uint16_t packet_id);
std::string encode_subscribe(const Subscribe& s);
std::string encode_suback(std::uint16_t packet_id, const std::vector<std::uint8_t>& codes);
std::string encode_unsubscribe(const Unsubscribe& u);
std::string encode_empty(PacketType type);

}  // namespace parley::dialects::mqtt
