#pragma once
// Fakes for the ChatRoom unit tests: a manual clock for core::Timers, a recording SyncClient
// and Subscriber, and a recording ChatRoom sink.
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "core/timers.hpp"
#include "recording_sink.hpp"
#include "topics/sync_hub.hpp"

namespace parley::test {

// Runs what is due when advance() moves the clock.
class ManualTimers final : public core::Timers {
 public:
  void after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    pending.push_back({now + delay, std::move(fn)});
  }
  void advance(std::chrono::milliseconds by) {
    now += by;
    for (std::size_t i = 0; i < pending.size();) {
      if (pending[i].first <= now) {
        auto fn = std::move(pending[i].second);
        pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(i));
        fn();
      } else {
        ++i;
      }
    }
  }
  std::chrono::milliseconds now{0};
  std::vector<std::pair<std::chrono::milliseconds, std::function<void()>>> pending;
};

// A hub client that records what it is sent: private messages, and topic updates (as a
// subscriber, filtering by revision as a dialect must).
class FakeClient final : public topics::SyncClient, public core::Subscriber {
 public:
  struct Private {
    std::string kind;
    boost::json::object content;
  };

  void deliver_private(std::string_view kind, const boost::json::object& content) override {
    privates.push_back({std::string(kind), content});
  }
  void deliver(const core::Event& ev, core::EncodeCache&) override {
    if (ev.kind != core::Event::Kind::broadcast || ev.broadcast->event != "update") return;
    const auto& p = ev.broadcast->payload.as_object();
    std::string topic(p.at("topic_name").as_string());
    auto it = revisions.find(topic);
    if (it != revisions.end() && p.at("revision").as_uint64() <= it->second) return;
    updates.push_back(p.at("change").as_object());
  }

  std::vector<Private> take_privates() { return std::exchange(privates, {}); }
  std::vector<boost::json::object> take_updates() { return std::exchange(updates, {}); }

  std::vector<Private> privates;
  std::vector<boost::json::object> updates;
  std::map<std::string, std::uint64_t> revisions;  // set from subscribe()
};

// Records what a ChatRoom connection sends. Frames are the text itself.
// The shared recording sink; what was sent comes back as JSON objects.
struct ChatroomSink final : RecordingSink {
  std::vector<boost::json::object> take() { return take_objects(); }
};

}  // namespace parley::test
