// JWT verification with keys generated here: HS256, RS256, ES256; expired, not yet valid, wrong
// audience, wrong signature, alg none, algorithm confusion, malformed tokens.
#include "auth/jwt.hpp"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <boost/json/serialize.hpp>
#include <memory>
#include <stdexcept>

namespace parley::auth {
namespace {

namespace json = boost::json;

constexpr std::int64_t kNow = 1'700'000'000;

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey rsa_key(unsigned bits = 2048) {
  return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
}
Pkey ec_key(const char* curve = "P-256") {
  return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
}

// The shared keys: generating RSA keys is slow.
EVP_PKEY* rsa() {
  static Pkey key = rsa_key();
  return key.get();
}
EVP_PKEY* rsa_other() {
  static Pkey key = rsa_key();
  return key.get();
}
EVP_PKEY* ec() {
  static Pkey key = ec_key();
  return key.get();
}

std::string public_pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PUBKEY(bio.get(), key);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string sign_with(EVP_PKEY* key, std::string_view input) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key);
  std::size_t len = 0;
  auto* data = reinterpret_cast<const unsigned char*>(input.data());
  EVP_DigestSign(ctx.get(), nullptr, &len, data, input.size());
  std::string sig(len, '\0');
  EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, data, input.size());
  sig.resize(len);
  return sig;
}

// DER ECDSA signature -> JWS r || s.
std::string der_to_raw(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, long(der.size()));
  const BIGNUM *r = nullptr, *s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  std::string raw(64, '\0');
  BN_bn2binpad(r, reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(s, reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return raw;
}

std::string hmac(std::string_view secret, std::string_view input) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha256(), secret.data(), int(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return std::string(reinterpret_cast<char*>(mac), len);
}

std::string input_of(const std::string& alg, const json::object& claims) {
  return base64url_encode(json::serialize(json::object{{"alg", alg}, {"typ", "JWT"}})) + "." +
         base64url_encode(json::serialize(claims));
}

std::string hs256(const json::object& claims, std::string_view secret = "s3cret") {
  std::string input = input_of("HS256", claims);
  return input + "." + base64url_encode(hmac(secret, input));
}
std::string rs256(const json::object& claims, EVP_PKEY* key = rsa()) {
  std::string input = input_of("RS256", claims);
  return input + "." + base64url_encode(sign_with(key, input));
}
std::string es256(const json::object& claims, EVP_PKEY* key = ec()) {
  std::string input = input_of("ES256", claims);
  return input + "." + base64url_encode(der_to_raw(sign_with(key, input)));
}

JwtOptions options(std::string secret, std::string pem = {}, std::string audience = {}) {
  JwtOptions o;
  o.secret = std::move(secret);
  o.public_key_pem = std::move(pem);
  o.audience = std::move(audience);
  o.now_s = [] { return kNow; };
  return o;
}

json::object claims(std::int64_t exp_offset = 60) {
  return json::object{{"sub", "HL1"}, {"exp", kNow + exp_offset}, {"aud", "heavenland-api"}};
}

void expect_ok(const JwtResult& r) {
  EXPECT_EQ(r.status, JwtStatus::ok) << r.reason;
  EXPECT_EQ(r.claims.at("sub"), "HL1");
}
void expect_invalid(const JwtResult& r, std::string_view reason_part) {
  EXPECT_EQ(r.status, JwtStatus::invalid) << r.reason;
  EXPECT_NE(r.reason.find(reason_part), std::string::npos) << r.reason;
}

TEST(Jwt, Base64UrlRoundTripAndStrictness) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00\x01"}) {
    std::string out;
    ASSERT_TRUE(base64url_decode(base64url_encode(s), out)) << s;
    EXPECT_EQ(out, s);
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  std::string out;
  EXPECT_FALSE(base64url_decode("ab=", out));    // padding
  EXPECT_FALSE(base64url_decode("a+b/", out));   // base64, not base64url
  EXPECT_FALSE(base64url_decode("abcde", out));  // impossible length
  EXPECT_FALSE(base64url_decode("-_9", out));    // non-zero leftover bits
}

TEST(Jwt, Hs256Valid) {
  JwtVerifier v(options("s3cret"));
  expect_ok(v.verify(hs256(claims())));
  EXPECT_EQ(v.algorithms(), "HS256");
}

TEST(Jwt, Rs256Valid) {
  JwtVerifier v(options("", public_pem(rsa()), "heavenland-api"));
  expect_ok(v.verify(rs256(claims())));
  EXPECT_EQ(v.algorithms(), "RS256");
}

TEST(Jwt, Es256Valid) {
  JwtVerifier v(options("", public_pem(ec())));
  expect_ok(v.verify(es256(claims())));
  EXPECT_EQ(v.algorithms(), "ES256");
}

TEST(Jwt, SecretAndKeyTogether) {
  JwtVerifier v(options("s3cret", public_pem(rsa())));
  EXPECT_EQ(v.algorithms(), "HS256, RS256");
  expect_ok(v.verify(hs256(claims())));
  expect_ok(v.verify(rs256(claims())));
  expect_invalid(v.verify(es256(claims())), "not accepted");
}

TEST(Jwt, Expired) {
  JwtVerifier v(options("s3cret"));
  expect_invalid(v.verify(hs256(claims(-1))), "expired");
  expect_invalid(v.verify(hs256(claims(0))), "expired");  // now == exp: expired
  JwtVerifier r(options("", public_pem(rsa())));
  expect_invalid(r.verify(rs256(claims(-3600))), "expired");
  JwtVerifier e(options("", public_pem(ec())));
  expect_invalid(e.verify(es256(claims(-3600))), "expired");
}

TEST(Jwt, ExpAndNbfAreOptionalButMustBeNumbers) {
  JwtVerifier v(options("s3cret"));
  expect_ok(v.verify(hs256(json::object{{"sub", "HL1"}})));
  expect_ok(v.verify(hs256(json::object{{"sub", "HL1"}, {"exp", double(kNow) + 0.5}})));
  expect_invalid(v.verify(hs256(json::object{{"sub", "HL1"}, {"exp", "tomorrow"}})), "exp");
  expect_invalid(v.verify(hs256(json::object{{"sub", "HL1"}, {"nbf", kNow + 10}})), "nbf");
  expect_ok(v.verify(hs256(json::object{{"sub", "HL1"}, {"nbf", kNow}})));
  expect_invalid(v.verify(hs256(json::object{{"sub", "HL1"}, {"nbf", nullptr}})), "nbf");
}

TEST(Jwt, Audience) {
  JwtVerifier v(options("s3cret", "", "heavenland-api"));
  expect_ok(v.verify(hs256(claims())));
  auto wrong = claims();
  wrong["aud"] = "other-api";
  expect_invalid(v.verify(hs256(wrong)), "audience");
  auto list = claims();
  list["aud"] = json::array{"x", "heavenland-api"};
  expect_ok(v.verify(hs256(list)));
  auto none = claims();
  none.erase("aud");
  expect_invalid(v.verify(hs256(none)), "audience");
  auto bad_list = claims();
  bad_list["aud"] = json::array{"x", 5};
  expect_invalid(v.verify(hs256(bad_list)), "audience");
  // Not configured: not checked.
  JwtVerifier any(options("s3cret"));
  expect_ok(any.verify(hs256(wrong)));

  JwtVerifier r(options("", public_pem(rsa()), "heavenland-api"));
  expect_invalid(r.verify(rs256(wrong)), "audience");
  JwtVerifier e(options("", public_pem(ec()), "heavenland-api"));
  expect_invalid(e.verify(es256(wrong)), "audience");
}

TEST(Jwt, WrongSignature) {
  JwtVerifier h(options("s3cret"));
  expect_invalid(h.verify(hs256(claims(), "other secret")), "bad signature");
  JwtVerifier r(options("", public_pem(rsa())));
  expect_invalid(r.verify(rs256(claims(), rsa_other())), "bad signature");
  auto other_ec = ec_key();
  JwtVerifier e(options("", public_pem(ec())));
  expect_invalid(e.verify(es256(claims(), other_ec.get())), "bad signature");

  // A valid token with its claims changed.
  std::pair<std::string, EVP_PKEY*> signed_tokens[] = {
      {hs256(claims()), rsa()}, {rs256(claims()), rsa()}, {es256(claims()), ec()}};
  for (const auto& [token, key] : signed_tokens) {
    std::size_t dot1 = token.find('.'), dot2 = token.rfind('.');
    auto changed = claims();
    changed["sub"] = "HL2";
    std::string forged =
        token.substr(0, dot1 + 1) + base64url_encode(json::serialize(changed)) + token.substr(dot2);
    JwtVerifier all(options("s3cret", public_pem(key)));
    expect_ok(all.verify(token));
    expect_invalid(all.verify(forged), "bad signature");
  }
  // An ECDSA signature one byte short.
  std::string t = es256(claims());
  std::string sig;
  ASSERT_TRUE(base64url_decode(t.substr(t.rfind('.') + 1), sig));
  ASSERT_EQ(sig.size(), 64u);
  sig.pop_back();
  expect_invalid(e.verify(t.substr(0, t.rfind('.') + 1) + base64url_encode(sig)), "bad signature");
}

TEST(Jwt, AlgNoneRefused) {
  std::string input = input_of("none", claims());
  JwtVerifier v(options("s3cret", public_pem(rsa())));
  expect_invalid(v.verify(input + "."), "alg none");
  expect_invalid(v.verify(input + "." + base64url_encode("sig")), "alg none");
  std::string upper = base64url_encode(R"({"alg":"None"})") + "." +
                      base64url_encode(json::serialize(claims())) + ".";
  expect_invalid(v.verify(upper), "not accepted");
}

TEST(Jwt, AlgorithmConfusionRefused) {
  // An HS256 token whose secret is the RSA public key, against a verifier with only that key.
  std::string pem = public_pem(rsa());
  JwtVerifier v(options("", pem));
  expect_invalid(v.verify(hs256(claims(), pem)), "no [auth] jwt_secret");
  // RS256 against a secret-only verifier.
  JwtVerifier h(options("s3cret"));
  expect_invalid(h.verify(rs256(claims())), "not accepted");
  // No key at all.
  JwtVerifier nothing(options(""));
  EXPECT_EQ(nothing.algorithms(), "");
  EXPECT_EQ(nothing.verify(hs256(claims())).status, JwtStatus::invalid);
}

TEST(Jwt, OtherHeaderProblems) {
  JwtVerifier v(options("s3cret"));
  auto with_header = [](const std::string& header) {
    std::string input =
        base64url_encode(header) + "." + base64url_encode(json::serialize(claims()));
    return input + "." + base64url_encode(hmac("s3cret", input));
  };
  expect_invalid(v.verify(with_header(R"({"typ":"JWT"})")), "no alg");
  expect_invalid(v.verify(with_header(R"({"alg":5})")), "no alg");
  expect_invalid(v.verify(with_header(R"({"alg":"HS256","crit":["exp"]})")), "crit");
  expect_ok(v.verify(with_header(R"({"alg":"HS256"})")));
}

TEST(Jwt, Malformed) {
  JwtVerifier v(options("s3cret"));
  std::string good = hs256(claims());
  std::size_t dot1 = good.find('.');
  for (const std::string& token : {
           std::string(""),
           std::string("abc"),
           std::string("a.b"),
           good + ".x",
           std::string("!!!.") + good.substr(dot1 + 1),
           base64url_encode("not json") + good.substr(dot1),
           base64url_encode("[1]") + good.substr(dot1),
           good.substr(0, dot1) + "." + base64url_encode("\"str\"") + good.substr(good.rfind('.')),
           good.substr(0, good.rfind('.')) + ".sig=",
       }) {
    SCOPED_TRACE(token);
    EXPECT_EQ(v.verify(token).status, JwtStatus::malformed);
  }
}

TEST(Jwt, BadKeysRefusedAtConstruction) {
  EXPECT_THROW(JwtVerifier(options("", "not a pem")), std::runtime_error);
  auto small = rsa_key(1024);
  EXPECT_THROW(JwtVerifier(options("", public_pem(small.get()))), std::runtime_error);
  auto p384 = ec_key("P-384");
  EXPECT_THROW(JwtVerifier(options("", public_pem(p384.get()))), std::runtime_error);
  auto ed = Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  EXPECT_THROW(JwtVerifier(options("", public_pem(ed.get()))), std::runtime_error);
}

TEST(Jwt, CertificateAccepted) {
  // A self-signed certificate carrying the RSA key.
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), rsa());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("test"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_sign(cert.get(), rsa(), EVP_sha256());
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(bio.get(), cert.get());
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  JwtVerifier v(options("", std::string(data, std::size_t(n))));
  expect_ok(v.verify(rs256(claims())));
}

}  // namespace
}  // namespace parley::auth
