#pragma once
// JSON Web Token verification (RFC 7519, compact JWS) with OpenSSL: HS256 with a shared secret,
// RS256 (RSA PKCS#1 v1.5) or ES256 (ECDSA P-256) with a public key. `alg: none` and every other
// algorithm are refused; an algorithm is accepted only when its key is configured, so a token
// cannot make Parley use the public key as an HMAC secret.
//
// Claims checked: `exp` (the token is expired when now >= exp) and `nbf` (not yet valid when
// now < nbf), both optional numbers; `aud` (a string, or an array of strings) must contain the
// configured audience when one is configured. Everything else is the caller's (e.g. `sub`).
//
// Threading: a verifier is immutable after construction; verify() may run on any thread at
// once. The constructor throws on a bad key (start-up); verify() never throws.
#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace parley::auth {

struct JwtOptions {
  std::string secret;          // HS256 secret; empty: HS256 refused
  std::string public_key_pem;  // "PUBLIC KEY" (RSA or EC P-256) or "CERTIFICATE"; empty: none
  std::string audience;        // required `aud`; empty: not checked
  std::function<std::int64_t()> now_s;  // unix time in seconds; the system clock when empty
};

enum class JwtStatus {
  ok,
  malformed,  // not three base64url parts, or a header or claims set that is not a JSON object
  invalid,    // signature, algorithm, exp, nbf or aud
};

struct JwtResult {
  JwtStatus status = JwtStatus::malformed;
  std::string reason;          // why, for the log ("expired", "bad signature", ...)
  boost::json::object claims;  // when ok
};

class JwtVerifier {
 public:
  // Throws std::runtime_error when public_key_pem is set but is not a usable RSA or P-256 key.
  explicit JwtVerifier(JwtOptions options);
  ~JwtVerifier();
  JwtVerifier(const JwtVerifier&) = delete;
  JwtVerifier& operator=(const JwtVerifier&) = delete;

  JwtResult verify(std::string_view token) const;

  // Which algorithms this verifier accepts, e.g. "HS256, RS256"; "" when none (no key at all).
  std::string algorithms() const;

 private:
  struct Key;
  bool check_signature(std::string_view alg, std::string_view signing_input,
                       std::string_view signature, std::string& reason) const;
  std::int64_t now() const;

  JwtOptions options_;
  std::unique_ptr<Key> key_;  // the public key, when configured
};

// base64url without padding (RFC 4648 §5), as JWS uses it. decode: false on any other character
// or a length that cannot be unpadded base64.
std::string base64url_encode(std::string_view data);
bool base64url_decode(std::string_view text, std::string& out);

}  // namespace parley::auth
