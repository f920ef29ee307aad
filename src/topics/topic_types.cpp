#include "topics/topic_types.hpp"

#include <boost/json/serialize.hpp>
#include <functional>
#include <unordered_set>
#include <utility>

namespace parley::topics {

namespace json = boost::json;

namespace {

constexpr std::pair<TopicType, std::string_view> kNames[] = {
    {TopicType::generic, "generic"}, {TopicType::string, "string"}, {TopicType::integer, "int"},
    {TopicType::floating, "float"},  {TopicType::set, "set"},       {TopicType::list, "list"},
    {TopicType::dict, "dict"},       {TopicType::event, "event"},
};

bool is_number(const json::value& v) { return v.is_int64() || v.is_uint64() || v.is_double(); }

double as_double(const json::value& v) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  return static_cast<double>(v.get_uint64());
}

std::size_t mix(std::size_t seed, std::size_t h) {
  return seed ^ (h + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
}

// A hash consistent with json_equal: equal values hash alike (numbers by their double value,
// object members in any order).
std::size_t json_hash(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return 0x6e756c6cULL;
    case json::kind::bool_:
      return v.get_bool() ? 1 : 2;
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: {
      double d = as_double(v);
      return std::hash<double>{}(d == 0 ? 0.0 : d);  // -0.0 == 0.0
    }
    case json::kind::string:
      return std::hash<std::string_view>{}(v.get_string());
    case json::kind::array: {
      std::size_t h = 0x61727261ULL;
      for (const auto& item : v.get_array()) h = mix(h, json_hash(item));
      return h;
    }
    case json::kind::object: {
      std::size_t h = 0x6f626a65ULL;
      for (const auto& [key, item] : v.get_object())  // order-independent: a sum
        h += mix(std::hash<std::string_view>{}(key), json_hash(item));
      return h;
    }
  }
  return 0;
}

}  // namespace

std::optional<TopicType> parse_topic_type(std::string_view name) {
  for (auto [type, n] : kNames)
    if (n == name) return type;
  return std::nullopt;
}

std::string_view topic_type_name(TopicType type) {
  for (auto [t, n] : kNames)
    if (t == type) return n;
  return "generic";
}

json::value default_topic_value(TopicType type) {
  switch (type) {
    case TopicType::string:
      return json::string();
    case TopicType::integer:
      return std::int64_t{0};
    case TopicType::floating:
      return 0.0;
    case TopicType::set:
    case TopicType::list:
      return json::array();
    case TopicType::dict:
      return json::object();
    case TopicType::generic:
    case TopicType::event:
      return nullptr;
  }
  return nullptr;
}

bool fits_topic_type(TopicType type, const json::value& value) {
  switch (type) {
    case TopicType::generic:
      return true;
    case TopicType::string:
      return value.is_string();
    case TopicType::integer:
      return value.is_int64() ||
             (value.is_uint64() && value.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX));
    case TopicType::floating:
      return is_number(value);
    case TopicType::set: {
      if (!value.is_array()) return false;
      // Linear on average: a set value may have tens of thousands of items.
      struct Hash {
        std::size_t operator()(const json::value* v) const { return json_hash(*v); }
      };
      struct Equal {
        bool operator()(const json::value* a, const json::value* b) const {
          return json_equal(*a, *b);
        }
      };
      std::unordered_set<const json::value*, Hash, Equal> seen;
      seen.reserve(value.get_array().size());
      for (const auto& item : value.get_array())
        if (!seen.insert(&item).second) return false;
      return true;
    }
    case TopicType::list:
      return value.is_array();
    case TopicType::dict:
      return value.is_object();
    case TopicType::event:
      return value.is_null();
  }
  return false;
}

bool json_equal(const json::value& a, const json::value& b) {
  if (is_number(a) && is_number(b)) {
    if (a.is_double() || b.is_double()) return as_double(a) == as_double(b);
    return a == b;  // int64/uint64 compare by value
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!json_equal(x[i], y[i])) return false;
    return true;
  }
  if (a.is_object()) {
    const auto &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& [k, v] : x) {
      const json::value* other = y.if_contains(k);
      if (!other || !json_equal(v, *other)) return false;
    }
    return true;
  }
  return a == b;
}

std::string json_preview(const json::value& value, std::size_t max) {
  std::string text = json::serialize(value);
  if (text.size() <= max) return text;
  std::size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
  text.resize(cut);
  return text + "...";
}

}  // namespace parley::topics
