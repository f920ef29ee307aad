#pragma once
// spdlog's set-up: the level, and the format of each line (text, or one JSON object per line).
#include <spdlog/formatter.h>
#include <memory>
#include <string>

#include "app/config.hpp"

namespace parley::app {

void setup_logging(const std::string& level, LogFormat format);

// One JSON object per line: {"time":"<ISO 8601 UTC, ms>","level":"info","msg":"<the line>", ...}
// and, after msg, every key=value of the line (session=7 system=hub peer=... reason="..."):
// digits as numbers, a quoted value unquoted, the rest as strings; a key already present (time,
// level, msg, or twice in the line) is kept once, first come.
class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLogFormatter>();
  }
};

}  // namespace parley::app
