#pragma once
// One Concierge socket's state machine: identification, the seq counter, the heartbeat, and
// delivery of what the registry broadcasts to it. No sockets and no threads: the transport feeds
// it frames and answers through its Sink; the broker delivers through Subscriber::deliver. All
// calls happen on the connection's own I/O thread.
//
// Life: on_open() arms the identification deadline (close 4004) and the heartbeat (a ping every
// ping_interval; close 4009 when nothing came from the client for heartbeat_timeout). The first
// text frame must be IDENTIFY (else 4000 when it is not a payload, 4003 when it is another one);
// its name, secret and version are checked (4008, 4006, 4007) and the registry takes the name
// (4005 when taken). Then every text frame is a payload answered with the current seq, which
// is incremented after each one.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/dialect_connection.hpp"
#include "core/sink.hpp"
#include "core/subscriber.hpp"
#include "dialects/concierge/registry.hpp"

namespace parley::dialects::concierge {

struct ConnectionOptions {
  std::optional<std::string> secret;  // IDENTIFY must carry it when set
  std::chrono::milliseconds identify_timeout{5000};
  std::chrono::milliseconds ping_interval{5000};
  std::chrono::milliseconds heartbeat_timeout{10000};
  // The clock of the heartbeat; steady_clock::now when empty (tests inject one).
  std::function<std::chrono::steady_clock::time_point()> clock;
  // Called once when an identified client's connection closes, with its uuid (its files go).
  std::function<void(const std::string& uuid)> on_gone;
};

// The EncodeCache format of Concierge frames.
inline constexpr std::uint32_t kFormat = 0xE201;

class Connection final : public core::DialectConnection, public core::Subscriber {
 public:
  Connection(Registry& registry, core::Sink& sink, std::uint64_t session, std::size_t thread,
             std::string peer, ConnectionOptions options = {});
  // Leaves the registry if still in it.
  ~Connection() override;

  // The transport is open: starts the timers.
  void on_open() override;
  // One complete text frame from the client.
  void on_text(std::string_view text) override;
  // A binary frame: refused before IDENTIFY (4003), ignored after.
  bool on_binary(std::string_view data) override;
  // A ping or pong from the client: it is alive.
  void on_alive() override;
  // The transport closed (any reason): leaves the registry. Idempotent.
  void on_close() override;

  void deliver(const core::Event& event, core::EncodeCache& cache) override;

  // The uuid and name it identified with (kept after it left), or empty.
  const std::string& uuid() const { return uuid_; }
  const std::string& name() const { return name_; }
  std::uint64_t seq() const { return seq_; }

 private:
  void identify(std::string_view text);
  void handle(std::string_view text);
  void close(std::uint16_t code);
  void heartbeat();
  std::chrono::steady_clock::time_point now() const;

  Registry& registry_;
  core::Sink& sink_;
  std::uint64_t session_;
  std::string peer_;
  ConnectionOptions options_;
  Caller caller_;
  std::string uuid_;
  std::string name_;
  std::uint64_t seq_ = 0;
  std::chrono::steady_clock::time_point last_seen_;
  bool closed_ = false;
};

}  // namespace parley::dialects::concierge
