#pragma once
// Synchronized topics: the types a topic can have, their default values, and what a whole value
// of each type must look like. Type names and defaults are ChatRoom's (chatroom.ref.md).
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string_view>

namespace parley::topics {

enum class TopicType : std::uint8_t { generic, string, integer, floating, set, list, dict, event };

// "generic", "string", "int", "float", "set", "list", "dict", "event"; nullopt otherwise.
std::optional<TopicType> parse_topic_type(std::string_view name);
std::string_view topic_type_name(TopicType type);

// null, "", 0, 0.0, [], [], {}, null.
boost::json::value default_topic_value(TopicType type);

// Whether value may be the whole value of a topic of this type: a string for string, an integer
// (int64) for int, a number for float, an array without two equal items for set, an array for
// list, an object for dict; anything for generic; null for event.
bool fits_topic_type(TopicType type, const boost::json::value& value);

// JSON equality as ChatRoom's Python server sees it: numbers compare by value whatever their
// representation (1 == 1.0), everything else structurally.
bool json_equal(const boost::json::value& a, const boost::json::value& b);

// The value's compact JSON text, cut to at most max bytes (with "..." when cut), for messages.
std::string json_preview(const boost::json::value& value, std::size_t max = 80);

}  // namespace parley::topics
