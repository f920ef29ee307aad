#pragma once
// What a message costs in memory, for the byte bounds of the history caches.
#include <boost/json/value.hpp>
#include <cstddef>

#include "core/message.hpp"

namespace parley::core {

// Approximately the heap bytes a JSON value holds: its strings, keys and element tables.
std::size_t json_bytes(const boost::json::value& value);
std::size_t json_bytes(const boost::json::object& object);

// Approximately the bytes one message holds: the struct, its strings (text included) and its
// payload (json_bytes). Computed once per message; cheap compared with rendering it.
std::size_t message_bytes(const Message& message);

}  // namespace parley::core
