#include "dialects/chatroom/connection.hpp"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "dialects/chatroom/original_changes.hpp"

namespace parley::dialects::chatroom {

namespace json = boost::json;

namespace {

// Original protocol: ids remembered per topic, and topics with a preview, at most.
constexpr std::size_t kIdsKept = 1024;
constexpr std::size_t kPreviewsPerSubscription = 2;
// Updates held for their turn per topic, at most: past it, something is lost, not late (logged,
// and the held ones are sent in order).
constexpr std::size_t kHeldMax = 4096;

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

// The change's id when it is a non-empty string (every change a 9512c29 client makes has one).
std::string_view id_of(const json::value& change) {
  const json::object* o = change.if_object();
  const json::value* id = o ? o->if_contains("id") : nullptr;
  if (!id || !id->is_string()) return {};
  return id->get_string();
}

std::string_view type_of(const json::object& change) {
  const json::value* type = change.if_contains("type");
  return type && type->is_string() ? std::string_view(type->get_string()) : std::string_view();
}

}  // namespace

Connection::Connection(topics::SyncHub& hub, core::Sink& sink, std::size_t thread, std::string peer,
                       ConnectionOptions options)
    : hub_(hub), sink_(sink), thread_(thread), peer_(std::move(peer)), options_(options) {}

Connection::~Connection() { on_close(); }

void Connection::on_open() {
  id_ = hub_.connect(thread_, weak_from_this(), peer_);
  spdlog::info("chatroom: client {} connected, peer={}", id_, peer_);
  send("hello", json::object{{"id", id_}});
}

void Connection::on_close() {
  if (closed_ || id_ == 0) return;
  closed_ = true;
  for (const auto& [topic, subscription] : subscribed_)
    hub_.unsubscribe(thread_, this, topic, original());
  subscribed_.clear();
  previews_.clear();
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
    return refuse(field_or_null(body, "topic_name"),
                  "subscribe needs a topic_name: a non-empty string");
  std::optional<topics::TopicType> type;
  if (const json::value* t = body.if_contains("type"); t && !t->is_null()) {
    if (t->is_string()) type = topics::parse_topic_type(t->get_string());
    if (!type)
      return refuse(*topic, fmt::format("unknown topic type {}: use generic, string, int, float, "
                                        "set (u_list), list, dict or event",
                                        topics::json_preview(*t)));
  }
  std::string name(*topic);
  if (!subscribed_.contains(name) && subscribed_.size() >= options_.max_subscriptions)
    return refuse(*topic,
                  fmt::format("too many subscriptions (at most {})", options_.max_subscriptions));
  auto result = hub_.subscribe(id_, thread_, this, name, type, original());
  if (auto* error = std::get_if<std::string>(&result)) return refuse(*topic, *error);
  auto& ok = std::get<topics::SyncHub::Subscribed>(result);
  subscribed_[name] = Subscription{ok.revision, {}};
  if (!original()) {
    if (ok.type != topics::TopicType::event)
      send("update", json::object{{"topic_name", name}, {"change", std::move(ok.change)}});
  } else if (!ok.created && ok.type != topics::TopicType::event) {
    // As the original server: the value of a topic that exists, none for one just created (the
    // client starts from its type's default value, which the topic has).
    json::object change = class_fields(ok.change);
    seen_update(name, change.at("id"));
    send("update", json::object{{"topic_name", name}, {"change", std::move(change)}});
  }
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
  hub_.unsubscribe(thread_, this, it->first, original());
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
  if (original()) {
    if (std::string_view id = id_of(*change); !id.empty()) {
      auto it = previews_.find(std::string_view(*topic));
      if (it == previews_.end()) {
        if (previews_.size() >= kPreviewsPerSubscription * options_.max_subscriptions + 1) {
          // Forget one (a rejection for it is then sent as it comes).
          auto idle = std::find_if(previews_.begin(), previews_.end(),
                                   [](const auto& p) { return p.second.pending.empty(); });
          previews_.erase(idle != previews_.end() ? idle : previews_.begin());
        }
        it = previews_.emplace(std::string(*topic), Preview{}).first;
      }
      Preview& p = it->second;
      p.pending.emplace_back(id);
      if (p.pending.size() > kIdsKept) p.pending.pop_front();
    }
  }
  hub_.update(id_, std::string(*topic), change->get_object());
}

void Connection::on_request(const json::object& body) {
  json::value request_id = field_or_null(body, "request_id");
  const json::string* service = string_field(body, "service_name");
  const json::value* args = body.if_contains("args");
  std::string error;
  if (!request_id.is_string() && !request_id.is_number())
    error = "a request needs a request_id: a string or a number";
  else if (!service)
    error = "a request needs a service_name: a non-empty string";
  else if (args && !args->is_object())
    error = "a request's args must be an object (the provider calls service(**args))";
  if (!error.empty()) {
    spdlog::info("chatroom: client {} peer={}: {}", id_, peer_, error);
    json::object content{{"response", json::object{{"error", error}}},
                         {"request_id", std::move(request_id)}};
    if (!original()) content["error"] = error;
    return send("response", content);
  }
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
  Subscription& sub = it->second;
  const json::object* payload = b.payload.if_object();
  const json::value* revision = payload ? payload->if_contains("revision") : nullptr;
  if (!revision || !revision->is_uint64()) return;
  std::uint64_t rev = revision->get_uint64();
  if (rev <= sub.revision || sub.early.contains(rev)) return;  // the client has it
  const json::object* change = payload->at("change").if_object();
  if (!change) return;

  Held update;
  update.id = change->contains("id") ? change->at("id") : json::value(nullptr);
  const json::value* after = payload->if_contains("value");  // given for original subscribers
  bool renderable = true;
  if (original()) {
    // An event's emit has no value to set, and the 9512c29 client no change for it: not sent.
    std::string_view type = type_of(*change);
    if (type != "set" && !after) {
      if (type != "emit" && type != "reversed_emit")
        spdlog::error("chatroom: a '{}' change to '{}' came without the value after it", type,
                      it->first);
      renderable = false;
    }
  }
  if (renderable) {
    // Rendered once per broadcast for every subscriber with the same envelope and protocol.
    update.frame = cache.get(format_of(options_.envelope, options_.protocol), [&] {
      json::object rendered = original() ? *original_change(*change, after) : *change;
      return sink_.make_frame(encode(options_.envelope, "update",
                                     json::object{{"topic_name", payload->at("topic_name")},
                                                  {"change", std::move(rendered)}}));
    });
  }

  if (rev != sub.revision + 1) {  // early: the ones before it are still on their way
    sub.early.emplace(rev, std::move(update));
    if (sub.early.size() <= kHeldMax) return;
    spdlog::error("chatroom: client {}: updates of '{}' after revision {} never came; going on",
                  id_, it->first, sub.revision);
    sub.revision = sub.early.begin()->first - 1;
  } else {
    send_update(it->first, update);
    sub.revision = rev;
  }
  for (auto next = sub.early.begin(); next != sub.early.end() && next->first == sub.revision + 1;
       next = sub.early.erase(next)) {
    send_update(it->first, next->second);
    sub.revision = next->first;
  }
}

void Connection::send_update(const std::string& topic, const Held& update) {
  if (!update.frame) return;
  if (original()) seen_update(topic, update.id);
  sink_.send_frame(update.frame);
}

void Connection::deliver_private(std::string_view kind, const json::object& content) {
  if (closed_) return;
  if (kind == "reject_update") return send_reject(content);
  if (kind == "validate") {
    // A change asked about, to the provider of its topic's validator: as the original server
    // asked, args {"change"}; extended, with the topic, the values before and after, the sender.
    json::object args;
    const json::object* change = content.at("change").if_object();
    if (original() && change) {
      auto form = original_change(*change, content.if_contains("new_value"));
      args["change"] = form ? std::move(*form) : class_fields(*change);
    } else {
      args = json::object{{"topic_name", content.at("topic_name")},
                          {"change", content.at("change")},
                          {"old_value", content.at("old_value")},
                          {"new_value", content.at("new_value")},
                          {"sender", content.at("sender")}};
    }
    return send("request", json::object{{"service_name", content.at("service_name")},
                                        {"args", std::move(args)},
                                        {"request_id", content.at("request_id")}});
  }
  if (kind == "response" && original() && content.contains("error")) {
    // The original client's _response(request_id, response) takes nothing else.
    json::object trimmed = content;
    trimmed.erase("error");
    return send(kind, trimmed);
  }
  send(kind, content);
}

void Connection::send(std::string_view type, const json::object& body) {
  sink_.send_text(encode(options_.envelope, type, body));
}

void Connection::tell(std::string text) {
  spdlog::info("chatroom: client {} peer={}: {}", id_, peer_, text);
  hub_.message_client(id_, std::move(text));
}

void Connection::refuse(const json::value& topic, std::string reason) {
  if (original()) return tell("subscribe refused: " + reason);
  reject(topic, nullptr, std::move(reason));
}

void Connection::reject(const json::value& topic, const json::value& change, std::string reason) {
  spdlog::info("chatroom: client {} peer={}: {}", id_, peer_, reason);
  hub_.message_client(id_, reason);
  send_reject(
      json::object{{"topic_name", topic}, {"change", change}, {"reason", std::move(reason)}});
}

void Connection::send_reject(const json::object& content) {
  const json::value* topic = content.if_contains("topic_name");
  std::string_view id = id_of(content.at("change"));
  if (original() && topic && topic->is_string() && !id.empty()) {
    auto it = previews_.find(std::string_view(topic->get_string()));
    if (it != previews_.end()) {
      Preview& p = it->second;
      auto undone = std::find(p.undone.begin(), p.undone.end(), id);
      if (undone != p.undone.end()) {
        spdlog::info(
            "chatroom: client {} peer={}: rejection of change {} to '{}' not sent: the "
            "client has undone it already",
            id_, peer_, id, std::string_view(topic->get_string()));
        p.undone.erase(undone);
        return;
      }
      // The client undoes its whole preview when the rejection is of the oldest change in it;
      // of a later one, it does nothing.
      if (!p.pending.empty() && p.pending.front() == id) {
        p.pending.pop_front();
        undo_all(p);
      }
    }
  }
  send("reject_update", content);
}

void Connection::seen_update(const std::string& topic, const json::value& id) {
  auto it = previews_.find(topic);
  if (it == previews_.end()) return;
  Preview& p = it->second;
  if (!p.pending.empty() && id.is_string() && p.pending.front() == id.get_string())
    p.pending.pop_front();  // its oldest change confirmed
  else
    undo_all(p);  // someone else's change: it undoes every change it previews
}

void Connection::undo_all(Preview& p) {
  for (auto& id : p.pending) p.undone.push_back(std::move(id));
  p.pending.clear();
  while (p.undone.size() > kIdsKept) p.undone.pop_front();
}

}  // namespace parley::dialects::chatroom
