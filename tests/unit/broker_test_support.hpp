#pragma once
// Fakes for the broker's tests: a recording subscriber and a message maker (the store:
// test_support.hpp).
#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/message_bytes.hpp"
#include "core/subscriber.hpp"
#include "test_support.hpp"

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

inline core::Message text(std::string channel, std::string body) {
  core::Message m;
  m.channel = std::move(channel);
  m.text = std::move(body);
  m.author_name = "robin";
  m.dialect = "test";
  return m;
}

}  // namespace parley::test
