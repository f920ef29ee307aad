#pragma once
// Small records kept across restarts under string keys (e.g. MQTT sessions and retained
// messages). Implemented by storage (SqliteStateStore); the writer coalesces: of several puts
// and erases of one key between two batches, only the last is written.
#include <string>

namespace parley::core {

class StateStore {
 public:
  virtual ~StateStore() = default;
  // Writes value under key soon. Thread-safe; never blocks on disk.
  virtual void put(std::string key, std::string value) = 0;
  // Removes key soon. Thread-safe; never blocks on disk.
  virtual void erase(std::string key) = 0;
};

}  // namespace parley::core
