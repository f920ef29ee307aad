#include "net/multipart.hpp"

#include <cctype>
#include <utility>

#include "net/router.hpp"

namespace parley::net {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "type; k=v; k2=\"quoted \\\" value\"" -> type (lower-case) and the parameters (keys lower-case).
std::string header_params(std::string_view value,
                          std::vector<std::pair<std::string, std::string>>& params) {
  std::size_t i = value.find(';');
  std::string type = lower(trim(value.substr(0, i)));
  while (i != std::string_view::npos && i < value.size()) {
    ++i;  // past ';'
    std::size_t eq = value.find_first_of("=;", i);
    if (eq == std::string_view::npos || value[eq] == ';') {
      i = eq;
      continue;
    }
    std::string key = lower(trim(value.substr(i, eq - i)));
    i = eq + 1;
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    std::string v;
    if (i < value.size() && value[i] == '"') {
      for (++i; i < value.size() && value[i] != '"'; ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) ++i;
        v += value[i];
      }
      i = value.find(';', i);
    } else {
      std::size_t end = value.find(';', i);
      v = std::string(trim(value.substr(i, end == std::string_view::npos ? end : end - i)));
      i = end;
    }
    params.emplace_back(std::move(key), std::move(v));
  }
  return type;
}

// RFC 5987 ext-value: charset'language'percent-encoded. nullopt for charsets other than UTF-8.
std::optional<std::string> ext_value(std::string_view v) {
  std::size_t q1 = v.find('\'');
  std::size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
  if (q2 == std::string_view::npos) return std::nullopt;
  std::string charset = lower(v.substr(0, q1));
  if (charset != "utf-8" && charset != "us-ascii") return std::nullopt;
  return percent_decode(v.substr(q2 + 1));
}

void parse_headers(std::string_view headers, MultipartPart& part) {
  while (!headers.empty()) {
    std::size_t eol = headers.find("\r\n");
    std::string_view line = headers.substr(0, eol);
    headers = eol == std::string_view::npos ? std::string_view{} : headers.substr(eol + 2);
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name = lower(trim(line.substr(0, colon)));
    std::string_view value = trim(line.substr(colon + 1));
    if (name == "content-type") {
      part.content_type = std::string(value);
    } else if (name == "content-disposition") {
      part.has_disposition = true;
      std::vector<std::pair<std::string, std::string>> params;
      header_params(value, params);
      std::optional<std::string> extended;
      for (auto& [k, v] : params) {
        if (k == "name")
          part.name = v;
        else if (k == "filename")
          part.filename = v;
        else if (k == "filename*")
          extended = ext_value(v);
      }
      if (extended) part.filename = std::move(extended);
    }
  }
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  std::vector<std::pair<std::string, std::string>> params;
  std::string type = header_params(content_type, params);
  if (!type.starts_with("multipart/")) return std::nullopt;
  for (auto& [k, v] : params)
    if (k == "boundary" && !v.empty() && v.size() <= 70) return v;
  return std::nullopt;
}

bool parse_multipart(std::string_view body, std::string_view boundary,
                     std::vector<MultipartPart>& parts, std::string& error) {
  parts.clear();
  const std::string delimiter = "--" + std::string(boundary);
  const std::string next_delimiter = "\r\n" + delimiter;
  std::size_t pos = 0;
  if (!body.starts_with(delimiter)) {
    pos = body.find(next_delimiter);
    if (pos == std::string_view::npos) {
      error = "no multipart boundary in the body";
      return false;
    }
    pos += 2;  // the preamble ends with the CRLF
  }
  for (;;) {
    std::size_t after = pos + delimiter.size();
    if (body.substr(after, 2) == "--") return true;  // the closing boundary; epilogue ignored
    while (after < body.size() && (body[after] == ' ' || body[after] == '\t')) ++after;
    if (body.substr(after, 2) != "\r\n") {
      error = "malformed multipart boundary line";
      return false;
    }
    std::size_t start = after + 2;
    std::size_t next = body.find(next_delimiter, start);
    if (next == std::string_view::npos) {
      error = "multipart body without its closing boundary";
      return false;
    }
    std::string_view part = body.substr(start, next - start);
    MultipartPart p;
    if (part.starts_with("\r\n")) {
      p.body = part.substr(2);  // no headers
    } else {
      std::size_t end = part.find("\r\n\r\n");
      if (end == std::string_view::npos) {
        error = "multipart part without the blank line after its headers";
        return false;
      }
      parse_headers(part.substr(0, end), p);
      p.body = part.substr(end + 4);
    }
    parts.push_back(std::move(p));
    pos = next + 2;
  }
}

}  // namespace parley::net
