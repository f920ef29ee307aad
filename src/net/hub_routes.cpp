#include "net/hub_routes.hpp"

#include <spdlog/spdlog.h>

#include <optional>

#include <boost/json/serialize.hpp>

#include "net/common_routes.hpp"

namespace parley::net {

namespace json = boost::json;
namespace phoenix = dialects::phoenix;

namespace {

// The chat page with the room and its history embedded as JSON.
HttpResponse chat_page(core::Broker& broker, const std::string& room, std::size_t limit) {
  json::array history;
  for (const auto& m : broker.history(room, limit, 0))
    history.push_back(
        json::object{{"name", m->author_name}, {"body", m->text}, {"time_ms", m->time_ms}});
  return page_with_data("chat.html", json::object{{"room", room}, {"history", std::move(history)}});
}

}  // namespace

void add_hub_routes(Router& router, core::Broker& broker, HubOptions options) {
  router.websocket(
      "/socket/websocket",
      [&broker, options](const HttpRequest& req) -> std::variant<WsAccept, HttpResponse> {
        phoenix::Vsn vsn;
        if (!phoenix::parse_vsn(req.query_param("vsn"), vsn))
          return HttpResponse::text(400, "unsupported vsn: use 1.0.0 or 2.0.0\n");
        WsAccept accept;
        accept.idle_timeout = options.idle_timeout;
        accept.make = [&broker, vsn, options](core::Sink& sink) {
          return std::make_shared<phoenix::Connection>(vsn, broker, sink, sink.id(), sink.thread(),
                                                       options.connection);
        };
        return accept;
      });
  auto page = [&broker, options](const HttpRequest& req) {
    auto it = req.params.find("room");
    std::string room = it == req.params.end() ? "lobby" : it->second;
    if (room.empty() || room.size() > 200) return HttpResponse::text(400, "bad room name\n");
    return chat_page(broker, room, options.page_history);
  };
  router.get("/c", page);
  router.get("/c/:room", page);
}

}  // namespace parley::net
