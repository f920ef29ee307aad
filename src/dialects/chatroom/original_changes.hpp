#pragma once
// Changes as the original client takes them (chatroom/topic_change.py at commit 9512c29): the only
// change class is ChangeSet, serialized {"type": "set", "value", "old_value", "id"} and rebuilt
// client-side as ChangeSet(**fields without "type"), so any other field or change type kills the
// client's receiving thread. The hub's changes carry the later forms (chatroom.ref.md: every
// change starts with topic_name and topic_type, and has a type of its topic's type).
#include <boost/json/object.hpp>
#include <optional>

namespace parley::dialects::chatroom {

// The change without "topic_name" and "topic_type": the fields of its change class, which is how
// the changes of that era serialize (a set: exactly the 9512c29 form).
boost::json::object class_fields(const boost::json::object& change);

// The change as a 9512c29 client takes it. A set: its class fields. Any other change that leaves
// a value: a set of value_after (the topic's value after it), under the change's id, old_value
// null (a client reads old_value back only from its own sets, which stay sets). nullopt when
// there is nothing to set: an event's emit, or value_after missing.
std::optional<boost::json::object> original_change(const boost::json::object& change,
                                                   const boost::json::value* value_after);

}  // namespace parley::dialects::chatroom
