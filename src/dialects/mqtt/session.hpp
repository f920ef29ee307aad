#pragma once
// One MQTT session (section 4.1): a client id's subscriptions and the state of its QoS 1 and 2
// exchanges, in both directions. It outlives its network connections when the client asked for
// a persistent session (clean session 0).
//
// Threading: a session lives on one I/O thread, its home, for its whole life; every method runs
// there. Its filters are in that thread's SubscriptionIndex. A client that comes back on another
// thread talks to it through a Link: packets are posted to the home thread, and what the session
// sends is posted to the connection's thread (when both are on one thread, calls are direct and
// broadcasts use the shared frames of the EncodeCache).
//
// Outbound: a QoS 0 message goes out at once, or nowhere when the client is away. QoS 1 and 2
// messages take a packet identifier and wait for their acknowledgement in the in-flight window
// (max_inflight); the rest wait in the queue (max_queued_messages / max_queued_bytes; past them
// new messages are dropped and logged). When a client comes back, the unacknowledged messages
// are sent again, in order, with DUP set (or PUBREL, for those already received), then the queue.
// Inbound: QoS 1 and 2 publications are acknowledged (PUBACK, PUBREC) only once the message
// store has committed them, as every publish path of Parley answers (the acknowledgements of one
// session go out in the order the store commits, which is the order received). QoS 2
// publications are published on receipt and their identifiers kept until PUBREL, so a PUBLISH
// sent again is not published twice (section 4.3.3, method B); one sent again before the commit
// is answered by the commit's PUBREC.
//
// Kept across restarts (persistent sessions, through the engine's StateStore), written as they
// change, batched by the store's writer thread:
// - "m/<client id>/<seq>": one QoS 1/2 message waiting for the client (queued or in flight; a
//   released QoS 2 exchange without its message), seq a 16-digit hex number unique in the
//   store, so records sort in the order they were delivered;
// - "p/<client id>": the inbound QoS 2 identifiers awaiting PUBREL;
// - "s/<client id>": the subscriptions (engine.hpp).
#include <boost/json/object.hpp>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/message.hpp"
#include "core/subscriber.hpp"

namespace parley::dialects::mqtt {

class Connection;
class Engine;

// Where a network connection and its session meet; shared by both. The connection's pointer is
// read and written on the connection's thread only, and is null once the connection is gone.
struct Link {
  explicit Link(std::size_t t) : thread(t) {}
  const std::size_t thread;
  Connection* connection = nullptr;
};

using LinkPtr = std::shared_ptr<Link>;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Engine& engine, std::string client_id, std::size_t home, bool persistent);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const std::string& client_id() const { return client_id_; }
  std::size_t home() const { return home_; }
  bool persistent() const { return persistent_; }

  // A connection took the session: the unacknowledged messages are sent again, then the queue.
  void attach(LinkPtr link);
  // The connection on link is gone (nothing when another one has taken the session since).
  void detach(const LinkPtr& link);
  // The session ends: its filters leave the index, its state is dropped (with its records, when
  // erase_records: not at shutdown). Idempotent.
  void discard(bool erase_records = true);

  // Packets from the client connected on `from`; the answers go back to `from`.
  void on_publish(const LinkPtr& from, core::Message m, std::uint8_t qos, bool retain,
                  std::uint16_t packet_id);
  void on_puback(std::uint16_t packet_id);
  void on_pubrec(const LinkPtr& from, std::uint16_t packet_id);
  void on_pubrel(const LinkPtr& from, std::uint16_t packet_id);
  void on_pubcomp(std::uint16_t packet_id);
  void on_subscribe(const LinkPtr& from, std::uint16_t packet_id,
                    std::vector<std::pair<std::string, std::uint8_t>> filters);
  void on_unsubscribe(const LinkPtr& from, std::uint16_t packet_id,
                      std::vector<std::string> filters);

  // m matched this session's filters, sub_qos being the highest QoS among them. cache: the
  // fan-out's (shared frames), or null.
  void deliver(const core::MessagePtr& m, const std::string& topic, std::uint8_t sub_qos,
               core::EncodeCache* cache);

  // Records kept across restarts (above). The subscriptions' record is written by the engine.
  std::string subscriptions_record() const;
  // Start-up, before the I/O threads run, once the subscriptions are restored: a message record
  // (in seq order) and the awaiting-PUBREL record. False when the record cannot be read.
  bool restore_subscriptions(std::string_view record);
  bool restore_message(std::uint64_t seq, std::string_view record);
  bool restore_pubrel(std::string_view record);
  // "m/<client id>/" and "p/<client id>".
  static std::string message_key_prefix(std::string_view client_id);
  static std::string pubrel_key(std::string_view client_id);

  // For tests and logs.
  const std::map<std::string, std::uint8_t>& subscriptions() const { return subscriptions_; }
  std::size_t inflight() const { return inflight_.size(); }
  std::size_t queued() const { return queue_.size(); }
  std::size_t dropped() const { return dropped_; }
  bool attached() const { return link_ != nullptr; }

 private:
  struct Outgoing {
    core::MessagePtr message;
    std::string topic;
    std::uint8_t qos = 0;
    bool retain = false;
    std::uint16_t packet_id = 0;
    bool released = false;  // QoS 2: PUBREC received, PUBREL sent, waiting for PUBCOMP
    std::uint64_t seq = 0;  // its record's key ("m/<client id>/<seq>"); 0: not kept
  };

  void send(const LinkPtr& to, std::string bytes);
  void send_publish(const Outgoing& o, core::EncodeCache* cache, bool dup);
  void start(Outgoing o, core::EncodeCache* cache);  // takes an identifier, sends, in flight
  void enqueue(Outgoing o);
  void pump();  // moves queued messages into the window while there is room
  std::uint16_t next_packet_id();
  void retained_for(const std::string& filter, std::uint8_t qos);
  Outgoing* find_inflight(std::uint16_t packet_id);
  void erase_inflight(std::uint16_t packet_id);
  // The store commit of an inbound QoS 1/2 message (on this thread).
  void on_committed(const LinkPtr& from, std::uint8_t qos, std::uint16_t packet_id, bool stored);
  // Records of persistent sessions (nothing otherwise).
  bool keeps_records() const;
  void save(Outgoing& o);
  void unsave(const Outgoing& o);
  void save_pubrel();

  Engine& engine_;
  const std::string client_id_;
  const std::size_t home_;
  const bool persistent_;
  LinkPtr link_;
  std::map<std::string, std::uint8_t> subscriptions_;  // filter -> granted QoS
  std::deque<Outgoing> inflight_;                      // in the order first sent
  std::deque<Outgoing> queue_;
  std::size_t queued_bytes_ = 0;
  // Inbound QoS 2 identifiers awaiting PUBREL: true once the message is committed (PUBREC sent).
  std::map<std::uint16_t, bool> awaiting_pubrel_;
  std::uint16_t last_packet_id_ = 0;
  // Topics whose retained message was sent with a subscription, and that message's mark: the
  // same message arriving live right after is not sent twice.
  std::unordered_map<std::string, std::uint64_t> retained_sent_;
  std::size_t dropped_ = 0;  // messages dropped by the queue's bounds
  bool discarded_ = false;
};

}  // namespace parley::dialects::mqtt
