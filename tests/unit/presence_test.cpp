#include "core/presence.hpp"

#include <gtest/gtest.h>

#include <set>

namespace parley::core {
namespace {

boost::json::object meta(bool typing) { return {{"typing", typing}, {"username", "robin"}}; }

TEST(Presence, TrackJoinsWithAUniqueRef) {
  Presence p;
  auto d1 = p.track("robin", 1, meta(false));
  auto d2 = p.track("robin", 2, meta(false));
  ASSERT_EQ(d1.joins.size(), 1u);
  EXPECT_TRUE(d1.leaves.empty());
  ASSERT_EQ(p.list().at("robin").size(), 2u) << "one key, two metas for two sessions";
  EXPECT_NE(d1.joins["robin"][0].ref, d2.joins["robin"][0].ref);
  EXPECT_FALSE(d1.joins["robin"][0].ref.empty());
}

TEST(Presence, UpdateIsALeaveAndAJoinWithPrevRef) {
  Presence p;
  auto joined = p.track("robin", 1, meta(false));
  std::string first = joined.joins["robin"][0].ref;
  auto d = p.update("robin", 1, meta(true));
  ASSERT_EQ(d.joins.at("robin").size(), 1u);
  ASSERT_EQ(d.leaves.at("robin").size(), 1u);
  EXPECT_EQ(d.leaves["robin"][0].ref, first);
  EXPECT_EQ(d.leaves["robin"][0].data.at("typing").as_bool(), false);
  EXPECT_EQ(d.joins["robin"][0].prev_ref, first);
  EXPECT_NE(d.joins["robin"][0].ref, first);
  EXPECT_EQ(d.joins["robin"][0].data.at("typing").as_bool(), true);
  EXPECT_EQ(p.list().at("robin").size(), 1u);
}

TEST(Presence, UpdateOfAnUntrackedSessionIsEmpty) {
  Presence p;
  p.track("robin", 1, meta(false));
  EXPECT_TRUE(p.update("robin", 2, meta(true)).empty());
  EXPECT_TRUE(p.update("nobody", 1, meta(true)).empty());
}

TEST(Presence, UntrackLeavesOnlyThatSession) {
  Presence p;
  p.track("robin", 1, meta(false));
  p.track("robin", 2, meta(false));
  p.track("robin2", 1, meta(false));
  auto d = p.untrack(1);
  EXPECT_EQ(d.leaves.size(), 2u);
  EXPECT_TRUE(d.joins.empty());
  ASSERT_EQ(p.list().size(), 1u);
  EXPECT_EQ(p.list().at("robin").size(), 1u);
  EXPECT_EQ(p.list().at("robin")[0].session, 2u);
  p.untrack(2);
  EXPECT_TRUE(p.empty());
  EXPECT_TRUE(p.untrack(2).empty());
}

TEST(Presence, RefsAreUniqueAndBase64) {
  std::set<std::string> refs;
  for (int i = 0; i < 10000; ++i) refs.insert(make_presence_ref());
  EXPECT_EQ(refs.size(), 10000u);
  EXPECT_EQ(refs.begin()->size(), 12u);
}

}  // namespace
}  // namespace parley::core
