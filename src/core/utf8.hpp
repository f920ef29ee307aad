#pragma once
#include <string_view>

namespace parley::core {

// True when s is valid UTF-8 (Unicode table 3-7: no overlongs, no surrogates, nothing above
// U+10FFFF, no truncated sequence). ASCII runs are checked 8 bytes at a time.
bool valid_utf8(std::string_view s);

}  // namespace parley::core
