#pragma once
// Retained messages (section 3.3.1.3): at most one per topic, given to every new subscription
// whose filter matches. Thread-safe (one mutex); kept across restarts through a StateStore
// (key "r/<topic>").
//
// A retained publication is stored and published under the mutex, so that the retained message
// of a topic is always the one its channel committed last. It is stored before it commits: a
// subscription made in between gets it both as retained and live; the live copy carries the same
// mark (payload "rseq"), which lets the session drop it (Session::deliver).
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "core/broker.hpp"
#include "core/message.hpp"
#include "core/state_store.hpp"
#include "dialects/mqtt/topic_tree.hpp"

namespace parley::dialects::mqtt {

class RetainedStore {
 public:
  // store may be null (nothing kept across restarts). max: topics kept at most.
  RetainedStore(core::StateStore* store, std::size_t max);

  // Publishes m through broker (committed as Broker::publish calls it) and makes it its topic's
  // retained message; an empty payload clears the topic's retained message instead (and is
  // published as any other message). The retained record is written by the StateStore's own
  // batch, which may come a moment after the message's commit.
  // A message the broker refuses leaves the topic's retained message as it was.
  core::Outcome publish(core::Message m, core::Broker& broker,
                        core::Broker::Committed committed = {});

  // The retained messages whose topic filter matches.
  std::vector<core::MessagePtr> match(std::string_view filter) const;

  // Start-up: one record as put() wrote it. False when it cannot be read.
  bool restore(std::string_view record);

  std::size_t size() const;

 private:
  core::StateStore* store_;
  const std::size_t max_;
  mutable std::mutex mutex_;
  TopicTree<core::MessagePtr> tree_;
  std::uint64_t next_seq_;
};

}  // namespace parley::dialects::mqtt
