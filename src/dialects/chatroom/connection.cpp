#include "dialects/chatroom/connection.hpp"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

namespace parley::dialects::chatroom {

namespace json = boost::json;

namespace {

// The body's string field `key`, or null when absent or not a non-empty string.
const json::string* string_field(const json::object& body, std::string_view key) {
  const json::value* v = body.if_contains(key);
  if (!v || !v->is_string() || v->get_string().empty()) return nullptr;
  return &v->get_string();
}

json::value field_or_null(const json::object& body, std::string_view key) {
  const json::value* v = body.if_contains(key);
  return v ? *v : json::value(nullptr);
}

}  // namespace

Connection::Connection(topics::SyncHub& hub, core::Sink& sink, std::size_t thread, std::string peer,
                       Envelope envelope, ConnectionOptions options)
    : hub_(hub),
      sink_(sink),
      thread_(thread),
      peer_(std::move(peer)),
      envelope_(envelope),
      options_(options) {}

Connection::~Connection() { on_close(); }

void Connection::on_open() {
  id_ = hub_.connect(thread_, weak_from_this(), peer_);
  spdlog::info("chatroom: client {} connected, peer={}", id_, peer_);
  send("hello", json::object{{"id", id_}});
}

void Connection::on_close() {
  if (closed_ || id_ == 0) return;
  closed_ = true;
  for (const auto& [topic, revision] : subscribed_) hub_.unsubscribe(thread_, this, topic);
  subscribed_.clear();
  hub_.disconnect(id_);
  spdlog::info("chatroom: client {} disconnected, peer={}", id_, peer_);
}

void Connection::on_text(std::string_view text) {
  if (closed_) return;
  auto decoded = decode(text);
  if (auto* error = std::get_if<std::string>(&decoded)) {
    spdlog::warn("chatroom: client {} peer={}: {}; closing", id_, peer_, *error);
    sink_.close(1007, *error);
    return;
  }
  handle(std::get<Inbound>(decoded));
}

void Connection::handle(const Inbound& m) {
  if (m.type == "subscribe") return on_subscribe(m.body);
  if (m.type == "unsubscribe") return on_unsubscribe(m.body);
  if (m.type == "update") return on_update(m.body);
  if (m.type == "request") return on_request(m.body);
  if (m.type == "response") return on_response(m.body);
  if (m.type == "register_service") return on_service(m.body, true);
  if (m.type == "unregister_service") return on_service(m.body, false);
  tell(fmt::format("unknown message type '{}'", m.type));
}

void Connection::on_subscribe(const json::object& body) {
  const json::string* topic = string_field(body, "topic_name");
  if (!topic)
    return reject(field_or_null(body, "topic_name"), nullptr,
                  "subscribe needs a topic_name: a non-empty string");
  std::optional<topics::TopicType> type;
  if (const json::value* t = body.if_contains("type"); t && !t->is_null()) {
    if (t->is_string()) type = topics::parse_topic_type(t->get_string());
    if (!type)
      return reject(*topic, nullptr,
                    fmt::format("unknown topic type {}: use generic, string, int, float, set, "
                                "list, dict or event",
                                topics::json_preview(*t)));
  }
  std::string name(*topic);
  if (!subscribed_.contains(name) && subscribed_.size() >= options_.max_subscriptions)
    return reject(*topic, nullptr,
                  fmt::format("too many subscriptions (at most {})", options_.max_subscriptions));
  auto result = hub_.subscribe(id_, thread_, this, name, type);
  if (auto* error = std::get_if<std::string>(&result)) return reject(*topic, nullptr, *error);
  auto& ok = std::get<topics::SyncHub::Subscribed>(result);
  subscribed_[name] = ok.revision;
  if (ok.type != topics::TopicType::event)
    send("update", json::object{{"topic_name", name}, {"change", std::move(ok.change)}});
  if (ok.type_differs)
    tell(fmt::format("topic '{}' is a {} topic, not {}", name, topics::topic_type_name(ok.type),
                     topics::topic_type_name(*type)));
}

void Connection::on_unsubscribe(const json::object& body) {
  const json::string* topic = string_field(body, "topic_name");
  if (!topic) return tell("unsubscribe needs a topic_name: a non-empty string");
  auto it = subscribed_.find(std::string_view(*topic));
  if (it == subscribed_.end())
    return tell(fmt::format("not subscribed to '{}'", std::string_view(*topic)));
  hub_.unsubscribe(thread_, this, it->first);
  subscribed_.erase(it);
}

void Connection::on_update(const json::object& body) {
  const json::string* topic = string_field(body, "topic_name");
  const json::value* change = body.if_contains("change");
  if (!topic)
    return reject(field_or_null(body, "topic_name"), field_or_null(body, "change"),
                  "update needs a topic_name: a non-empty string");
  if (!change || !change->is_object())
    return reject(*topic, field_or_null(body, "change"), "update needs a change: an object");
  hub_.update(id_, std::string(*topic), change->get_object());
}

void Connection::on_request(const json::object& body) {
  json::value request_id = field_or_null(body, "request_id");
  const json::string* service = string_field(body, "service_name");
  std::string error;
  if (!request_id.is_string() && !request_id.is_number())
    error = "a request needs a request_id: a string or a number";
  else if (!service)
    error = "a request needs a service_name: a non-empty string";
  if (!error.empty()) {
    spdlog::info("chatroom: client {} peer={}: {}", id_, peer_, error);
    return send("response", json::object{{"response", json::object{{"error", error}}},
                                         {"request_id", std::move(request_id)},
                                         {"error", error}});
  }
  const json::value* args = body.if_contains("args");
  hub_.request(id_, std::string(*service), args ? *args : json::object(), std::move(request_id));
}

void Connection::on_response(const json::object& body) {
  json::value request_id = field_or_null(body, "request_id");
  if (auto error = hub_.respond(id_, request_id, field_or_null(body, "response")))
    tell("response not delivered: " + *error);
}

void Connection::on_service(const json::object& body, bool add) {
  const json::string* name = string_field(body, "service_name");
  std::string_view what = add ? "register_service" : "unregister_service";
  if (!name) return tell(fmt::format("{} needs a service_name: a non-empty string", what));
  auto error = add ? hub_.register_service(id_, std::string(*name))
                   : hub_.unregister_service(id_, std::string(*name));
  if (error) tell(fmt::format("{} failed: {}", what, *error));
}

void Connection::deliver(const core::Event& ev, core::EncodeCache& cache) {
  if (closed_ || ev.kind != core::Event::Kind::broadcast) return;
  const core::Broadcast& b = *ev.broadcast;
  if (b.dialect != hub_.options().dialect || b.event != "update") return;
  auto it = subscribed_.find(hub_.topic_of_channel(ev.channel));
  if (it == subscribed_.end()) return;
  const json::object* payload = b.payload.if_object();
  const json::value* revision = payload ? payload->if_contains("revision") : nullptr;
  if (!revision || !revision->is_uint64()) return;
  if (revision->get_uint64() <= it->second) return;  // already in the value it was sent
  const core::Frame& frame = cache.get(format_of(envelope_), [&] {
    return sink_.make_frame(encode(envelope_, "update",
                                   json::object{{"topic_name", payload->at("topic_name")},
                                                {"change", payload->at("change")}}));
  });
  if (frame) sink_.send_frame(frame);
}

void Connection::deliver_private(std::string_view kind, const json::object& content) {
  if (!closed_) send(kind, content);
}

void Connection::send(std::string_view type, const json::object& body) {
  sink_.send_text(encode(envelope_, type, body));
}

void Connection::tell(std::string text) {
  spdlog::info("chatroom: client {} peer={}: {}", id_, peer_, text);
  hub_.message_client(id_, std::move(text));
}

void Connection::reject(const json::value& topic, const json::value& change, std::string reason) {
  spdlog::info("chatroom: client {} peer={}: {}", id_, peer_, reason);
  hub_.message_client(id_, reason);
  send("reject_update",
       json::object{{"topic_name", topic}, {"change", change}, {"reason", std::move(reason)}});
}

}  // namespace parley::dialects::chatroom
