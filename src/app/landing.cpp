#include "app/landing.hpp"

#include <boost/json/array.hpp>

namespace parley::app {

namespace json = boost::json;

namespace {

// "HOST" in a snippet or an endpoint is replaced by the page with the host it was loaded from
// (the shared listener); a system's own listener is written out.
json::object system_entry(const char* name, const char* title, const SystemConfig& cfg,
                          json::array endpoints, const char* snippet, const char* doc) {
  return json::object{
      {"name", name},
      {"title", title},
      {"enabled", cfg.enabled},
      {"own_listener", cfg.listen ? json::value(cfg.listen->to_string()) : json::value(nullptr)},
      {"endpoints", std::move(endpoints)},
      {"snippet", snippet},
      {"doc", doc}};
}

json::object endpoint(const char* kind, const char* url) {
  return json::object{{"kind", kind}, {"url", url}};
}

}  // namespace

json::object landing_data(const Config& cfg) {
  json::array systems;
  systems.push_back(system_entry(
      "hub", "Hub (Phoenix Channels)", cfg.hub,
      {endpoint("WebSocket, Phoenix serializers v1 and v2", "ws://HOST/socket/websocket"),
       endpoint("web chat", "http://HOST/c/lobby")},
      R"(const socket = new Phoenix.Socket("ws://HOST/socket"); socket.connect(); socket.channel("room:lobby", {username: "ada"}).join().receive("ok", () => console.log("joined"));)",
      "docs/protocols/phoenix.md"));
  systems.push_back(system_entry(
      "concierge", "ERT Concierge", cfg.concierge,
      {endpoint("WebSocket, subprotocol ert-concierge", "ws://HOST/ws"),
       endpoint("file store", "http://HOST/fs/{client}/{file}")},
      R"(const ws = new WebSocket("ws://HOST/ws", "ert-concierge"); ws.onopen = () => ws.send(JSON.stringify({type: "IDENTIFY", name: "ada", version: "0.2.0"}));)",
      "docs/protocols/concierge.md"));
  systems.push_back(system_entry(
      "chatroom", "ChatRoom (synchronized topics)", cfg.chatroom,
      {endpoint("WebSocket", "ws://HOST/chatroom")},
      R"(const ws = new WebSocket("ws://HOST/chatroom"); ws.onopen = () => ws.send(JSON.stringify({type: "subscribe", args: {topic_name: "score", type: "int"}}));)",
      "docs/protocols/chatroom.md"));
  systems.push_back(system_entry(
      "chat_sse", "Chat Service + Chat Broadcast SSE", cfg.chat_sse,
      {endpoint("publish", "POST http://HOST/chat/publish/{channel}/{user}"),
       endpoint("receive (Server-Sent Events)", "http://HOST/chat/receive/{channel}")},
      R"(new EventSource("http://HOST/chat/receive/c3743620-cc30-11e6-9d9d-cec0c932ce01").onmessage = (e) => console.log(JSON.parse(e.data));)",
      "docs/protocols/chat_sse.md"));
  systems.push_back(system_entry(
      "heavenland", "Heavenland chat", cfg.heavenland,
      {endpoint("WebSocket, chat", "ws://HOST/chat"),
       endpoint("WebSocket, game servers", "ws://HOST/minigame"),
       endpoint("version", "http://HOST/api/version")},
      R"(const ws = new WebSocket("ws://HOST/chat"); ws.onopen = () => ws.send(JSON.stringify({action: "login", username: "ada", password: "secret"}));)",
      "docs/protocols/heavenland.md"));

  json::array pages;
  auto page = [&pages](const char* title, std::string href, const char* note) {
    pages.push_back(json::object{{"title", title}, {"href", std::move(href)}, {"note", note}});
  };
  if (cfg.hub.enabled) page("Hub web chat", "/c/lobby", "Phoenix Channels from the browser");
  if (cfg.chat_sse.enabled)
    page("Chat SSE demo", "/?c=c3743620-cc30-11e6-9d9d-cec0c932ce01",
         "the original demo page, publish and receive");
  if (cfg.chatroom.enabled)
    page("ChatRoom debugger", "http://" + cfg.chatroom.debug_listen.to_string() + "/",
         "on its own listener, with DEBUG=true or [chatroom] debug");
  if (!cfg.admin.token.empty())
    page("Admin", "/admin", "live figures, channels, sessions ([admin] token)");
  else if (cfg.admin.listen)
    page("Admin", "http://" + cfg.admin.listen->to_string() + "/admin",
         "on its own loopback listener");
  page("Metrics", "/metrics", "Prometheus text");
  return json::object{{"systems", std::move(systems)}, {"pages", std::move(pages)}};
}

}  // namespace parley::app
