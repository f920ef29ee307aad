#pragma once
// The MQTT subscriptions of one I/O thread: every topic filter of the sessions living on it, in
// one TopicTree, and one broker subscriber for all of them.
//
// Design: while the thread has only exact filters, the index subscribes to their channels; once
// it has a wildcard filter, it subscribes to every channel instead (Broker::subscribe_all) and
// filters locally. Each message is matched once against the tree (its topic's levels, not the
// number of subscriptions), and each matching session gets it once, with the highest QoS of its
// matching filters (section 3.3.5). Topics that [mqtt] deny_subscribe matches are not delivered.
// Touched on its thread only.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/broker.hpp"
#include "core/subscriber.hpp"
#include "dialects/mqtt/topic_tree.hpp"

namespace parley::dialects::mqtt {

class Engine;
class Session;

class SubscriptionIndex final : public core::Subscriber {
 public:
  SubscriptionIndex(Engine& engine, std::size_t thread);
  // Leaves the broker.
  ~SubscriptionIndex() override;
  SubscriptionIndex(const SubscriptionIndex&) = delete;
  SubscriptionIndex& operator=(const SubscriptionIndex&) = delete;

  // s subscribes with filter at qos; replaces s's subscription with the same filter. Not ok (and
  // nothing added) when the broker refuses the filter's channel ([limits] max_channels).
  core::Outcome add(Session* s, const std::string& filter, std::uint8_t qos);
  void remove(Session* s, const std::string& filter);

  void deliver(const core::Event& event, core::EncodeCache& cache) override;

  std::size_t size() const { return tree_.size(); }
  bool on_all_channels() const { return all_; }

 private:
  struct Entry {
    Session* session;
    std::uint8_t qos;
  };
  void subscribe_channels();
  void unsubscribe_channels();

  Engine& engine_;
  core::Broker& broker_;
  const std::size_t thread_;
  TopicTree<Entry> tree_;
  std::unordered_map<std::string, std::uint32_t> channels_;  // exact filters per channel
  std::size_t wildcards_ = 0;                                // wildcard filters
  bool all_ = false;                                         // subscribed to every channel
  std::vector<Entry> scratch_;                               // matches of one delivery
};

}  // namespace parley::dialects::mqtt
