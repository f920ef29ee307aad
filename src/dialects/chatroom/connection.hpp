#pragma once
// One ChatRoom client's state machine: hello, its topic subscriptions, and what each message
// does, translated into SyncHub operations. No sockets and no threads: the transport feeds it
// text and it answers through its Sink; topic updates arrive through Subscriber::deliver and
// private messages (reject_update, request, validate, response) through
// SyncClient::deliver_private. Every call happens on the connection's own I/O thread.
//
// What it sends depends on the protocol it speaks (ConnectionOptions::protocol, message.hpp).
// Speaking the original protocol, it also mirrors what the 9512c29 client holds as "preview" for
// each topic (the changes it sent that are neither confirmed nor undone): that client undoes all
// of them on an update that does not confirm the oldest, or on the oldest's rejection, and its
// thread dies on a rejection that finds no preview at all. So a rejection of a change the client
// has certainly undone already is not sent (it is logged and told on the message topic).
//
// A topic's updates reach the client in the topic's order whatever the order the broadcasts reach
// this thread in: an I/O thread runs what it posted itself after what other threads posted
// meanwhile (Asio's private queue of a one-thread io_context), so the broadcast of a change made
// here may come after a later change made elsewhere. Revisions are consecutive per topic: one
// that comes early is held until the ones before it came.
//
// Owned by a shared_ptr (the hub holds a weak_ptr to post private messages to it).
#include <boost/json/object.hpp>
#include <deque>
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
  Envelope envelope = Envelope::args;
  Protocol protocol = Protocol::original;
};

class Connection final : public core::DialectConnection,
                         public core::Subscriber,
                         public topics::SyncClient,
                         public std::enable_shared_from_this<Connection> {
 public:
  Connection(topics::SyncHub& hub, core::Sink& sink, std::size_t thread, std::string peer,
             ConnectionOptions options = {});
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
  // One subscribed topic: the revision the client has (its value, then every update sent), and
  // the updates that came before their turn, by revision.
  struct Held {
    core::Frame frame;      // null: nothing to send (an emit, to an original client)
    boost::json::value id;  // the change's id, for the original client's preview
  };
  struct Subscription {
    std::uint64_t revision = 0;
    std::map<std::uint64_t, Held> early;
  };
  // The original client's preview of one topic, as far as the server can tell.
  struct Preview {
    std::deque<std::string> pending;  // ids of its changes, oldest first, not yet answered
    std::deque<std::string> undone;   // ids it has certainly undone (the latest kUndoneKept)
  };

  bool original() const { return options_.protocol == Protocol::original; }

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
  // A subscribe refused: reject_update with change null (extended), or told (original: the
  // original protocol has no answer to a subscribe, and that client cannot take a rejection of
  // nothing it changed).
  void refuse(const boost::json::value& topic, std::string reason);
  // A change refused by the connection itself (malformed): reject_update, logged and told.
  void reject(const boost::json::value& topic, const boost::json::value& change,
              std::string reason);
  // Sends a reject_update, unless the original client has certainly undone the change already.
  void send_reject(const boost::json::object& content);
  // The client is sent a change with this id for topic (original protocol): its preview moves.
  void seen_update(const std::string& topic, const boost::json::value& id);
  void undo_all(Preview& preview);
  // Sends one update of topic in its turn.
  void send_update(const std::string& topic, const Held& update);

  topics::SyncHub& hub_;
  core::Sink& sink_;
  const std::size_t thread_;
  const std::string peer_;
  const ConnectionOptions options_;
  std::uint64_t id_ = 0;
  bool closed_ = false;
  // Broadcasts at or below a subscription's revision are old.
  std::map<std::string, Subscription, std::less<>> subscribed_;
  std::map<std::string, Preview, std::less<>> previews_;  // original protocol only
};

}  // namespace parley::dialects::chatroom
