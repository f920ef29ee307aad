#include "core/local_broker.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <shared_mutex>
#include <utility>

#include "core/stats.hpp"
#include "core/uuid.hpp"

namespace parley::core {

struct LocalBroker::Channel {
  explicit Channel(std::string n, std::size_t threads) : name(std::move(n)), subscribers(threads) {}
  const std::string name;
  std::mutex mutex;
  std::uint64_t last_offset = 0;
  std::deque<MessagePtr> ring;
  Presence presence;
  PresenceDiff pending_diff;                              // presence changes not yet delivered
  bool diff_posted = false;                               // a flush of pending_diff is posted
  std::vector<std::uint32_t> subscribers;                 // count per I/O thread
  std::array<std::uint32_t, Subscriber::kTags> by_tag{};  // count per Subscriber::tag

  std::vector<std::size_t> threads_with_subscribers() const {
    std::vector<std::size_t> out;
    for (std::size_t t = 0; t < subscribers.size(); ++t)
      if (subscribers[t]) out.push_back(t);
    return out;
  }
};

// Subscribers of one I/O thread. Touched only on that thread. An unsubscribe during a fan-out
// (a subscriber closing itself) leaves a hole that is compacted when the fan-out ends.
struct LocalBroker::ThreadTable {
  std::unordered_map<std::string, std::vector<Subscriber*>> channels;
  std::vector<Subscriber*> all;  // subscribed to every channel
  int delivering = 0;
  bool holes = false;
};

LocalBroker::LocalBroker(Dispatcher& dispatcher, MessageStore* store, LocalBrokerOptions options)
    : dispatcher_(dispatcher), store_(store), options_(std::move(options)) {
  for (std::size_t t = 0; t < dispatcher_.thread_count(); ++t)
    tables_.push_back(std::make_unique<ThreadTable>());
  all_subscribers_ = std::make_unique<std::atomic<std::uint32_t>[]>(tables_.size());
}

LocalBroker::~LocalBroker() = default;

std::int64_t LocalBroker::now() const {
  if (options_.now_ms) return options_.now_ms();
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

LocalBroker::Channel& LocalBroker::channel(const std::string& name) {
  {
    // Channels are never removed, so a found one stays valid after the lock is released.
    std::shared_lock lock(channels_mutex_);
    if (auto it = channels_.find(name); it != channels_.end()) return *it->second;
  }
  std::unique_lock lock(channels_mutex_);
  auto& slot = channels_[name];
  if (!slot) slot = std::make_unique<Channel>(name, tables_.size());
  return *slot;
}

std::size_t LocalBroker::channel_count() const {
  std::shared_lock lock(channels_mutex_);
  return channels_.size();
}

ChannelStats LocalBroker::channel_stats(std::string_view filter, std::size_t limit) {
  ChannelStats out;
  std::vector<Channel*> all;
  {
    std::shared_lock lock(channels_mutex_);
    all.reserve(channels_.size());
    for (auto& [name, ch] : channels_) all.push_back(ch.get());
  }
  out.channels = all.size();
  for (Channel* ch : all) {
    ChannelSummary s;
    {
      std::lock_guard lock(ch->mutex);
      for (auto n : ch->subscribers) s.subscribers += n;
      s.by_tag = ch->by_tag;
      s.presence = ch->presence.list().size();
      s.last_offset = ch->last_offset;
    }
    for (std::size_t t = 0; t < Subscriber::kTags; ++t)
      if (s.by_tag[t]) ++out.channels_by_tag[t];
    if (!filter.empty() && ch->name.find(filter) == std::string::npos) continue;
    s.name = ch->name;
    out.busiest.push_back(std::move(s));
  }
  for (std::size_t t = 0; t < Subscriber::kTags; ++t)
    if (all_by_tag_[t].load(std::memory_order_relaxed)) out.channels_by_tag[t] = out.channels;
  auto busier = [](const ChannelSummary& a, const ChannelSummary& b) {
    if (a.subscribers != b.subscribers) return a.subscribers > b.subscribers;
    if (a.presence != b.presence) return a.presence > b.presence;
    if (a.last_offset != b.last_offset) return a.last_offset > b.last_offset;
    return a.name < b.name;
  };
  if (out.busiest.size() > limit) {
    std::partial_sort(out.busiest.begin(), out.busiest.begin() + static_cast<std::ptrdiff_t>(limit),
                      out.busiest.end(), busier);
    out.busiest.resize(limit);
  } else {
    std::sort(out.busiest.begin(), out.busiest.end(), busier);
  }
  return out;
}

void LocalBroker::restore(std::map<std::string, ChannelHistory> history) {
  std::vector<MessagePtr> all;  // for recent(): every channel's newest, in commit order
  for (auto& [name, h] : history) {
    Channel& ch = channel(name);
    std::lock_guard lock(ch.mutex);
    ch.last_offset = h.last_offset;
    std::size_t first =
        h.messages.size() > options_.recent_size ? h.messages.size() - options_.recent_size : 0;
    for (std::size_t i = first; i < h.messages.size(); ++i) all.push_back(h.messages[i]);
    for (auto& m : h.messages) ch.ring.push_back(std::move(m));
    while (ch.ring.size() > options_.ring_size) ch.ring.pop_front();
  }
  std::sort(all.begin(), all.end(), [](const MessagePtr& a, const MessagePtr& b) {
    if (a->seq && b->seq) return a->seq < b->seq;  // the store's commit order
    if (a->time_ms != b->time_ms) return a->time_ms < b->time_ms;
    if (a->channel != b->channel) return a->channel < b->channel;
    return a->offset < b->offset;
  });
  std::size_t first = all.size() > options_.recent_size ? all.size() - options_.recent_size : 0;
  std::lock_guard lock(recent_mutex_);
  recent_.assign(all.begin() + static_cast<std::ptrdiff_t>(first), all.end());
}

void LocalBroker::subscribe(const std::string& name, std::size_t thread, Subscriber* s) {
  auto& subs = tables_.at(thread)->channels[name];
  if (std::find(subs.begin(), subs.end(), s) != subs.end()) return;
  subs.push_back(s);
  Channel& ch = channel(name);
  std::lock_guard lock(ch.mutex);
  ++ch.subscribers[thread];
  ++ch.by_tag[s->tag % Subscriber::kTags];
}

void LocalBroker::unsubscribe(const std::string& name, std::size_t thread, Subscriber* s) {
  ThreadTable& table = *tables_.at(thread);
  auto it = table.channels.find(name);
  if (it == table.channels.end()) return;
  auto& subs = it->second;
  auto pos = std::find(subs.begin(), subs.end(), s);
  if (pos == subs.end()) return;
  if (table.delivering) {
    *pos = nullptr;
    table.holes = true;
  } else {
    *pos = subs.back();
    subs.pop_back();
    if (subs.empty()) table.channels.erase(it);
  }
  Channel& ch = channel(name);
  std::lock_guard lock(ch.mutex);
  --ch.subscribers[thread];
  --ch.by_tag[s->tag % Subscriber::kTags];
}

void LocalBroker::subscribe_all(std::size_t thread, Subscriber* s) {
  auto& all = tables_.at(thread)->all;
  if (std::find(all.begin(), all.end(), s) != all.end()) return;
  all.push_back(s);
  all_subscribers_[thread].fetch_add(1, std::memory_order_relaxed);
  all_by_tag_[s->tag % Subscriber::kTags].fetch_add(1, std::memory_order_relaxed);
}

void LocalBroker::unsubscribe_all(std::size_t thread, Subscriber* s) {
  ThreadTable& table = *tables_.at(thread);
  auto pos = std::find(table.all.begin(), table.all.end(), s);
  if (pos == table.all.end()) return;
  if (table.delivering) {
    *pos = nullptr;
    table.holes = true;
  } else {
    table.all.erase(pos);
  }
  all_subscribers_[thread].fetch_sub(1, std::memory_order_relaxed);
  all_by_tag_[s->tag % Subscriber::kTags].fetch_sub(1, std::memory_order_relaxed);
}

void LocalBroker::publish(Message m, Committed committed) {
  Channel& ch = channel(m.channel);
  if (m.id.empty()) m.id = make_uuid();
  std::unique_lock lock(ch.mutex);
  m.offset = ++ch.last_offset;
  m.time_ms = now();
  auto message = std::make_shared<const Message>(std::move(m));
  if (!store_) {
    lock.unlock();
    on_committed(ch, std::move(message));
    if (committed) committed(true);
    return;
  }
  // Queued under the channel's lock: the store sees the channel's offsets in order, and calls
  // back in that order.
  auto published = std::chrono::steady_clock::now();
  store_->append(message, [this, &ch, message, committed = std::move(committed),
                           published](bool ok) {
    if (!ok)
      spdlog::error("store: message {}#{} not stored; delivered anyway", ch.name, message->offset);
    stats::publish_commit_seconds.observe(std::chrono::steady_clock::now() - published);
    on_committed(ch, message);
    if (committed) committed(ok);
  });
}

bool LocalBroker::accepting() const { return !store_ || store_->has_room(); }

void LocalBroker::when_accepting(std::function<void()> fn) {
  if (!store_) return fn();
  store_->when_room(std::move(fn));
}

void LocalBroker::on_committed(Channel& ch, MessagePtr message) {
  std::vector<std::size_t> threads;
  {
    std::lock_guard lock(ch.mutex);
    ch.ring.push_back(message);
    while (ch.ring.size() > options_.ring_size) ch.ring.pop_front();
    threads = ch.threads_with_subscribers();
  }
  if (options_.recent_size) {
    std::lock_guard lock(recent_mutex_);
    recent_.push_back(message);
    while (recent_.size() > options_.recent_size) recent_.pop_front();
  }
  stats::messages_published.add();
  auto ev = std::make_shared<Event>();
  ev->kind = Event::Kind::message;
  ev->channel = ch.name;
  ev->message = std::move(message);
  ev->committed_at = std::chrono::steady_clock::now();
  fan_out(std::move(ev), threads);
}

void LocalBroker::broadcast(const std::string& name, std::shared_ptr<const Broadcast> b) {
  Channel& ch = channel(name);
  std::vector<std::size_t> threads;
  {
    std::lock_guard lock(ch.mutex);
    threads = ch.threads_with_subscribers();
  }
  auto ev = std::make_shared<Event>();
  ev->kind = Event::Kind::broadcast;
  ev->channel = name;
  ev->broadcast = std::move(b);
  fan_out(std::move(ev), threads);
}

PresenceMap LocalBroker::presence_list(const std::string& name) {
  Channel& ch = channel(name);
  std::lock_guard lock(ch.mutex);
  return ch.presence.list();
}

void LocalBroker::send_diff(Channel& ch, std::unique_lock<std::mutex>& lock, PresenceDiff diff) {
  if (diff.empty()) return;
  merge_diff(ch.pending_diff, std::move(diff));
  if (ch.diff_posted) return;
  ch.diff_posted = true;
  lock.unlock();
  // Coalesced, as Phoenix's tracker batches its broadcasts: whatever changes before the posted
  // flush runs goes out as one diff. Idle, that is at once; in a join storm, one diff (one
  // fan-out) carries many joins instead of one fan-out each.
  std::size_t home = std::hash<std::string>{}(ch.name) % tables_.size();
  dispatcher_.post(home, [this, &ch] { flush_diff(ch); });
}

void LocalBroker::flush_diff(Channel& ch) {
  std::unique_lock lock(ch.mutex);
  ch.diff_posted = false;
  PresenceDiff diff = std::exchange(ch.pending_diff, {});
  if (diff.empty()) return;  // the changes cancelled out
  auto threads = ch.threads_with_subscribers();
  lock.unlock();
  auto ev = std::make_shared<Event>();
  ev->kind = Event::Kind::presence_diff;
  ev->channel = ch.name;
  ev->diff = std::make_shared<const PresenceDiff>(std::move(diff));
  fan_out(std::move(ev), threads);
}

void LocalBroker::presence_track(const std::string& name, const std::string& key,
                                 std::uint64_t session, boost::json::object data) {
  Channel& ch = channel(name);
  std::unique_lock lock(ch.mutex);
  send_diff(ch, lock, ch.presence.track(key, session, std::move(data)));
}

bool LocalBroker::presence_update(const std::string& name, const std::string& key,
                                  std::uint64_t session, boost::json::object data) {
  Channel& ch = channel(name);
  std::unique_lock lock(ch.mutex);
  auto diff = ch.presence.update(key, session, std::move(data));
  if (diff.empty()) return false;
  send_diff(ch, lock, std::move(diff));
  return true;
}

void LocalBroker::presence_untrack(const std::string& name, std::uint64_t session) {
  Channel& ch = channel(name);
  std::unique_lock lock(ch.mutex);
  send_diff(ch, lock, ch.presence.untrack(session));
}

std::vector<MessagePtr> LocalBroker::history(const std::string& name, std::size_t limit,
                                             std::uint64_t after) {
  Channel& ch = channel(name);
  const RetentionPolicy& policy = options_.retention.for_channel(name);
  std::int64_t oldest = policy.max_age.count() ? now() - policy.max_age.count() * 1000 : INT64_MIN;
  if (policy.max_count) limit = std::min<std::size_t>(limit, policy.max_count);
  std::vector<MessagePtr> out;
  std::lock_guard lock(ch.mutex);
  for (auto it = ch.ring.rbegin(); it != ch.ring.rend() && out.size() < limit; ++it) {
    if ((*it)->offset <= after || (*it)->time_ms < oldest) break;
    out.push_back(*it);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<MessagePtr> LocalBroker::recent(std::size_t limit, std::size_t skip) {
  std::vector<MessagePtr> out;
  if (limit == 0) return out;
  // Retention, per message's channel: by age, and by count (offsets are gap-free per channel,
  // so a message is among the newest N of its channel when offset > newest offset - N).
  std::unordered_map<std::string, std::uint64_t> newest_offset;
  auto kept = [&](const Message& m, std::int64_t now_ms) {
    const RetentionPolicy& policy = options_.retention.for_channel(m.channel);
    if (policy.max_age.count() && m.time_ms < now_ms - policy.max_age.count() * 1000) return false;
    if (!policy.max_count) return true;
    auto [it, added] = newest_offset.try_emplace(m.channel, m.offset);
    if (added) {
      Channel& ch = channel(m.channel);
      std::lock_guard lock(ch.mutex);  // nested in recent_mutex_: never taken the other way
      if (!ch.ring.empty()) it->second = ch.ring.back()->offset;
    }
    return m.offset + policy.max_count > it->second;
  };
  std::int64_t now_ms = now();
  std::lock_guard lock(recent_mutex_);
  for (auto it = recent_.rbegin(); it != recent_.rend() && out.size() < limit; ++it) {
    if (!kept(**it, now_ms)) continue;
    if (skip) {
      --skip;
      continue;
    }
    out.push_back(*it);
  }
  return out;
}

void LocalBroker::fan_out(EventPtr ev, const std::vector<std::size_t>& threads) {
  std::size_t next = 0;  // threads is sorted: merge it with the threads of all-subscribers
  for (std::size_t t = 0; t < tables_.size(); ++t) {
    bool has_channel = next < threads.size() && threads[next] == t;
    if (has_channel) ++next;
    if (has_channel || all_subscribers_[t].load(std::memory_order_relaxed))
      dispatcher_.post(t, [this, t, ev] { deliver_local(t, *ev); });
  }
}

void LocalBroker::deliver_local(std::size_t thread, const Event& ev) {
  ThreadTable& table = *tables_[thread];
  auto it = table.channels.find(ev.channel);
  if (it == table.channels.end() && table.all.empty()) return;
  EncodeCache cache;
  if (ev.kind == Event::Kind::message) stats::note_delivery(ev.committed_at);
  ++table.delivering;
  if (it != table.channels.end()) {
    auto& subs = it->second;
    for (std::size_t i = 0; i < subs.size(); ++i)
      if (subs[i]) subs[i]->deliver(ev, cache);
  }
  for (std::size_t i = 0; i < table.all.size(); ++i)
    if (table.all[i]) table.all[i]->deliver(ev, cache);
  if (--table.delivering == 0 && table.holes) {
    table.holes = false;
    std::erase(table.all, nullptr);
    for (auto c = table.channels.begin(); c != table.channels.end();) {
      std::erase(c->second, nullptr);
      c = c->second.empty() ? table.channels.erase(c) : std::next(c);
    }
  }
}

}  // namespace parley::core
