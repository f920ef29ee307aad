#pragma once
// Where synchronized topics are kept across restarts. Implemented by storage
// (SqliteTopicStore); the core only tells it which topic changed.
#include <string>

#include "topics/topic_state.hpp"

namespace parley::topics {

class TopicStore {
 public:
  virtual ~TopicStore() = default;
  // The topic changed: write its state soon. Thread-safe, never blocks on disk; the store reads
  // the state later, on its own thread, so a topic changed many times is written once.
  virtual void dirty(const std::string& topic) = 0;
};

}  // namespace parley::topics
