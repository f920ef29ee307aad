#pragma once
// One MQTT network connection's state machine (over raw TCP or a WebSocket's binary frames): the
// CONNECT handshake, keep-alive, the will, and the packets of its session. No sockets and no
// threads: the transport feeds it bytes (on_binary) and it answers through its core::Sink;
// everything runs on the connection's own I/O thread. The session may live on another thread
// (engine.hpp).
//
// Life:
// - on_open() arms connect_timeout: without CONNECT by then, the connection is closed.
// - The first packet must be CONNECT (section 3.1.0-1), else the connection is closed. An unknown
//   protocol level gets CONNACK 0x01, an empty client id with clean session 0 (or with
//   allow_zero_length_client_id off, or MQTT 3.1) 0x02, a full session table 0x03, a wrong user
//   name or password 0x04, no user name when allow_anonymous is off 0x05, a CONNECT with a user
//   name past the login limits (per address, per user name: Options) 0x03; each then closes. A
//   user name is checked by the Authenticator (asynchronously: input is held meanwhile).
// - Accepted: CONNACK, then the session's resent and queued messages. Packets are handled in
//   order; a second CONNECT, a malformed packet (parser.hpp) or a packet a client does not send
//   closes the connection.
// - Keep-alive (section 3.1.2.10): no packet for 1.5 times the client's keep-alive closes it.
// - The will is published when the connection ends in any way but DISCONNECT (section 3.1.2.5),
//   and on a takeover when either connection asked for a clean session.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/dialect_connection.hpp"
#include "core/sink.hpp"
#include "core/subscriber.hpp"
#include "dialects/mqtt/engine.hpp"
#include "dialects/mqtt/parser.hpp"

namespace parley::dialects::mqtt {

class Connection final : public core::DialectConnection, private PacketHandler {
 public:
  Connection(Engine& engine, core::Sink& sink);
  // Calls on_close().
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void on_open() override;
  // Bytes from the client (TCP data, or a WebSocket binary message), split anywhere. Always
  // taken (true): bad input is answered here.
  bool on_binary(std::string_view data) override;
  // A WebSocket text message: MQTT travels in binary frames only (section 6.0): closed.
  void on_text(std::string_view text) override;
  // The transport closed (any reason). Idempotent.
  void on_close() override;

  // From the session, on this thread: a packet for this client; a PUBLISH (p's payload is
  // unused: m's is sent), with the fan-out's cache or null.
  void send_packet(std::string bytes);
  void send_publish(const core::Message& m, const Publish& p, core::EncodeCache* cache);
  // Another connection took the session: closes this one; its will is published or dropped.
  void kick(bool publish_will);
  // Closes the connection for a server-side failure (logged; the will is published).
  void drop(std::string_view why) { fail(why); }

  const std::string& client_id() const { return client_id_; }
  bool connected() const { return state_ == State::connected; }

 private:
  enum class State : std::uint8_t { awaiting_connect, authenticating, connected, closing, gone };
  struct PendingWill {
    std::string topic;
    std::string payload;
    std::uint8_t qos = 0;
    bool retain = false;
  };

  bool on_packet(const Packet& packet) override;
  void feed(std::string_view data);
  void on_connect(const Connect& c);
  void accept();
  void refuse(std::uint8_t code, std::string_view why);
  // A protocol violation: logged, closed (the will is published).
  void fail(std::string_view why);
  void close(std::uint16_t code, std::string_view why);
  void arm_keep_alive(std::chrono::milliseconds after);
  void publish_will();
  std::chrono::steady_clock::time_point now() const;

  // Runs fn(session) on the session's thread (at once when it is this one).
  template <class Fn>
  void to_session(Fn&& fn);

  Engine& engine_;
  core::Sink& transport_;
  const std::size_t thread_;
  Parser parser_;
  State state_ = State::awaiting_connect;
  std::string held_;  // input that arrived while authenticating
  std::string client_id_;
  std::string author_;  // the user name, else the client id
  std::uint8_t level_ = kLevel311;
  bool clean_ = true;
  std::optional<PendingWill> will_;
  std::chrono::milliseconds keep_alive_{0};
  std::chrono::steady_clock::time_point last_packet_;
  LinkPtr link_;
  std::shared_ptr<Session> session_;
  std::shared_ptr<bool> alive_;  // false once gone: callbacks (timers, logins) check it
};

}  // namespace parley::dialects::mqtt
