#pragma once
// MQTT publications as Parley's canonical messages, and back.
//
// Topics and channels: an MQTT topic is the channel of the same name, except the Chat Service's
// `affinitas_chat/one_to_one/<uuid>` (uuid in its canonical lower-case form), which is the SSE
// system's channel `<uuid>`. The other way, a channel that is a lower-case UUID is that topic;
// any other channel is the topic of the same name.
//
// A publication becomes a message with:
// - text: the payload when it is UTF-8; when the payload is the Chat Service's JSON object
//   {"id","userId","message"}, text is "message", author_id "userId" and the message id "id"
//   (so that every system shows what the original services showed);
// - payload (the JSON object kept with the message): {"topic": <topic>, "qos": <0-2>} and, when
//   the payload's bytes are not the text, "raw": <the payload> (UTF-8) or "base64": <payload>
//   (binary: text is then empty); "rseq" marks a retained publication (see Retained).
// A message from another system reaches MQTT subscribers on channel_to_topic(channel) at QoS 2
// (as durable as the store makes it), its payload the Chat Service's JSON object built from the
// canonical fields: {"id":<id>,"userId":<author id>,"message":<text>}.
#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/message.hpp"

namespace parley::dialects::mqtt {

// The dialect name stored with messages published over MQTT.
inline constexpr std::string_view kDialect = "mqtt";

// The Chat Service's topic root (the original's `mqtt_root_topic`).
inline constexpr std::string_view kChatTopicPrefix = "affinitas_chat/one_to_one/";

std::string topic_to_channel(std::string_view topic);
std::string channel_to_topic(std::string_view channel);

// The message for a PUBLISH (or a will) on topic, from author (user name or client id).
core::Message make_message(std::string_view topic, std::string_view payload, std::uint8_t qos,
                           std::string_view author);

// The topic a subscriber sees for m: the publisher's topic for an MQTT message, else the
// channel's.
std::string topic_of(const core::Message& m);
// The payload bytes a subscriber receives for m.
std::string payload_of(const core::Message& m);
// The QoS m was published with (2 for other systems' messages).
std::uint8_t qos_of(const core::Message& m);
// An estimate of the memory m holds, for the bounds of a session's queue.
std::size_t approx_bytes(const core::Message& m);

// A retained publication's mark (payload "rseq"), 0 when m has none.
std::uint64_t retain_seq_of(const core::Message& m);

// A message as JSON and back, for the session and retained records kept across restarts.
boost::json::object message_to_json(const core::Message& m);
std::optional<core::Message> message_from_json(const boost::json::object& o);

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace parley::dialects::mqtt
