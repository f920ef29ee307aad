#pragma once
// One ChatRoom client's state machine: hello, its topic subscriptions, and what each message
// does, translated into SyncHub operations. No sockets and no threads: the transport feeds it
// text and it answers through its Sink; topic updates arrive through Subscriber::deliver and
// private messages (reject_update, request, response) through SyncClient::deliver_private.
// Every call happens on the connection's own I/O thread.
//
// Owned by a shared_ptr (the hub holds a weak_ptr to post private messages to it).
#include <boost/json/object.hpp>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/dialect_connection.hpp"
#include "core/sink.hpp"
#include "dialects/chatroom/message.hpp"
#include "topics/sync_hub.hpp"

namespace parley::dialects::chatroom {

struct ConnectionOptions {
  std::size_t max_subscriptions = 100;  // topics subscribed at once
};

class Connection final : public core::DialectConnection,
                         public core::Subscriber,
                         public topics::SyncClient,
                         public std::enable_shared_from_this<Connection> {
 public:
  Connection(topics::SyncHub& hub, core::Sink& sink, std::size_t thread, std::string peer,
             Envelope envelope, ConnectionOptions options = {});
  // Calls on_close().
  ~Connection() override;

  // Joins the hub and sends hello {id}. Call once, right after construction.
  void on_open() override;
  // One complete text message from the client.
  void on_text(std::string_view text) override;
  // Unsubscribes every topic and leaves the hub. Idempotent; nothing is sent after it.
  void on_close() override;

  void deliver(const core::Event& event, core::EncodeCache& cache) override;
  void deliver_private(std::string_view kind, const boost::json::object& content) override;

  std::uint64_t id() const { return id_; }
  std::size_t subscription_count() const { return subscribed_.size(); }

 private:
  void handle(const Inbound& m);
  void on_subscribe(const boost::json::object& body);
  void on_unsubscribe(const boost::json::object& body);
  void on_update(const boost::json::object& body);
  void on_request(const boost::json::object& body);
  void on_response(const boost::json::object& body);
  void on_service(const boost::json::object& body, bool add);

  void send(std::string_view type, const boost::json::object& body);
  // An error with no answer of its own in the protocol: logged, and told to the client on its
  // message topic (_chatroom/client_message/<id>) if it subscribed to it.
  void tell(std::string text);
  void reject(const boost::json::value& topic, const boost::json::value& change,
              std::string reason);

  topics::SyncHub& hub_;
  core::Sink& sink_;
  const std::size_t thread_;
  const std::string peer_;
  const Envelope envelope_;
  const ConnectionOptions options_;
  std::uint64_t id_ = 0;
  bool closed_ = false;
  // Topic -> revision of the value this client was sent; broadcasts at or below it are old.
  std::map<std::string, std::uint64_t, std::less<>> subscribed_;
};

}  // namespace parley::dialects::chatroom
