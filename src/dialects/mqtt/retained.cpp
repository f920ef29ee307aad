#include "dialects/mqtt/retained.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>

#include "dialects/mqtt/message.hpp"

namespace parley::dialects::mqtt {

namespace json = boost::json;

RetainedStore::RetainedStore(core::StateStore* store, std::size_t max)
    : store_(store),
      max_(max),
      // Marks only need to differ from those of the messages still in flight: a start from the
      // clock keeps them apart from the previous run's.
      next_seq_(
          static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count())) {
}

core::Outcome RetainedStore::publish(core::Message m, core::Broker& broker,
                                     core::Broker::Committed committed) {
  std::string topic = topic_of(m);
  std::lock_guard lock(mutex_);
  std::vector<core::MessagePtr>* slot = tree_.find(topic);
  bool present = slot && !slot->empty();
  core::MessagePtr before = present ? slot->front() : nullptr;
  core::MessagePtr kept;
  const bool cleared = present && payload_of(m).empty();
  if (payload_of(m).empty()) {
    if (present) tree_.erase_if(topic, [](const core::MessagePtr&) { return true; });
  } else if (!present && tree_.size() >= max_) {
    spdlog::warn("mqtt: {} retained messages kept already (max_retained); '{}' not retained",
                 tree_.size(), topic);
  } else {
    m.payload["rseq"] = ++next_seq_;
    kept = std::make_shared<const core::Message>(m);
    if (present)
      slot->front() = kept;
    else
      tree_.insert(topic, kept);
  }
  core::Outcome outcome = broker.publish(std::move(m), std::move(committed));
  if (outcome != core::Outcome::ok) {
    // Refused: the topic keeps what it had.
    tree_.erase_if(topic, [](const core::MessagePtr&) { return true; });
    if (before) tree_.insert(topic, before);
    return outcome;
  }
  if (store_ && kept)
    store_->put("r/" + topic, json::serialize(message_to_json(*kept)));
  else if (store_ && cleared)
    store_->erase("r/" + topic);
  return outcome;
}

std::vector<core::MessagePtr> RetainedStore::match(std::string_view filter) const {
  std::vector<core::MessagePtr> out;
  std::lock_guard lock(mutex_);
  tree_.match_filter(filter, [&](const core::MessagePtr& m) { out.push_back(m); });
  return out;
}

bool RetainedStore::restore(std::string_view record) {
  boost::system::error_code ec;
  json::value v = json::parse(record, ec);
  if (ec || !v.is_object()) return false;
  auto m = message_from_json(v.get_object());
  if (!m) return false;
  std::string topic = topic_of(*m);
  if (!valid_topic_name(topic)) return false;
  std::lock_guard lock(mutex_);
  tree_.erase_if(topic, [](const core::MessagePtr&) { return true; });
  tree_.insert(topic, std::make_shared<const core::Message>(std::move(*m)));
  return true;
}

std::size_t RetainedStore::size() const {
  std::lock_guard lock(mutex_);
  return tree_.size();
}

}  // namespace parley::dialects::mqtt
