#include "net/concierge_routes.hpp"

#include <spdlog/spdlog.h>

#include <optional>

#include "dialects/concierge/payload.hpp"

namespace parley::net {

namespace concierge = dialects::concierge;

void add_concierge_routes(Router& router, std::shared_ptr<ConciergeState> state,
                          ConciergeOptions options) {
  auto shared_options = std::make_shared<const ConciergeOptions>(std::move(options));
  router.websocket(
      "/ws",
      [state, shared_options](const HttpRequest& req) -> std::variant<WsAccept, HttpResponse> {
        WsAccept accept;
        accept.system = System::concierge;
        // Like the original (actix), a client that offers no ert-concierge is served too.
        if (offers_subprotocol(req, concierge::kSubprotocol))
          accept.protocol = std::string(concierge::kSubprotocol);
        accept.make = [state, shared_options](core::Sink& sink) {
          auto options = shared_options->connection;
          // Its files go with it. The folder is the uuid's, so a new client of the same name
          // is not affected.
          if (shared_options->run_blocking)
            options.on_gone = [state, run = shared_options->run_blocking](const std::string& uuid) {
              run([state, uuid] {
                if (auto ec = state->files.remove_owner(uuid))
                  spdlog::warn("concierge: removing the files of {}: {}", uuid, ec.message());
              });
            };
          return std::make_shared<concierge::Connection>(state->registry, sink, sink.id(),
                                                         sink.thread(), sink.peer(), options);
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
