#include "net/router.hpp"

#include <algorithm>

namespace parley::net {

namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += plus_is_space && s[i] == '+' ? ' ' : s[i];
  }
  return out;
}

bool offers_subprotocol(const HttpRequest& req, std::string_view protocol) {
  for (const auto& [name, value] : req.headers) {
    if (name != "sec-websocket-protocol") continue;
    std::string_view list = value;
    while (!list.empty()) {
      std::size_t comma = list.find(',');
      std::string_view item = list.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (item == protocol) return true;
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  return false;
}

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

bool HttpRequest::has_query_param(std::string_view name) const {
  std::string_view q = query;
  while (!q.empty()) {
    std::size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    std::string_view key = pair.substr(0, pair.find('='));
    if (percent_decode(key, true) == name) return true;
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return false;
}

std::string HttpRequest::query_param(std::string_view name) const {
  std::string_view q = query;
  while (!q.empty()) {
    std::size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    std::size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    if (percent_decode(key, true) == name)
      return eq == std::string_view::npos ? std::string()
                                          : percent_decode(pair.substr(eq + 1), true);
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return {};
}

HttpResponse HttpResponse::text(unsigned status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::html(std::string body) {
  HttpResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::json(unsigned status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

void Router::add(std::string method, std::string pattern, HttpHandler h, RouteOptions options) {
  Route r{std::move(method), split_path(pattern), std::move(h), nullptr, nullptr};
  r.options = std::move(options);
  routes_.push_back(std::move(r));
}

void Router::websocket(std::string pattern, WsRoute r) {
  routes_.push_back(Route{"", split_path(pattern), nullptr, std::move(r), nullptr});
}

void Router::stream(std::string method, std::string pattern, StreamRoute r) {
  routes_.push_back(Route{std::move(method), split_path(pattern), nullptr, nullptr, std::move(r)});
}

void Router::add_async(std::string method, std::string pattern, AsyncHttpHandler h,
                       RouteOptions options) {
  Route r{std::move(method), split_path(pattern), nullptr, nullptr, nullptr};
  r.async = std::move(h);
  r.options = std::move(options);
  routes_.push_back(std::move(r));
}

std::size_t Router::max_body_bytes() const {
  std::size_t max = 0;
  for (const auto& r : routes_) max = std::max(max, r.options.max_body_bytes);
  return max;
}

bool Router::matches(const Route& r, std::string_view path,
                     std::map<std::string, std::string>& params) {
  auto segs = split_path(path);
  std::size_t i = 0;
  for (; i < r.segments.size(); ++i) {
    const std::string& p = r.segments[i];
    if (p == "*") {
      std::string rest;
      for (std::size_t k = i; k < segs.size(); ++k) rest += (k > i ? "/" : "") + segs[k];
      params["*"] = rest;
      return true;
    }
    if (i >= segs.size()) return false;
    if (p.starts_with(':')) {
      params[p.substr(1)] = segs[i];
    } else if (p != segs[i]) {
      return false;
    }
  }
  return i == segs.size();
}

Router::Match Router::match(HttpRequest& req, bool upgrade) const {
  Match m;
  for (const auto& r : routes_) {
    std::map<std::string, std::string> params;
    if (!matches(r, req.path, params)) continue;
    m.path_known = true;
    if (r.ws) {
      m.upgrade_only = true;
      if (!upgrade) continue;
    } else if (r.method != req.method && !(req.method == "HEAD" && r.method == "GET")) {
      continue;
    }
    req.params = std::move(params);
    m.options = &r.options;
    if (r.ws)
      m.ws = &r.ws;
    else if (r.stream)
      m.stream = &r.stream;
    else if (r.async)
      m.async = &r.async;
    else
      m.http = &r.http;
    return m;
  }
  return m;
}

}  // namespace parley::net
