#include "app/logging.hpp"

#include <spdlog/spdlog.h>

#include <cctype>
#include <chrono>
#include <ctime>
#include <set>
#include <string_view>

namespace parley::app {

namespace {

void json_string(std::string_view s, std::string& out) {
  out += '"';
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          static constexpr char hex[] = "0123456789abcdef";
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += ch;  // UTF-8 passes through (the data path's strings are valid UTF-8 or escaped)
        }
    }
  }
  out += '"';
}

// A value written with fmt's {:?}: "..." with \" \\ \n \r \t escapes. Advances i past it.
std::string unquote(std::string_view line, std::size_t& i) {
  std::string out;
  ++i;  // the opening quote
  while (i < line.size() && line[i] != '"') {
    if (line[i] == '\\' && i + 1 < line.size()) {
      char e = line[++i];
      out += e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e;
    } else {
      out += line[i];
    }
    ++i;
  }
  if (i < line.size()) ++i;  // the closing quote
  return out;
}

bool all_digits(std::string_view s) {
  if (s.empty() || s.size() > 18) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

}  // namespace

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  std::string out;
  out.reserve(msg.payload.size() + 96);
  auto since = msg.time.time_since_epoch();
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(since);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since - secs).count();
  std::time_t t = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[40];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  std::string_view line(msg.payload.data(), msg.payload.size());
  auto level = spdlog::level::to_string_view(msg.level);
  out += "{\"time\":\"";
  out += stamp;
  out += "\",\"level\":";
  json_string(std::string_view(level.data(), level.size()), out);
  out += ",\"msg\":";
  json_string(line, out);
  std::set<std::string_view, std::less<>> seen{"time", "level", "msg"};
  for (std::size_t i = 0; i < line.size();) {
    // A key: lower-case letters and '_' right after a space (or at the start), then '='.
    std::size_t k = i;
    while (k < line.size() && (std::islower(static_cast<unsigned char>(line[k])) || line[k] == '_'))
      ++k;
    if (k > i && k < line.size() && line[k] == '=' && (i == 0 || line[i - 1] == ' ')) {
      std::string_view key = line.substr(i, k - i);
      std::size_t v = k + 1;
      std::string value;
      bool quoted = v < line.size() && line[v] == '"';
      if (quoted) {
        value = unquote(line, v);
      } else {
        std::size_t end = line.find(' ', v);
        if (end == std::string_view::npos) end = line.size();
        std::string_view raw = line.substr(v, end - v);
        while (!raw.empty() && (raw.back() == ':' || raw.back() == ',' || raw.back() == ';'))
          raw.remove_suffix(1);
        value = std::string(raw);
        v = end;
      }
      if (seen.insert(key).second) {
        out += ',';
        json_string(key, out);
        out += ':';
        if (!quoted && all_digits(value))
          out += value;
        else
          json_string(value, out);
      }
      i = v;
      continue;
    }
    std::size_t next = line.find(' ', i);
    if (next == std::string_view::npos) break;
    i = next + 1;
  }
  out += "}\n";
  dest.append(out.data(), out.data() + out.size());
}

void setup_logging(const std::string& level, LogFormat format) {
  spdlog::set_level(spdlog::level::from_str(level));
  if (format == LogFormat::json)
    spdlog::set_formatter(std::make_unique<JsonLogFormatter>());
  else
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
}

}  // namespace parley::app
