#pragma once
// Files embedded in the binary at build time (cmake/embed.cmake): web pages and phoenix.js.
#include <string_view>

namespace parley::assets {

struct Asset {
  std::string_view name;  // base file name, e.g. "chat.html"
  std::string_view data;
};

// The embedded file with this base name, or nullptr. Thread-safe: the table is immutable.
const Asset* find(std::string_view name);

}  // namespace parley::assets
