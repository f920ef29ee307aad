#pragma once
// Heavenland's logins, as the chat connections see them (dialects::heavenland::Authenticator):
// - token: verified on the caller's I/O thread (a signature check: microseconds); user_id = sub;
//   nickname = the configured claim, else looked up at the account URL (asynchronous HTTP GET
//   with "Authorization: Bearer <token>" on the same thread, with a timeout), else sub.
// - username/password: the local user store (SQLite and argon2id: tens of milliseconds and
//   64 MiB each) on a pool of its own, bounded ([auth] password_hash_threads and _queue), the
//   answer posted back to the caller's thread. A check the pool refuses fails at once (busy).
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "auth/jwt.hpp"
#include "auth/user_store.hpp"
#include "dialects/heavenland/authenticator.hpp"
#include "net/http_client.hpp"
#include "net/io_threads.hpp"

namespace parley::net {

struct AccountLookup {
  std::string nickname_claim = "nickname";  // empty: never read from the token
  // "{sub}" is replaced by the percent-encoded sub; without it, "/<sub>" is appended. Empty: no
  // lookup.
  std::string url;
  std::chrono::milliseconds timeout{5000};
};

class HeavenlandAuth final : public dialects::heavenland::Authenticator {
 public:
  // Queues a password check; false when it cannot be queued (it is then not run).
  using TryRun = std::function<bool(std::function<void()>)>;
  HeavenlandAuth(std::shared_ptr<const auth::JwtVerifier> verifier,
                 std::shared_ptr<auth::UserStore> users, IoThreads& threads, TryRun run_hashing,
                 std::shared_ptr<HttpClient> http, AccountLookup lookup);

  void login_token(const std::string& token, std::size_t thread, Done done) override;
  void login_password(const std::string& username, const std::string& password, std::size_t thread,
                      Done done) override;

  // The account URL for sub (see AccountLookup::url).
  static std::string account_url(const std::string& pattern, const std::string& sub);
  // Maps the account API's answer to a login result for sub.
  static dialects::heavenland::AuthResult account_result(const HttpClientResult& answer,
                                                         const std::string& sub);

 private:
  std::shared_ptr<const auth::JwtVerifier> verifier_;
  std::shared_ptr<auth::UserStore> users_;
  IoThreads& threads_;
  TryRun run_hashing_;
  std::shared_ptr<HttpClient> http_;
  AccountLookup lookup_;
};

}  // namespace parley::net
