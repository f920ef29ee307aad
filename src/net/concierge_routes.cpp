#include "net/concierge_routes.hpp"

#include <spdlog/spdlog.h>

#include <optional>

#include "dialects/concierge/payload.hpp"
#include "net/session.hpp"
#include "net/session_sink.hpp"

namespace parley::net {

namespace concierge = dialects::concierge;

namespace {

// The Concierge sink adds pings and timers to the session's.
class ConciergeSink final : public SessionSink<concierge::Sink> {
 public:
  using SessionSink::SessionSink;
  void ping() override { session_->ping(); }
  void after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    session_->after(delay, std::move(fn));
  }
};

// Binds a Concierge connection to its WebSocket session.
class ConciergeSessionHandler final : public SessionHandler {
 public:
  ConciergeSessionHandler(std::shared_ptr<ConciergeState> state,
                          std::shared_ptr<const ConciergeOptions> options)
      : state_(std::move(state)), options_(std::move(options)), sink_(session) {}

  void on_open() override {
    connection_.emplace(state_->registry, sink_, session->id(), session->thread(), session->peer(),
                        options_->connection);
    connection_->on_open();
  }
  void on_text(std::string_view text) override { connection_->on_text(text); }
  void on_binary(std::string_view data) override { connection_->on_binary(data); }
  void on_ping(std::string_view) override { connection_->on_alive(); }
  void on_pong(std::string_view) override { connection_->on_alive(); }
  void on_close() override {
    if (!connection_) return;
    connection_->on_close();
    // Its files go with it. The folder is the uuid's, so a new client of the same name is
    // not affected.
    if (const std::string& uuid = connection_->uuid(); !uuid.empty() && options_->run_blocking) {
      options_->run_blocking([state = state_, uuid] {
        if (auto ec = state->files.remove_owner(uuid))
          spdlog::warn("concierge: removing the files of {}: {}", uuid, ec.message());
      });
    }
  }

 private:
  std::shared_ptr<ConciergeState> state_;
  std::shared_ptr<const ConciergeOptions> options_;
  ConciergeSink sink_;
  std::optional<concierge::Connection> connection_;
};

// True when the comma-separated Sec-WebSocket-Protocol list offers `protocol`.
bool offers(std::string_view list, std::string_view protocol) {
  while (!list.empty()) {
    std::size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == protocol) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

void add_concierge_routes(Router& router, std::shared_ptr<ConciergeState> state,
                          ConciergeOptions options) {
  auto shared_options = std::make_shared<const ConciergeOptions>(std::move(options));
  router.websocket(
      "/ws",
      [state, shared_options](const HttpRequest& req) -> std::variant<WsAccept, HttpResponse> {
        WsAccept accept;
        // Like the original (actix), a client that offers no ert-concierge is served too.
        for (const auto& [name, value] : req.headers)
          if (name == "sec-websocket-protocol" && offers(value, concierge::kSubprotocol))
            accept.protocol = std::string(concierge::kSubprotocol);
        accept.make = [state, shared_options] {
          return std::make_unique<ConciergeSessionHandler>(state, shared_options);
        };
        return accept;
      });
  add_concierge_file_routes(router, state, shared_options);
}

void add_concierge_banner(Router& router, std::function<std::uint16_t()> port) {
  router.get("/", [port](const HttpRequest&) {
    return HttpResponse::text(200, "ERT Concierge 2020\nPort: " + std::to_string(port()) +
                                       "\n Version: " + std::string(concierge::kVersion) +
                                       "\n Minimum Version:" + std::string(concierge::kMinVersion));
  });
}

}  // namespace parley::net
