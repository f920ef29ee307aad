// String topics: inserts and deletes made against an older version are rebased onto the
// current one (concurrent editing), as ChatRoom's server does.
#include "topics/topic_rebase.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <random>
#include <set>

#include "topics/topic_change.hpp"

namespace parley::topics {
namespace {

namespace json = boost::json;

// A string topic driven as a server would: every edit names its base version and result.
class Doc {
 public:
  explicit Doc(std::string text) : t_("doc", TopicType::string) {
    t_.value = json::string(text);
    t_.value_bytes = text.size() + 2;
    t_.version = "v0";
    t_.history_from_init = false;
    texts_["v0"] = text;
  }

  // Sends an edit made against `base`; returns its result version, or "" when rejected.
  std::string insert(const std::string& base, std::size_t position, std::string text) {
    return send("insert", "insertion", base, position, std::move(text));
  }
  std::string erase(const std::string& base, std::size_t position, std::string text) {
    return send("delete", "deletion", base, position, std::move(text));
  }
  std::string set(std::string text) {
    std::string id = "s" + std::to_string(++n_);
    json::object c{{"type", "set"}, {"value", text}, {"old_value", t_.value}, {"id", id}};
    run(c);
    return t_.version;
  }

  std::string text() const { return std::string(t_.value.get_string()); }
  const std::string& version() const { return t_.version; }
  // The text at a version this doc produced.
  const std::string& text_at(const std::string& version) { return texts_.at(version); }
  const TopicState& state() const { return t_; }
  std::string last_reason;
  json::object last_applied;

 private:
  std::string send(const char* type, const char* key, const std::string& base, std::size_t position,
                   std::string text) {
    std::string result = "r" + std::to_string(++n_);
    json::object c{
        {"type", type},         {"topic_version", base},          {"position", position},
        {key, std::move(text)}, {"result_topic_version", result}, {"id", "c" + std::to_string(n_)}};
    return run(c) ? result : "";
  }
  bool run(const json::object& c) {
    auto r = prepare_change(
        t_, c, [this] { return "0_" + std::to_string(++n_); }, limits_);
    if (auto* reason = std::get_if<std::string>(&r)) {
      last_reason = *reason;
      return false;
    }
    last_applied = std::get<PreparedChange>(r).change;
    commit_change(t_, std::get<PreparedChange>(r), limits_);
    texts_[t_.version] = text();
    return true;
  }

  TopicState t_;
  ChangeLimits limits_;
  int n_ = 0;
  std::map<std::string, std::string> texts_;
};

TEST(TopicRebase, CurrentBaseIsNotRebased) {
  Doc d("hello");
  std::string v1 = d.insert("v0", 5, "!");
  EXPECT_EQ(d.text(), "hello!");
  EXPECT_EQ(d.last_applied.at("id").get_string(), "c1");
  EXPECT_EQ(d.version(), v1);
}

TEST(TopicRebase, ConcurrentInsertsAtTheSamePlaceKeepBoth) {
  Doc d("");
  d.insert("v0", 0, "abc");
  d.insert("v0", 0, "X");  // stale: made against v0 too
  EXPECT_EQ(d.text(), "Xabc");
  EXPECT_EQ(d.last_applied.at("id").get_string(), "c2_adjust");
  EXPECT_EQ(d.last_applied.at("topic_version").get_string(), "r1");
  EXPECT_EQ(d.last_applied.at("result_topic_version").get_string(), "r2");
}

TEST(TopicRebase, InsertShiftsPastEarlierInsert) {
  Doc d("hello");
  d.insert("v0", 0, "XX");
  d.insert("v0", 5, "!");
  EXPECT_EQ(d.text(), "XXhello!");
  EXPECT_EQ(d.last_applied.at("position").to_number<int>(), 7);
}

TEST(TopicRebase, InsertAfterAnEarlierInsertIsNotMovedByOneAfterIt) {
  Doc d("hello");
  d.insert("v0", 5, " world");
  d.insert("v0", 1, "-");
  EXPECT_EQ(d.text(), "h-ello world");
}

TEST(TopicRebase, InsertShiftsBackPastEarlierDelete) {
  Doc d("hello world");
  d.erase("v0", 0, "hello ");
  d.insert("v0", 11, "!");
  EXPECT_EQ(d.text(), "world!");
}

TEST(TopicRebase, InsertInsideADeletedRangeGoesWithIt) {
  Doc d("hello");
  d.erase("v0", 1, "ell");
  d.insert("v0", 2, "X");
  EXPECT_EQ(d.text(), "ho");
  EXPECT_EQ(d.last_applied.at("position").to_number<int>(), 1);
  EXPECT_EQ(d.last_applied.at("insertion").get_string(), "");
}

TEST(TopicRebase, DeleteShiftsPastEarlierInsert) {
  Doc d("hello");
  d.insert("v0", 0, "XX");
  d.erase("v0", 2, "ll");
  EXPECT_EQ(d.text(), "XXheo");
  EXPECT_EQ(d.last_applied.at("position").to_number<int>(), 4);
}

TEST(TopicRebase, DeleteAtAnInsertsPositionMoves) {
  Doc d("hello");
  d.insert("v0", 2, "XX");
  d.erase("v0", 2, "ll");
  EXPECT_EQ(d.text(), "heXXo");
}

TEST(TopicRebase, DeleteSwallowsAnInsertInsideItsRange) {
  Doc d("hello");
  d.insert("v0", 2, "X");  // heXllo
  d.erase("v0", 1, "ell");
  EXPECT_EQ(d.text(), "ho");
  EXPECT_EQ(d.last_applied.at("deletion").get_string(), "eXll");
}

TEST(TopicRebase, OverlappingDeletesRemoveTheUnion) {
  Doc d("abcdef");
  d.erase("v0", 1, "bc");
  d.erase("v0", 2, "cd");
  EXPECT_EQ(d.text(), "aef");
  EXPECT_EQ(d.last_applied.at("deletion").get_string(), "d");
  EXPECT_EQ(d.last_applied.at("position").to_number<int>(), 1);
}

TEST(TopicRebase, DeleteInsideAnAppliedDeleteBecomesEmpty) {
  Doc d("abcdef");
  d.erase("v0", 1, "bcd");
  d.erase("v0", 2, "c");
  EXPECT_EQ(d.text(), "aef");
  EXPECT_EQ(d.last_applied.at("deletion").get_string(), "");
}

TEST(TopicRebase, DeleteCoveringAnAppliedDelete) {
  Doc d("abcdef");
  d.erase("v0", 2, "c");
  d.erase("v0", 1, "bcde");
  EXPECT_EQ(d.text(), "af");
}

TEST(TopicRebase, DeleteBeforeOrAfterAnAppliedDelete) {
  Doc d("abcdef");
  d.erase("v0", 4, "ef");
  d.erase("v0", 0, "ab");
  EXPECT_EQ(d.text(), "cd");
  Doc e("abcdef");
  e.erase("v0", 0, "ab");
  e.erase("v0", 4, "ef");
  EXPECT_EQ(e.text(), "cd");
}

TEST(TopicRebase, SetInBetweenResetsToTheStart) {
  Doc d("hello");
  d.set("new");
  d.insert("v0", 5, "!");
  EXPECT_EQ(d.text(), "!new");
  Doc e("hello");
  e.set("new");
  e.erase("v0", 0, "he");
  EXPECT_EQ(e.text(), "new");
  EXPECT_EQ(e.last_applied.at("deletion").get_string(), "");
}

TEST(TopicRebase, OverSeveralVersions) {
  Doc d("0123456789");
  std::string v1 = d.insert("v0", 0, "ab");  // ab0123456789
  d.erase(v1, 4, "23");                      // ab01456789
  d.insert(d.version(), 10, "Z");            // ab01456789Z
  d.erase("v0", 8, "89");                    // based on v0: "89" at 8
  EXPECT_EQ(d.text(), "ab014567Z");
  d.insert(v1, 12, "!");  // based on v1: after "9"
  EXPECT_EQ(d.text(), "ab014567!Z");
}

TEST(TopicRebase, UnknownOrForgottenBaseIsRejected) {
  Doc d("x");
  EXPECT_EQ(d.insert("nope", 0, "a"), "");
  EXPECT_EQ(d.last_reason, "Invalid base topic version: nope");

  TopicState t("s", TopicType::string);
  ChangeLimits limits;
  limits.history_limit = 2;
  int n = 0;
  auto ids = [&] { return "0_" + std::to_string(++n); };
  for (int i = 0; i < 3; ++i) {
    json::object c{
        {"type", "insert"}, {"topic_version", t.version}, {"position", 0}, {"insertion", "a"}};
    commit_change(t, std::get<PreparedChange>(prepare_change(t, c, ids, limits)), limits);
  }
  EXPECT_FALSE(t.history_from_init);
  TextEdit edit{TextEdit::Kind::insert, "", "", 0, "b"};
  EXPECT_EQ(rebase_edit(t, "s_init", edit).value_or(""), "Invalid base topic version: s_init");
  EXPECT_FALSE(rebase_edit(t, t.history[0].result, edit));  // still remembered
}

TEST(TopicRebase, HistoryIsBoundedInBytesToo) {
  TopicState t("s", TopicType::string);
  ChangeLimits limits;
  limits.history_bytes = 10;
  int n = 0;
  auto ids = [&] { return "0_" + std::to_string(++n); };
  for (const char* text : {"aaaa", "bbbb", "cccc"}) {
    json::object c{
        {"type", "insert"}, {"topic_version", t.version}, {"position", 0}, {"insertion", text}};
    commit_change(t, std::get<PreparedChange>(prepare_change(t, c, ids, limits)), limits);
  }
  EXPECT_EQ(t.history.size(), 2u);
  EXPECT_EQ(t.history_bytes, 8u);
  EXPECT_FALSE(t.history_from_init);
  auto back = TopicState::from_record(t.to_record());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->history_bytes, 8u);
}

TEST(TopicRebase, InitialVersionWorksWhileHistoryIsComplete) {
  TopicState t("s", TopicType::string);
  int n = 0;
  auto ids = [&] { return "0_" + std::to_string(++n); };
  for (const char* text : {"a", "b"}) {
    json::object c{
        {"type", "insert"}, {"topic_version", "s_init"}, {"position", 0}, {"insertion", text}};
    commit_change(t, std::get<PreparedChange>(prepare_change(t, c, ids)));
  }
  EXPECT_EQ(t.value.get_string(), "ba");
}

// Clients that each edit the text they last saw (any version the server produced): every
// inserted character survives exactly once, whatever the interleaving.
TEST(TopicRebase, RandomConcurrentInsertsAllSurvive) {
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    Doc d("0123456789");
    std::vector<std::string> seen{"v0", "v0", "v0"};  // per client
    std::set<char> inserted;
    char next = 'A';
    for (int step = 0; step < 20; ++step) {
      std::size_t c = rng() % seen.size();
      if (rng() % 3 == 0) {
        seen[c] = d.version();  // the client catches up
        continue;
      }
      const std::string& view = d.text_at(seen[c]);
      std::size_t pos = rng() % (view.size() + 1);
      std::string v = d.insert(seen[c], pos, std::string(1, next));
      ASSERT_FALSE(v.empty()) << d.last_reason;
      inserted.insert(next++);
      if (next > 'Z') next = 'a';
    }
    std::string text = d.text();
    for (char ch : inserted) EXPECT_EQ(std::count(text.begin(), text.end(), ch), 1) << text;
    EXPECT_EQ(text.size(), 10 + inserted.size());
  }
}

// Concurrent deletes remove the union of what each client deleted, nothing more, nothing twice.
TEST(TopicRebase, RandomConcurrentDeletesRemoveTheUnion) {
  std::mt19937 rng(11);
  const std::string base = "abcdefghijklmnopqrstuvwxyz";
  for (int round = 0; round < 200; ++round) {
    Doc d(base);
    std::vector<std::string> seen{"v0", "v0", "v0"};
    std::set<char> deleted;
    for (int step = 0; step < 12; ++step) {
      std::size_t c = rng() % seen.size();
      if (rng() % 4 == 0) {
        seen[c] = d.version();
        continue;
      }
      const std::string view = d.text_at(seen[c]);
      if (view.empty()) continue;
      std::size_t pos = rng() % view.size();
      std::size_t len = 1 + rng() % std::min<std::size_t>(4, view.size() - pos);
      std::string cut = view.substr(pos, len);
      ASSERT_FALSE(d.erase(seen[c], pos, cut).empty()) << d.last_reason;
      deleted.insert(cut.begin(), cut.end());
    }
    std::string expected;
    for (char ch : base)
      if (!deleted.contains(ch)) expected += ch;
    EXPECT_EQ(d.text(), expected);
  }
}

}  // namespace
}  // namespace parley::topics
