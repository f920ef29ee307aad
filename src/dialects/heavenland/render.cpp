#include "dialects/heavenland/render.hpp"

namespace parley::dialects::heavenland {

namespace json = boost::json;

json::object render_message(const core::Message& m) {
  json::object out;
  out.reserve(m.payload.size() + 5);
  out.emplace("user_id", m.author_id);
  out.emplace("timestamp", m.time_ms / 1000);  // unix seconds, as the original
  if (m.dialect == kDialect) {
    for (const auto& [key, value] : m.payload) out.emplace(key, value);
  } else {
    out.emplace("message", m.text);
    if (m.channel != kDefaultChannel) out.emplace("channel", m.channel);
  }
  out.emplace("nickname", m.author_name);
  return out;
}

}  // namespace parley::dialects::heavenland
