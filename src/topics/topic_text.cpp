#include "topics/topic_text.hpp"

namespace parley::topics {

namespace {
bool continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }
}  // namespace

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (char c : s)
    if (!continuation(c)) ++n;
  return n;
}

std::optional<std::size_t> utf8_offset(std::string_view s, std::size_t index) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (continuation(s[i])) continue;
    if (seen == index) return i;
    ++seen;
  }
  if (seen == index) return s.size();
  return std::nullopt;
}

std::string utf8_substr(std::string_view s, std::size_t from, std::size_t count) {
  std::size_t begin = utf8_offset(s, from).value_or(s.size());
  std::string_view rest = s.substr(begin);
  if (count == std::string_view::npos) return std::string(rest);
  std::size_t end = utf8_offset(rest, count).value_or(rest.size());
  return std::string(rest.substr(0, end));
}

}  // namespace parley::topics
