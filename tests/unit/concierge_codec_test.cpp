// The Concierge codec: every client payload and every server payload, both ways; the wire
// forms of the reference; decode errors; uuids, versions, names.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "dialects/concierge/codec.hpp"

namespace parley::dialects::concierge {
namespace {

namespace json = boost::json;

const std::string kU1 = "7b0c1e2a-3f4d-4a5b-8c6d-7e8f9a0b1c2d";
const std::string kU2 = "1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b";

PayloadIn in_ok(std::string_view text) {
  auto d = decode_in(text);
  if (auto* e = std::get_if<DecodeError>(&d)) ADD_FAILURE() << text << ": " << e->desc;
  return std::holds_alternative<PayloadIn>(d) ? std::get<PayloadIn>(d) : PayloadIn{};
}

std::string in_error(std::string_view text) {
  auto d = decode_in(text);
  if (auto* e = std::get_if<DecodeError>(&d)) return e->desc;
  ADD_FAILURE() << text << " decoded";
  return "";
}

PayloadOut out_ok(std::string_view text) {
  auto d = decode_out(text);
  if (auto* e = std::get_if<DecodeError>(&d)) ADD_FAILURE() << text << ": " << e->desc;
  return std::holds_alternative<PayloadOut>(d) ? std::get<PayloadOut>(d) : PayloadOut{};
}

ServiceInfo service() { return ServiceInfo{"chat_service", "Chat Service", kU2, {kU1, kU2}}; }
ClientInfo client() { return ClientInfo{"web_user", std::nullopt, kU1, {"a", "b"}}; }

TEST(ConciergeCodec, EveryClientPayloadRoundTrips) {
  std::vector<PayloadIn> all = {
      in::Identify{"chat_service", "Chat Service Client", "0.2.0", "s3cret", {"service", "chat"}},
      in::Identify{"bare", std::nullopt, "0.2.0", std::nullopt, {}},
      in::SelfSubscribe{"chat_service"},
      in::SelfUnsubscribe{"chat_service"},
      in::SelfFetch{},
      in::SelfSetSeq{18446744073709551615ull},
      in::ServiceCreate{"chat_service", "Chat Service"},
      in::ServiceCreate{"plain", std::nullopt},
      in::ServiceDelete{"chat_service"},
      in::ServiceFetch{"chat_service"},
      in::ServiceFetchAll{},
      in::ClientFetch{kU1},
      in::ClientFetchAll{},
      in::Message{Target{.type = Target::Type::name, .name = "bob"}, R"({"x":1})"},
      in::Message{Target{.type = Target::Type::uuid, .uuid = kU1}, "[1,2,3]"},
      in::Message{Target{.type = Target::Type::service, .service = "s"}, "\"text\""},
      in::Message{Target{.type = Target::Type::service_client_uuid, .uuid = kU2, .service = "s"},
                  "null"},
      in::Message{Target{.type = Target::Type::all}, "12.50"},
  };
  ASSERT_EQ(std::variant_size_v<PayloadIn>, 12u);
  std::set<std::size_t> kinds;
  for (const auto& p : all) {
    std::string text = encode(p);
    SCOPED_TRACE(text);
    EXPECT_EQ(in_ok(text), p);
    EXPECT_EQ(json::parse(text).at("type").as_string(), type_name(p));
    kinds.insert(p.index());
  }
  EXPECT_EQ(kinds.size(), std::variant_size_v<PayloadIn>);  // every payload covered
}

TEST(ConciergeCodec, DecodesTheSeedsWireForms) {
  // The README's IDENTIFY: no secret, tags given.
  auto id = std::get<in::Identify>(in_ok(
      R"({"type":"IDENTIFY","name":"chat_service","nickname":"Chat Service Client","version":"0.2.0","tags":["service","chat"]})"));
  EXPECT_EQ(id.name, "chat_service");
  EXPECT_EQ(id.nickname, "Chat Service Client");
  EXPECT_FALSE(id.secret);
  EXPECT_EQ(id.tags, (std::vector<std::string>{"service", "chat"}));
  // tags default to [], nickname and secret may be null.
  auto bare = std::get<in::Identify>(
      in_ok(R"({"type":"IDENTIFY","name":"x","nickname":null,"secret":null,"version":"0.2.0"})"));
  EXPECT_TRUE(bare.tags.empty());
  EXPECT_FALSE(bare.nickname);
  // MESSAGE: data verbatim (spacing and number spelling kept), origin ignored, uuid normalized.
  auto m = std::get<in::Message>(in_ok(
      R"({"type":"MESSAGE","origin":{"bogus":true},"target":{"type":"SERVICE_CLIENT_UUID","service":"chat_service","uuid":"7B0C1E2A3F4D4A5B8C6D7E8F9A0B1C2D"},"data": {"type": "TEXT", "n": 1.0, "big": 123456789012345678901234567890}})"));
  EXPECT_EQ(m.data, R"({"type": "TEXT", "n": 1.0, "big": 123456789012345678901234567890})");
  EXPECT_EQ(m.target.type, Target::Type::service_client_uuid);
  EXPECT_EQ(m.target.uuid, kU1);
  // Unknown fields are ignored, as serde does.
  EXPECT_EQ(in_ok(R"({"type":"SELF_FETCH","extra":[1]})"), PayloadIn{in::SelfFetch{}});
}

TEST(ConciergeCodec, ClientPayloadErrorsReadLikeSerde) {
  EXPECT_EQ(in_error(R"({"type":"SELF_SUBSCRIBE"})"), "missing field `service`");
  EXPECT_EQ(in_error(R"({"service":"x"})"), "missing field `type`");
  EXPECT_EQ(in_error(R"({"type":"SELF_SUBSCRIBE","service":5})"),
            "invalid type: integer `5`, expected a string");
  EXPECT_EQ(in_error(R"({"type":"SELF_SET_SEQ","seq":-1})"),
            "invalid value: integer `-1`, expected usize");
  EXPECT_EQ(in_error(R"({"type":"SELF_SET_SEQ","seq":1.5})"),
            "invalid type: floating point `1.5E0`, expected usize");
  EXPECT_EQ(in_error(R"({"type":"IDENTIFY","name":"x","version":"0.2.0","tags":"a"})"),
            "invalid type: string \"a\", expected a sequence");
  EXPECT_EQ(in_error(R"({"type":"CLIENT_FETCH","uuid":"nope"})"),
            "invalid value: string \"nope\", expected a UUID");
  EXPECT_TRUE(in_error(R"({"type":"FLY"})").starts_with("unknown variant `FLY`, expected one of "));
  EXPECT_EQ(in_error(R"({"type":"MESSAGE","target":{"type":"ALL"}})"), "missing field `data`");
  EXPECT_EQ(in_error(R"({"type":"MESSAGE","target":{"type":"GROUP"},"data":1})"),
            "unknown variant `GROUP`, expected one of `NAME`, `UUID`, `SERVICE`, "
            "`SERVICE_CLIENT_UUID`, `ALL`");
  EXPECT_EQ(in_error(R"({"type":"MESSAGE","target":"ALL","data":1})"),
            "invalid type: string \"ALL\", expected internally tagged enum Target");
  EXPECT_EQ(in_error(R"({"type":"SELF_FETCH","type":"SELF_FETCH"})"), "duplicate field `type`");
  {
    // Thousands of distinct keys, then one repeated: found, and without a pairwise scan.
    std::string many = R"({"type":"SELF_FETCH")";
    for (int i = 0; i < 6000; ++i) many += ",\"k" + std::to_string(i) + "\":0";
    many += R"(,"k42":1})";
    EXPECT_EQ(in_error(many), "duplicate field `k42`");
  }
  EXPECT_EQ(in_error(R"([1,2])"),
            "invalid type: sequence, expected internally tagged enum PayloadIn");
  EXPECT_FALSE(in_error("{\"type\":").empty());  // not JSON
  EXPECT_FALSE(in_error("").empty());
  // Nesting deeper than serde's limit is refused, not a stack overflow.
  std::string deep = R"({"type":"MESSAGE","target":{"type":"ALL"},"data":)" +
                     std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_FALSE(in_error(deep).empty());
}

TEST(ConciergeCodec, EveryServerPayloadRoundTrips) {
  Origin origin{client(), service()};
  std::vector<PayloadOut> all = {
      {std::nullopt, out::Hello{kU1, "0.2.0"}},
      {3, out::Ok{}},
      {3, out::Bad{}},
      {std::nullopt, out::Bad{}},
      {1, out::SelfSubscribeResult{true, service()}},
      {2, out::SelfUnsubscribeResult{false, service()}},
      {4, out::SelfFetchResult{client(), {service()}}},
      {0, out::ServiceCreateResult{true, service()}},
      {std::nullopt, out::ServiceCreateResult{true, service()}},
      {5, out::ServiceDeleteResult{service()}},
      {6, out::ServiceFetchResult{service()}},
      {7, out::ServiceFetchAllResult{{service(), ServiceInfo{"b", std::nullopt, kU1, {}}}}},
      {8, out::ClientFetchResult{client(), {}}},
      {9, out::ClientFetchAllResult{{client(), ClientInfo{"n", "Nick", kU2, {}}}}},
      {std::nullopt, out::ClientJoined{client()}},
      {std::nullopt, out::ClientLeft{client()}},
      {std::nullopt, out::ServiceClientSubscribed{client(), service()}},
      {std::nullopt, out::ServiceClientUnsubscribed{client(), service()}},
      {1, out::ErrorInternal{"Group owner does not exist"}},
      {1, out::ErrorUnsupported{}},
      {1, out::ErrorProtocol{"missing field `service`"}},
      {1, out::InvalidName{"nobody"}},
      {1, out::InvalidUuid{kU2}},
      {1, out::InvalidService{"nothing"}},
      {std::nullopt,
       out::Message{origin, Target{.type = Target::Type::service, .service = "chat_service"},
                    R"({"type":"INPUT","text":"hello"})"}},
      {std::nullopt,
       out::Message{Origin{client(), std::nullopt}, Target{.type = Target::Type::all}, "[]"}},
  };
  std::set<std::size_t> kinds;
  for (const auto& p : all) {
    std::string text = encode(p);
    SCOPED_TRACE(text);
    EXPECT_EQ(out_ok(text), p);
    json::object o = json::parse(text).as_object();
    EXPECT_EQ(o.at("type").as_string(), type_name(p.body));
    EXPECT_EQ(o.contains("seq"), p.seq.has_value());
    kinds.insert(p.body.index());
  }
  EXPECT_EQ(kinds.size(), std::variant_size_v<PayloadOut::Body>);
}

TEST(ConciergeCodec, ServerWireFormsMatchTheReference) {
  EXPECT_EQ(encode(PayloadOut{std::nullopt, out::Hello{kU1, "0.2.0"}}),
            R"({"type":"HELLO","uuid":")" + kU1 + R"(","version":"0.2.0"})");
  EXPECT_EQ(encode(PayloadOut{3, out::Ok{}}), R"({"type":"OK","seq":3})");
  EXPECT_EQ(encode(PayloadOut{std::nullopt, out::Bad{}}), R"({"type":"BAD"})");
  EXPECT_EQ(encode(PayloadOut{2, out::InvalidService{"x"}}),
            R"({"type":"INVALID_SERVICE","seq":2,"service":"x"})");
  // Absent nickname and absent service serialize as null; data goes out verbatim.
  std::string m = encode(
      PayloadOut{std::nullopt,
                 out::Message{Origin{ClientInfo{"web_user", std::nullopt, kU1, {}}, std::nullopt},
                              Target{.type = Target::Type::name, .name = "bob"}, R"({"n": 1.0})"}});
  EXPECT_EQ(
      m,
      R"({"type":"MESSAGE","origin":{"name":"web_user","nickname":null,"uuid":")" + kU1 +
          R"(","tags":[],"service":null},"target":{"type":"NAME","name":"bob"},"data":{"n": 1.0}})");
  std::string s = encode(PayloadOut{1, out::SelfSubscribeResult{true, service()}});
  EXPECT_EQ(
      s,
      R"({"type":"SELF_SUBSCRIBE_RESULT","seq":1,"successful":true,"service":{"name":"chat_service","nickname":"Chat Service","owner_uuid":")" +
          kU2 + R"(","subscribers":[")" + kU1 + R"(",")" + kU2 + R"("]}})");
}

TEST(ConciergeCodec, ServerPayloadErrors) {
  auto err = [](std::string_view text) {
    auto d = decode_out(text);
    return std::holds_alternative<DecodeError>(d) ? std::get<DecodeError>(d).desc : "";
  };
  EXPECT_EQ(err(R"({"type":"HELLO","version":"0.2.0"})"), "missing field `uuid`");
  EXPECT_EQ(err(R"({"type":"OK","seq":"3"})"), "invalid type: string \"3\", expected usize");
  EXPECT_EQ(err(R"({"type":"MESSAGE","target":{"type":"ALL"},"data":1})"),
            "missing field `origin`");
  EXPECT_EQ(err(R"({"type":"WHAT"})"), "unknown variant `WHAT`");
}

TEST(ConciergeCodec, Uuids) {
  EXPECT_EQ(normalize_uuid(kU1), kU1);
  EXPECT_EQ(normalize_uuid("7B0C1E2A-3F4D-4A5B-8C6D-7E8F9A0B1C2D"), kU1);
  EXPECT_EQ(normalize_uuid("7b0c1e2a3f4d4a5b8c6d7e8f9a0b1c2d"), kU1);
  for (std::string_view bad :
       {"", "7b0c1e2a-3f4d-4a5b-8c6d-7e8f9a0b1c2", "7b0c1e2a-3f4d-4a5b-8c6d7-e8f9a0b1c2d",
        "zb0c1e2a-3f4d-4a5b-8c6d-7e8f9a0b1c2d", "{7b0c1e2a-3f4d-4a5b-8c6d-7e8f9a0b1c2d}",
        "../../etc/passwd"})
    EXPECT_FALSE(normalize_uuid(bad)) << bad;
}

TEST(ConciergeCodec, VersionsMatchCaret020) {
  for (std::string_view ok : {"0.2.0", "0.2.1", "0.2.99", "0.2.0+build.5"})
    EXPECT_TRUE(version_supported(ok)) << ok;
  for (std::string_view no :
       {"0.1.9", "0.3.0", "1.2.0", "0.2.0-beta", "0.2", "0.2.0.0", "v0.2.0", "00.2.0", "0.02.0", "",
        "garbage", "0.2.x", "0.2.0+", "0.2.0-", "0.2.-1", " 0.2.0", "0.2.99999999999999999999999"})
    EXPECT_FALSE(version_supported(no)) << no;
}

TEST(ConciergeCodec, ClientNames) {
  EXPECT_TRUE(valid_client_name("chat_service"));
  EXPECT_TRUE(valid_client_name("Web_User42"));
  EXPECT_TRUE(valid_client_name(std::string(64, 'a')));
  for (std::string_view bad : {"", "web user", "a-b", "a.b", "../x", "é", "a\nb"})
    EXPECT_FALSE(valid_client_name(bad)) << bad;
  EXPECT_FALSE(valid_client_name(std::string(65, 'a')));
}

TEST(ConciergeCodec, CloseReasonsAreTheOriginals) {
  EXPECT_EQ(close_reason(close_code::unknown), "Unknown reason");
  EXPECT_EQ(close_reason(close_code::no_auth), "No identification payload sent");
  EXPECT_EQ(close_reason(close_code::auth_failed), "Authorization failed");
  EXPECT_EQ(close_reason(close_code::duplicate_auth), "Duplicate name in namespace");
  EXPECT_EQ(close_reason(close_code::bad_secret), "Secret mismatch");
  EXPECT_EQ(close_reason(close_code::bad_version), "Version mismatch");
  EXPECT_EQ(close_reason(close_code::bad_auth), "Name must be alphanumeric");
  EXPECT_EQ(close_reason(close_code::hb_failed), "Heartbeat failed");
}

}  // namespace
}  // namespace parley::dialects::concierge
