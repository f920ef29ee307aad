#pragma once
// Password hashing with argon2id (libsodium's crypto_pwhash_str, "interactive" limits: about
// 64 MiB and a few tens of milliseconds per hash). Both functions are CPU- and memory-heavy by
// design: call them off the I/O threads. Thread-safe.
#include <optional>
#include <string>
#include <string_view>

namespace parley::auth {

// The encoded hash ("$argon2id$v=19$m=...,t=...,p=...$salt$hash"), or nullopt when libsodium
// fails (out of memory).
std::optional<std::string> hash_password(std::string_view password);

// True when password matches an encoded hash made by hash_password(). False on a mismatch or a
// hash it cannot read.
bool verify_password(std::string_view encoded_hash, std::string_view password);

}  // namespace parley::auth
