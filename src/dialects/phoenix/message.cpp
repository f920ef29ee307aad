#include "dialects/phoenix/message.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace parley::dialects::phoenix {

namespace json = boost::json;

namespace {

bool valid_ref(const json::value& v) { return v.is_null() || v.is_string() || v.is_number(); }

DecodeResult decode_v1(json::value& doc) {
  if (!doc.is_object()) return DecodeError{"message must be a JSON object", false};
  auto& obj = doc.get_object();
  DecodeError err{"", true};
  if (auto* t = obj.if_contains("topic"); t && t->is_string()) err.topic = t->get_string();
  if (auto* r = obj.if_contains("ref"); r && valid_ref(*r)) err.ref = *r;
  if (auto* j = obj.if_contains("join_ref"); j && valid_ref(*j)) err.join_ref = *j;
  auto* topic = obj.if_contains("topic");
  auto* event = obj.if_contains("event");
  auto* payload = obj.if_contains("payload");
  auto* ref = obj.if_contains("ref");
  if (!topic || !event || !payload || !ref) {
    err.reason = "missing key: message needs topic, event, payload and ref";
    err.recoverable = topic && topic->is_string();
    return err;
  }
  if (!topic->is_string()) return DecodeError{"topic must be a string", false};
  if (!event->is_string()) return err.reason = "event must be a string", err;
  if (!valid_ref(*ref)) return err.reason = "ref must be a string or null", err;
  Message m;
  m.topic = topic->get_string();
  m.event = event->get_string();
  m.ref = std::move(*ref);
  m.payload = std::move(*payload);
  if (auto* j = obj.if_contains("join_ref")) {
    if (!valid_ref(*j)) return err.reason = "join_ref must be a string or null", err;
    m.join_ref = std::move(*j);
  }
  return m;
}

DecodeResult decode_v2(json::value& doc) {
  if (!doc.is_array()) return DecodeError{"message must be a JSON array", false};
  auto& arr = doc.get_array();
  DecodeError err{"", true};
  if (arr.size() >= 3 && arr[2].is_string()) err.topic = arr[2].get_string();
  if (arr.size() >= 2 && valid_ref(arr[1])) err.ref = arr[1];
  if (arr.size() >= 1 && valid_ref(arr[0])) err.join_ref = arr[0];
  if (err.topic.empty() && !(arr.size() >= 3 && arr[2].is_string()))
    return DecodeError{"message must be [join_ref, ref, topic, event, payload]", false};
  if (arr.size() != 5)
    return err.reason = "message must be [join_ref, ref, topic, event, payload]", err;
  if (!valid_ref(arr[0])) return err.reason = "join_ref must be a string or null", err;
  if (!valid_ref(arr[1])) return err.reason = "ref must be a string or null", err;
  if (!arr[3].is_string()) return err.reason = "event must be a string", err;
  Message m;
  m.join_ref = std::move(arr[0]);
  m.ref = std::move(arr[1]);
  m.topic = arr[2].get_string();
  m.event = arr[3].get_string();
  m.payload = std::move(arr[4]);
  return m;
}

}  // namespace

DecodeResult decode(std::string_view text, Vsn vsn) {
  std::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec) return DecodeError{"malformed JSON", false};
  return vsn == Vsn::v1 ? decode_v1(doc) : decode_v2(doc);
}

std::string encode(Vsn vsn, const json::value& join_ref, const json::value& ref,
                   std::string_view topic, std::string_view event, const json::value& payload) {
  std::string out;
  std::string body = json::serialize(payload);
  out.reserve(body.size() + topic.size() + event.size() + 64);
  if (vsn == Vsn::v2) {
    out += '[';
    out += json::serialize(join_ref);
    out += ',';
    out += json::serialize(ref);
    out += ',';
    out += json::serialize(json::string_view(topic.data(), topic.size()));
    out += ',';
    out += json::serialize(json::string_view(event.data(), event.size()));
    out += ',';
    out += body;
    out += ']';
  } else {
    out += "{\"topic\":";
    out += json::serialize(json::string_view(topic.data(), topic.size()));
    out += ",\"event\":";
    out += json::serialize(json::string_view(event.data(), event.size()));
    out += ",\"payload\":";
    out += body;
    out += ",\"ref\":";
    out += json::serialize(ref);
    out += '}';
  }
  return out;
}

bool parse_vsn(std::string_view vsn, Vsn& out) {
  if (vsn.empty() || vsn.starts_with("1.")) return out = Vsn::v1, true;
  if (vsn.starts_with("2.")) return out = Vsn::v2, true;
  return false;
}

}  // namespace parley::dialects::phoenix
