#include "dialects/phoenix/connection.hpp"

#include <spdlog/spdlog.h>

namespace parley::dialects::phoenix {

namespace json = boost::json;

namespace {

constexpr std::string_view kRoomPrefix = "room:";
constexpr std::size_t kMaxUsername = 100;

json::object meta_json(const core::PresenceMeta& meta) {
  json::object o = meta.data;
  o["phx_ref"] = meta.ref;
  if (!meta.prev_ref.empty()) o["phx_ref_prev"] = meta.prev_ref;
  return o;
}

json::object render_map(const core::PresenceMap& map) {
  json::object out;
  for (const auto& [key, metas] : map) {
    json::array arr;
    for (const auto& m : metas) arr.push_back(meta_json(m));
    out[key] = json::object{{"metas", std::move(arr)}};
  }
  return out;
}

json::object user_meta(bool typing, const std::string& username) {
  return json::object{{"typing", typing}, {"username", username}};
}

}  // namespace

std::string_view room_channel(std::string_view topic) {
  if (!topic.starts_with(kRoomPrefix)) return {};
  return topic.substr(kRoomPrefix.size());
}

json::object render_presence(const core::PresenceMap& map) { return render_map(map); }

json::object render_diff(const core::PresenceDiff& diff) {
  return json::object{{"joins", render_map(diff.joins)}, {"leaves", render_map(diff.leaves)}};
}

json::object render_shout(const core::Message& m) {
  if (m.dialect == "phoenix") return m.payload;
  return json::object{{"body", m.text}, {"channel", m.channel}, {"name", m.author_name}};
}

Connection::Connection(Vsn vsn, core::Broker& broker, core::Sink& sink, std::uint64_t session,
                       std::size_t thread, ConnectionOptions options)
    : vsn_(vsn),
      broker_(broker),
      sink_(sink),
      session_(session),
      thread_(thread),
      options_(options) {}

Connection::~Connection() { leave_all(); }

void Connection::on_text(std::string_view text) {
  auto decoded = decode(text, vsn_);
  if (auto* err = std::get_if<DecodeError>(&decoded)) {
    if (!err->recoverable) {
      spdlog::warn("phoenix: session {}: {}; closing", session_, err->reason);
      sink_.close(1007, err->reason);
      return;
    }
    spdlog::info("phoenix: session {}: invalid message on {}: {}", session_, err->topic,
                 err->reason);
    reply_error(err->join_ref, err->ref, err->topic, err->reason);
    return;
  }
  handle(std::get<Message>(decoded));
}

void Connection::handle(Message& m) {
  if (m.topic == "phoenix") {
    if (m.event == "heartbeat") return reply(m, "ok", json::object{});
    return reply_error(m.join_ref, m.ref, m.topic, "unmatched topic");
  }
  if (m.event == "phx_join") return handle_join(m);
  auto it = joined_.find(m.topic);
  if (it == joined_.end()) {
    if (m.event == "phx_leave") return reply(m, "ok", json::object{});
    return reply_error(m.join_ref, m.ref, m.topic, "unmatched topic");
  }
  if (m.event == "phx_leave") return handle_leave(m);
  handle_room_event(m, it->second);
}

void Connection::handle_join(Message& m) {
  std::string_view channel = room_channel(m.topic);
  if (channel.empty()) return reply_error(m.join_ref, m.ref, m.topic, "unmatched topic");
  const json::string* username = nullptr;
  if (auto* obj = m.payload.if_object())
    if (auto* u = obj->if_contains("username")) username = u->if_string();
  if (!username || username->empty() || username->size() > kMaxUsername)
    return reply_error(m.join_ref, m.ref, m.topic,
                       "join payload must have a username: a string of 1 to 100 characters");

  if (auto old = joined_.find(m.topic); old != joined_.end()) {
    // A duplicate join closes the old one, as Phoenix does.
    send(old->second.join_ref, old->second.join_ref, m.topic, "phx_close", json::object{});
    leave(m.topic, old->second);
    joined_.erase(old);
  }
  if (joined_.size() >= options_.max_channels)
    return reply_error(m.join_ref, m.ref, m.topic, "too many channels joined");

  std::string name(channel);
  if (auto outcome = broker_.subscribe(name, thread_, this); outcome != core::Outcome::ok) {
    spdlog::info("phoenix: session {}: join {} refused: {}", session_, m.topic,
                 core::describe(outcome));
    return reply_error(m.join_ref, m.ref, m.topic, core::describe(outcome));
  }
  Joined& j = joined_[m.topic];
  j.join_ref = m.join_ref.is_null() ? m.ref : m.join_ref;
  j.channel = std::move(name);
  j.username = std::string(*username);
  reply(m, "ok", json::object{});
  push(j.join_ref, m.topic, "presence_state", render_presence(broker_.presence_list(j.channel)));
  broker_.presence_track(j.channel, j.username, session_, user_meta(false, j.username));
}

void Connection::handle_leave(Message& m) {
  auto it = joined_.find(m.topic);
  json::value join_ref = it->second.join_ref;
  leave(m.topic, it->second);
  joined_.erase(it);
  reply(m, "ok", json::object{});
  send(join_ref, join_ref, m.topic, "phx_close", json::object{});
}

void Connection::handle_room_event(Message& m, Joined& j) {
  if (m.event == "shout") {
    auto* payload = m.payload.if_object();
    if (!payload) return reply_error(m.join_ref, m.ref, m.topic, "shout payload must be an object");
    core::Message msg;
    msg.channel = j.channel;
    msg.author_id = j.username;
    auto* name = payload->if_contains("name");
    msg.author_name = name && name->is_string() ? std::string(name->get_string()) : j.username;
    if (auto* body = payload->if_contains("body"); body && body->is_string())
      msg.text = body->get_string();
    msg.payload = std::move(*payload);
    msg.dialect = "phoenix";
    if (auto outcome = broker_.publish(std::move(msg)); outcome != core::Outcome::ok) {
      spdlog::warn("phoenix: session {}: shout on {} refused: {}", session_, m.topic,
                   core::describe(outcome));
      return reply_error(m.join_ref, m.ref, m.topic, core::describe(outcome));
    }
    // The store is behind: this client is read again once it has room (nothing is dropped).
    if (!broker_.accepting()) sink_.pause_reading(broker_);
    return;  // Hub's shout has no reply
  }
  if (m.event == "user:typing") {
    const json::value* typing = nullptr;
    if (auto* obj = m.payload.if_object()) typing = obj->if_contains("typing");
    if (!typing || !typing->is_bool())
      return reply_error(m.join_ref, m.ref, m.topic, "user:typing needs typing: true or false");
    broker_.presence_update(j.channel, j.username, session_,
                            user_meta(typing->get_bool(), j.username));
    return reply(m, "ok", json::object{});
  }
  spdlog::info("phoenix: session {}: unhandled event {} on {}", session_, m.event, m.topic);
  reply_error(m.join_ref, m.ref, m.topic, "unhandled event");
}

void Connection::leave(const std::string& topic, Joined& j) {
  broker_.unsubscribe(j.channel, thread_, this);
  broker_.presence_untrack(j.channel, session_);
}

void Connection::leave_all() {
  for (auto& [topic, j] : joined_) leave(topic, j);
  joined_.clear();
}

void Connection::deliver(const core::Event& ev, core::EncodeCache& cache) {
  const core::Frame& frame = cache.get(format_of(vsn_), [&]() -> core::Frame {
    std::string topic = std::string(kRoomPrefix) + ev.channel;
    switch (ev.kind) {
      case core::Event::Kind::message:
        return sink_.make_frame(
            encode(vsn_, nullptr, nullptr, topic, "shout", render_shout(*ev.message)));
      case core::Event::Kind::presence_diff:
        return sink_.make_frame(
            encode(vsn_, nullptr, nullptr, topic, "presence_diff", render_diff(*ev.diff)));
      case core::Event::Kind::broadcast:
        if (ev.broadcast->dialect != "phoenix") return nullptr;
        return sink_.make_frame(
            encode(vsn_, nullptr, nullptr, topic, ev.broadcast->event, ev.broadcast->payload));
    }
    return nullptr;
  });
  if (frame) sink_.send_frame(frame);
}

void Connection::reply(const Message& m, std::string_view status, json::value response) {
  send(m.join_ref, m.ref, m.topic, "phx_reply",
       json::object{{"status", status}, {"response", std::move(response)}});
}

void Connection::reply_error(const json::value& join_ref, const json::value& ref,
                             std::string_view topic, std::string_view reason) {
  send(join_ref, ref, topic, "phx_reply",
       json::object{{"status", "error"}, {"response", json::object{{"reason", reason}}}});
}

void Connection::push(const json::value& join_ref, std::string_view topic, std::string_view event,
                      const json::value& payload) {
  send(join_ref, nullptr, topic, event, payload);
}

void Connection::send(const json::value& join_ref, const json::value& ref, std::string_view topic,
                      std::string_view event, const json::value& payload) {
  sink_.send_text(encode(vsn_, join_ref, ref, topic, event, payload));
}

}  // namespace parley::dialects::phoenix
