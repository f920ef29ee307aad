#include "dialects/mqtt/session.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "dialects/mqtt/connection.hpp"
#include "dialects/mqtt/engine.hpp"
#include "dialects/mqtt/message.hpp"
#include "dialects/mqtt/packet.hpp"
#include "dialects/mqtt/topic.hpp"

namespace parley::dialects::mqtt {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxRetainedMarks = 1024;

std::string hex16(std::uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) out[static_cast<std::size_t>(i)] = kDigits[v & 0xF];
  return out;
}

}  // namespace

std::string Session::message_key_prefix(std::string_view client_id) {
  return "m/" + std::string(client_id) + "/";
}

std::string Session::pubrel_key(std::string_view client_id) {
  return "p/" + std::string(client_id);
}

Session::Session(Engine& engine, std::string client_id, std::size_t home, bool persistent)
    : engine_(engine), client_id_(std::move(client_id)), home_(home), persistent_(persistent) {}

void Session::send(const LinkPtr& to, std::string bytes) {
  if (!to) return;
  if (to->thread == home_) {
    if (to->connection) to->connection->send_packet(std::move(bytes));
    return;
  }
  engine_.threads().post(to->thread, [to, bytes = std::move(bytes)]() mutable {
    if (to->connection) to->connection->send_packet(std::move(bytes));
  });
}

void Session::send_publish(const Outgoing& o, core::EncodeCache* cache, bool dup) {
  if (!link_) return;
  Publish p;
  p.topic = o.topic;
  p.qos = o.qos;
  p.retain = o.retain;
  p.dup = dup;
  p.packet_id = o.packet_id;
  if (link_->thread == home_) {
    if (link_->connection) link_->connection->send_publish(*o.message, p, cache);
    return;
  }
  // Another thread: the packet is rendered here, for this client alone.
  std::string payload = payload_of(*o.message);
  p.payload = payload;
  send(link_, encode_publish(p));
}

void Session::attach(LinkPtr link) {
  // Attaches posted from two threads may arrive in either order: only the connection that holds
  // the client id now takes the session.
  if (discarded_ || !engine_.holds(client_id_, link)) return;
  link_ = std::move(link);
  // Section 4.4: unacknowledged PUBLISH packets again with DUP, PUBREL for those received.
  for (const Outgoing& o : inflight_) {
    if (o.released)
      send(link_, encode_ack(PacketType::pubrel, o.packet_id));
    else
      send_publish(o, nullptr, /*dup=*/true);
  }
  pump();
}

void Session::detach(const LinkPtr& link) {
  if (link_ == link) link_.reset();
}

void Session::discard(bool erase_records) {
  if (discarded_) return;
  if (erase_records && keeps_records()) {
    for (const Outgoing& o : inflight_) unsave(o);
    for (const Outgoing& o : queue_) unsave(o);
    engine_.store()->erase(pubrel_key(client_id_));
  }
  discarded_ = true;
  SubscriptionIndex& index = engine_.index(home_);
  for (const auto& [filter, qos] : subscriptions_) index.remove(this, filter);
  subscriptions_.clear();
  inflight_.clear();
  queue_.clear();
  queued_bytes_ = 0;
  awaiting_pubrel_.clear();
  retained_sent_.clear();
  link_.reset();
}

std::uint16_t Session::next_packet_id() {
  // At most max_inflight (< 65535) identifiers are taken: a free one is always found.
  for (;;) {
    last_packet_id_ =
        static_cast<std::uint16_t>(last_packet_id_ == 0xFFFF ? 1 : last_packet_id_ + 1);
    if (!find_inflight(last_packet_id_)) return last_packet_id_;
  }
}

Session::Outgoing* Session::find_inflight(std::uint16_t packet_id) {
  for (Outgoing& o : inflight_)
    if (o.packet_id == packet_id) return &o;
  return nullptr;
}

void Session::erase_inflight(std::uint16_t packet_id) {
  auto it = std::find_if(inflight_.begin(), inflight_.end(),
                         [&](const Outgoing& o) { return o.packet_id == packet_id; });
  if (it == inflight_.end()) return;
  unsave(*it);
  inflight_.erase(it);
}

bool Session::keeps_records() const { return persistent_ && engine_.store() != nullptr; }

namespace {

json::object outgoing_json(const core::Message* m, const std::string& topic, std::uint8_t qos,
                           bool retain, std::uint16_t packet_id, bool released) {
  json::object out{{"topic", topic},
                   {"qos", qos},
                   {"retain", retain},
                   {"packet_id", packet_id},
                   {"released", released}};
  if (m) out["message"] = message_to_json(*m);
  return out;
}

}  // namespace

void Session::save(Outgoing& o) {
  if (!keeps_records() || discarded_) return;
  if (o.seq == 0) o.seq = engine_.next_record_seq();
  engine_.store()->put(message_key_prefix(client_id_) + hex16(o.seq),
                       json::serialize(outgoing_json(o.message.get(), o.topic, o.qos, o.retain,
                                                     o.packet_id, o.released)));
}

void Session::unsave(const Outgoing& o) {
  if (!keeps_records() || o.seq == 0) return;
  engine_.store()->erase(message_key_prefix(client_id_) + hex16(o.seq));
}

void Session::save_pubrel() {
  if (!keeps_records() || discarded_) return;
  // Only committed identifiers: after a crash, an uncommitted message must be taken again.
  json::array ids;
  for (const auto& [id, committed] : awaiting_pubrel_)
    if (committed) ids.push_back(id);
  if (ids.empty())
    engine_.store()->erase(pubrel_key(client_id_));
  else
    engine_.store()->put(pubrel_key(client_id_),
                         json::serialize(json::object{{"awaiting_pubrel", std::move(ids)}}));
}

void Session::start(Outgoing o, core::EncodeCache* cache) {
  o.packet_id = next_packet_id();
  inflight_.push_back(std::move(o));
  save(inflight_.back());
  send_publish(inflight_.back(), cache, /*dup=*/false);
}

void Session::enqueue(Outgoing o) {
  const auto& options = engine_.options();
  std::size_t bytes = approx_bytes(*o.message) + o.topic.size();
  if (queue_.size() >= options.max_queued_messages ||
      queued_bytes_ + bytes > options.max_queued_bytes) {
    if (dropped_++ == 0 || dropped_ % 1000 == 0)
      spdlog::warn("mqtt: client {}: queue full ({} messages, {} bytes); {} dropped so far",
                   client_id_, queue_.size(), queued_bytes_, dropped_);
    return;
  }
  queued_bytes_ += bytes;
  queue_.push_back(std::move(o));
  save(queue_.back());
}

void Session::pump() {
  while (link_ && !queue_.empty() && inflight_.size() < engine_.options().max_inflight) {
    Outgoing o = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= std::min(queued_bytes_, approx_bytes(*o.message) + o.topic.size());
    start(std::move(o), nullptr);
  }
}

void Session::deliver(const core::MessagePtr& m, const std::string& topic, std::uint8_t sub_qos,
                      core::EncodeCache* cache) {
  if (discarded_) return;
  if (!retained_sent_.empty()) {
    if (auto it = retained_sent_.find(topic); it != retained_sent_.end()) {
      bool same = it->second != 0 && it->second == retain_seq_of(*m);
      retained_sent_.erase(it);
      if (same) return;  // already sent as the topic's retained message
    }
  }
  Outgoing o{m, topic, std::min(qos_of(*m), sub_qos)};
  if (o.qos == 0) {
    if (link_) send_publish(o, cache, /*dup=*/false);
    return;
  }
  if (!link_ || !queue_.empty() || inflight_.size() >= engine_.options().max_inflight)
    return enqueue(std::move(o));
  start(std::move(o), cache);
}

void Session::retained_for(const std::string& filter, std::uint8_t qos) {
  for (const core::MessagePtr& m : engine_.retained().match(filter)) {
    std::string topic = topic_of(*m);
    if (engine_.denied(topic)) continue;
    if (retained_sent_.size() >= kMaxRetainedMarks) retained_sent_.clear();
    retained_sent_[topic] = retain_seq_of(*m);
    // Section 3.3.1.3: sent with RETAIN set, as the result of a new subscription.
    Outgoing o{m, topic, std::min(qos_of(*m), qos), /*retain=*/true};
    if (o.qos == 0) {
      if (link_) send_publish(o, nullptr, /*dup=*/false);
    } else if (!link_ || !queue_.empty() || inflight_.size() >= engine_.options().max_inflight) {
      enqueue(std::move(o));
    } else {
      start(std::move(o), nullptr);
    }
  }
}

void Session::on_publish(const LinkPtr& from, core::Message m, std::uint8_t qos, bool retain,
                         std::uint16_t packet_id) {
  if (qos == 0) {
    // Nothing to answer: a refusal is only logged.
    if (core::Outcome outcome = engine_.publish(std::move(m), retain); outcome != core::Outcome::ok)
      spdlog::warn("mqtt: client {}: QoS 0 publication refused: {}", client_id_,
                   core::describe(outcome));
    return;
  }
  if (qos == 2) {
    auto [it, fresh] = awaiting_pubrel_.emplace(packet_id, false);
    if (!fresh) {
      // Sent again before PUBREL: not published again; acknowledged again once committed (the
      // first copy's commit answers it otherwise).
      if (it->second) send(from, encode_ack(PacketType::pubrec, packet_id));
      return;
    }
  }
  // Acknowledged once durable: the commit is called on the store's thread, answered here.
  core::Outcome outcome =
      engine_.publish(std::move(m), retain,
                      [weak = weak_from_this(), &threads = engine_.threads(), home = home_, from,
                       qos, packet_id](bool stored) {
                        threads.post(home, [weak, from, qos, packet_id, stored] {
                          if (auto self = weak.lock())
                            self->on_committed(from, qos, packet_id, stored);
                        });
                      });
  // Refused (the channel limit, or its offset unreadable): never committed, so never
  // acknowledged; handled as a failed write.
  if (outcome != core::Outcome::ok) {
    spdlog::warn("mqtt: client {}: publication refused: {}", client_id_, core::describe(outcome));
    on_committed(from, qos, packet_id, /*stored=*/false);
  }
}

void Session::on_committed(const LinkPtr& from, std::uint8_t qos, std::uint16_t packet_id,
                           bool stored) {
  if (discarded_) return;
  if (!stored) {
    // Not durable, so not acknowledged: the connection is closed and the client sends the
    // message again when it comes back (QoS 2: it is then taken again).
    spdlog::error("mqtt: client {}: packet {} could not be stored; closing its connection",
                  client_id_, packet_id);
    if (qos == 2) {
      awaiting_pubrel_.erase(packet_id);
      save_pubrel();
    }
    if (from) {
      engine_.threads().post(from->thread, [from] {
        if (from->connection) from->connection->drop("the message store failed");
      });
    }
    return;
  }
  if (qos == 1) return send(from, encode_ack(PacketType::puback, packet_id));
  // Not found: PUBREL came first (a client breaking 4.3.3); the message is durable all the same.
  if (auto it = awaiting_pubrel_.find(packet_id); it != awaiting_pubrel_.end()) {
    it->second = true;
    save_pubrel();
  }
  // To the connection holding the session now (a client that came back sent it again).
  send(link_ ? link_ : from, encode_ack(PacketType::pubrec, packet_id));
}

void Session::on_pubrel(const LinkPtr& from, std::uint16_t packet_id) {
  if (awaiting_pubrel_.erase(packet_id) > 0) save_pubrel();
  send(from, encode_ack(PacketType::pubcomp, packet_id));  // even for an unknown identifier
}

void Session::on_puback(std::uint16_t packet_id) {
  Outgoing* o = find_inflight(packet_id);
  if (!o || o->qos != 1) return;
  erase_inflight(packet_id);
  pump();
}

void Session::on_pubrec(const LinkPtr& from, std::uint16_t packet_id) {
  Outgoing* o = find_inflight(packet_id);
  if (o && o->qos == 2 && !o->released) {
    o->released = true;
    o->message.reset();  // only the identifier is needed from now on
    save(*o);
  }
  send(from, encode_ack(PacketType::pubrel, packet_id));
}

void Session::on_pubcomp(std::uint16_t packet_id) {
  Outgoing* o = find_inflight(packet_id);
  if (!o || o->qos != 2) return;
  erase_inflight(packet_id);
  pump();
}

void Session::on_subscribe(const LinkPtr& from, std::uint16_t packet_id,
                           std::vector<std::pair<std::string, std::uint8_t>> filters) {
  if (discarded_) return;
  std::vector<std::uint8_t> codes;
  std::vector<std::pair<std::string, std::uint8_t>> granted;
  SubscriptionIndex& index = engine_.index(home_);
  for (auto& [filter, qos] : filters) {
    bool known = subscriptions_.count(filter) > 0;
    if (engine_.denied(filter) ||
        (!known && subscriptions_.size() >= engine_.options().max_subscriptions)) {
      codes.push_back(kSubackFailure);
      continue;
    }
    if (core::Outcome outcome = index.add(this, filter, qos); outcome != core::Outcome::ok) {
      spdlog::warn("mqtt: client {}: filter '{}' refused (0x80): {}", client_id_, filter,
                   core::describe(outcome));
      codes.push_back(kSubackFailure);
      continue;
    }
    subscriptions_[filter] = qos;
    codes.push_back(qos);
    granted.emplace_back(std::move(filter), qos);
  }
  send(from, encode_suback(packet_id, codes));
  if (persistent_ && !granted.empty()) engine_.save_subscriptions(*this);
  // Section 3.8.4: the retained messages of each filter, a filter given again included.
  for (const auto& [filter, qos] : granted) retained_for(filter, qos);
}

void Session::on_unsubscribe(const LinkPtr& from, std::uint16_t packet_id,
                             std::vector<std::string> filters) {
  if (discarded_) return;
  bool changed = false;
  SubscriptionIndex& index = engine_.index(home_);
  for (const std::string& filter : filters) {
    if (subscriptions_.erase(filter) == 0) continue;
    index.remove(this, filter);
    changed = true;
  }
  send(from, encode_ack(PacketType::unsuback, packet_id));
  if (persistent_ && changed) engine_.save_subscriptions(*this);
}

std::string Session::subscriptions_record() const {
  json::array subs;
  for (const auto& [filter, qos] : subscriptions_) subs.push_back(json::array{filter, qos});
  return json::serialize(json::object{{"subscriptions", std::move(subs)}});
}

namespace {

std::optional<json::object> parse_object(std::string_view record) {
  boost::system::error_code ec;
  json::value v = json::parse(record, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

std::optional<std::int64_t> int_of(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_number()) return std::nullopt;
  boost::system::error_code ec;
  auto v = it->value().to_number<std::int64_t>(ec);
  if (ec) return std::nullopt;
  return v;
}

bool bool_of(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it != o.end() && it->value().is_bool() && it->value().get_bool();
}

}  // namespace

bool Session::restore_subscriptions(std::string_view record) {
  auto o = parse_object(record);
  if (!o) return false;
  auto it = o->find("subscriptions");
  if (it == o->end() || !it->value().is_array()) return false;
  SubscriptionIndex& index = engine_.index(home_);
  for (const json::value& v : it->value().get_array()) {
    if (!v.is_array() || v.get_array().size() != 2 || !v.get_array()[0].is_string() ||
        !v.get_array()[1].is_number())
      return false;
    std::string filter(v.get_array()[0].get_string());
    boost::system::error_code ec;
    auto qos = v.get_array()[1].to_number<std::int64_t>(ec);
    if (ec || qos < 0 || qos > 2 || !valid_topic_filter(filter)) return false;
    if (core::Outcome outcome = index.add(this, filter, static_cast<std::uint8_t>(qos));
        outcome != core::Outcome::ok) {
      spdlog::warn("mqtt: client {}: kept filter '{}' not restored: {}", client_id_, filter,
                   core::describe(outcome));
      continue;
    }
    subscriptions_[filter] = static_cast<std::uint8_t>(qos);
  }
  return true;
}

bool Session::restore_message(std::uint64_t seq, std::string_view record) {
  auto e = parse_object(record);
  if (!e) return false;
  Outgoing out;
  auto topic = e->find("topic");
  auto qos = int_of(*e, "qos");
  auto id = int_of(*e, "packet_id");
  if (topic == e->end() || !topic->value().is_string() || !qos || *qos < 1 || *qos > 2 || !id ||
      *id < 0 || *id > 0xFFFF)
    return false;
  out.topic = std::string(topic->value().get_string());
  out.qos = static_cast<std::uint8_t>(*qos);
  out.packet_id = static_cast<std::uint16_t>(*id);
  out.retain = bool_of(*e, "retain");
  out.released = bool_of(*e, "released");
  out.seq = seq;
  if (auto m = e->find("message"); m != e->end() && m->value().is_object()) {
    auto message = message_from_json(m->value().get_object());
    if (!message) return false;
    out.message = std::make_shared<const core::Message>(std::move(*message));
  } else if (!out.released) {
    return false;  // only a released QoS 2 exchange needs no message
  }
  if (out.packet_id == 0) {
    // Queued, not sent yet.
    if (out.released) return false;
    queued_bytes_ += approx_bytes(*out.message) + out.topic.size();
    queue_.push_back(std::move(out));
    return true;
  }
  if (find_inflight(out.packet_id)) return false;
  last_packet_id_ = out.packet_id;
  inflight_.push_back(std::move(out));
  return true;
}

bool Session::restore_pubrel(std::string_view record) {
  auto o = parse_object(record);
  if (!o) return false;
  auto it = o->find("awaiting_pubrel");
  if (it == o->end() || !it->value().is_array()) return false;
  std::map<std::uint16_t, bool> ids;
  for (const json::value& v : it->value().get_array()) {
    if (!v.is_number()) return false;
    boost::system::error_code ec;
    auto id = v.to_number<std::int64_t>(ec);
    if (ec || id <= 0 || id > 0xFFFF) return false;
    ids[static_cast<std::uint16_t>(id)] = true;
  }
  awaiting_pubrel_ = std::move(ids);
  return true;
}

}  // namespace parley::dialects::mqtt
