#include "net/chatroom_routes.hpp"

#include <memory>

namespace parley::net {

namespace chatroom = dialects::chatroom;

void add_chatroom_routes(Router& router, topics::SyncHub& hub, ChatroomOptions options,
                         const std::string& pattern) {
  router.websocket(
      pattern, [&hub, options](const HttpRequest& req) -> std::variant<WsAccept, HttpResponse> {
        chatroom::ConnectionOptions connection = options.connection;
        std::string envelope = req.query_param("envelope");
        if (!envelope.empty() && !chatroom::parse_envelope(envelope, connection.envelope))
          return HttpResponse::text(400, "unsupported envelope: use args or content\n");
        std::string protocol = req.query_param("protocol");
        if (!protocol.empty() && !chatroom::parse_protocol(protocol, connection.protocol))
          return HttpResponse::text(400, "unsupported protocol: use original or extended\n");
        WsAccept accept;
        accept.system = System::chatroom;
        accept.idle_timeout = options.idle_timeout;
        accept.make = [&hub, connection](core::Sink& sink) {
          return std::make_shared<chatroom::Connection>(hub, sink, sink.thread(), sink.peer(),
                                                        connection);
        };
        return accept;
      });
}

}  // namespace parley::net
