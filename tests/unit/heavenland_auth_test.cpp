// The token login's account lookup: the URL, and the account API's answers mapped to results.
#include "net/heavenland_auth.hpp"

#include <gtest/gtest.h>

namespace parley::net {
namespace {

using dialects::heavenland::AuthFailure;

HttpClientResult answer(unsigned status, std::string body) {
  HttpClientResult r;
  r.outcome = HttpClientResult::Outcome::ok;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(HeavenlandAccountLookup, Url) {
  EXPECT_EQ(HeavenlandAuth::account_url("https://api.example.org/idm/accounts", "HL1"),
            "https://api.example.org/idm/accounts/HL1");
  EXPECT_EQ(HeavenlandAuth::account_url("https://api.example.org/idm/accounts/", "HL1"),
            "https://api.example.org/idm/accounts/HL1");
  EXPECT_EQ(HeavenlandAuth::account_url("http://h/a/{sub}/profile?x=1", "a b/c"),
            "http://h/a/a%20b%2Fc/profile?x=1");
}

TEST(HeavenlandAccountLookup, Answers) {
  auto ok = HeavenlandAuth::account_result(answer(200, R"({"nickname":"Hero","id":"HL1"})"), "HL1");
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.user_id, "HL1");
  EXPECT_EQ(ok.nickname, "Hero");
  // No usable nickname: the sub.
  EXPECT_EQ(HeavenlandAuth::account_result(answer(200, R"({"nickname":null})"), "HL1").nickname,
            "HL1");
  EXPECT_EQ(HeavenlandAuth::account_result(answer(200, "not json"), "HL1").nickname, "HL1");

  EXPECT_EQ(HeavenlandAuth::account_result(answer(404, ""), "HL1").failure,
            AuthFailure::user_not_found);
  auto err = HeavenlandAuth::account_result(
      answer(403, R"({"statusCode":403,"errorMessage":"forbidden here"})"), "HL1");
  EXPECT_EQ(err.failure, AuthFailure::account_error);
  EXPECT_EQ(err.detail, "forbidden here");
  auto bare = HeavenlandAuth::account_result(answer(500, "oops"), "HL1");
  EXPECT_EQ(bare.failure, AuthFailure::account_error);
  EXPECT_EQ(bare.detail, "");
  EXPECT_EQ(dialects::heavenland::auth_error_text(bare, ""), "bad request");

  HttpClientResult timeout;
  timeout.outcome = HttpClientResult::Outcome::timeout;
  EXPECT_EQ(HeavenlandAuth::account_result(timeout, "HL1").failure, AuthFailure::account_timeout);
  HttpClientResult refused;
  refused.outcome = HttpClientResult::Outcome::failed;
  EXPECT_EQ(HeavenlandAuth::account_result(refused, "HL1").failure, AuthFailure::account_timeout);
}

}  // namespace
}  // namespace parley::net
