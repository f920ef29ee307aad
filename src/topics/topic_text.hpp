#pragma once
// Positions in string topics count Unicode code points, as the original (Python) server's str
// does. Strings here are valid UTF-8 (Boost.JSON rejects anything else at parse time).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace parley::topics {

// Code points in s.
std::size_t utf8_length(std::string_view s);
// Byte offset of code point `index` in s (index == length: s.size()); nullopt past the end.
std::optional<std::size_t> utf8_offset(std::string_view s, std::size_t index);
// The code points [from, from + count) of s, clamped to s.
std::string utf8_substr(std::string_view s, std::size_t from,
                        std::size_t count = std::string_view::npos);

}  // namespace parley::topics
