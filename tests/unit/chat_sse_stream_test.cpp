#include "dialects/chat_sse/stream.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <functional>

#include "core/local_broker.hpp"
#include "dialects/chat_sse/codec.hpp"
#include "dialects/chat_sse/publish.hpp"
#include "test_support.hpp"

namespace parley::dialects::chat_sse {
namespace {

namespace json = boost::json;

constexpr const char* kChannel = "c3743620-cc30-11e6-9d9d-cec0c932ce01";
constexpr const char* kUser = "c3743620-cc30-11e6-9d9d-cec0c932ce02";

// Streams are byte streams: frames are the bytes themselves.
struct RecordingStreamSink final : test::RecordingSink {
  RecordingStreamSink() { transport_kind = core::Transport::stream; }
};

// A LocalBroker whose history() runs a hook first: lets a test commit a message between a
// stream's subscribe and its history read.
class HookedBroker final : public core::Broker {
 public:
  explicit HookedBroker(core::Broker& inner) : inner_(inner) {}
  std::function<void()> before_history;

  core::Outcome subscribe(const std::string& c, std::size_t t, core::Subscriber* s) override {
    return inner_.subscribe(c, t, s);
  }
  void unsubscribe(const std::string& c, std::size_t t, core::Subscriber* s) override {
    inner_.unsubscribe(c, t, s);
  }
  void subscribe_all(std::size_t t, core::Subscriber* s) override { inner_.subscribe_all(t, s); }
  void unsubscribe_all(std::size_t t, core::Subscriber* s) override {
    inner_.unsubscribe_all(t, s);
  }
  core::Outcome publish(core::Message m, Committed committed = {}) override {
    return inner_.publish(std::move(m), std::move(committed));
  }
  void broadcast(const std::string& c, std::shared_ptr<const core::Broadcast> b) override {
    inner_.broadcast(c, std::move(b));
  }
  core::PresenceMap presence_list(const std::string& c) override { return inner_.presence_list(c); }
  void presence_track(const std::string& c, const std::string& k, std::uint64_t s,
                      json::object d) override {
    inner_.presence_track(c, k, s, std::move(d));
  }
  bool presence_update(const std::string& c, const std::string& k, std::uint64_t s,
                       json::object d) override {
    return inner_.presence_update(c, k, s, std::move(d));
  }
  void presence_untrack(const std::string& c, std::uint64_t s) override {
    inner_.presence_untrack(c, s);
  }
  std::vector<core::MessagePtr> history(const std::string& c, std::size_t limit,
                                        std::uint64_t after) override {
    if (before_history) std::exchange(before_history, nullptr)();
    return inner_.history(c, limit, after);
  }

 private:
  core::Broker& inner_;
};

struct ChatSseStream : ::testing::Test {
  test::QueueDispatcher dispatcher;
  core::LocalBroker broker{dispatcher, nullptr, {}};

  struct Client {
    RecordingStreamSink sink;
    std::unique_ptr<Stream> stream;
  };
  std::vector<std::unique_ptr<Client>> clients;

  Client& open(std::optional<std::uint64_t> after = {}, StreamOptions options = {},
               core::Broker* via = nullptr) {
    auto c = std::make_unique<Client>();
    options.keepalive = std::chrono::milliseconds(0);
    c->stream =
        std::make_unique<Stream>(via ? *via : broker, c->sink, kChannel, after, std::move(options));
    c->stream->on_open();
    clients.push_back(std::move(c));
    return *clients.back();
  }

  void say(const std::string& text) {
    ASSERT_EQ(publish(broker, kChannel, kUser, text).status, 200u);
    dispatcher.drain();
  }

  // The offsets and texts of the events in what a stream got (other lines are skipped).
  static std::vector<std::pair<std::uint64_t, std::string>> events(
      const std::vector<std::string>& sent) {
    std::vector<std::pair<std::uint64_t, std::string>> out;
    for (const auto& s : sent) {
      if (!s.starts_with("id: ")) continue;
      auto eol = s.find("\r\n");
      auto data = s.substr(eol + 2 + 6, s.size() - (eol + 2 + 6) - 4);
      out.emplace_back(std::stoull(s.substr(4, eol - 4)),
                       std::string(json::parse(data).at("message").as_string()));
    }
    return out;
  }
  using Events = std::vector<std::pair<std::uint64_t, std::string>>;
};

TEST_F(ChatSseStream, RetryFirstThenLiveEventsOnly) {
  say("before");
  auto& c = open();
  EXPECT_EQ(c.sink.take(), std::vector<std::string>{"retry: 3000\r\n\r\n"});
  say("hello");
  auto sent = c.sink.take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_TRUE(sent[0].starts_with("id: 2\r\ndata: {\"id\":\"")) << sent[0];
  EXPECT_TRUE(sent[0].ends_with(R"(","userId":")" + std::string(kUser) + R"(","message":"hello"})" +
                                "\r\n\r\n"))
      << sent[0];
}

TEST_F(ChatSseStream, NoRetryWhenZero) {
  StreamOptions options;
  options.retry = std::chrono::milliseconds(0);
  auto& c = open({}, options);
  EXPECT_TRUE(c.sink.take().empty());
}

TEST_F(ChatSseStream, OneFramePerEventSharedByEveryStream) {
  auto& a = open();
  auto& b = open();
  say("shared");
  ASSERT_EQ(a.sink.shared.size(), 1u);
  ASSERT_EQ(b.sink.shared.size(), 1u);
  EXPECT_EQ(a.sink.shared[0].get(), b.sink.shared[0].get());
}

TEST_F(ChatSseStream, OtherChannelsAndNonMessageEventsAreNotSent) {
  auto& c = open();
  c.sink.take();
  ASSERT_EQ(publish(broker, "c3743620-cc30-11e6-9d9d-cec0c932ce99", kUser, "elsewhere").status,
            200u);
  broker.broadcast(kChannel,
                   std::make_shared<core::Broadcast>(core::Broadcast{"phoenix", "x", {}}));
  broker.presence_track(kChannel, "k", 1, {});
  dispatcher.drain();
  EXPECT_TRUE(c.sink.take().empty());
}

TEST_F(ChatSseStream, ResumesAfterAnOffsetFromHistoryThenLive) {
  for (int i = 1; i <= 5; ++i) say("m" + std::to_string(i));
  auto& c = open(2);
  say("m6");
  EXPECT_EQ(events(c.sink.take()), (Events{{3, "m3"}, {4, "m4"}, {5, "m5"}, {6, "m6"}}));
  EXPECT_EQ(c.stream->last_offset(), 6u);
}

TEST_F(ChatSseStream, ResumeFromZeroReplaysEverythingKept) {
  say("a");
  say("b");
  auto& c = open(0);
  EXPECT_EQ(events(c.sink.take()), (Events{{1, "a"}, {2, "b"}}));
}

TEST_F(ChatSseStream, ResumeAtTheEndReplaysNothing) {
  say("a");
  auto& c = open(1);
  EXPECT_TRUE(events(c.sink.take()).empty());
  say("b");
  EXPECT_EQ(events(c.sink.take()), (Events{{2, "b"}}));
}

TEST_F(ChatSseStream, MessageCommittedBetweenSubscribeAndHistoryIsSentOnce) {
  say("a");
  HookedBroker hooked(broker);
  // Committed after the stream subscribed, before it reads history: it is in both the
  // history and the fan-out posted to the stream's thread.
  hooked.before_history = [&] { ASSERT_EQ(publish(broker, kChannel, kUser, "b").status, 200u); };
  auto& c = open(0, {}, &hooked);
  dispatcher.drain();
  say("c");
  EXPECT_EQ(events(c.sink.take()), (Events{{1, "a"}, {2, "b"}, {3, "c"}}));
  clients.clear();  // the stream unsubscribes through `hooked`: before it goes out of scope
}

TEST_F(ChatSseStream, LongReplayIsSentInPartsAcrossConnections) {
  for (int i = 1; i <= 10; ++i) say(std::string(100, 'x') + std::to_string(i));
  StreamOptions options;
  options.replay_bytes = 600;  // about three events
  auto& first = open(0, options);
  auto part = events(first.sink.take());
  ASSERT_GE(part.size(), 1u);
  ASSERT_LT(part.size(), 10u);
  EXPECT_TRUE(first.sink.closed);
  // Nothing more reaches an ended stream.
  say("live");
  EXPECT_TRUE(first.sink.take().empty());

  // EventSource reconnects with the last id it got, until the backlog is sent.
  std::vector<std::uint64_t> offsets;
  for (auto& [offset, text] : part) offsets.push_back(offset);
  for (int round = 0; round < 10 && offsets.back() < 11; ++round) {
    auto& next = open(offsets.back(), options);
    for (auto& [offset, text] : events(next.sink.take())) offsets.push_back(offset);
  }
  std::vector<std::uint64_t> expected;
  for (std::uint64_t i = 1; i <= 11; ++i) expected.push_back(i);
  EXPECT_EQ(offsets, expected);
}

TEST_F(ChatSseStream, KeepAliveIsOneSharedComment) {
  auto& a = open();
  auto& b = open();
  a.sink.take();
  a.stream->keep_alive();
  b.stream->keep_alive();
  ASSERT_EQ(a.sink.take(), std::vector<std::string>{": keep-alive\r\n\r\n"});
  EXPECT_EQ(a.sink.shared.back().get(), b.sink.shared.back().get());
}

TEST_F(ChatSseStream, ClosedStreamGetsNothing) {
  auto& c = open();
  c.sink.take();
  c.stream->on_close();
  c.stream->on_close();  // idempotent
  say("after");
  c.stream->keep_alive();
  EXPECT_TRUE(c.sink.take().empty());
}

TEST_F(ChatSseStream, StreamClosedDuringFanOutDoesNotBreakOthers) {
  // A slow consumer is torn down from inside its own delivery: it closes its stream then.
  auto& a = open();
  auto& b = open();
  RecordingStreamSink closing;
  StreamOptions options;
  options.keepalive = std::chrono::milliseconds(0);
  Stream s(broker, closing, kChannel, std::nullopt, options);
  int frames = 0;
  closing.on_frame = [&](const core::Frame&) {
    ++frames;
    s.on_close();
  };
  s.on_open();
  a.sink.take();
  b.sink.take();
  say("one");
  say("two");
  EXPECT_EQ(frames, 1);
  EXPECT_EQ(events(a.sink.take()).size(), 2u);
  EXPECT_EQ(events(b.sink.take()).size(), 2u);
}

TEST(ChatSsePublish, ValidatesIdsAndText) {
  test::QueueDispatcher dispatcher;
  core::LocalBroker broker{dispatcher, nullptr, {}};
  auto r = publish(broker, "nope", kUser, "x");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.reason, "channel_id is not a UUID");
  r = publish(broker, kChannel, "c3743620-cc30-11e6-9d9d-cec0c932ce0Z", "x");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.reason, "user_id is not a UUID");
  r = publish(broker, kChannel, kUser, "bad \xff utf-8");
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.reason, "the message is not UTF-8 text");
  EXPECT_TRUE(broker.history(kChannel, 10, 0).empty());
}

TEST(ChatSsePublish, PublishesTheOriginalsJsonInLowerCase) {
  test::QueueDispatcher dispatcher;
  core::LocalBroker broker{dispatcher, nullptr, {}};
  auto r = publish(broker, "C3743620-CC30-11E6-9D9D-CEC0C932CE01",
                   "C3743620-CC30-11E6-9D9D-CEC0C932CE02", "hi there");
  EXPECT_EQ(r.status, 200u);
  auto kept = broker.history(kChannel, 10, 0);
  ASSERT_EQ(kept.size(), 1u);
  const core::Message& m = *kept[0];
  EXPECT_EQ(m.channel, kChannel);
  EXPECT_EQ(m.author_id, kUser);
  EXPECT_EQ(m.text, "hi there");
  EXPECT_EQ(m.offset, 1u);
  EXPECT_TRUE(is_uuid(m.id));
  EXPECT_EQ(json::serialize(m.payload),
            R"({"id":")" + m.id + R"(","userId":")" + kUser + R"(","message":"hi there"})");
  // Empty messages are published, as the original did.
  EXPECT_EQ(publish(broker, kChannel, kUser, "").status, 200u);
}

TEST(ChatSsePublish, CommittedOnlyForAPublishedMessageAndRefusedWhileTheStoreIsFull) {
  test::QueueDispatcher dispatcher;
  test::HeldStore store;
  core::LocalBroker broker{dispatcher, &store, {}};
  std::vector<bool> committed;
  auto record = [&committed](bool stored) { committed.push_back(stored); };
  EXPECT_EQ(publish(broker, kChannel, kUser, "one", record).status, 200u);
  EXPECT_TRUE(committed.empty()) << "not before the store commits";
  store.release();
  EXPECT_EQ(committed, std::vector<bool>{true});
  EXPECT_EQ(publish(broker, "nope", kUser, "x", record).status, 400u);
  store.room = false;
  auto r = publish(broker, kChannel, kUser, "two", record);
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(committed, std::vector<bool>{true}) << "no callback for what is not published";
  EXPECT_EQ(store.appended.size(), 1u) << "nothing published while the store is full";
  dispatcher.drain();
}

TEST(ChatSseLimits, PastTheServersChannelLimitPublishIs503AndAStreamEnds) {
  test::QueueDispatcher dispatcher;
  core::LocalBrokerOptions options;
  options.max_channels = 1;
  core::LocalBroker broker{dispatcher, nullptr, options};
  constexpr const char* kOther = "c3743620-cc30-11e6-9d9d-cec0c932ce03";
  EXPECT_EQ(publish(broker, kChannel, kUser, "first").status, 200u);
  auto refused = publish(broker, kOther, kUser, "second");
  EXPECT_EQ(refused.status, 503u);
  EXPECT_EQ(refused.reason, "too many channels");

  StreamOptions no_keepalive;
  no_keepalive.keepalive = std::chrono::milliseconds(0);
  RecordingStreamSink sink;
  Stream stream(broker, sink, kOther, 0, no_keepalive);
  stream.on_open();
  EXPECT_TRUE(sink.closed) << "refused: the stream ends, EventSource retries";
  EXPECT_EQ(sink.take(), std::vector<std::string>{"retry: 3000\r\n\r\n"});
  RecordingStreamSink held_sink;
  Stream held(broker, held_sink, kChannel, 0, no_keepalive);
  held.on_open();
  EXPECT_FALSE(held_sink.closed) << "a channel in memory is not refused";
  EXPECT_EQ(ChatSseStream::events(held_sink.take()), (ChatSseStream::Events{{1, "first"}}));
}

}  // namespace
}  // namespace parley::dialects::chat_sse
