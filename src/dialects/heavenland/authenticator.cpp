#include "dialects/heavenland/authenticator.hpp"

#include "dialects/heavenland/errors.hpp"

namespace parley::dialects::heavenland {

std::string auth_error_text(const AuthResult& r, const std::string& username) {
  switch (r.failure) {
    case AuthFailure::none:
      return {};
    case AuthFailure::token_invalid:
      return std::string(errors::kTokenInvalid);
    case AuthFailure::token_unparsable:
      return std::string(errors::kTokenUnparsable);
    case AuthFailure::user_not_found:
      return std::string(errors::kTokenUserNotFound);
    case AuthFailure::account_timeout:
      return std::string(errors::kAccountTimeout);
    case AuthFailure::account_error:
      return r.detail.empty() ? std::string(errors::kAccountError) : r.detail;
    case AuthFailure::invalid_credentials:
      return std::string(errors::kInvalidCredentials);
    case AuthFailure::unknown_username:
      return std::string(errors::kUnknownUsernamePrefix) + username;
    case AuthFailure::unavailable:
      return std::string(errors::kAuthUnavailable);
    case AuthFailure::busy:
      return std::string(errors::kLoginsBusy);
    case AuthFailure::internal:
      break;
  }
  return std::string(errors::kLoginFailed);
}

}  // namespace parley::dialects::heavenland
