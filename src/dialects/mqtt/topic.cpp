#include "dialects/mqtt/topic.hpp"

#include "core/utf8.hpp"

namespace parley::dialects::mqtt {

namespace {
constexpr std::size_t kMaxField = 0xFFFF;
}

bool valid_mqtt_string(std::string_view s) {
  return s.find('\0') == std::string_view::npos && core::valid_utf8(s);
}

bool valid_topic_name(std::string_view topic) {
  return !topic.empty() && topic.size() <= kMaxField &&
         topic.find_first_of("+#") == std::string_view::npos && valid_mqtt_string(topic);
}

bool valid_topic_filter(std::string_view filter) {
  if (filter.empty() || filter.size() > kMaxField || !valid_mqtt_string(filter)) return false;
  bool ok = true;
  bool after_hash = false;
  for_each_level(filter, [&](std::string_view level) {
    if (after_hash) ok = false;  // '#' must be the last level
    if (level.find_first_of("+#") == std::string_view::npos) return;
    if (level == "#")
      after_hash = true;
    else if (level != "+")
      ok = false;  // a wildcard sharing its level with other characters
  });
  return ok;
}

bool has_wildcard(std::string_view filter) {
  bool found = false;
  for_each_level(filter, [&](std::string_view level) { found |= level == "+" || level == "#"; });
  return found;
}

bool topic_matches(std::string_view filter, std::string_view topic) {
  // Section 4.7.2: a filter starting with a wildcard does not match a '$' topic.
  if (!topic.empty() && topic.front() == '$' && !filter.empty() &&
      (filter.front() == '+' || filter.front() == '#'))
    return false;
  for (;;) {
    std::size_t fs = filter.find('/');
    std::string_view flevel = filter.substr(0, fs);
    if (flevel == "#") return true;  // the rest, the parent level included
    std::size_t ts = topic.find('/');
    std::string_view tlevel = topic.substr(0, ts);
    if (flevel != "+" && flevel != tlevel) return false;
    if (fs == std::string_view::npos) return ts == std::string_view::npos;
    filter.remove_prefix(fs + 1);
    if (ts == std::string_view::npos) {
      // The topic ended: only a trailing "#" still matches ("a/#" matches "a").
      return filter == "#";
    }
    topic.remove_prefix(ts + 1);
  }
}

}  // namespace parley::dialects::mqtt
