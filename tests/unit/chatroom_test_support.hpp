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

#include "core/sync_hub.hpp"
#include "core/timers.hpp"
#include "dialects/chatroom/sink.hpp"

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
class FakeClient final : public core::SyncClient, public core::Subscriber {
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
    payloads.push_back(p);
  }

  std::vector<Private> take_privates() { return std::exchange(privates, {}); }
  std::vector<boost::json::object> take_updates() { return std::exchange(updates, {}); }
  std::vector<boost::json::object> take_payloads() { return std::exchange(payloads, {}); }

  std::vector<Private> privates;
  std::vector<boost::json::object> updates;        // the changes
  std::vector<boost::json::object> payloads;       // the whole broadcasts: topic_name, change...
  std::map<std::string, std::uint64_t> revisions;  // set from subscribe()
};

// Records what a ChatRoom connection sends. Frames are the text itself.
class ChatroomSink final : public dialects::chatroom::Sink {
 public:
  void send_text(std::string text) override { sent.push_back(std::move(text)); }
  core::Frame make_frame(std::string text) override {
    ++frames_made;
    return std::make_shared<const std::string>(std::move(text));
  }
  void send_frame(const core::Frame& frame) override { sent.push_back(*frame); }
  void close(std::uint16_t code, std::string_view reason) override {
    close_code = code;
    close_reason = reason;
  }
  // Everything sent so far, parsed, and forgotten.
  std::vector<boost::json::object> take() {
    std::vector<boost::json::object> out;
    for (auto& s : sent) out.push_back(boost::json::parse(s).as_object());
    sent.clear();
    return out;
  }
  std::vector<std::string> sent;
  int frames_made = 0;
  std::uint16_t close_code = 0;
  std::string close_reason;
};

}  // namespace parley::test
