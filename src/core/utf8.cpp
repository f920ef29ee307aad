#include "core/utf8.hpp"

#include <cstdint>
#include <cstring>

namespace parley::core {

namespace {
constexpr std::uint64_t kAsciiMask = 0x8080808080808080ULL;
}  // namespace

bool valid_utf8(std::string_view str) {
  const auto* s = reinterpret_cast<const unsigned char*>(str.data());
  const auto* end = s + str.size();
  while (s != end) {
    while (end - s >= 8) {
      std::uint64_t w;
      std::memcpy(&w, s, 8);
      if (w & kAsciiMask) break;
      s += 8;
    }
    if (s == end) break;
    unsigned char c = *s;
    if (c < 0x80) {
      ++s;
      continue;
    }
    // Unicode 15, table 3-7: the well-formed byte sequences.
    auto cont = [](unsigned char b) { return (b & 0xC0) == 0x80; };
    std::ptrdiff_t left = end - s;
    if (c < 0xC2) return false;  // a stray continuation byte, or an overlong 2-byte form
    if (c < 0xE0) {
      if (left < 2 || !cont(s[1])) return false;
      s += 2;
    } else if (c < 0xF0) {
      if (left < 3) return false;
      unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;  // E0 80-9F: overlong
      unsigned char hi = c == 0xED ? 0x9F : 0xBF;  // ED A0-BF: surrogates
      if (s[1] < lo || s[1] > hi || !cont(s[2])) return false;
      s += 3;
    } else if (c < 0xF5) {
      if (left < 4) return false;
      unsigned char lo = c == 0xF0 ? 0x90 : 0x80;  // F0 80-8F: overlong
      unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;  // F4 90-BF: above U+10FFFF
      if (s[1] < lo || s[1] > hi || !cont(s[2]) || !cont(s[3])) return false;
      s += 4;
    } else {
      return false;  // F5-FF: above U+10FFFF or never valid
    }
  }
  return true;
}

}  // namespace parley::core
