#include "net/common_routes.hpp"

#include <boost/json/serialize.hpp>

#include "net/assets.hpp"
#include "net/metrics.hpp"

namespace parley::net {

std::string_view content_type_for(std::string_view name) {
  auto ends = [&](std::string_view ext) { return name.ends_with(ext); };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".json")) return "application/json";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  return "application/octet-stream";
}

void add_asset_routes(Router& router) {
  router.get("/assets/:name", [](const HttpRequest& req) {
    const auto* asset = assets::find(req.params.at("name"));
    if (!asset) return HttpResponse::text(404, "Not Found\n");
    HttpResponse res;
    res.content_type = std::string(content_type_for(asset->name));
    res.body = std::string(asset->data);
    res.headers.emplace_back("Cache-Control", "public, max-age=300");
    return res;
  });
  router.get("/metrics", [](const HttpRequest&) {
    HttpResponse res;
    res.content_type = "text/plain; version=0.0.4";
    res.body = metrics().render();
    return res;
  });
}

HttpResponse page_with_data(std::string_view asset, const boost::json::value& data) {
  const auto* page = assets::find(asset);
  if (!page) return HttpResponse::text(500, std::string(asset) + " is missing from this build\n");
  std::string json = boost::json::serialize(data);
  std::string safe;  // no "</script>" or "<!--" can appear inside the <script> element
  safe.reserve(json.size());
  for (char c : json) {
    if (c == '<')
      safe += "\\u003c";
    else
      safe += c;
  }
  std::string html(page->data);
  constexpr std::string_view placeholder = "__PARLEY_DATA__";
  if (auto pos = html.find(placeholder); pos != std::string::npos)
    html.replace(pos, placeholder.size(), safe);
  auto res = HttpResponse::html(std::move(html));
  res.headers.emplace_back("Cache-Control", "no-store");
  return res;
}

namespace {
boost::json::object& landing_data() {
  static boost::json::object data;  // written before serving, read-only after
  return data;
}
}  // namespace

void set_landing_data(boost::json::object data) { landing_data() = std::move(data); }

HttpResponse landing_page() { return page_with_data("index.html", landing_data()); }

void add_landing_route(Router& router) {
  router.get("/", [](const HttpRequest&) { return landing_page(); });
}

}  // namespace parley::net
