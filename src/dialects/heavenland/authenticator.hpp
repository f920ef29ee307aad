#pragma once
// How a chat connection logs a user in. Implemented by net (JWT verification, the account
// lookup over HTTP, the local user store on the blocking pool) and by a fake in the unit tests.
#include <cstddef>
#include <functional>
#include <string>

namespace parley::dialects::heavenland {

enum class AuthFailure {
  none,
  token_invalid,        // bad signature, algorithm, exp, nbf or aud
  token_unparsable,     // not a JWT
  user_not_found,       // no `sub`, or the account API answered 404
  account_timeout,      // the account API did not answer in time, or could not be reached
  account_error,        // the account API answered an error; detail: its errorMessage
  invalid_credentials,  // wrong password
  unknown_username,     // no such local user
  unavailable,          // the user store cannot be read
  busy,                 // too many password checks waiting already
  internal,             // anything else
};

struct AuthResult {
  AuthFailure failure = AuthFailure::internal;
  std::string user_id;   // when ok
  std::string nickname;  // when ok
  std::string detail;    // account_error: the API's message (may be empty)
  bool ok() const { return failure == AuthFailure::none; }
};

// The wire error string for a failed login ("could not find user with username <username>" for
// unknown_username).
std::string auth_error_text(const AuthResult& result, const std::string& username);

class Authenticator {
 public:
  using Done = std::function<void(AuthResult)>;
  virtual ~Authenticator() = default;
  // Each calls done exactly once, on I/O thread `thread` (the caller's), possibly before
  // returning. done may outlive the caller: it must check that its connection is still there.
  virtual void login_token(const std::string& token, std::size_t thread, Done done) = 0;
  virtual void login_password(const std::string& username, const std::string& password,
                              std::size_t thread, Done done) = 0;
};

}  // namespace parley::dialects::heavenland
