#pragma once
// Presence of one channel: key (e.g. a username) -> metas, one per tracked session.
// Every change yields a diff of joins and leaves, as Phoenix.Presence does. Not thread-safe:
// its owner (the channel) serializes access.
#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace parley::core {

struct PresenceMeta {
  std::uint64_t session = 0;  // the tracking session: a key may have one meta per session
  std::string ref;            // unique per track or update
  std::string prev_ref;       // the replaced meta's ref after an update, else empty
  boost::json::object data;   // user fields, e.g. {typing, username}
};

using PresenceMap = std::map<std::string, std::vector<PresenceMeta>>;

struct PresenceDiff {
  PresenceMap joins;
  PresenceMap leaves;
  bool empty() const { return joins.empty() && leaves.empty(); }
};

class Presence {
 public:
  // Tracks session under key with data. A session already tracked under key is updated instead.
  PresenceDiff track(const std::string& key, std::uint64_t session, boost::json::object data);
  // Replaces the session's meta under key: a leave of the old meta and a join of the new one.
  // Empty diff when the session is not tracked under key.
  PresenceDiff update(const std::string& key, std::uint64_t session, boost::json::object data);
  // Removes every meta of session (all keys).
  PresenceDiff untrack(std::uint64_t session);

  const PresenceMap& list() const { return map_; }
  bool empty() const { return map_.empty(); }

 private:
  PresenceMap map_;
  // The keys each session is tracked under: untrack() visits those, not the whole room.
  std::unordered_map<std::uint64_t, std::vector<std::string>> keys_of_;
};

// Adds the changes of `next` to `pending`, as if both had happened in one diff: a meta that
// joined in `pending` and leaves in `next` was never seen by anyone, so both cancel out.
void merge_diff(PresenceDiff& pending, PresenceDiff next);

// A fresh unique presence ref: base64 of 8 random bytes, like Phoenix's phx_ref.
std::string make_presence_ref();

}  // namespace parley::core
