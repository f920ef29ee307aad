#pragma once
// One Phoenix socket's state machine: the channels it joined and what each event does.
// No sockets and no threads: the transport feeds it text frames and it answers through its
// Sink; the core delivers channel events through Subscriber::deliver. All calls happen on the
// connection's own I/O thread.
//
// Topics: "phoenix" (heartbeat) and "room:<name>" (Hub's RoomChannel, core channel <name>).
#include <boost/json/object.hpp>
#include <map>
#include <string>
#include <string_view>

#include "core/broker.hpp"
#include "core/dialect_connection.hpp"
#include "core/sink.hpp"
#include "dialects/phoenix/message.hpp"

namespace parley::dialects::phoenix {

struct ConnectionOptions {
  std::size_t max_channels = 100;  // channels joined at once per socket
};

class Connection final : public core::DialectConnection, public core::Subscriber {
 public:
  Connection(Vsn vsn, core::Broker& broker, core::Sink& sink, std::uint64_t session,
             std::size_t thread, ConnectionOptions options = {});
  // Leaves every channel (presence leaves are seen by the others).
  ~Connection() override;

  // One complete text frame from the client.
  void on_text(std::string_view text) override;
  // Leaves every channel; idempotent.
  void leave_all();
  void on_close() override { leave_all(); }

  void deliver(const core::Event& event, core::EncodeCache& cache) override;

  std::size_t joined_count() const { return joined_.size(); }
  Vsn vsn() const { return vsn_; }

 private:
  struct Joined {
    boost::json::value join_ref;
    std::string channel;
    std::string username;
  };

  void handle(Message& m);
  void handle_join(Message& m);
  void handle_leave(Message& m);
  void handle_room_event(Message& m, Joined& joined);
  void leave(const std::string& topic, Joined& joined);

  void reply(const Message& m, std::string_view status, boost::json::value response);
  void reply_error(const boost::json::value& join_ref, const boost::json::value& ref,
                   std::string_view topic, std::string_view reason);
  void push(const boost::json::value& join_ref, std::string_view topic, std::string_view event,
            const boost::json::value& payload);
  void send(const boost::json::value& join_ref, const boost::json::value& ref,
            std::string_view topic, std::string_view event, const boost::json::value& payload);

  Vsn vsn_;
  core::Broker& broker_;
  core::Sink& sink_;
  std::uint64_t session_;
  std::size_t thread_;
  ConnectionOptions options_;
  std::map<std::string, Joined> joined_;  // by topic
};

// The channel a topic maps to ("room:lobby" -> "lobby"), or empty when no channel matches.
std::string_view room_channel(std::string_view topic);

// Payloads Parley's channels render, shared by Connection and the unit tests.
boost::json::object render_presence(const core::PresenceMap& map);
boost::json::object render_diff(const core::PresenceDiff& diff);
boost::json::object render_shout(const core::Message& m);

}  // namespace parley::dialects::phoenix
