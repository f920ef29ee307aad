#include "core/local_broker.hpp"

#include <gtest/gtest.h>

#include "broker_test_support.hpp"
#include "core/stats.hpp"
#include "test_support.hpp"

namespace parley::core {
namespace {

using test::HeldStore;
using test::QueueDispatcher;
using test::Recorder;
using test::text;

TEST(LocalBroker, PublishAssignsGapFreeOffsetsAndDelivers) {
  QueueDispatcher d;
  LocalBroker b(d, nullptr, {});
  Recorder r;
  b.subscribe("lobby", 0, &r);
  for (int i = 0; i < 3; ++i) b.publish(text("lobby", "m" + std::to_string(i)));
  d.drain();
  ASSERT_EQ(r.events.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(r.events[i].message->offset, static_cast<std::uint64_t>(i + 1));
    EXPECT_EQ(r.events[i].message->text, "m" + std::to_string(i));
    EXPECT_EQ(r.events[i].message->id.size(), 36u);
    EXPECT_GT(r.events[i].message->time_ms, 0);
  }
}

TEST(LocalBroker, ChannelStatsCountSubscribersPerTagAndListTheBusiestFirst) {
  QueueDispatcher d(2);
  LocalBroker b(d, nullptr, {});
  Recorder hub1, hub2, hub3, sse;
  hub1.tag = hub2.tag = hub3.tag = 1;
  sse.tag = 4;
  b.subscribe("lobby", 0, &hub1);
  b.subscribe("lobby", 1, &hub2);
  b.subscribe("lobby", 1, &sse);
  b.subscribe("quiet", 0, &hub3);
  b.subscribe("elsewhere", 0, &sse);
  b.presence_track("quiet", "ada", 7, {});
  b.presence_track("quiet", "bob", 8, {});
  b.publish(text("empty", "x"));
  d.drain();

  ChannelStats all = b.channel_stats("", 10);
  EXPECT_EQ(all.channels, 4u);
  EXPECT_EQ(all.channels_by_tag[1], 2u);  // lobby, quiet
  EXPECT_EQ(all.channels_by_tag[4], 2u);  // lobby, elsewhere
  EXPECT_EQ(all.channels_by_tag[2], 0u);
  ASSERT_EQ(all.busiest.size(), 4u);
  EXPECT_EQ(all.busiest[0].name, "lobby");
  EXPECT_EQ(all.busiest[0].subscribers, 3u);
  EXPECT_EQ(all.busiest[0].by_tag[1], 2u);
  EXPECT_EQ(all.busiest[0].by_tag[4], 1u);
  EXPECT_EQ(all.busiest[1].name, "quiet");  // one subscriber, two present: before elsewhere
  EXPECT_EQ(all.busiest[1].presence, 2u);
  EXPECT_EQ(all.busiest[2].name, "elsewhere");
  EXPECT_EQ(all.busiest[3].name, "empty");
  EXPECT_EQ(all.busiest[3].last_offset, 1u);

  ChannelStats some = b.channel_stats("e", 2);  // quiet, elsewhere, empty match; two kept
  ASSERT_EQ(some.busiest.size(), 2u);
  EXPECT_EQ(some.busiest[0].name, "quiet");
  EXPECT_EQ(some.busiest[1].name, "elsewhere");
  EXPECT_EQ(some.channels, 4u) << "the counts are over every channel";

  b.unsubscribe("lobby", 1, &sse);
  b.unsubscribe("elsewhere", 0, &sse);
  ChannelStats after = b.channel_stats("", 10);
  EXPECT_EQ(after.channels_by_tag[4], 0u);
  EXPECT_EQ(after.channels, 3u) << "elsewhere, idle and never written, is evicted";
  Recorder everywhere;
  everywhere.tag = 5;
  b.subscribe_all(0, &everywhere);
  EXPECT_EQ(b.channel_stats("", 0).channels_by_tag[5], 3u) << "a subscriber to every channel";
  b.unsubscribe_all(0, &everywhere);
}

TEST(LocalBroker, DeliversOnlyAfterTheStoreCommits) {
  QueueDispatcher d;
  HeldStore store;
  LocalBroker b(d, &store, {});
  Recorder r;
  b.subscribe("lobby", 0, &r);
  b.publish(text("lobby", "a"));
  b.publish(text("lobby", "b"));
  d.drain();
  EXPECT_TRUE(r.events.empty()) << "nothing is delivered before it is durable";
  EXPECT_TRUE(b.history("lobby", 10, 0).empty());
  ASSERT_EQ(store.held.size(), 2u);
  EXPECT_EQ(store.held[0].first->offset, 1u);
  EXPECT_EQ(store.held[1].first->offset, 2u);
  store.release();
  d.drain();
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[1].message->text, "b");
  EXPECT_EQ(b.history("lobby", 10, 0).size(), 2u);
}

TEST(LocalBroker, RecordsPublishToCommitLatencyAndPublishedMessages) {
  QueueDispatcher d;
  HeldStore store;
  LocalBroker b(d, &store, {});
  auto commits = stats::publish_commit_seconds.snapshot().count;
  auto published = stats::messages_published.value();
  b.publish(text("c", "hi"));
  b.publish(text("c", "ho"));
  EXPECT_EQ(stats::publish_commit_seconds.snapshot().count, commits) << "not committed yet";
  store.release();
  EXPECT_EQ(stats::publish_commit_seconds.snapshot().count, commits + 2);
  EXPECT_EQ(stats::messages_published.value(), published + 2);
}

TEST(LocalBroker, AFailedWriteIsStillDelivered) {
  QueueDispatcher d;
  HeldStore store;
  LocalBroker b(d, &store, {});
  Recorder r;
  b.subscribe("lobby", 0, &r);
  b.publish(text("lobby", "a"));
  store.release(false);
  d.drain();
  EXPECT_EQ(r.events.size(), 1u);
}

TEST(LocalBroker, CommittedComesAfterTheCommitWithItsOutcome) {
  QueueDispatcher d;
  HeldStore store;
  LocalBroker b(d, &store, {});
  Recorder r;
  b.subscribe("lobby", 0, &r);
  std::vector<bool> outcomes;
  b.publish(text("lobby", "a"), [&](bool stored) {
    outcomes.push_back(stored);
    EXPECT_EQ(b.history("lobby", 10, 0).size(), 1u) << "after the message is in history";
  });
  d.drain();
  EXPECT_TRUE(outcomes.empty()) << "not before the store commits";
  store.release(true);
  EXPECT_EQ(outcomes, std::vector<bool>{true});
  b.publish(text("lobby", "b"), [&](bool stored) { outcomes.push_back(stored); });
  store.release(false);
  EXPECT_EQ(outcomes, (std::vector<bool>{true, false}));
  d.drain();
  EXPECT_EQ(r.events.size(), 2u);
}

TEST(LocalBroker, AcceptingFollowsTheStoresRoom) {
  QueueDispatcher d;
  test::HeldStore store;
  LocalBroker b(d, &store, {});
  EXPECT_TRUE(b.accepting());
  int called = 0;
  b.when_accepting([&] { ++called; });
  EXPECT_EQ(called, 1) << "at once when there is room";
  store.room = false;
  EXPECT_FALSE(b.accepting());
  b.when_accepting([&] { ++called; });
  EXPECT_EQ(called, 1);
  store.open();
  EXPECT_EQ(called, 2);
  EXPECT_TRUE(b.accepting());
  LocalBroker without_store(d, nullptr, {});
  EXPECT_TRUE(without_store.accepting());
}

TEST(LocalBroker, EncodesOncePerFormatPerThread) {
  QueueDispatcher d(2);
  LocalBroker b(d, nullptr, {});
  int encodes_a = 0, encodes_b = 0;
  std::vector<std::unique_ptr<Recorder>> subs;
  for (int i = 0; i < 10; ++i) {
    subs.push_back(std::make_unique<Recorder>(1, &encodes_a));
    b.subscribe("lobby", 0, subs.back().get());
    subs.push_back(std::make_unique<Recorder>(2, &encodes_b));
    b.subscribe("lobby", 0, subs.back().get());
  }
  b.publish(text("lobby", "x"));
  EXPECT_EQ(d.posted.size(), 1u) << "one post: only thread 0 has subscribers";
  d.drain();
  EXPECT_EQ(encodes_a, 1);
  EXPECT_EQ(encodes_b, 1);
  EXPECT_EQ(subs[0]->frames[0], subs[2]->frames[0]) << "the same buffer is shared";
  EXPECT_NE(subs[0]->frames[0], subs[1]->frames[0]);
}

TEST(LocalBroker, PostsOncePerThreadWithSubscribers) {
  QueueDispatcher d(3);
  LocalBroker b(d, nullptr, {});
  Recorder r0, r2a, r2b;
  b.subscribe("lobby", 0, &r0);
  b.subscribe("lobby", 2, &r2a);
  b.subscribe("lobby", 2, &r2b);
  b.publish(text("lobby", "x"));
  ASSERT_EQ(d.posted.size(), 2u);
  EXPECT_EQ(d.posted[0].first, 0u);
  EXPECT_EQ(d.posted[1].first, 2u);
  d.drain();
  EXPECT_EQ(r0.events.size() + r2a.events.size() + r2b.events.size(), 3u);
}

TEST(LocalBroker, UnsubscribeStopsDeliveryAndIsIdempotent) {
  QueueDispatcher d;
  LocalBroker b(d, nullptr, {});
  Recorder r;
  b.subscribe("lobby", 0, &r);
  b.subscribe("lobby", 0, &r);  // a second subscribe is a no-op
  b.publish(text("lobby", "1"));
  d.drain();
  b.unsubscribe("lobby", 0, &r);
  b.unsubscribe("lobby", 0, &r);
  b.publish(text("lobby", "2"));
  d.drain();
  EXPECT_EQ(r.events.size(), 1u);
}

TEST(LocalBroker, ASubscriberMayUnsubscribeOthersDuringDelivery) {
  QueueDispatcher d;
  LocalBroker b(d, nullptr, {});
  Recorder first, second, third;
  b.subscribe("lobby", 0, &first);
  b.subscribe("lobby", 0, &second);
  b.subscribe("lobby", 0, &third);
  first.on_deliver = [&] {
    b.unsubscribe("lobby", 0, &first);
    b.unsubscribe("lobby", 0, &second);
  };
  b.publish(text("lobby", "1"));
  d.drain();
  EXPECT_EQ(first.events.size(), 1u);
  EXPECT_EQ(second.events.size(), 0u);
  EXPECT_EQ(third.events.size(), 1u);
  b.publish(text("lobby", "2"));
  d.drain();
  EXPECT_EQ(first.events.size(), 1u);
  EXPECT_EQ(third.events.size(), 2u);
}

TEST(LocalBroker, ChannelsAreSeparate) {
  QueueDispatcher d;
  LocalBroker b(d, nullptr, {});
  Recorder lobby, other;
  b.subscribe("lobby", 0, &lobby);
  b.subscribe("other", 0, &other);
  b.publish(text("lobby", "x"));
  b.publish(text("lobby", "y"));
  b.publish(text("other", "z"));
  d.drain();
  EXPECT_EQ(lobby.events.size(), 2u);
  ASSERT_EQ(other.events.size(), 1u);
  EXPECT_EQ(other.events[0].message->offset, 1u) << "offsets are per channel";
}

TEST(LocalBroker, HistoryByLimitAfterAndRingSize) {
  QueueDispatcher d;
  LocalBrokerOptions o;
  o.ring_size = 5;
  LocalBroker b(d, nullptr, o);
  for (int i = 1; i <= 8; ++i) b.publish(text("lobby", std::to_string(i)));
  auto all = b.history("lobby", 100, 0);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all.front()->text, "4");
  EXPECT_EQ(all.back()->text, "8");
  auto last2 = b.history("lobby", 2, 0);
  ASSERT_EQ(last2.size(), 2u);
  EXPECT_EQ(last2[0]->text, "7");
  auto after6 = b.history("lobby", 100, 6);
  ASSERT_EQ(after6.size(), 2u);
  EXPECT_EQ(after6[0]->offset, 7u);
  EXPECT_TRUE(b.history("empty", 10, 0).empty());
}

TEST(LocalBroker, HistoryHonoursRetention) {
  QueueDispatcher d;
  std::int64_t now = 1'000'000'000;
  LocalBrokerOptions o;
  o.now_ms = [&] { return now; };
  o.retention.per_channel["lobby"] = RetentionPolicy{std::chrono::seconds(3600), 3};
  LocalBroker b(d, nullptr, o);
  b.publish(text("lobby", "old"));
  now += 3'600'001;
  for (int i = 0; i < 5; ++i) b.publish(text("lobby", "new"));
  auto h = b.history("lobby", 100, 0);
  ASSERT_EQ(h.size(), 3u) << "count limit";
  b.publish(text("other", "kept"));
  now += 10'000'000'000;
  EXPECT_EQ(b.history("other", 100, 0).size(), 1u) << "the fallback policy keeps everything";
  EXPECT_TRUE(b.history("lobby", 100, 0).empty()) << "age limit";
}

TEST(LocalBroker, AChannelNotInMemoryContinuesTheStoresOffsets) {
  QueueDispatcher d;
  HeldStore store;
  auto m = std::make_shared<Message>(text("lobby", "before"));
  m->offset = 41;
  m->time_ms = 1;
  store.stored["lobby"] = ChannelHistory{42, {m}};  // offset 42's message: deleted by retention
  LocalBroker b(d, &store, {});
  EXPECT_EQ(b.publish(text("lobby", "after")), Outcome::ok);
  store.release();
  auto all = b.history("lobby", 10, 0);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]->text, "before");
  EXPECT_EQ(all[1]->offset, 43u);
}

TEST(LocalBroker, PresenceChangesAreDeliveredAsDiffs) {
  QueueDispatcher d;
  LocalBroker b(d, nullptr, {});
  Recorder r;
  b.subscribe("lobby", 0, &r);
  b.presence_track("lobby", "robin", 7, {{"typing", false}});
  d.drain();
  EXPECT_TRUE(b.presence_update("lobby", "robin", 7, {{"typing", true}}));
  EXPECT_FALSE(b.presence_update("lobby", "robin", 8, {{"typing", true}}));
  EXPECT_EQ(b.presence_list("lobby").at("robin").size(), 1u);
  d.drain();
  b.presence_untrack("lobby", 7);
  d.drain();
  b.presence_untrack("lobby", 7);  // nothing left: no diff
  d.drain();
  ASSERT_EQ(r.events.size(), 3u);
  EXPECT_EQ(r.events[0].kind, Event::Kind::presence_diff);
  EXPECT_EQ(r.events[0].diff->joins.size(), 1u);
  EXPECT_EQ(r.events[1].diff->joins.size(), 1u);
  EXPECT_EQ(r.events[1].diff->leaves.size(), 1u);
  EXPECT_EQ(r.events[2].diff->leaves.size(), 1u);
  EXPECT_TRUE(b.presence_list("lobby").empty());
}

TEST(LocalBroker, BroadcastsAreNotStored) {
  QueueDispatcher d;
  LocalBroker b(d, nullptr, {});
  Recorder r;
  b.subscribe("lobby", 0, &r);
  b.broadcast("lobby", std::make_shared<Broadcast>(Broadcast{"phoenix", "custom", nullptr}));
  d.drain();
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].broadcast->event, "custom");
  EXPECT_TRUE(b.history("lobby", 10, 0).empty());
}

}  // namespace
}  // namespace parley::core

namespace parley::core {
namespace {

TEST(LocalBrokerAll, SubscribeAllSeesEveryChannelOnItsThreadOnly) {
  test::QueueDispatcher d(2);
  LocalBroker b(d, nullptr, {});
  Recorder all, lobby;
  b.subscribe_all(1, &all);
  b.subscribe("lobby", 0, &lobby);
  b.publish(text("lobby", "x"));
  b.publish(text("elsewhere", "y"));
  b.presence_track("elsewhere", "k", 1, {});
  d.drain();
  ASSERT_EQ(all.events.size(), 3u);
  EXPECT_EQ(all.events[0].channel, "lobby");
  EXPECT_EQ(all.events[1].channel, "elsewhere");
  EXPECT_EQ(all.events[2].kind, Event::Kind::presence_diff);
  EXPECT_EQ(lobby.events.size(), 1u);
  b.unsubscribe_all(1, &all);
  b.publish(text("lobby", "z"));
  EXPECT_EQ(d.posted.size(), 1u) << "thread 1 has no subscriber left: not posted to";
  d.drain();
  EXPECT_EQ(all.events.size(), 3u);
}

TEST(LocalBrokerAll, UnsubscribeAllDuringDelivery) {
  test::QueueDispatcher d(1);
  LocalBroker b(d, nullptr, {});
  Recorder first, second;
  b.subscribe_all(0, &first);
  b.subscribe_all(0, &second);
  first.on_deliver = [&] { b.unsubscribe_all(0, &second); };
  b.publish(text("lobby", "x"));
  d.drain();
  EXPECT_EQ(first.events.size(), 1u);
  EXPECT_EQ(second.events.size(), 0u);
}

}  // namespace
}  // namespace parley::core

namespace parley::core {
namespace {

TEST(LocalBrokerPresence, ChangesBeforeTheFlushGoOutAsOneDiff) {
  test::QueueDispatcher d;
  LocalBroker b(d, nullptr, {});
  Recorder r;
  b.subscribe("lobby", 0, &r);
  for (std::uint64_t s = 1; s <= 50; ++s) b.presence_track("lobby", "u" + std::to_string(s), s, {});
  EXPECT_EQ(d.posted.size(), 1u) << "one flush posted for fifty joins";
  d.drain();
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].diff->joins.size(), 50u);
  EXPECT_TRUE(r.events[0].diff->leaves.empty());
}

TEST(LocalBrokerPresence, AJoinAndItsLeaveBeforeTheFlushCancelOut) {
  test::QueueDispatcher d;
  LocalBroker b(d, nullptr, {});
  Recorder r;
  b.subscribe("lobby", 0, &r);
  b.presence_track("lobby", "ghost", 1, {});
  b.presence_track("lobby", "stays", 2, {});
  b.presence_untrack("lobby", 1);
  d.drain();
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].diff->joins.count("stays"), 1u);
  EXPECT_EQ(r.events[0].diff->joins.count("ghost"), 0u);
  EXPECT_TRUE(r.events[0].diff->leaves.empty()) << "nobody saw ghost join: no leave either";
  b.presence_track("lobby", "flash", 3, {});
  b.presence_untrack("lobby", 3);
  d.drain();
  EXPECT_EQ(r.events.size(), 1u) << "changes that cancel out send nothing";
}

TEST(LocalBrokerPresence, UpdatesBeforeTheFlushKeepTheAnnouncedMetaAndTheLatest) {
  test::QueueDispatcher d;
  LocalBroker b(d, nullptr, {});
  Recorder r;
  b.subscribe("lobby", 0, &r);
  b.presence_track("lobby", "robin", 1, {{"typing", false}});
  d.drain();
  std::string announced = r.events[0].diff->joins.at("robin")[0].ref;
  b.presence_update("lobby", "robin", 1, {{"typing", true}});
  b.presence_update("lobby", "robin", 1, {{"typing", false}});
  d.drain();
  ASSERT_EQ(r.events.size(), 2u);
  const auto& diff = *r.events[1].diff;
  ASSERT_EQ(diff.leaves.at("robin").size(), 1u);
  EXPECT_EQ(diff.leaves.at("robin")[0].ref, announced) << "the meta others know leaves";
  ASSERT_EQ(diff.joins.at("robin").size(), 1u);
  EXPECT_EQ(diff.joins.at("robin")[0].data.at("typing").as_bool(), false);
  EXPECT_EQ(diff.joins.at("robin")[0].ref, b.presence_list("lobby").at("robin")[0].ref);
}

}  // namespace
}  // namespace parley::core
