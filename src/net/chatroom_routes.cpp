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
  ChatroomSessionHandler(topics::SyncHub& hub, chatroom::Envelope envelope,
                         chatroom::ConnectionOptions options)
      : hub_(hub), envelope_(envelope), options_(options), sink_(session) {}

  void on_open() override {
    connection_ = std::make_shared<chatroom::Connection>(hub_, sink_, session->thread(),
                                                         session->peer(), envelope_, options_);
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
  topics::SyncHub& hub_;
  chatroom::Envelope envelope_;
  chatroom::ConnectionOptions options_;
  SessionSink<> sink_;
  std::shared_ptr<chatroom::Connection> connection_;
};

}  // namespace

void add_chatroom_routes(Router& router, topics::SyncHub& hub, ChatroomOptions options,
                         const std::string& pattern) {
  router.websocket(
      pattern, [&hub, options](const HttpRequest& req) -> std::variant<WsAccept, HttpResponse> {
        chatroom::Envelope envelope;
        if (!chatroom::parse_envelope(req.query_param("envelope"), envelope))
          return HttpResponse::text(400, "unsupported envelope: use content or args\n");
        WsAccept accept;
        accept.idle_timeout = options.idle_timeout;
        accept.make = [&hub, envelope, options] {
          return std::make_unique<ChatroomSessionHandler>(hub, envelope, options.connection);
        };
        return accept;
      });
}

}  // namespace parley::net
