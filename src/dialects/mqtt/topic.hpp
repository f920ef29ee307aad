#pragma once
// Topic names and topic filters (MQTT 3.1.1 section 4.7): what is valid, and what matches what.
// Levels are separated by '/'; in a filter, '+' is exactly one level and '#' the rest (the
// parent level included: "a/#" matches "a"). A filter starting with a wildcard does not match a
// topic starting with '$' (section 4.7.2). Pure functions.
#include <string_view>

namespace parley::dialects::mqtt {

// A UTF-8 string field of MQTT: well-formed UTF-8 without U+0000 (section 1.5.3).
bool valid_mqtt_string(std::string_view s);

// A topic name a PUBLISH may carry: 1 to 65535 bytes of valid_mqtt_string, no '+' or '#'.
bool valid_topic_name(std::string_view topic);

// A topic filter a SUBSCRIBE may carry: 1 to 65535 bytes of valid_mqtt_string; '+' only as a
// whole level, '#' only as the whole last level.
bool valid_topic_filter(std::string_view filter);

// True when filter has a '+' or '#' level.
bool has_wildcard(std::string_view filter);

// True when the (valid) filter matches the (valid) topic name.
bool topic_matches(std::string_view filter, std::string_view topic);

// Calls fn(level) for each level of a topic or filter, in order ("a//b" has three levels).
template <class Fn>
void for_each_level(std::string_view s, Fn&& fn) {
  for (;;) {
    std::size_t slash = s.find('/');
    fn(s.substr(0, slash));
    if (slash == std::string_view::npos) return;
    s.remove_prefix(slash + 1);
  }
}

}  // namespace parley::dialects::mqtt
