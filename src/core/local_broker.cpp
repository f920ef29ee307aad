#include "core/local_broker.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <shared_mutex>
#include <string_view>
#include <utility>

#include "core/message_bytes.hpp"
#include "core/stats.hpp"
#include "core/uuid.hpp"

namespace parley::core {

struct LocalBroker::Channel : std::enable_shared_from_this<Channel> {
  struct Kept {
    MessagePtr message;
    std::size_t bytes;  // message_bytes(*message)
  };

  // Without a store, nothing is there to load: the channel starts known and empty.
  Channel(std::string n, std::size_t threads, bool known)
      : name(std::move(n)), offset_known(known), ring_loaded(known), subscribers(threads) {}

  const std::string name;
  std::mutex load_mutex;  // one load from the store at a time
  std::mutex mutex;       // guards everything below, up to the LRU fields

  bool evicted = false;             // out of the map: whoever finds this looks the channel up again
  bool offset_known;                // last_offset holds (read from the store, or nothing to read)
  std::uint64_t last_offset = 0;    // highest offset assigned
  std::uint64_t stored_offset = 0;  // highest offset the store holds (its channels table)
  std::size_t pending_writes = 0;   // appended, not yet called back
  bool ring_loaded;      // ring holds the newest kept messages (else: read them from the store)
  bool loading = false;  // a load_ring is reading the store
  std::vector<MessagePtr> during_load;  // committed while it reads: added after its snapshot
  std::deque<Kept> ring;
  std::size_t ring_bytes = 0;
  Presence presence;
  PresenceDiff pending_diff;               // presence changes not yet delivered
  bool diff_posted = false;                // a flush of pending_diff is posted
  std::vector<std::uint32_t> subscribers;  // count per I/O thread
  std::size_t subscriber_total = 0;
  std::array<std::uint32_t, Subscriber::kTags> by_tag{};  // count per Subscriber::tag

  // Guarded by lru_mutex_ (and changed only with mutex held too).
  bool in_idle = false;
  bool in_rings = false;
  std::list<ChannelPtr>::iterator idle_pos;
  std::list<ChannelPtr>::iterator ring_pos;

  // Nothing depends on the channel staying in memory: no subscriber, presence, write in
  // flight (or failed: its offset is not stored), diff to deliver.
  bool idle() const {
    return subscriber_total == 0 && presence.empty() && pending_writes == 0 && !diff_posted &&
           pending_diff.empty() && stored_offset == last_offset;
  }

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

LocalBroker::~LocalBroker() {
  // The LRU lists hold channels whose iterators point into them: empty them first.
  std::lock_guard lock(lru_mutex_);
  idle_.clear();
  rings_.clear();
}

std::int64_t LocalBroker::now() const {
  if (options_.now_ms) return options_.now_ms();
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

LocalBroker::Stats LocalBroker::stats() const {
  Stats s;
  {
    std::shared_lock lock(channels_mutex_);
    s.channels = channels_.size();
  }
  s.idle = idle_count_.load(std::memory_order_relaxed);
  s.cache_bytes = cache_bytes_.load(std::memory_order_relaxed);
  return s;
}

ChannelStats LocalBroker::channel_stats(std::string_view filter, std::size_t limit) {
  ChannelStats out;
  std::vector<ChannelPtr> all;
  {
    std::shared_lock lock(channels_mutex_);
    all.reserve(channels_.size());
    for (auto& [name, ch] : channels_) all.push_back(ch);
  }
  out.channels = all.size();
  for (const ChannelPtr& ch : all) {
    ChannelSummary s;
    {
      std::lock_guard lock(ch->mutex);
      s.subscribers = ch->subscriber_total;
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

// ---- Channels in memory ------------------------------------------------------------------------

LocalBroker::ChannelPtr LocalBroker::find(const std::string& name) const {
  std::shared_lock lock(channels_mutex_);
  auto it = channels_.find(name);
  return it == channels_.end() ? nullptr : it->second;
}

LocalBroker::ChannelPtr LocalBroker::find_or_make(const std::string& name) {
  if (auto ch = find(name)) return ch;
  std::vector<ChannelPtr> evicted;  // freed once the map's lock is released
  std::unique_lock lock(channels_mutex_);
  if (auto it = channels_.find(name); it != channels_.end()) return it->second;
  while (options_.max_channels && channels_.size() >= options_.max_channels) {
    ChannelPtr victim;
    {
      std::lock_guard lru(lru_mutex_);
      if (!idle_.empty()) victim = idle_.back();
    }
    if (!victim) {
      lock.unlock();
      // The refused client's dialect logs it, with the peer.
      spdlog::debug("broker: channel {:?} refused: {} channels in memory, none idle", name,
                    options_.max_channels);
      return nullptr;
    }
    // The map's lock, then a channel's: in order. Not evictable after all (in use again): it
    // leaves the idle LRU, and the next one is tried.
    std::lock_guard victim_lock(victim->mutex);
    unlink(*victim, evicted.emplace_back());
  }
  auto ch = std::make_shared<Channel>(name, tables_.size(), store_ == nullptr);
  channels_.emplace(name, ch);
  return ch;
}

bool LocalBroker::evictable(const Channel& ch) const {
  // Without a store an offset cannot be reloaded: only a channel never published to may go.
  return !ch.evicted && ch.idle() && (store_ || ch.last_offset == 0);
}

bool LocalBroker::settle(Channel& ch) {
  const bool can_go = evictable(ch);
  const bool keep = can_go && !ch.ring.empty();
  std::lock_guard lru(lru_mutex_);
  if (keep && !ch.in_idle) {
    idle_.push_front(ch.shared_from_this());
    ch.idle_pos = idle_.begin();
    ch.in_idle = true;
    idle_count_.fetch_add(1, std::memory_order_relaxed);
  } else if (!keep && ch.in_idle) {
    idle_.erase(ch.idle_pos);
    ch.in_idle = false;
    idle_count_.fetch_sub(1, std::memory_order_relaxed);
  }
  return can_go && !keep;
}

bool LocalBroker::unlink(Channel& ch, ChannelPtr& doomed) {
  if (!evictable(ch)) {
    settle(ch);  // in use again: at most out of the idle LRU
    return false;
  }
  if (auto it = channels_.find(ch.name); it != channels_.end() && it->second.get() == &ch) {
    doomed = std::move(it->second);
    channels_.erase(it);
  }
  ch.evicted = true;
  {
    std::lock_guard lru(lru_mutex_);
    if (ch.in_idle) {
      idle_.erase(ch.idle_pos);
      ch.in_idle = false;
      idle_count_.fetch_sub(1, std::memory_order_relaxed);
    }
    if (ch.in_rings) rings_.erase(ch.ring_pos);
    ch.in_rings = false;
  }
  cache_bytes_.fetch_sub(ch.ring_bytes, std::memory_order_relaxed);
  return true;
}

void LocalBroker::evict(const ChannelPtr& ch) {
  ChannelPtr doomed;  // the map's reference, released after the locks
  std::unique_lock lock(channels_mutex_);
  std::lock_guard channel_lock(ch->mutex);
  unlink(*ch, doomed);
}

void LocalBroker::drop_ring(const ChannelPtr& ch) {
  bool evict_now = false;
  {
    std::lock_guard lock(ch->mutex);
    if (ch->evicted || !ch->in_rings) return;
    cache_bytes_.fetch_sub(ch->ring_bytes, std::memory_order_relaxed);
    ch->ring.clear();
    ch->ring_bytes = 0;
    ch->ring_loaded = false;
    {
      std::lock_guard lru(lru_mutex_);
      rings_.erase(ch->ring_pos);
      ch->in_rings = false;
    }
    evict_now = settle(*ch);
  }
  if (evict_now) evict(ch);
}

void LocalBroker::trim() {
  for (;;) {
    const bool over_idle = idle_count_.load(std::memory_order_relaxed) > options_.idle_channels;
    const bool over_cache = cache_bytes_.load(std::memory_order_relaxed) > options_.cache_bytes;
    if (!over_idle && !over_cache) return;
    ChannelPtr victim;
    bool ring_only = false;
    {
      std::lock_guard lru(lru_mutex_);
      if (!idle_.empty()) {
        victim = idle_.back();
      } else if (over_cache && !rings_.empty()) {
        victim = rings_.back();
        ring_only = true;
      } else {
        return;  // every ring belongs to a channel in use, and there is no store to reload from
      }
    }
    // Each turn takes the victim out of the list it came from (evicted, or settled out of the
    // idle LRU because it is in use again; its ring dropped), so the loop ends.
    if (ring_only)
      drop_ring(victim);
    else
      evict(victim);
  }
}

void LocalBroker::after_change(const ChannelPtr& ch, bool evict_now) {
  if (evict_now) evict(ch);
  if (idle_count_.load(std::memory_order_relaxed) > options_.idle_channels ||
      cache_bytes_.load(std::memory_order_relaxed) > options_.cache_bytes)
    trim();
}

void LocalBroker::release(const ChannelPtr& ch) {
  bool evict_now;
  {
    std::lock_guard lock(ch->mutex);
    evict_now = settle(*ch);
  }
  after_change(ch, evict_now);
}

void LocalBroker::touch(Channel& ch) {
  std::lock_guard lru(lru_mutex_);
  if (ch.in_idle) idle_.splice(idle_.begin(), idle_, ch.idle_pos);
  if (!store_) return;  // nothing to reload a dropped ring from: rings are not dropped
  if (ch.ring.empty()) {
    if (ch.in_rings) rings_.erase(ch.ring_pos);
    ch.in_rings = false;
  } else if (ch.in_rings) {
    rings_.splice(rings_.begin(), rings_, ch.ring_pos);
  } else {
    rings_.push_front(ch.shared_from_this());
    ch.ring_pos = rings_.begin();
    ch.in_rings = true;
  }
}

void LocalBroker::ring_push(Channel& ch, MessagePtr m) {
  const std::size_t bytes = message_bytes(*m);
  ch.ring.push_back(Channel::Kept{std::move(m), bytes});
  ch.ring_bytes += bytes;
  if (!ch.evicted) cache_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  ring_bound(ch);
}

void LocalBroker::ring_bound(Channel& ch) {
  while (!ch.ring.empty() && (ch.ring.size() > options_.ring_size ||
                              (ch.ring_bytes > options_.ring_bytes && ch.ring.size() > 1))) {
    const std::size_t bytes = ch.ring.front().bytes;
    ch.ring.pop_front();
    ch.ring_bytes -= bytes;
    if (!ch.evicted) cache_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
  }
}

bool LocalBroker::load_offset(const ChannelPtr& ch) {
  if (!store_) return true;
  auto known = [&] {
    std::lock_guard lock(ch->mutex);
    return ch->offset_known || ch->evicted;  // evicted: the caller looks the channel up again
  };
  if (known()) return true;
  std::lock_guard load(ch->load_mutex);
  if (known()) return true;
  auto last = store_->last_offset(ch->name);
  if (!last) return false;
  std::lock_guard lock(ch->mutex);
  if (!ch->offset_known) {
    ch->last_offset = ch->stored_offset = *last;
    ch->offset_known = true;
    // Never written: its (empty) ring is complete, what it publishes is kept from the start.
    if (*last == 0 && !ch->evicted) ch->ring_loaded = true;
  }
  return true;
}

bool LocalBroker::load_ring(const ChannelPtr& ch) {
  if (!store_) return true;
  std::lock_guard load(ch->load_mutex);
  {
    std::lock_guard lock(ch->mutex);
    if (ch->evicted || ch->ring_loaded) return true;
    ch->loading = true;
    ch->during_load.clear();
  }
  // No channel lock while the store is read: commits meanwhile go to during_load, and those
  // the snapshot holds too are told apart by their offset.
  auto loaded = store_->load_channel(ch->name, options_.ring_size, options_.ring_bytes);
  std::lock_guard lock(ch->mutex);
  ch->loading = false;
  std::vector<MessagePtr> during = std::exchange(ch->during_load, {});
  if (!loaded) return false;
  if (!ch->offset_known) {
    ch->last_offset = ch->stored_offset = loaded->last_offset;
    ch->offset_known = true;
  }
  if (ch->evicted) return true;  // evicted meanwhile: the caller looks it up again
  for (auto& m : loaded->messages) ring_push(*ch, std::move(m));
  for (auto& m : during)
    if (ch->ring.empty() || ch->ring.back().message->offset < m->offset)
      ring_push(*ch, std::move(m));
  ch->ring_loaded = true;
  touch(*ch);
  return true;
}

// ---- Subscriptions -----------------------------------------------------------------------------

Outcome LocalBroker::subscribe(const std::string& name, std::size_t thread, Subscriber* s) {
  ThreadTable& table = *tables_.at(thread);
  if (auto it = table.channels.find(name); it != table.channels.end())
    if (std::find(it->second.begin(), it->second.end(), s) != it->second.end()) return Outcome::ok;
  for (;;) {
    ChannelPtr ch = find_or_make(name);
    if (!ch) return Outcome::too_many_channels;
    std::lock_guard lock(ch->mutex);
    if (ch->evicted) continue;
    ++ch->subscribers[thread];
    ++ch->subscriber_total;
    ++ch->by_tag[s->tag % Subscriber::kTags];
    settle(*ch);  // in use: out of the idle LRU
    break;
  }
  table.channels[name].push_back(s);
  return Outcome::ok;
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
  ChannelPtr ch = find(name);  // a channel with subscribers stays in memory
  if (!ch) return;
  bool evict_now;
  {
    std::lock_guard lock(ch->mutex);
    if (ch->subscribers[thread]) {
      --ch->subscribers[thread];
      --ch->subscriber_total;
      --ch->by_tag[s->tag % Subscriber::kTags];
    }
    evict_now = settle(*ch);
  }
  after_change(ch, evict_now);
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

// ---- Messages ----------------------------------------------------------------------------------

Outcome LocalBroker::publish(Message m, Committed committed) {
  if (m.id.empty()) m.id = make_uuid();
  for (;;) {
    ChannelPtr ch = find_or_make(m.channel);
    if (!ch) return Outcome::too_many_channels;
    if (!load_offset(ch)) {
      release(ch);
      return Outcome::store_unavailable;
    }
    std::unique_lock lock(ch->mutex);
    if (ch->evicted) continue;  // evicted since it was found: its offset is in the store
    m.offset = ++ch->last_offset;
    m.time_ms = now();
    ++ch->pending_writes;
    settle(*ch);  // a write in flight: out of the idle LRU
    auto message = std::make_shared<const Message>(std::move(m));
    if (!store_) {
      lock.unlock();
      on_committed(ch, std::move(message), true);
      if (committed) committed(true);
      return Outcome::ok;
    }
    // Queued under the channel's lock: the store sees the channel's offsets in order, and calls
    // back in that order.
    auto published = std::chrono::steady_clock::now();
    store_->append(
        message, [this, ch, message, committed = std::move(committed), published](bool ok) {
          if (!ok)
            spdlog::error("store: message {}#{} not stored; delivered anyway", ch->name,
                          message->offset);
          stats::publish_commit_seconds.observe(std::chrono::steady_clock::now() - published);
          on_committed(ch, message, ok);
          if (committed) committed(ok);
        });
    return Outcome::ok;
  }
}

bool LocalBroker::accepting() const { return !store_ || store_->has_room(); }

void LocalBroker::when_accepting(std::function<void()> fn) {
  if (!store_) return fn();
  store_->when_room(std::move(fn));
}

void LocalBroker::on_committed(const ChannelPtr& ch, MessagePtr message, bool stored) {
  std::vector<std::size_t> threads;
  bool evict_now;
  {
    std::lock_guard lock(ch->mutex);
    --ch->pending_writes;
    if (stored) ch->stored_offset = std::max(ch->stored_offset, message->offset);
    if (ch->ring_loaded) {
      // A ring just loaded may hold it already (committed before the load's snapshot).
      if (!store_ || ch->ring.empty() || ch->ring.back().message->offset < message->offset) {
        ring_push(*ch, message);
        touch(*ch);
      }
    } else if (ch->loading) {
      ch->during_load.push_back(message);
    }
    threads = ch->threads_with_subscribers();
    evict_now = settle(*ch);
  }
  if (options_.recent_size) {
    std::lock_guard lock(recent_mutex_);
    recent_.push_back(message);
    while (recent_.size() > options_.recent_size) recent_.pop_front();
  }
  stats::messages_published.add();
  auto ev = std::make_shared<Event>();
  ev->kind = Event::Kind::message;
  ev->channel = ch->name;
  ev->message = std::move(message);
  ev->committed_at = std::chrono::steady_clock::now();
  fan_out(std::move(ev), threads);
  after_change(ch, evict_now);
}

void LocalBroker::broadcast(const std::string& name, std::shared_ptr<const Broadcast> b) {
  std::vector<std::size_t> threads;
  if (ChannelPtr ch = find(name)) {
    std::lock_guard lock(ch->mutex);
    threads = ch->threads_with_subscribers();
  }
  auto ev = std::make_shared<Event>();
  ev->kind = Event::Kind::broadcast;
  ev->channel = name;
  ev->broadcast = std::move(b);
  fan_out(std::move(ev), threads);  // subscribers of every channel get it too
}

template <class Range, class Get>
std::vector<MessagePtr> LocalBroker::serve(const Range& messages, Get get, const std::string& name,
                                           std::size_t limit, std::uint64_t after) const {
  const RetentionPolicy& policy = options_.retention.for_channel(name);
  std::int64_t oldest = policy.max_age.count() ? now() - policy.max_age.count() * 1000 : INT64_MIN;
  if (policy.max_count) limit = std::min<std::size_t>(limit, policy.max_count);
  std::vector<MessagePtr> out;
  for (auto it = messages.rbegin(); it != messages.rend() && out.size() < limit; ++it) {
    const MessagePtr& m = get(*it);
    if (m->offset <= after || m->time_ms < oldest) break;
    out.push_back(m);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<MessagePtr> LocalBroker::history(const std::string& name, std::size_t limit,
                                             std::uint64_t after) {
  auto from_ring = [](const Channel::Kept& k) -> const MessagePtr& { return k.message; };
  // A few turns at most: another turn only when the channel was evicted meanwhile.
  for (int turn = 0; turn < 4; ++turn) {
    ChannelPtr ch = find(name);
    if (!ch) {
      if (!store_) return {};
      // Not in memory: made (and cached) only when the store holds something of it.
      auto last = store_->last_offset(name);
      if (!last || *last == 0) return {};
      ch = find_or_make(name);
      if (!ch) {
        // No room to cache it: served from the store alone.
        auto loaded = store_->load_channel(name, options_.ring_size, options_.ring_bytes);
        if (!loaded) return {};
        return serve(
            loaded->messages, [](const MessagePtr& m) -> const MessagePtr& { return m; }, name,
            limit, after);
      }
    }
    if (!load_ring(ch)) {
      release(ch);
      return {};
    }
    std::vector<MessagePtr> out;
    bool evict_now;
    {
      std::lock_guard lock(ch->mutex);
      if (ch->evicted || !ch->ring_loaded) continue;
      out = serve(ch->ring, from_ring, name, limit, after);
      touch(*ch);
      evict_now = settle(*ch);
    }
    after_change(ch, evict_now);
    return out;
  }
  return {};
}

void LocalBroker::restore_recent(std::vector<MessagePtr> messages) {
  std::size_t first =
      messages.size() > options_.recent_size ? messages.size() - options_.recent_size : 0;
  std::lock_guard lock(recent_mutex_);
  recent_.assign(std::make_move_iterator(messages.begin() + static_cast<std::ptrdiff_t>(first)),
                 std::make_move_iterator(messages.end()));
}

std::vector<MessagePtr> LocalBroker::recent(std::size_t limit, std::size_t skip) {
  std::vector<MessagePtr> out;
  if (limit == 0) return out;
  const Retention& retention = options_.retention;
  bool by_count = retention.fallback.max_count != 0;
  for (const auto& [channel, policy] : retention.per_channel) by_count |= policy.max_count != 0;
  std::int64_t now_ms = now();
  std::lock_guard lock(recent_mutex_);
  // Retention by count, per message's channel: offsets are gap-free per channel, so a message
  // is among the newest N of its channel when offset > newest offset - N. recent_ holds the
  // newest commits, so a channel's newest offset there is its newest.
  std::unordered_map<std::string_view, std::uint64_t> newest_offset;
  if (by_count)
    for (const auto& m : recent_) {
      auto& newest = newest_offset[m->channel];
      newest = std::max(newest, m->offset);
    }
  for (auto it = recent_.rbegin(); it != recent_.rend() && out.size() < limit; ++it) {
    const Message& m = **it;
    const RetentionPolicy& policy = retention.for_channel(m.channel);
    if (policy.max_age.count() && m.time_ms < now_ms - policy.max_age.count() * 1000) continue;
    if (policy.max_count && m.offset + policy.max_count <= newest_offset[m.channel]) continue;
    if (skip) {
      --skip;
      continue;
    }
    out.push_back(*it);
  }
  return out;
}

// ---- Presence ----------------------------------------------------------------------------------

bool LocalBroker::queue_diff(Channel& ch, PresenceDiff diff) {
  if (diff.empty()) return false;
  merge_diff(ch.pending_diff, std::move(diff));
  if (ch.diff_posted) return false;
  ch.diff_posted = true;
  return true;
}

void LocalBroker::post_flush(const ChannelPtr& ch) {
  // Coalesced, as Phoenix's tracker batches its broadcasts: whatever changes before the posted
  // flush runs goes out as one diff. Idle, that is at once; in a join storm, one diff (one
  // fan-out) carries many joins instead of one fan-out each.
  std::size_t home = std::hash<std::string>{}(ch->name) % tables_.size();
  dispatcher_.post(home, [this, ch] { flush_diff(ch); });
}

void LocalBroker::flush_diff(const ChannelPtr& ch) {
  PresenceDiff diff;
  std::vector<std::size_t> threads;
  bool evict_now;
  {
    std::lock_guard lock(ch->mutex);
    ch->diff_posted = false;
    diff = std::exchange(ch->pending_diff, {});
    threads = ch->threads_with_subscribers();
    evict_now = settle(*ch);
  }
  if (!diff.empty()) {  // else the changes cancelled out
    auto ev = std::make_shared<Event>();
    ev->kind = Event::Kind::presence_diff;
    ev->channel = ch->name;
    ev->diff = std::make_shared<const PresenceDiff>(std::move(diff));
    fan_out(std::move(ev), threads);
  }
  after_change(ch, evict_now);
}

PresenceMap LocalBroker::presence_list(const std::string& name) {
  ChannelPtr ch = find(name);
  if (!ch) return {};
  std::lock_guard lock(ch->mutex);
  return ch->presence.list();
}

void LocalBroker::presence_track(const std::string& name, const std::string& key,
                                 std::uint64_t session, boost::json::object data) {
  for (;;) {
    ChannelPtr ch = find_or_make(name);
    if (!ch) return;  // callers subscribe first, which keeps the channel in memory
    bool post;
    {
      std::lock_guard lock(ch->mutex);
      if (ch->evicted) continue;
      post = queue_diff(*ch, ch->presence.track(key, session, std::move(data)));
      settle(*ch);
    }
    if (post) post_flush(ch);
    return;
  }
}

bool LocalBroker::presence_update(const std::string& name, const std::string& key,
                                  std::uint64_t session, boost::json::object data) {
  ChannelPtr ch = find(name);
  if (!ch) return false;
  bool post;
  {
    std::lock_guard lock(ch->mutex);
    auto diff = ch->presence.update(key, session, std::move(data));
    if (diff.empty()) return false;
    post = queue_diff(*ch, std::move(diff));
  }
  if (post) post_flush(ch);
  return true;
}

void LocalBroker::presence_untrack(const std::string& name, std::uint64_t session) {
  ChannelPtr ch = find(name);
  if (!ch) return;
  bool post, evict_now;
  {
    std::lock_guard lock(ch->mutex);
    post = queue_diff(*ch, ch->presence.untrack(session));
    evict_now = settle(*ch);
  }
  if (post) post_flush(ch);
  after_change(ch, evict_now);
}

// ---- Fan-out -----------------------------------------------------------------------------------

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
