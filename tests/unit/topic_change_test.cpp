// Every change type of every topic type: applied, inverted, and rejected for each invalid case
// (chatroom.ref.md, "Serialized Change forms" and "Inverses").
#include "topics/topic_change.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace parley::topics {
namespace {

namespace json = boost::json;

}  // namespace
}  // namespace parley::topics

namespace boost::json {
// Readable failures: JSON values print as JSON.
inline void PrintTo(const value& v, std::ostream* os) { *os << serialize(v); }
inline void PrintTo(const object& o, std::ostream* os) { *os << serialize(o); }
}  // namespace boost::json

namespace parley::topics {
namespace {

json::value J(std::string_view text) { return json::parse(text); }
json::object O(std::string_view text) { return json::parse(text).as_object(); }

struct Ids {
  int n = 0;
  IdSource source() {
    return [this] { return "0_" + std::to_string(++n); };
  }
};

class TopicChange : public ::testing::Test {
 protected:
  TopicState make(TopicType type, std::string_view value = "", std::string name = "t") {
    TopicState t(std::move(name), type);
    if (!value.empty()) {
      t.value = J(value);
      t.value_bytes = json::serialize(t.value).size();
    }
    return t;
  }

  // Applies change, which must be accepted; returns the change as applied.
  json::object apply(TopicState& t, const json::object& change) {
    auto r = prepare_change(t, change, ids.source(), limits);
    if (auto* reason = std::get_if<std::string>(&r)) {
      ADD_FAILURE() << "rejected: " << *reason << "\nchange: " << json::serialize(change);
      return {};
    }
    auto& p = std::get<PreparedChange>(r);
    commit_change(t, p, limits);
    last_inverse = p.inverse;
    return p.change;
  }

  // The reason change is rejected; fails the test when it is accepted. Checks t is untouched.
  std::string reason(const TopicState& t, const json::object& change) {
    json::value before = t.value;
    auto r = prepare_change(t, change, ids.source(), limits);
    EXPECT_EQ(t.value, before);
    if (auto* reason = std::get_if<std::string>(&r)) return *reason;
    ADD_FAILURE() << "accepted: " << json::serialize(change);
    return {};
  }

  // Applies change then its inverse: the value must be back to what it was.
  void expect_inverse_restores(TopicState& t, const json::object& change) {
    json::value before = t.value;
    json::object applied = apply(t, change);
    ASSERT_FALSE(applied.empty());
    json::object inverse = last_inverse;
    EXPECT_FALSE(inverse.contains("id"));
    apply(t, inverse);
    EXPECT_TRUE(json_equal(t.value, before))
        << json::serialize(t.value) << " != " << json::serialize(before) << " after "
        << json::serialize(change) << " then " << json::serialize(inverse);
  }

  Ids ids;
  ChangeLimits limits;
  json::object last_inverse;
};

// ---- generic ----

TEST_F(TopicChange, GenericSetRecordsOldValueAndKeepsIdWhenOldValueMatches) {
  TopicState t = make(TopicType::generic);
  json::object c = apply(t, O(R"({"type":"set","value":{"a":[1,2]},"old_value":null,"id":"2_1"})"));
  EXPECT_EQ(t.value, J(R"({"a":[1,2]})"));
  EXPECT_EQ(t.revision, 1u);
  EXPECT_EQ(c, O(R"({"topic_name":"t","topic_type":"generic","type":"set","value":{"a":[1,2]},
                     "old_value":null,"id":"2_1"})"));
  EXPECT_EQ(last_inverse, O(R"({"topic_name":"t","topic_type":"generic","type":"set",
                               "value":null,"old_value":{"a":[1,2]}})"));
}

TEST_F(TopicChange, SetWithStaleOldValueIsAppliedUnderANewId) {
  TopicState t = make(TopicType::generic, "5");
  json::object c = apply(t, O(R"({"type":"set","value":7,"old_value":4,"id":"2_1"})"));
  EXPECT_EQ(t.value, J("7"));
  EXPECT_EQ(c.at("old_value"), J("5"));
  EXPECT_NE(c.at("id"), J(R"("2_1")"));  // the client sees a different id: its view was stale
}

TEST_F(TopicChange, GenericSetInverts) {
  TopicState t = make(TopicType::generic, R"("x")");
  expect_inverse_restores(t, O(R"({"type":"set","value":[1]})"));
}

TEST_F(TopicChange, GenericRejects) {
  TopicState t = make(TopicType::generic);
  EXPECT_EQ(reason(t, O(R"({"type":"set"})")), "a set change needs \"value\"");
  EXPECT_EQ(reason(t, O(R"({"type":"add","value":1})")),
            "'add' is not a change of a generic topic");
  EXPECT_EQ(reason(t, O(R"({"value":1})")), "the change has no \"type\"");
  EXPECT_EQ(reason(t, O(R"({"type":1})")), "the change has no \"type\"");
}

// ---- common fields ----

TEST_F(TopicChange, TopicNameTypeAndIdAreChecked) {
  TopicState t = make(TopicType::integer);
  EXPECT_EQ(reason(t, O(R"({"type":"set","value":1,"topic_type":"string"})")),
            "a string change cannot apply to int topic 't'");
  EXPECT_EQ(reason(t, O(R"({"type":"set","value":1,"topic_name":"other"})")),
            "the change's topic_name is not 't'");
  EXPECT_EQ(reason(t, O(R"({"type":"set","value":1,"id":5})")), "id must be a non-empty string");
  // "unknown" is the base SetChange's topic_type: accepted.
  apply(t, O(R"({"type":"set","value":1,"topic_type":"unknown","topic_name":"t"})"));
  EXPECT_EQ(t.value, J("1"));
}

TEST_F(TopicChange, MissingIdIsMade) {
  TopicState t = make(TopicType::integer);
  json::object c = apply(t, O(R"({"type":"add","value":1})"));
  EXPECT_EQ(c.at("id"), J(R"("0_1")"));
}

TEST_F(TopicChange, ValueSizeLimit) {
  limits.max_value_bytes = 20;
  TopicState t = make(TopicType::list);
  apply(t, O(R"({"type":"insert","item":"0123456789","position":0})"));
  EXPECT_EQ(reason(t, O(R"({"type":"insert","item":"0123456789","position":0})")),
            "the value of 't' would exceed 20 bytes");
  EXPECT_EQ(reason(t, O(R"({"type":"set","value":["0123456789","0123456789"]})")),
            "the value of 't' would exceed 20 bytes");
}

// ---- string ----

TEST_F(TopicChange, StringSetMovesTheVersionToTheChangeId) {
  TopicState t = make(TopicType::string);
  EXPECT_EQ(t.version, "t_init");
  apply(t, O(R"({"type":"set","value":"hello","old_value":"","id":"1_1"})"));
  EXPECT_EQ(t.value, J(R"("hello")"));
  EXPECT_EQ(t.version, "1_1");
  expect_inverse_restores(t, O(R"({"type":"set","value":"bye","old_value":"hello"})"));
}

TEST_F(TopicChange, StringInsertAndDelete) {
  TopicState t = make(TopicType::string);
  json::object c = apply(t, O(R"({"topic_name":"t","topic_type":"string","type":"insert",
      "topic_version":"t_init","position":0,"insertion":"abc","result_topic_version":"2_3",
      "id":"2_4"})"));
  EXPECT_EQ(t.value, J(R"("abc")"));
  EXPECT_EQ(t.version, "2_3");
  EXPECT_EQ(c, O(R"({"topic_name":"t","topic_type":"string","type":"insert",
      "topic_version":"t_init","position":0,"insertion":"abc","result_topic_version":"2_3",
      "id":"2_4"})"));
  EXPECT_EQ(last_inverse, O(R"({"topic_name":"t","topic_type":"string","type":"delete",
      "topic_version":"2_3","position":0,"deletion":"abc","result_topic_version":"t_init"})"));
  c = apply(t, O(R"({"type":"delete","topic_version":"2_3","position":1,"deletion":"b",
      "result_topic_version":"2_5","id":"2_6"})"));
  EXPECT_EQ(t.value, J(R"("ac")"));
  EXPECT_EQ(t.version, "2_5");
  EXPECT_EQ(c, O(R"({"topic_name":"t","topic_type":"string","topic_version":"2_3","type":"delete",
      "position":1,"deletion":"b","result_topic_version":"2_5","id":"2_6"})"));
  EXPECT_EQ(t.revision, 2u);
}

TEST_F(TopicChange, StringEditWithoutResultVersionUsesTheId) {
  TopicState t = make(TopicType::string);
  apply(t,
        O(R"({"type":"insert","topic_version":"t_init","position":0,"insertion":"x","id":"9_9"})"));
  EXPECT_EQ(t.version, "9_9");
}

TEST_F(TopicChange, StringPositionsCountCodePoints) {
  TopicState t = make(TopicType::string, R"("héllo")");
  t.version = "v1";
  apply(t, O(R"({"type":"insert","topic_version":"v1","position":2,"insertion":"→",
                 "result_topic_version":"v2"})"));
  EXPECT_EQ(t.value, J(R"("hé→llo")"));
  apply(t, O(R"({"type":"delete","topic_version":"v2","position":1,"deletion":"é→",
                 "result_topic_version":"v3"})"));
  EXPECT_EQ(t.value, J(R"("hllo")"));
}

TEST_F(TopicChange, StringInsertAndDeleteInvert) {
  TopicState t = make(TopicType::string, R"("hello")");
  t.version = "v0";
  expect_inverse_restores(t, O(R"({"type":"insert","topic_version":"v0","position":5,
                                   "insertion":" world","result_topic_version":"v1"})"));
  EXPECT_EQ(t.version, "v0");  // the inverse's result is the original version
  expect_inverse_restores(t, O(R"({"type":"delete","topic_version":"v0","position":1,
                                   "deletion":"ell","result_topic_version":"v2"})"));
}

TEST_F(TopicChange, StringRejects) {
  TopicState t = make(TopicType::string, R"("abc")");
  t.version = "v0";
  EXPECT_EQ(reason(t, O(R"({"type":"insert","position":0,"insertion":"x"})")),
            "a insert change needs \"topic_version\"");
  EXPECT_EQ(reason(t, O(R"({"type":"insert","topic_version":"v0","insertion":"x"})")),
            "a insert change needs \"position\"");
  EXPECT_EQ(reason(t, O(R"({"type":"insert","topic_version":"v0","position":0})")),
            "a insert change needs \"insertion\"");
  EXPECT_EQ(reason(t, O(R"({"type":"insert","topic_version":"v0","position":-1,"insertion":"x"})")),
            "\"position\" of a insert change must be an integer >= 0");
  EXPECT_EQ(reason(t, O(R"({"type":"insert","topic_version":"v0","position":0,"insertion":1})")),
            "\"insertion\" of a insert change must be a string");
  EXPECT_EQ(reason(t, O(R"({"type":"insert","topic_version":"v0","position":4,"insertion":"x"})")),
            "Insertion invalid: invalid position 4. Insert position must be between [0, 3]");
  EXPECT_EQ(reason(t, O(R"({"type":"delete","topic_version":"v0","position":1,"deletion":"c"})")),
            "Deletion invalid: \"c\" does not appear at position 1");
  EXPECT_EQ(reason(t, O(R"({"type":"delete","topic_version":"v0","position":2,"deletion":"cd"})")),
            "Deletion invalid: \"cd\" does not appear at position 2");
  EXPECT_EQ(
      reason(t, O(R"({"type":"insert","topic_version":"nope","position":0,"insertion":"x"})")),
      "Invalid base topic version: nope");
  EXPECT_EQ(reason(t, O(R"({"type":"set","value":5})")),
            "5 is not a valid value of string topic 't'");
  EXPECT_EQ(reason(t, O(R"({"type":"pop","position":0})")),
            "'pop' is not a change of a string topic");
}

// ---- int and float ----

TEST_F(TopicChange, IntSetAndAdd) {
  TopicState t = make(TopicType::integer);
  apply(t, O(R"({"type":"set","value":5})"));
  json::object c =
      apply(t, O(R"({"topic_name":"t","topic_type":"int","type":"add","value":2,"id":"2_2"})"));
  EXPECT_EQ(t.value, J("7"));
  EXPECT_EQ(c, O(R"({"topic_name":"t","topic_type":"int","type":"add","value":2,"id":"2_2"})"));
  EXPECT_EQ(last_inverse, O(R"({"topic_name":"t","topic_type":"int","type":"add","value":-2})"));
  expect_inverse_restores(t, O(R"({"type":"add","value":-40})"));
  expect_inverse_restores(t, O(R"({"type":"set","value":100})"));
}

TEST_F(TopicChange, IntRejects) {
  TopicState t = make(TopicType::integer, "9223372036854775800");
  EXPECT_EQ(reason(t, O(R"({"type":"set","value":1.5})")),
            "1.5E0 is not a valid value of int topic 't'");
  EXPECT_EQ(reason(t, O(R"({"type":"set","value":"1"})")),
            "\"1\" is not a valid value of int topic 't'");
  EXPECT_EQ(reason(t, O(R"({"type":"set","value":18446744073709551615})")),
            "18446744073709551615 is not a valid value of int topic 't'");
  EXPECT_EQ(reason(t, O(R"({"type":"add","value":"x"})")),
            "\"value\" of a add change must be an integer");
  EXPECT_EQ(reason(t, O(R"({"type":"add","value":100})")),
            "adding 100 to 9223372036854775800 is out of range");
  EXPECT_EQ(reason(t, O(R"({"type":"add"})")), "a add change needs \"value\"");
}

TEST_F(TopicChange, FloatSetAndAdd) {
  TopicState t = make(TopicType::floating);
  EXPECT_EQ(t.value, J("0.0"));
  apply(t, O(R"({"type":"set","value":1.5})"));
  apply(t, O(R"({"type":"add","value":2})"));
  EXPECT_EQ(t.value.as_double(), 3.5);
  apply(t, O(R"({"type":"set","value":4})"));  // an int is a float topic's value too
  EXPECT_EQ(t.value, J("4"));
  expect_inverse_restores(t, O(R"({"type":"add","value":0.25})"));
}

TEST_F(TopicChange, FloatRejects) {
  TopicState t = make(TopicType::floating, "1.0e308");
  EXPECT_EQ(reason(t, O(R"({"type":"add","value":"x"})")),
            "\"value\" of a add change must be a number");
  EXPECT_EQ(reason(t, O(R"({"type":"set","value":[1]})")),
            "[1] is not a valid value of float topic 't'");
  EXPECT_EQ(reason(t, O(R"({"type":"add","value":1.0e308})")), "adding 1E308 is out of range");
}

// ---- set ----

TEST_F(TopicChange, SetAppendAndRemove) {
  TopicState t = make(TopicType::set);
  json::object c =
      apply(t, O(R"({"topic_name":"t","topic_type":"set","type":"append","item":"x","id":"2_7"})"));
  EXPECT_EQ(c, O(R"({"topic_name":"t","topic_type":"set","type":"append","item":"x","id":"2_7"})"));
  EXPECT_EQ(last_inverse, O(R"({"topic_name":"t","topic_type":"set","type":"remove","item":"x"})"));
  apply(t, O(R"({"type":"append","item":{"k":1}})"));
  EXPECT_EQ(t.value, J(R"(["x",{"k":1}])"));
  c = apply(t, O(R"({"type":"remove","item":"x","id":"2_8"})"));
  EXPECT_EQ(c, O(R"({"topic_name":"t","topic_type":"set","type":"remove","item":"x","id":"2_8"})"));
  EXPECT_EQ(t.value, J(R"([{"k":1}])"));
  expect_inverse_restores(t, O(R"({"type":"append","item":3})"));
  expect_inverse_restores(t, O(R"({"type":"remove","item":{"k":1}})"));
  expect_inverse_restores(t, O(R"({"type":"set","value":[1,2,3]})"));
}

TEST_F(TopicChange, SetRejectsDuplicatesAndMissingItems) {
  TopicState t = make(TopicType::set, R"([1,"a"])");
  EXPECT_EQ(reason(t, O(R"({"type":"append","item":"a"})")),
            "Adding \"a\" to 't' would create a duplicate.");
  EXPECT_EQ(reason(t, O(R"({"type":"append","item":1.0})")),  // 1 == 1.0, as in Python
            "Adding 1E0 to 't' would create a duplicate.");
  EXPECT_EQ(reason(t, O(R"({"type":"remove","item":"b"})")),
            "Cannot remove \"b\" from 't': not in the set");
  EXPECT_EQ(reason(t, O(R"({"type":"set","value":[1,2,1]})")),
            "[1,2,1] has duplicates: a set topic's items are unique");
  EXPECT_EQ(reason(t, O(R"({"type":"set","value":{}})")),
            "{} is not a valid value of set topic 't'");
  EXPECT_EQ(reason(t, O(R"({"type":"append"})")), "a append change needs \"item\"");
}

// ---- list ----

TEST_F(TopicChange, ListInsertAndPopWithNegativePositions) {
  TopicState t = make(TopicType::list, "[1,2]");
  json::object c = apply(t, O(R"({"type":"insert","item":42,"position":-1,"id":"2_9"})"));
  EXPECT_EQ(t.value, J("[1,2,42]"));  // -1 appends
  EXPECT_EQ(c, O(R"({"topic_name":"t","topic_type":"list","type":"insert","item":42,
                     "position":2,"id":"2_9"})"));
  EXPECT_EQ(last_inverse, O(R"({"topic_name":"t","topic_type":"list","type":"pop","position":2})"));
  apply(t, O(R"({"type":"insert","item":0,"position":0})"));
  apply(t, O(R"({"type":"insert","item":"m","position":-3})"));
  EXPECT_EQ(t.value, J(R"([0,1,"m",2,42])"));
  c = apply(t, O(R"({"type":"pop","position":-1,"id":"2_10"})"));
  EXPECT_EQ(c,
            O(R"({"topic_name":"t","topic_type":"list","type":"pop","position":4,"id":"2_10"})"));
  EXPECT_EQ(last_inverse,
            O(R"({"topic_name":"t","topic_type":"list","type":"insert","item":42,"position":4})"));
  apply(t, O(R"({"type":"pop","position":0})"));
  EXPECT_EQ(t.value, J(R"([1,"m",2])"));
  expect_inverse_restores(t, O(R"({"type":"pop","position":1})"));
  expect_inverse_restores(t, O(R"({"type":"insert","item":[9],"position":1})"));
  expect_inverse_restores(t, O(R"({"type":"set","value":[]})"));
}

TEST_F(TopicChange, ListRejects) {
  TopicState t = make(TopicType::list, "[1,2]");
  EXPECT_EQ(reason(t, O(R"({"type":"insert","item":3,"position":3})")),
            "position 3 is out of range for 't' (2 items)");
  EXPECT_EQ(reason(t, O(R"({"type":"insert","item":3,"position":-4})")),
            "position -4 is out of range for 't' (2 items)");
  EXPECT_EQ(reason(t, O(R"({"type":"pop","position":2})")),
            "position 2 is out of range for 't' (2 items)");
  EXPECT_EQ(reason(t, O(R"({"type":"pop","position":-3})")),
            "position -3 is out of range for 't' (2 items)");
  EXPECT_EQ(reason(t, O(R"({"type":"pop","position":"0"})")),
            "\"position\" of a pop change must be an integer");
  EXPECT_EQ(reason(t, O(R"({"type":"pop"})")), "a pop change needs \"position\"");
  EXPECT_EQ(reason(t, O(R"({"type":"insert","position":0})")), "a insert change needs \"item\"");
  EXPECT_EQ(reason(t, O(R"({"type":"append","item":1})")),
            "'append' is not a change of a list topic");
  TopicState empty = make(TopicType::list);
  EXPECT_EQ(reason(empty, O(R"({"type":"pop","position":-1})")),
            "position -1 is out of range for 't' (0 items)");
}

// ---- dict ----

TEST_F(TopicChange, DictAddPopAndChangeValue) {
  TopicState t = make(TopicType::dict);
  json::object c = apply(t, O(R"({"type":"add","key":"k","value":1,"id":"2_11"})"));
  EXPECT_EQ(
      c,
      O(R"({"topic_name":"t","topic_type":"dict","type":"add","key":"k","value":1,"id":"2_11"})"));
  EXPECT_EQ(last_inverse, O(R"({"topic_name":"t","topic_type":"dict","type":"pop","key":"k"})"));
  c = apply(t, O(R"({"type":"change_value","key":"k","value":2,"old_value":1,"id":"2_13"})"));
  EXPECT_EQ(c, O(R"({"topic_name":"t","topic_type":"dict","type":"change_value","key":"k",
                     "value":2,"old_value":1,"id":"2_13"})"));
  EXPECT_EQ(last_inverse, O(R"({"topic_name":"t","topic_type":"dict","type":"change_value",
                               "key":"k","value":1,"old_value":2})"));
  EXPECT_EQ(t.value, J(R"({"k":2})"));
  c = apply(t, O(R"({"type":"pop","key":"k","id":"2_12"})"));
  EXPECT_EQ(c, O(R"({"topic_name":"t","topic_type":"dict","type":"pop","key":"k","id":"2_12"})"));
  EXPECT_EQ(last_inverse,
            O(R"({"topic_name":"t","topic_type":"dict","type":"add","key":"k","value":2})"));
  EXPECT_EQ(t.value, J("{}"));
  apply(t, O(R"({"type":"add","key":"a","value":[1]})"));
  expect_inverse_restores(t, O(R"({"type":"add","key":"b","value":null})"));
  expect_inverse_restores(t, O(R"({"type":"pop","key":"a"})"));
  expect_inverse_restores(t, O(R"({"type":"change_value","key":"a","value":"z"})"));
  expect_inverse_restores(t, O(R"({"type":"set","value":{"x":1}})"));
}

TEST_F(TopicChange, DictRejects) {
  TopicState t = make(TopicType::dict, R"({"k":1})");
  EXPECT_EQ(reason(t, O(R"({"type":"add","key":"k","value":2})")),
            "Adding \"k\" to 't' would create a duplicate.");
  EXPECT_EQ(reason(t, O(R"({"type":"pop","key":"x"})")), "\"x\" is not in 't'");
  EXPECT_EQ(reason(t, O(R"({"type":"change_value","key":"x","value":1})")), "\"x\" is not in 't'");
  EXPECT_EQ(reason(t, O(R"({"type":"add","key":1,"value":2})")),
            "\"key\" of a add change must be a string");
  EXPECT_EQ(reason(t, O(R"({"type":"add","value":2})")), "a add change needs \"key\"");
  EXPECT_EQ(reason(t, O(R"({"type":"add","key":"z"})")), "a add change needs \"value\"");
  EXPECT_EQ(reason(t, O(R"({"type":"change_value","key":"k"})")),
            "a change_value change needs \"value\"");
  EXPECT_EQ(reason(t, O(R"({"type":"set","value":[]})")),
            "[] is not a valid value of dict topic 't'");
}

// ---- event ----

TEST_F(TopicChange, EventEmitChangesNothingAndInvertsToReversedEmit) {
  TopicState t = make(TopicType::event);
  json::object c = apply(t, O(R"({"type":"emit","args":{"x":1},"id":"0_5"})"));
  EXPECT_EQ(c, O(R"({"topic_name":"t","topic_type":"event","type":"emit","args":{"x":1},
                     "forward_info":{},"id":"0_5"})"));
  EXPECT_EQ(last_inverse, O(R"({"topic_name":"t","topic_type":"event","type":"reversed_emit",
                               "args":{"x":1},"forward_info":{}})"));
  EXPECT_TRUE(t.value.is_null());
  EXPECT_EQ(t.revision, 1u);
  apply(t, last_inverse);
  EXPECT_EQ(last_inverse.at("type"), J(R"("emit")"));
}

TEST_F(TopicChange, EventRejects) {
  TopicState t = make(TopicType::event);
  EXPECT_EQ(reason(t, O(R"({"type":"emit","args":[1]})")),
            "\"args\" of a emit change must be an object");
  EXPECT_EQ(reason(t, O(R"({"type":"emit","forward_info":1})")),
            "\"forward_info\" of a emit change must be an object");
  EXPECT_EQ(reason(t, O(R"({"type":"set","value":1})")), "'set' is not a change of a event topic");
}

// ---- snapshot and records ----

TEST_F(TopicChange, SnapshotOfAStringTopicCarriesItsVersion) {
  TopicState t = make(TopicType::string);
  apply(t, O(R"({"type":"insert","topic_version":"t_init","position":0,"insertion":"a",
                 "result_topic_version":"v7"})"));
  EXPECT_EQ(snapshot_change(t, ids.source()),
            O(R"({"topic_name":"t","topic_type":"string","type":"set","value":"a",
                  "old_value":null,"id":"v7"})"));
}

TEST_F(TopicChange, RecordRoundTrip) {
  TopicState t = make(TopicType::string, "", "doc");
  apply(t, O(R"({"type":"insert","topic_version":"doc_init","position":0,"insertion":"ab",
                 "result_topic_version":"v1"})"));
  apply(t, O(R"({"type":"delete","topic_version":"v1","position":0,"deletion":"a",
                 "result_topic_version":"v2"})"));
  auto back = TopicState::from_record(t.to_record());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->value, J(R"("b")"));
  EXPECT_EQ(back->version, "v2");
  EXPECT_EQ(back->revision, 2u);
  ASSERT_EQ(back->history.size(), 2u);
  EXPECT_TRUE(back->history_from_init);
  // A stale edit against v1 still rebases after the round trip.
  auto r = prepare_change(*back, O(R"({"type":"insert","topic_version":"v1","position":2,
                                       "insertion":"!"})"),
                          ids.source(), limits);
  ASSERT_TRUE(std::holds_alternative<PreparedChange>(r)) << std::get<std::string>(r);
  EXPECT_EQ(std::get<PreparedChange>(r).change.at("position"), J("1"));

  TopicRecord bad = t.to_record();
  bad.value = "[not json";
  EXPECT_FALSE(TopicState::from_record(bad));
  bad = t.to_record();
  bad.type = "nope";
  EXPECT_FALSE(TopicState::from_record(bad));
  bad = t.to_record();
  bad.value = "5";  // not a string
  EXPECT_FALSE(TopicState::from_record(bad));
}

TEST(TopicTypes, SetValuesHaveNoDuplicatesWhateverTheirSize) {
  json::array big;
  for (int i = 0; i < 50'000; ++i) big.push_back(i);  // quadratic would take seconds
  EXPECT_TRUE(fits_topic_type(TopicType::set, big));
  big.push_back(49'999.0);  // equal to 49999, as in Python
  EXPECT_FALSE(fits_topic_type(TopicType::set, big));
  EXPECT_FALSE(fits_topic_type(TopicType::set, J(R"([{"a":1,"b":[2]},{"b":[2],"a":1}])")));
  EXPECT_TRUE(fits_topic_type(TopicType::set, J(R"([{"a":1},{"a":2},[1],[1,1],"1",1,true,null])")));
  EXPECT_FALSE(fits_topic_type(TopicType::set, J("[0, -0.0]")));
}

TEST(TopicTypes, NamesAndDefaults) {
  for (auto name : {"generic", "string", "int", "float", "set", "list", "dict", "event"}) {
    auto type = parse_topic_type(name);
    ASSERT_TRUE(type) << name;
    EXPECT_EQ(topic_type_name(*type), name);
    EXPECT_TRUE(fits_topic_type(*type, default_topic_value(*type))) << name;
  }
  EXPECT_FALSE(parse_topic_type("bool"));
  EXPECT_EQ(json::serialize(default_topic_value(TopicType::string)), "\"\"");
  EXPECT_EQ(json::serialize(default_topic_value(TopicType::dict)), "{}");
}

}  // namespace
}  // namespace parley::topics
