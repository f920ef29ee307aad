#include "net/chatroom_routes.hpp"

#include <memory>

namespace parley::net {

namespace chatroom = dialects::chatroom;

namespace {}  // namespace

void add_chatroom_routes(Router& router, topics::SyncHub& hub, ChatroomOptions options,
                         const std::string& pattern) {
  router.websocket(
      pattern, [&hub, options](const HttpRequest& req) -> std::variant<WsAccept, HttpResponse> {
        chatroom::Envelope envelope;
        if (!chatroom::parse_envelope(req.query_param("envelope"), envelope))
          return HttpResponse::text(400, "unsupported envelope: use content or args\n");
        WsAccept accept;
        accept.idle_timeout = options.idle_timeout;
        accept.make = [&hub, envelope, options](core::Sink& sink) {
          return std::make_shared<chatroom::Connection>(hub, sink, sink.thread(), sink.peer(),
                                                        envelope, options.connection);
        };
        return accept;
      });
}

}  // namespace parley::net
