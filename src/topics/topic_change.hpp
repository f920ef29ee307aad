#pragma once
// Changes to synchronized topics, in ChatRoom's serialized form (chatroom.ref.md, "Serialized
// Change forms"): prepare_change() validates a client's change against a topic's state without
// touching it, commit_change() applies what was prepared and cannot fail. So a change applies
// completely or not at all, and a caller may ask someone else (a validator client) in between.
//
// Every prepared change carries its inverse (chatroom.ref.md, "Inverses"): set <-> set(old),
// add <-> add(-v), append <-> remove, list insert <-> pop, dict add <-> pop, change_value <->
// change_value(old), string insert <-> delete (versions swapped), emit <-> reversed_emit.
#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <variant>

#include "topics/topic_state.hpp"

namespace parley::topics {

struct ChangeLimits {
  std::size_t max_value_bytes = 1024 * 1024;  // a topic's value as JSON text, at most
  std::size_t history_limit = 256;            // string edits kept for rebasing...
  std::size_t history_bytes = 256 * 1024;     // ...and at most this much of their text
};

enum class ChangeKind : std::uint8_t {
  set,
  add,
  text_insert,
  text_delete,
  append,
  remove,
  list_insert,
  list_pop,
  dict_add,
  dict_pop,
  change_value,
  emit,
  reversed_emit,
};

struct PreparedChange {
  ChangeKind kind = ChangeKind::set;
  // The change as it applies, every field of its serialized form present; this is what
  // subscribers are sent. Differs from the client's when the server filled in or corrected
  // fields: ids, old_value, normalized list positions, rebased string edits ("<id>_adjust").
  boost::json::object change;
  // The change that undoes this one, once applied. No id: it gets one when it is applied.
  boost::json::object inverse;
  boost::json::value result;    // set, add: the new value
  std::size_t offset = 0;       // string edits: byte offset; set remove, list: index
  std::int64_t size_delta = 0;  // growth of the value's JSON text, approximately
  TextEdit edit;                // string topics: what the history remembers
};

// Makes a fresh change id ("0_<n>" for the server's own).
using IdSource = std::function<std::string()>;

// Validates a client's change against t, as it is now. The change must have a "type" of t's
// topic type; topic_name and topic_type, when present, must be t's ("unknown" passes);
// missing ids are made with ids. On rejection, the reason, for a reject_update.
std::variant<PreparedChange, std::string> prepare_change(const TopicState& t,
                                                         const boost::json::object& change,
                                                         const IdSource& ids,
                                                         const ChangeLimits& limits = {});

// Applies p, which prepare_change() accepted for t, with t unchanged since. Increments
// t.revision; string topics also move to p's result version and remember the edit.
void commit_change(TopicState& t, const PreparedChange& p, const ChangeLimits& limits = {});

// The set change that brings a new subscriber to t's current value: old_value null; for a string
// topic its id is t's version (a client's version after a set is the set's id).
boost::json::object snapshot_change(const TopicState& t, const IdSource& ids);

}  // namespace parley::topics
