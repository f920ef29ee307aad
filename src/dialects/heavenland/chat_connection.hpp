#pragma once
// One Heavenland chat socket (/chat): login, then messages and history. No sockets and no
// threads: the transport feeds it text frames and it answers through its Sink; the core delivers
// every channel's messages through Subscriber::deliver (Heavenland's single group). All calls
// happen on the connection's own I/O thread.
//
// States: anonymous -> (login) -> pending -> authenticated, or back to anonymous on a failure.
// Before login every action but `login` answers "you need to authenticate first"; after it,
// unknown actions (and `login` again) are ignored, as the original did.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/broker.hpp"
#include "core/dialect_connection.hpp"
#include "core/sink.hpp"
#include "dialects/heavenland/action.hpp"
#include "dialects/heavenland/authenticator.hpp"
#include "dialects/heavenland/login_limiter.hpp"
#include "dialects/heavenland/online_players.hpp"

namespace parley::dialects::heavenland {

struct ChatOptions {
  std::size_t history_limit = 100;  // largest `limit` served ([heavenland] history_limit)
  RateLimit login_per_connection{5, std::chrono::milliseconds(60'000)};
  std::function<Clock::time_point()> now;  // steady clock when empty
};

// What every chat connection of the process shares. Outlives the connections.
struct ChatShared {
  core::Broker& broker;
  Authenticator& auth;
  AddressLimiter& address_limiter;
  OnlinePlayers& online;
  ChatOptions options;
};

class ChatConnection final : public core::DialectConnection, public core::Subscriber {
 public:
  // peer: "ADDR:PORT" of the client, for the log; its address is the per-address limit's key.
  ChatConnection(ChatShared& shared, core::Sink& sink, std::uint64_t session, std::size_t thread,
                 std::string peer);
  ~ChatConnection() override;

  // One complete text frame from the client.
  void on_text(std::string_view text) override;
  // The transport is gone: leaves the group and the online players; a login still running is
  // ignored when it completes. Idempotent.
  void on_close() override;

  void deliver(const core::Event& event, core::EncodeCache& cache) override;

  enum class State { anonymous, pending, authenticated };
  State state() const { return state_; }
  const std::string& user_id() const { return user_id_; }
  const std::string& nickname() const { return nickname_; }

 private:
  void handle_login(const boost::json::object& frame);
  void on_login_done(const AuthResult& result, const std::string& username);
  void handle_message(boost::json::object frame);
  void handle_history(const boost::json::object& frame);
  void send_error(std::string_view error);
  Clock::time_point now() const;

  ChatShared& shared_;
  core::Sink& sink_;
  const std::uint64_t session_;
  const std::size_t thread_;
  const std::string peer_;
  const std::string address_;
  TokenBucket login_bucket_;
  State state_ = State::anonymous;
  bool closed_ = false;
  bool rate_limited_ = false;  // the latest login attempt was refused by a rate limit
  std::string user_id_;
  std::string nickname_;
  // Login completions hold a weak reference: they do nothing once the connection is gone.
  std::shared_ptr<ChatConnection*> alive_;
};

}  // namespace parley::dialects::heavenland
