#include "core/message_bytes.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <string>

namespace parley::core {

namespace json = boost::json;

std::size_t json_bytes(const json::object& object) {
  std::size_t n = object.capacity() * sizeof(json::key_value_pair);
  for (const auto& kv : object) n += kv.key().size() + 1 + json_bytes(kv.value());
  return n;
}

std::size_t json_bytes(const json::value& value) {
  switch (value.kind()) {
    case json::kind::string:
      return value.get_string().capacity();
    case json::kind::array: {
      const json::array& array = value.get_array();
      std::size_t n = array.capacity() * sizeof(json::value);
      for (const auto& element : array) n += json_bytes(element);
      return n;
    }
    case json::kind::object:
      return json_bytes(value.get_object());
    default:
      return 0;  // held in the value itself
  }
}

namespace {

// Bytes a string holds outside itself (none while short enough for its inline buffer).
std::size_t heap_bytes(const std::string& s) {
  static const std::size_t inline_capacity = std::string().capacity();
  return s.capacity() > inline_capacity ? s.capacity() + 1 : 0;
}

}  // namespace

std::size_t message_bytes(const Message& m) {
  return sizeof(Message) + heap_bytes(m.channel) + heap_bytes(m.id) + heap_bytes(m.author_id) +
         heap_bytes(m.author_name) + heap_bytes(m.text) + heap_bytes(m.dialect) +
         json_bytes(m.payload);
}

}  // namespace parley::core
