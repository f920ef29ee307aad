#pragma once
// ERT Concierge on HTTP: the WebSocket endpoint, the file store and the original's banner.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>

#include "core/broker.hpp"
#include "dialects/concierge/connection.hpp"
#include "dialects/concierge/registry.hpp"
#include "net/concierge_files.hpp"
#include "net/router.hpp"

namespace parley::net {

// What every listener's Concierge routes share: one registry (clients, services) and one file
// store, for the whole process.
struct ConciergeState {
  ConciergeState(core::Broker& broker, dialects::concierge::RegistryOptions registry_options,
                 std::filesystem::path files_root)
      : registry(broker, registry_options), files(std::move(files_root)) {}
  dialects::concierge::Registry registry;
  ConciergeFiles files;
};

struct ConciergeOptions {
  dialects::concierge::ConnectionOptions connection;
  std::size_t max_file_bytes = 16 * 1024 * 1024;  // one file of an upload; larger: 413
  // Runs blocking work (file I/O) off the I/O threads.
  std::function<void(std::function<void()>)> run_blocking;
};

// GET /ws (WebSocket; the subprotocol ert-concierge is selected when the client offers it) and
// the file store: POST /fs/{client}/{file}, POST /fs/{client}/, GET and DELETE
// /fs/{client}/{file}, OPTIONS for CORS preflights.
void add_concierge_routes(Router& router, std::shared_ptr<ConciergeState> state,
                          ConciergeOptions options);

// GET /: the original's plain-text banner, naming the port `port()` returns.
void add_concierge_banner(Router& router, std::function<std::uint16_t()> port);

// The file store routes alone (concierge_fs_routes.cpp).
void add_concierge_file_routes(Router& router, std::shared_ptr<ConciergeState> state,
                               std::shared_ptr<const ConciergeOptions> options);

}  // namespace parley::net
