#include "dialects/chatroom/original_changes.hpp"

namespace parley::dialects::chatroom {

namespace json = boost::json;

json::object class_fields(const json::object& change) {
  json::object out;
  out.reserve(change.size());
  for (const auto& [key, value] : change)
    if (key != "topic_name" && key != "topic_type") out.emplace(key, value);
  return out;
}

std::optional<json::object> original_change(const json::object& change,
                                            const json::value* value_after) {
  const json::value* type = change.if_contains("type");
  if (type && type->is_string() && type->get_string() == "set") {
    json::object out{
        {"type", "set"},
        {"value", change.contains("value") ? change.at("value") : nullptr},
        {"old_value", change.contains("old_value") ? change.at("old_value") : nullptr}};
    if (const json::value* id = change.if_contains("id")) out["id"] = *id;
    return out;
  }
  if (!value_after) return std::nullopt;
  json::object out{{"type", "set"}, {"value", *value_after}, {"old_value", nullptr}};
  if (const json::value* id = change.if_contains("id")) out["id"] = *id;
  return out;
}

}  // namespace parley::dialects::chatroom
