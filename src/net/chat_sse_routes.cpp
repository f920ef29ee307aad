#include "net/chat_sse_routes.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <optional>

#include "core/uuid.hpp"
#include "dialects/chat_sse/codec.hpp"
#include "dialects/chat_sse/publish.hpp"
#include "net/common_routes.hpp"

namespace parley::net {

namespace json = boost::json;
namespace sse = dialects::chat_sse;

namespace {

constexpr std::size_t kMaxChannelBytes = 200;

// The original Chat Service's headers, on every answer of the publish endpoint.
void add_publish_cors(HttpResponse& res) {
  res.headers.emplace_back("Access-Control-Allow-Origin", "*");
  res.headers.emplace_back("Access-Control-Allow-Methods", "POST");
  res.headers.emplace_back("Allow", "OPTIONS");
}

HttpResponse publish_answer(unsigned status, std::string_view reason) {
  HttpResponse res = HttpResponse::text(status, reason.empty() ? "" : std::string(reason) + "\n");
  res.content_type = "text/plain";
  add_publish_cors(res);
  return res;
}

// The CORS preflight: what a browser asks before a POST it cannot send as a simple request
// (e.g. with Content-Type: application/json). Answers for any origin, as the original's `*`.
HttpResponse preflight(const HttpRequest& req) {
  HttpResponse res = HttpResponse::text(200, "");
  res.content_type = "text/plain";
  res.headers.emplace_back("Access-Control-Allow-Origin", "*");
  res.headers.emplace_back("Access-Control-Allow-Methods", "POST, OPTIONS");
  std::string_view asked = req.header("access-control-request-headers");
  res.headers.emplace_back("Access-Control-Allow-Headers",
                           asked.empty() ? std::string("Content-Type") : std::string(asked));
  res.headers.emplace_back("Access-Control-Max-Age", "86400");
  res.headers.emplace_back("Allow", "POST, OPTIONS");
  return res;
}

// The Chat Broadcast SSE's response headers (Connection: close comes with every stream).
std::vector<std::pair<std::string, std::string>> stream_headers() {
  return {{"Content-Type", "text/event-stream; charset=UTF-8"},
          {"X-Accel-Buffering", "no"},
          {"Cache-Control", "no-cache"},
          {"Access-Control-Allow-Origin", "*"}};
}

HttpResponse receive_error(unsigned status, std::string body) {
  HttpResponse res = HttpResponse::text(status, std::move(body));
  res.headers.emplace_back("Access-Control-Allow-Origin", "*");
  return res;
}

// The core channel of a receive path: a UUID in lower case (as the publish side stores it);
// any other name is a channel of another system, readable too (bridging). Empty when invalid.
std::optional<std::string> receive_channel(std::string_view name) {
  if (sse::is_uuid(name)) return sse::normalize_uuid(name);
  if (name.empty() || name.size() > kMaxChannelBytes || !sse::valid_utf8(name)) return std::nullopt;
  for (char c : name)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::nullopt;
  return std::string(name);
}

// The demo page with its channel and the services' ports embedded as JSON.
HttpResponse page(const std::string& channel, const ChatSsePageLinks& links) {
  json::object data{{"channel", channel}};
  data["publishPort"] =
      links.publish_port ? json::value(*links.publish_port) : json::value(nullptr);
  data["receivePort"] =
      links.receive_port ? json::value(*links.receive_port) : json::value(nullptr);
  return page_with_data("sse_chat.html", data);
}

}  // namespace

void add_chat_sse_publish_routes(Router& router, core::Broker& broker) {
  constexpr const char* path = "/chat/publish/:channel_id/:user_id";
  router.add("POST", path, [&broker](const HttpRequest& req) {
    const std::string& channel = req.params.at("channel_id");
    const std::string& user = req.params.at("user_id");
    auto result = sse::publish(broker, channel, user, req.body);
    if (result.status != 200)
      spdlog::info("chat_sse publish peer={} channel={:?} user={:?}: {} {}", req.peer, channel,
                   user, result.status, result.reason);
    HttpResponse res = publish_answer(result.status, result.reason);
    if (result.status == 503) res.headers.emplace_back("Retry-After", "1");
    return res;
  });
  router.add("OPTIONS", path, preflight);
}

void add_chat_sse_receive_routes(Router& router, core::Broker& broker, ChatSseOptions options) {
  router.stream(
      "GET", "/chat/receive/:channel_id",
      [&broker, options](const HttpRequest& req) -> std::variant<StreamAccept, HttpResponse> {
        if (!sse::accepts_event_stream(req.header("accept"))) {
          spdlog::debug("chat_sse receive peer={} {}: no Accept: text/event-stream", req.peer,
                        req.target);
          return HttpResponse::text(405, "Method Not Allowed: send Accept: text/event-stream\n");
        }
        auto channel = receive_channel(req.params.at("channel_id"));
        if (!channel) {
          spdlog::info("chat_sse receive peer={} {}: bad channel id", req.peer, req.target);
          return receive_error(400, "bad channel id\n");
        }
        // Last-Event-ID (sent by EventSource when it reconnects) wins over ?since=, which stays
        // in the URL of every reconnection.
        std::optional<std::uint64_t> after;
        if (std::string_view last = req.header("last-event-id"); !last.empty()) {
          after = sse::parse_offset(last);
          if (!after)
            spdlog::info("chat_sse receive peer={}: Last-Event-ID {:?} ignored", req.peer, last);
        }
        if (!after && req.has_query_param("since")) {
          after = sse::parse_offset(req.query_param("since"));
          if (!after) return receive_error(400, "since: expected a message offset (0 or more)\n");
        }
        if (req.method == "HEAD") {
          HttpResponse res;
          res.content_type = "text/event-stream; charset=UTF-8";
          for (auto& h : stream_headers())
            if (h.first != "Content-Type") res.headers.push_back(h);
          return res;
        }
        StreamAccept accept;
        accept.headers = stream_headers();
        accept.make = [&broker, channel = std::move(*channel), after, options](core::Sink& sink) {
          return std::make_shared<sse::Stream>(broker, sink, channel, after, options.stream);
        };
        return accept;
      });
}

void add_chat_sse_page_route(Router& router, ChatSsePageLinks links, HttpHandler otherwise) {
  router.get("/", [links, otherwise = std::move(otherwise)](const HttpRequest& req) {
    if (!req.has_query_param("c")) return otherwise(req);
    std::string c = req.query_param("c");
    if (!sse::is_uuid(c)) {
      spdlog::info("chat_sse page peer={}: c={:?} is not a UUID", req.peer, c);
      return HttpResponse::text(400,
                                "c must be a channel UUID, e.g. /?c=" + core::make_uuid() + "\n");
    }
    return page(sse::normalize_uuid(c), links);
  });
}

HttpResponse chat_sse_new_channel(const HttpRequest&) {
  HttpResponse res = HttpResponse::text(302, "");
  res.headers.emplace_back("Location", "/?c=" + core::make_uuid());
  res.headers.emplace_back("Cache-Control", "no-store");
  return res;
}

}  // namespace parley::net
