#include "dialects/chatroom/message.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace parley::dialects::chatroom {

namespace json = boost::json;

std::variant<Inbound, std::string> decode(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return std::string("not JSON: ") + ec.message();
  json::object* o = v.if_object();
  if (!o) return std::string("a message must be a JSON object");
  json::value* type = o->if_contains("type");
  if (!type || !type->is_string() || type->get_string().empty())
    return std::string("a message needs a string \"type\"");
  Inbound in;
  in.type = type->get_string();
  for (std::string_view key : {"args", "content"}) {
    json::value* body = o->if_contains(key);
    if (!body) continue;
    if (!body->is_object()) {
      std::string reason = "\"";
      reason.append(key).append("\" must be an object");
      return reason;
    }
    in.body = std::move(body->get_object());
    break;
  }
  return in;
}

std::string encode(Envelope envelope, std::string_view type, const json::object& body) {
  json::object o;
  o["type"] = type;
  o[envelope == Envelope::args ? "args" : "content"] = body;
  return json::serialize(o);
}

bool parse_envelope(std::string_view text, Envelope& out) {
  if (text != "args" && text != "content") return false;
  out = text == "args" ? Envelope::args : Envelope::content;
  return true;
}

bool parse_protocol(std::string_view text, Protocol& out) {
  if (text != "original" && text != "extended") return false;
  out = text == "original" ? Protocol::original : Protocol::extended;
  return true;
}

}  // namespace parley::dialects::chatroom
