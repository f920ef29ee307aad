#include "auth/jwt.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <boost/json/parse.hpp>
#include <chrono>
#include <stdexcept>

namespace parley::auth {

namespace json = boost::json;

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int value_of(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Parses one part of the token as a JSON object; false when it is not one.
bool decode_object(std::string_view part, json::object& out) {
  std::string text;
  if (!base64url_decode(part, text)) return false;
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return false;
  out = std::move(v.as_object());
  return true;
}

// A NumericDate claim: absent (true, has=false), a number (true), anything else (false).
bool numeric_date(const json::object& claims, std::string_view name, bool& has, double& value) {
  has = false;
  const json::value* v = claims.if_contains(name);
  if (!v) return true;
  if (!v->is_number()) return false;
  boost::system::error_code ec;
  value = v->to_number<double>(ec);
  has = !ec;
  return !ec;
}

bool audience_matches(const json::value* aud, const std::string& audience) {
  if (!aud) return false;
  if (const json::string* s = aud->if_string()) return *s == audience;
  if (const json::array* arr = aud->if_array()) {
    for (const auto& item : *arr)
      if (const json::string* s = item.if_string(); s && *s == audience) return true;
  }
  return false;
}

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

PkeyPtr read_public_key(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), int(pem.size())),
                                                BIO_free);
  if (!bio) return nullptr;
  if (EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr)) {
    return PkeyPtr(key);
  }
  ERR_clear_error();
  BIO_reset(bio.get());
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  ERR_clear_error();
  if (!cert) return nullptr;
  return PkeyPtr(X509_get_pubkey(cert.get()));
}

// DER ECDSA-Sig-Value from JWS's fixed-size r || s (RFC 7518 §3.4).
bool es256_to_der(std::string_view raw, std::string& der) {
  if (raw.size() != 64) return false;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (!sig) return false;
  BIGNUM* r = BN_bin2bn(bytes(raw), 32, nullptr);
  BIGNUM* s = BN_bin2bn(bytes(raw) + 32, 32, nullptr);
  if (!r || !s || !ECDSA_SIG_set0(sig, r, s)) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return false;
  }
  int n = i2d_ECDSA_SIG(sig, nullptr);
  bool ok = n > 0;
  if (ok) {
    der.resize(std::size_t(n));
    auto* p = reinterpret_cast<unsigned char*>(der.data());
    ok = i2d_ECDSA_SIG(sig, &p) == n;
  }
  ECDSA_SIG_free(sig);
  return ok;
}

}  // namespace

std::string base64url_encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < data.size(); i += 3) {
    std::uint32_t v = std::uint32_t(std::uint8_t(data[i])) << 16;
    if (i + 1 < data.size()) v |= std::uint32_t(std::uint8_t(data[i + 1])) << 8;
    if (i + 2 < data.size()) v |= std::uint8_t(data[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    if (i + 1 < data.size()) out += kAlphabet[(v >> 6) & 63];
    if (i + 2 < data.size()) out += kAlphabet[v & 63];
  }
  return out;
}

bool base64url_decode(std::string_view text, std::string& out) {
  out.clear();
  if (text.size() % 4 == 1) return false;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = value_of(c);
    if (v < 0) return false;
    acc = (acc << 6) | std::uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xff);
    }
  }
  // Leftover bits must be zero (canonical encoding).
  return (acc & ((1u << bits) - 1)) == 0;
}

struct JwtVerifier::Key {
  PkeyPtr pkey;
  std::string alg;  // "RS256" or "ES256"
};

JwtVerifier::JwtVerifier(JwtOptions options) : options_(std::move(options)) {
  if (options_.public_key_pem.empty()) return;
  PkeyPtr pkey = read_public_key(options_.public_key_pem);
  if (!pkey) throw std::runtime_error("not a PEM public key (BEGIN PUBLIC KEY) or certificate");
  auto key = std::make_unique<Key>();
  int type = EVP_PKEY_get_base_id(pkey.get());
  if (type == EVP_PKEY_RSA) {
    if (EVP_PKEY_get_bits(pkey.get()) < 2048)
      throw std::runtime_error("RSA key of " + std::to_string(EVP_PKEY_get_bits(pkey.get())) +
                               " bits: RS256 needs at least 2048");
    key->alg = "RS256";
  } else if (type == EVP_PKEY_EC) {
    std::array<char, 64> group{};
    std::size_t len = 0;
    if (!EVP_PKEY_get_group_name(pkey.get(), group.data(), group.size(), &len) ||
        std::string_view(group.data(), len) != SN_X9_62_prime256v1)
      throw std::runtime_error("EC key not on P-256: ES256 needs prime256v1");
    key->alg = "ES256";
  } else {
    throw std::runtime_error("unsupported key type: RSA (RS256) or EC P-256 (ES256) expected");
  }
  key->pkey = std::move(pkey);
  key_ = std::move(key);
}

JwtVerifier::~JwtVerifier() = default;

std::string JwtVerifier::algorithms() const {
  std::string out;
  if (!options_.secret.empty()) out = "HS256";
  if (key_) out += (out.empty() ? "" : ", ") + key_->alg;
  return out;
}

std::int64_t JwtVerifier::now() const {
  if (options_.now_s) return options_.now_s();
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

bool JwtVerifier::check_signature(std::string_view alg, std::string_view input,
                                  std::string_view signature, std::string& reason) const {
  if (alg == "HS256") {
    if (options_.secret.empty()) {
      reason = "HS256 token but no [auth] jwt_secret";
      return false;
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), options_.secret.data(), int(options_.secret.size()), bytes(input),
              input.size(), mac.data(), &len)) {
      ERR_clear_error();
      reason = "HMAC failed";
      return false;
    }
    if (signature.size() != len || CRYPTO_memcmp(mac.data(), signature.data(), len) != 0) {
      reason = "bad signature";
      return false;
    }
    return true;
  }
  if (!key_ || alg != key_->alg) {
    reason = "algorithm " + std::string(alg) + " not accepted (accepted: " +
             (algorithms().empty() ? "none configured" : algorithms()) + ")";
    return false;
  }
  std::string der;
  if (alg == "ES256") {
    if (!es256_to_der(signature, der)) {
      reason = "bad signature";
      return false;
    }
    signature = der;
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  bool ok =
      ctx &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_->pkey.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(input), input.size()) ==
          1;
  ERR_clear_error();
  if (!ok) reason = "bad signature";
  return ok;
}

JwtResult JwtVerifier::verify(std::string_view token) const {
  JwtResult r;
  std::size_t dot1 = token.find('.');
  std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    r.reason = "not three dot-separated parts";
    return r;
  }
  json::object header;
  if (!decode_object(token.substr(0, dot1), header)) {
    r.reason = "header is not base64url JSON object";
    return r;
  }
  json::object claims;
  if (!decode_object(token.substr(dot1 + 1, dot2 - dot1 - 1), claims)) {
    r.reason = "claims are not a base64url JSON object";
    return r;
  }
  std::string signature;
  if (!base64url_decode(token.substr(dot2 + 1), signature)) {
    r.reason = "signature is not base64url";
    return r;
  }

  r.status = JwtStatus::invalid;
  const json::value* alg = header.if_contains("alg");
  if (!alg || !alg->is_string()) {
    r.reason = "no alg in header";
    return r;
  }
  std::string_view alg_name = alg->get_string();
  if (alg_name == "none") {
    r.reason = "alg none";
    return r;
  }
  if (header.contains("crit")) {
    r.reason = "crit header not supported";
    return r;
  }
  if (!check_signature(alg_name, token.substr(0, dot2), signature, r.reason)) return r;

  bool has = false;
  double value = 0;
  std::int64_t now_s = now();
  if (!numeric_date(claims, "exp", has, value)) {
    r.reason = "exp is not a number";
    return r;
  }
  if (has && double(now_s) >= value) {
    r.reason = "expired";
    return r;
  }
  if (!numeric_date(claims, "nbf", has, value)) {
    r.reason = "nbf is not a number";
    return r;
  }
  if (has && double(now_s) < value) {
    r.reason = "not valid yet (nbf)";
    return r;
  }
  if (!options_.audience.empty() &&
      !audience_matches(claims.if_contains("aud"), options_.audience)) {
    r.reason = "audience is not " + options_.audience;
    return r;
  }
  r.status = JwtStatus::ok;
  r.reason.clear();
  r.claims = std::move(claims);
  return r;
}

}  // namespace parley::auth
