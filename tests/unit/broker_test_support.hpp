#pragma once
// Fakes for the broker's tests: a recording subscriber and a store that commits on demand.
#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/message_bytes.hpp"
#include "core/message_store.hpp"
#include "core/subscriber.hpp"

namespace parley::test {

// Records events; renders each through the cache with a counter, as a dialect would.
struct Recorder final : core::Subscriber {
  explicit Recorder(std::uint32_t format = 1, int* encodes = nullptr)
      : format(format), encodes(encodes) {}
  void deliver(const core::Event& ev, core::EncodeCache& cache) override {
    const core::Frame& f = cache.get(format, [&] {
      if (encodes) ++*encodes;
      return std::make_shared<const std::string>(ev.channel);
    });
    frames.push_back(f);
    events.push_back(ev);
    if (on_deliver) on_deliver();
  }
  std::uint32_t format;
  int* encodes;
  std::vector<core::Event> events;
  std::vector<core::Frame> frames;
  std::function<void()> on_deliver;
};

// A store that holds appends until release() commits them; what it committed is what
// load_channel() and last_offset() read back (as SqliteStore's channels table, a channel's last
// offset stays when its messages go).
struct HeldStore final : core::MessageStore {
  void append(core::MessagePtr m, Done done) override {
    held.emplace_back(std::move(m), std::move(done));
  }
  std::optional<core::ChannelHistory> load_channel(const std::string& channel,
                                                   std::size_t max_messages,
                                                   std::size_t max_bytes) override {
    ++channel_loads;
    if (during_load) std::exchange(during_load, nullptr)();
    if (unreadable) return std::nullopt;
    core::ChannelHistory h;
    auto it = stored.find(channel);
    if (it == stored.end()) return h;
    h.last_offset = it->second.last_offset;
    std::size_t bytes = 0;
    const auto& ms = it->second.messages;
    for (auto m = ms.rbegin();
         m != ms.rend() && h.messages.size() < max_messages && bytes < max_bytes; ++m) {
      h.messages.insert(h.messages.begin(), *m);
      bytes += core::message_bytes(**m);
    }
    return h;
  }
  std::optional<std::uint64_t> last_offset(const std::string& channel) override {
    ++offset_reads;
    if (unreadable) return std::nullopt;
    auto it = stored.find(channel);
    return it == stored.end() ? 0 : it->second.last_offset;
  }
  std::optional<std::vector<core::MessagePtr>> load_recent(std::size_t) override {
    return std::vector<core::MessagePtr>{};
  }
  void apply_retention(const core::Retention&) override {}
  void close() override {}
  void release(bool ok = true) {
    auto batch = std::exchange(held, {});
    for (auto& [m, done] : batch) {
      if (ok) {
        auto& c = stored[m->channel];
        c.messages.push_back(m);
        c.last_offset = std::max(c.last_offset, m->offset);
      }
      done(ok);
    }
  }
  std::vector<std::pair<core::MessagePtr, Done>> held;
  std::map<std::string, core::ChannelHistory> stored;
  bool unreadable = false;
  std::function<void()> during_load;  // runs inside the next load_channel, once
  int channel_loads = 0;
  int offset_reads = 0;
};

inline core::Message text(std::string channel, std::string body) {
  core::Message m;
  m.channel = std::move(channel);
  m.text = std::move(body);
  m.author_name = "robin";
  m.dialect = "test";
  return m;
}

}  // namespace parley::test
