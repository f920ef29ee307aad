#include "dialects/mqtt/subscription_index.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "dialects/mqtt/engine.hpp"
#include "dialects/mqtt/message.hpp"
#include "dialects/mqtt/session.hpp"

namespace parley::dialects::mqtt {

SubscriptionIndex::SubscriptionIndex(Engine& engine, std::size_t thread)
    : engine_(engine), broker_(engine.broker()), thread_(thread) {}

SubscriptionIndex::~SubscriptionIndex() {
  if (all_)
    broker_.unsubscribe_all(thread_, this);
  else
    unsubscribe_channels();
}

void SubscriptionIndex::subscribe_channels() {
  for (const auto& [channel, count] : channels_) {
    core::Outcome outcome = broker_.subscribe(channel, thread_, this);
    // Leaving the last wildcard filter: an exact one may no longer find room.
    if (outcome != core::Outcome::ok)
      spdlog::warn("mqtt: thread {}: channel '{}' not subscribed again: {}", thread_, channel,
                   core::describe(outcome));
  }
}

void SubscriptionIndex::unsubscribe_channels() {
  for (const auto& [channel, count] : channels_) broker_.unsubscribe(channel, thread_, this);
}

core::Outcome SubscriptionIndex::add(Session* s, const std::string& filter, std::uint8_t qos) {
  if (auto* entries = tree_.find(filter)) {
    for (Entry& e : *entries) {
      if (e.session == s) {
        e.qos = qos;  // the same filter again: the new QoS replaces the old (section 3.8.4)
        return core::Outcome::ok;
      }
    }
  }
  if (has_wildcard(filter)) {
    tree_.insert(filter, Entry{s, qos});
    if (wildcards_++ == 0) {
      unsubscribe_channels();  // never on all channels and on some at once
      broker_.subscribe_all(thread_, this);
      all_ = true;
    }
    return core::Outcome::ok;
  }
  std::string channel = topic_to_channel(filter);
  auto [it, fresh] = channels_.try_emplace(channel, 0);
  if (fresh && !all_) {
    core::Outcome outcome = broker_.subscribe(channel, thread_, this);
    if (outcome != core::Outcome::ok) {
      channels_.erase(it);
      return outcome;
    }
  }
  ++it->second;
  tree_.insert(filter, Entry{s, qos});
  return core::Outcome::ok;
}

void SubscriptionIndex::remove(Session* s, const std::string& filter) {
  if (tree_.erase_if(filter, [s](const Entry& e) { return e.session == s; }) == 0) return;
  if (has_wildcard(filter)) {
    if (--wildcards_ == 0) {
      broker_.unsubscribe_all(thread_, this);
      all_ = false;
      subscribe_channels();
    }
    return;
  }
  std::string channel = topic_to_channel(filter);
  auto it = channels_.find(channel);
  if (it == channels_.end() || --it->second > 0) return;
  channels_.erase(it);
  if (!all_) broker_.unsubscribe(channel, thread_, this);
}

void SubscriptionIndex::deliver(const core::Event& event, core::EncodeCache& cache) {
  if (event.kind != core::Event::Kind::message || !event.message) return;
  const std::string topic = topic_of(*event.message);
  if (engine_.denied(topic)) return;
  std::vector<Entry> matches = std::move(scratch_);
  matches.clear();
  tree_.match_topic(topic, [&](const Entry& e) { matches.push_back(e); });
  if (matches.size() > 1) {
    // One delivery per session, at the highest QoS of its matching filters.
    std::sort(matches.begin(), matches.end(), [](const Entry& a, const Entry& b) {
      return a.session != b.session ? std::less<>()(a.session, b.session) : a.qos > b.qos;
    });
    matches.erase(
        std::unique(matches.begin(), matches.end(),
                    [](const Entry& a, const Entry& b) { return a.session == b.session; }),
        matches.end());
  }
  for (const Entry& e : matches) e.session->deliver(event.message, topic, e.qos, &cache);
  scratch_ = std::move(matches);
}

}  // namespace parley::dialects::mqtt
