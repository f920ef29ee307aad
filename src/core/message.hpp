#pragma once
// The canonical chat message: one form for every dialect, so that what a user of one system
// sends can be delivered to the users of the others.
#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <string>

namespace parley::core {

struct Message {
  std::string channel;       // core channel name, e.g. "lobby" for Hub's "room:lobby"
  std::uint64_t offset = 0;  // per channel, gap-free from 1; assigned by the broker
  std::int64_t time_ms = 0;  // unix time in milliseconds; assigned by the broker
  std::string id;            // uuid v4; assigned by the broker when empty
  std::string author_id;
  std::string author_name;
  std::string text;
  boost::json::object payload;  // the originating dialect's payload, rendered verbatim by it
  std::string dialect;          // originating dialect, e.g. "phoenix"
  // The store's commit order across every channel (SqliteStore: the row id), set when loaded
  // from the store; 0 otherwise. Merges channels in the order their messages were committed.
  std::uint64_t seq = 0;
};

// Messages are immutable once published and shared by every reader.
using MessagePtr = std::shared_ptr<const Message>;

}  // namespace parley::core
