#include "net/chatroom_routes.hpp"

#include <memory>

#include "net/session.hpp"
#include "net/session_sink.hpp"

namespace parley::net {

namespace chatroom = dialects::chatroom;

namespace {

// Binds a ChatRoom connection to its WebSocket session.
class ChatroomSessionHandler final : public SessionHandler {
 public:
  ChatroomSessionHandler(core::SyncHub& hub, chatroom::ConnectionOptions options)
      : hub_(hub), options_(options), sink_(session) {}

  void on_open() override {
    connection_ = std::make_shared<chatroom::Connection>(hub_, sink_, session->thread(),
                                                         session->peer(), options_);
    connection_->open();
  }
  void on_text(std::string_view text) override {
    if (connection_) connection_->on_text(text);
  }
  void on_close() override {
    if (!connection_) return;
    connection_->close();
    connection_.reset();  // private messages posted later find it gone
  }

 private:
  core::SyncHub& hub_;
  chatroom::ConnectionOptions options_;
  SessionSink<> sink_;
  std::shared_ptr<chatroom::Connection> connection_;
};

}  // namespace

void add_chatroom_routes(Router& router, core::SyncHub& hub, ChatroomOptions options,
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
        accept.idle_timeout = options.idle_timeout;
        accept.make = [&hub, connection] {
          return std::make_unique<ChatroomSessionHandler>(hub, connection);
        };
        return accept;
      });
}

}  // namespace parley::net
