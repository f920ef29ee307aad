#include "net/heavenland_auth.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/parse.hpp>

namespace parley::net {

namespace json = boost::json;
using dialects::heavenland::AuthFailure;
using dialects::heavenland::AuthResult;

namespace {

AuthResult failure(AuthFailure f, std::string detail = {}) {
  AuthResult r;
  r.failure = f;
  r.detail = std::move(detail);
  return r;
}

AuthResult success(std::string user_id, std::string nickname) {
  AuthResult r;
  r.failure = AuthFailure::none;
  r.user_id = std::move(user_id);
  r.nickname = std::move(nickname);
  return r;
}

std::string percent_encode(const std::string& s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += char(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace

HeavenlandAuth::HeavenlandAuth(std::shared_ptr<const auth::JwtVerifier> verifier,
                               std::shared_ptr<auth::UserStore> users, IoThreads& threads,
                               TryRun run_hashing, std::shared_ptr<HttpClient> http,
                               AccountLookup lookup)
    : verifier_(std::move(verifier)),
      users_(std::move(users)),
      threads_(threads),
      run_hashing_(std::move(run_hashing)),
      http_(std::move(http)),
      lookup_(std::move(lookup)) {}

std::string HeavenlandAuth::account_url(const std::string& pattern, const std::string& sub) {
  std::string encoded = percent_encode(sub);
  std::string url = pattern;
  if (auto pos = url.find("{sub}"); pos != std::string::npos) return url.replace(pos, 5, encoded);
  if (url.empty() || url.back() != '/') url += '/';
  return url + encoded;
}

AuthResult HeavenlandAuth::account_result(const HttpClientResult& answer, const std::string& sub) {
  if (answer.outcome != HttpClientResult::Outcome::ok) return failure(AuthFailure::account_timeout);
  boost::system::error_code ec;
  json::value body = json::parse(answer.body, ec);
  const json::object* o = ec ? nullptr : body.if_object();
  if (answer.status == 404) return failure(AuthFailure::user_not_found);
  if (answer.status < 200 || answer.status >= 300) {
    // The original raised HeavenlandAPIError(**body): its errorMessage, else "bad request".
    const json::value* message = o ? o->if_contains("errorMessage") : nullptr;
    const json::string* text = message ? message->if_string() : nullptr;
    return failure(AuthFailure::account_error, text ? std::string(*text) : std::string());
  }
  const json::value* nickname = o ? o->if_contains("nickname") : nullptr;
  const json::string* name = nickname ? nickname->if_string() : nullptr;
  return success(sub, name && !name->empty() ? std::string(*name) : sub);
}

void HeavenlandAuth::login_token(const std::string& token, std::size_t thread, Done done) {
  auth::JwtResult verified = verifier_->verify(token);
  if (verified.status != auth::JwtStatus::ok) {
    spdlog::info("heavenland: token refused: {}", verified.reason);
    return done(failure(verified.status == auth::JwtStatus::malformed
                            ? AuthFailure::token_unparsable
                            : AuthFailure::token_invalid));
  }
  const json::value* sub_value = verified.claims.if_contains("sub");
  const json::string* sub = sub_value ? sub_value->if_string() : nullptr;
  if (!sub || sub->empty()) return done(failure(AuthFailure::user_not_found));
  std::string user_id(*sub);
  if (!lookup_.nickname_claim.empty()) {
    const json::value* claim = verified.claims.if_contains(lookup_.nickname_claim);
    if (const json::string* name = claim ? claim->if_string() : nullptr; name && !name->empty())
      return done(success(user_id, std::string(*name)));
  }
  if (lookup_.url.empty()) return done(success(user_id, user_id));
  std::string url = account_url(lookup_.url, user_id);
  http_->get(threads_.context(thread), url, {{"Authorization", "Bearer " + token}}, lookup_.timeout,
             [url, user_id, done = std::move(done)](HttpClientResult answer) {
               if (answer.outcome != HttpClientResult::Outcome::ok)
                 spdlog::warn("heavenland: account lookup {}: {}", url, answer.error);
               else if (answer.status != 200)
                 spdlog::info("heavenland: account lookup {}: HTTP {}", url, answer.status);
               done(account_result(answer, user_id));
             });
}

void HeavenlandAuth::login_password(const std::string& username, const std::string& password,
                                    std::size_t thread, Done done) {
  // done is shared: the job owns it, and it is answered here if the pool refuses the job.
  auto answer = std::make_shared<Done>(std::move(done));
  bool queued = run_hashing_(
      [users = users_, &threads = threads_, thread, username, password, answer]() mutable {
        auth::User user;
        AuthResult result;
        switch (users->check(username, password, user)) {
          case auth::UserStore::Check::ok:
            result = success(user.username, user.nickname);
            break;
          case auth::UserStore::Check::unknown_user:
            result = failure(AuthFailure::unknown_username);
            break;
          case auth::UserStore::Check::wrong_password:
            result = failure(AuthFailure::invalid_credentials);
            break;
          case auth::UserStore::Check::failed:
            result = failure(AuthFailure::unavailable);
            break;
        }
        threads.post(thread, [answer, result = std::move(result)] { (*answer)(result); });
      });
  if (!queued) {
    spdlog::warn("heavenland: password check of {:?} refused: the hashing pool is full", username);
    (*answer)(failure(AuthFailure::busy));
  }
}

}  // namespace parley::net
