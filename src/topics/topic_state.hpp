#pragma once
// One synchronized topic's state: its value, revision, and (string topics) version and the recent
// edits that stale inserts and deletes are rebased over. A plain value: whoever owns it
// serializes access (SyncHub keeps one mutex per topic).
#include <boost/json/value.hpp>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "topics/topic_types.hpp"

namespace parley::topics {

// One applied change of a string topic, as rebasing needs it. Positions and lengths in code
// points.
struct TextEdit {
  enum class Kind : std::uint8_t { set, insert, erase };
  Kind kind = Kind::set;
  std::string base;    // the topic version the change applied to
  std::string result;  // the version it produced
  std::size_t position = 0;
  std::string text;  // insertion or deletion; empty for set
};

// What the store keeps of a topic (TopicState in text form).
struct TopicRecord {
  std::string name;
  std::string type;   // topic_type_name()
  std::string value;  // JSON
  std::string version;
  std::uint64_t revision = 0;
  std::string history;  // JSON: {"from_init": bool, "edits": [...]}; "" when none
};

struct TopicState {
  TopicState(std::string name, TopicType type);

  std::string name;
  TopicType type;
  boost::json::value value;
  std::uint64_t revision = 0;   // changes applied since the topic was created
  std::size_t value_bytes = 0;  // size of value's JSON text (kept up to date approximately)

  // String topics: the current version ("<name>_init" at creation) and the latest edits, oldest
  // first. history_from_init is true while no edit was dropped from history.
  std::string version;
  std::deque<TextEdit> history;
  std::size_t history_bytes = 0;  // text held by history
  bool history_from_init = true;

  std::string initial_version() const { return name + "_init"; }
  // Appends an edit, dropping the oldest beyond limit edits or max_bytes of their text.
  void remember(TextEdit edit, std::size_t limit, std::size_t max_bytes = SIZE_MAX);

  TopicRecord to_record() const;
  // nullopt when the record is not readable (unknown type, bad JSON, value not of the type).
  static std::optional<TopicState> from_record(const TopicRecord& record);
};

}  // namespace parley::topics
