#include "dialects/concierge/file_name.hpp"

namespace parley::dialects::concierge {

namespace {

constexpr std::size_t kMaxBytes = 255;  // NAME_MAX on Linux

// Length of the UTF-8 sequence starting at s[i] and its code point; 0 when invalid.
std::size_t utf8_sequence(std::string_view s, std::size_t i, char32_t& cp) {
  auto b = static_cast<unsigned char>(s[i]);
  std::size_t n = b < 0x80           ? 1
                  : (b >> 5) == 0x6  ? 2
                  : (b >> 4) == 0xE  ? 3
                  : (b >> 3) == 0x1E ? 4
                                     : 0;
  if (n == 0 || i + n > s.size()) return 0;
  cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
  for (std::size_t k = 1; k < n; ++k) {
    auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

bool removed(char32_t cp) {
  if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) return true;  // control characters
  switch (cp) {
    case '/':
    case '\\':
    case '?':
    case '<':
    case '>':
    case ':':
    case '*':
    case '|':
    case '"':
      return true;
    default:
      return false;
  }
}

}  // namespace

std::optional<std::string> sanitize_file_name(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (std::size_t i = 0; i < name.size();) {
    char32_t cp = 0;
    std::size_t n = utf8_sequence(name, i, cp);
    if (n == 0) return std::nullopt;
    if (!removed(cp)) {
      if (out.size() + n > kMaxBytes) break;
      out.append(name.substr(i, n));
    }
    i += n;
  }
  while (!out.empty() && (out.back() == '.' || out.back() == ' ')) out.pop_back();
  if (out.find_first_not_of('.') == std::string::npos) return std::nullopt;  // empty or dots
  return out;
}

}  // namespace parley::dialects::concierge
