#pragma once
// Routes every listener has: embedded assets and metrics; the landing page on the shared one.
#include <boost/json/value.hpp>

#include "net/router.hpp"

namespace parley::net {

// GET /assets/:name (embedded files) and GET /metrics (Prometheus text).
void add_asset_routes(Router& router);
// GET /: the landing page: the systems with their endpoints and how to connect a client, live
// counts (read from /metrics by the page), and links to every web page.
void add_landing_route(Router& router);
HttpResponse landing_page();
// What the landing page shows (built by the app from its configuration). Set once at start-up,
// before the I/O threads serve anything.
void set_landing_data(boost::json::object data);
// The embedded page `asset` with its "__PARLEY_DATA__" placeholder replaced by data as JSON,
// made safe inside a <script> element ('<' escaped). Not cached by browsers.
HttpResponse page_with_data(std::string_view asset, const boost::json::value& data);

std::string_view content_type_for(std::string_view file_name);

}  // namespace parley::net
