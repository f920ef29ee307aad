#include "dialects/concierge/codec_json.hpp"

#include <unordered_set>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "dialects/concierge/codec.hpp"

namespace parley::dialects::concierge::detail {

namespace json = boost::json;

namespace {

constexpr unsigned kMaxDepth = 128;  // serde_json's recursion limit

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

void skip_space(std::string_view s, std::size_t& i) {
  while (i < s.size() && is_space(s[i])) ++i;
}

// s[i] is '"': moves i past the closing quote. s is valid JSON.
void skip_string(std::string_view s, std::size_t& i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\')
      ++i;
    else if (s[i] == '"') {
      ++i;
      return;
    }
  }
}

// Moves i past one value. s is valid JSON.
void skip_value(std::string_view s, std::size_t& i) {
  if (i >= s.size()) return;
  if (s[i] == '"') return skip_string(s, i);
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    while (i < s.size()) {
      char c = s[i];
      if (c == '"') {
        skip_string(s, i);
        continue;
      }
      if (c == '{' || c == '[') ++depth;
      if (c == '}' || c == ']') {
        if (--depth == 0) {
          ++i;
          return;
        }
      }
      ++i;
    }
    return;
  }
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && !is_space(s[i])) ++i;
}

// The raw members of the top-level object of s (valid JSON whose root is an object).
std::vector<std::pair<std::string, std::string_view>> raw_members(std::string_view s) {
  std::vector<std::pair<std::string, std::string_view>> out;
  std::size_t i = 0;
  skip_space(s, i);
  if (i >= s.size() || s[i] != '{') return out;
  ++i;
  for (;;) {
    skip_space(s, i);
    if (i >= s.size() || s[i] == '}') break;
    if (s[i] == ',') {
      ++i;
      continue;
    }
    std::size_t key_start = i;
    skip_string(s, i);
    std::string_view key_raw = s.substr(key_start, i - key_start);
    std::string key;
    if (key_raw.find('\\') == std::string_view::npos) {
      key = std::string(key_raw.substr(1, key_raw.size() - 2));
    } else {
      boost::system::error_code ec;
      json::value k = json::parse(key_raw, ec);
      if (!ec && k.is_string()) key = std::string(k.get_string());
    }
    skip_space(s, i);
    if (i < s.size() && s[i] == ':') ++i;
    skip_space(s, i);
    std::size_t value_start = i;
    skip_value(s, i);
    out.emplace_back(std::move(key), s.substr(value_start, i - value_start));
  }
  return out;
}

std::string quoted(std::string_view key) {
  std::string out;
  out.reserve(key.size() + 2);
  out += '`';
  out += key;
  out += '`';
  return out;
}

}  // namespace

std::string_view ParsedObject::raw_of(std::string_view key) const {
  for (const auto& [k, v] : raw)
    if (k == key) return v;
  return {};
}

bool parse_object(std::string_view text, ParsedObject& out, std::string& error,
                  std::string_view expecting) {
  boost::system::error_code ec;
  json::parse_options options;
  options.max_depth = kMaxDepth;
  json::value v = json::parse(text, ec, {}, options);
  if (ec) {
    error = ec.message();
    return false;
  }
  if (!v.is_object()) {
    error = "invalid type: " + unexpected(v) + ", expected " + std::string(expecting);
    return false;
  }
  out.object = std::move(v.get_object());
  out.raw = raw_members(text);
  // A set, not a pairwise scan: a 64 KiB frame can hold thousands of keys.
  std::unordered_set<std::string_view> seen;
  seen.reserve(out.raw.size());
  for (const auto& [key, value] : out.raw) {
    if (!seen.insert(key).second) {
      error = "duplicate field " + quoted(key);
      return false;
    }
  }
  return true;
}

std::string unexpected(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return v.get_bool() ? "boolean `true`" : "boolean `false`";
    case json::kind::int64:
      return "integer `" + std::to_string(v.get_int64()) + "`";
    case json::kind::uint64:
      return "integer `" + std::to_string(v.get_uint64()) + "`";
    case json::kind::double_:
      return "floating point `" + json::serialize(v) + "`";
    case json::kind::string:
      return "string " + json::serialize(v);
    case json::kind::array:
      return "sequence";
    case json::kind::object:
      return "map";
  }
  return "value";
}

// ---- Fields ----------------------------------------------------------------------------------

void Fields::fail(std::string what) {
  if (error.empty()) error = std::move(what);
}

void Fields::raw(const ParsedObject& parsed, std::string_view key, std::string& out) {
  if (!ok()) return;
  std::string_view text = parsed.raw_of(key);
  if (text.empty()) return fail("missing field " + quoted(key));
  out = std::string(text);
}

const json::value* Fields::get(std::string_view key, bool required) {
  if (!ok()) return nullptr;
  const json::value* v = o_.if_contains(key);
  if (!v && required) fail("missing field " + quoted(key));
  return v;
}

void Fields::string(std::string_view key, std::string& out) {
  const json::value* v = get(key, true);
  if (!v) return;
  if (!v->is_string()) return fail("invalid type: " + unexpected(*v) + ", expected a string");
  out = std::string(v->get_string());
}

void Fields::optional_string(std::string_view key, std::optional<std::string>& out) {
  const json::value* v = get(key, false);
  out.reset();
  if (!v || v->is_null()) return;
  if (!v->is_string()) return fail("invalid type: " + unexpected(*v) + ", expected a string");
  out = std::string(v->get_string());
}

void Fields::string_list(std::string_view key, std::vector<std::string>& out, bool required) {
  const json::value* v = get(key, required);
  out.clear();
  if (!v) return;
  if (!v->is_array()) return fail("invalid type: " + unexpected(*v) + ", expected a sequence");
  for (const auto& e : v->get_array()) {
    if (!e.is_string()) return fail("invalid type: " + unexpected(e) + ", expected a string");
    out.emplace_back(e.get_string());
  }
}

void Fields::u64(std::string_view key, std::uint64_t& out) {
  const json::value* v = get(key, true);
  if (!v) return;
  if (v->is_uint64()) {
    out = v->get_uint64();
  } else if (v->is_int64()) {
    if (v->get_int64() < 0) return fail("invalid value: " + unexpected(*v) + ", expected usize");
    out = static_cast<std::uint64_t>(v->get_int64());
  } else {
    fail("invalid type: " + unexpected(*v) + ", expected usize");
  }
}

void Fields::boolean(std::string_view key, bool& out) {
  const json::value* v = get(key, true);
  if (!v) return;
  if (!v->is_bool()) return fail("invalid type: " + unexpected(*v) + ", expected a boolean");
  out = v->get_bool();
}

void Fields::uuid(std::string_view key, std::string& out) {
  const json::value* v = get(key, true);
  if (!v) return;
  if (!v->is_string()) return fail("invalid type: " + unexpected(*v) + ", expected a UUID");
  auto u = normalize_uuid(v->get_string());
  if (!u) return fail("invalid value: " + unexpected(*v) + ", expected a UUID");
  out = std::move(*u);
}

void Fields::uuid_list(std::string_view key, std::vector<std::string>& out) {
  std::vector<std::string> raw;
  string_list(key, raw, false);
  out.clear();
  for (auto& r : raw) {
    auto u = normalize_uuid(r);
    if (!u) return fail("invalid value: string \"" + r + "\", expected a UUID");
    out.push_back(std::move(*u));
  }
}

void Fields::client_fields(ClientInfo& out) {
  string("name", out.name);
  optional_string("nickname", out.nickname);
  uuid("uuid", out.uuid);
  string_list("tags", out.tags, false);
}

void Fields::client(std::string_view key, ClientInfo& out) {
  const json::value* v = get(key, true);
  if (!v) return;
  if (!v->is_object())
    return fail("invalid type: " + unexpected(*v) + ", expected struct ClientInfo");
  Fields inner(v->get_object());
  inner.client_fields(out);
  if (!inner.ok()) fail(inner.error);
}

namespace {
void service_fields(Fields& f, ServiceInfo& out) {
  f.string("name", out.name);
  f.optional_string("nickname", out.nickname);
  f.uuid("owner_uuid", out.owner_uuid);
  f.uuid_list("subscribers", out.subscribers);
}
}  // namespace

void Fields::service(std::string_view key, ServiceInfo& out) {
  const json::value* v = get(key, true);
  if (!v) return;
  if (!v->is_object())
    return fail("invalid type: " + unexpected(*v) + ", expected struct ServiceInfo");
  Fields inner(v->get_object());
  service_fields(inner, out);
  if (!inner.ok()) fail(inner.error);
}

void Fields::optional_service(std::string_view key, std::optional<ServiceInfo>& out) {
  const json::value* v = get(key, false);
  out.reset();
  if (!v || v->is_null()) return;
  out.emplace();
  service(key, *out);
}

template <class T, class Read>
void Fields::sequence(std::string_view key, std::vector<T>& out, std::string_view type, Read read) {
  const json::value* v = get(key, true);
  out.clear();
  if (!v) return;
  if (!v->is_array()) return fail("invalid type: " + unexpected(*v) + ", expected a sequence");
  for (const auto& e : v->get_array()) {
    if (!e.is_object())
      return fail("invalid type: " + unexpected(e) + ", expected struct " + std::string(type));
    Fields inner(e.get_object());
    read(inner, out.emplace_back());
    if (!inner.ok()) return fail(inner.error);
  }
}

void Fields::services(std::string_view key, std::vector<ServiceInfo>& out) {
  sequence(key, out, "ServiceInfo", [](Fields& f, ServiceInfo& s) { service_fields(f, s); });
}

void Fields::clients(std::string_view key, std::vector<ClientInfo>& out) {
  sequence(key, out, "ClientInfo", [](Fields& f, ClientInfo& c) { f.client_fields(c); });
}

bool parse_tagged(std::string_view text, ParsedObject& out, std::string& type, std::string& error,
                  std::string_view expecting) {
  if (!parse_object(text, out, error, expecting)) return false;
  Fields f(out.object);
  f.string("type", type);
  error = std::move(f.error);
  return error.empty();
}

void Fields::target(std::string_view key, Target& out) {
  const json::value* v = get(key, true);
  if (!v) return;
  if (!v->is_object())
    return fail("invalid type: " + unexpected(*v) + ", expected internally tagged enum Target");
  Fields inner(v->get_object());
  std::string type;
  inner.string("type", type);
  if (!inner.ok()) return fail(inner.error);
  out = Target{};
  if (type == "NAME") {
    out.type = Target::Type::name;
    inner.string("name", out.name);
  } else if (type == "UUID") {
    out.type = Target::Type::uuid;
    inner.uuid("uuid", out.uuid);
  } else if (type == "SERVICE") {
    out.type = Target::Type::service;
    inner.string("service", out.service);
  } else if (type == "SERVICE_CLIENT_UUID") {
    out.type = Target::Type::service_client_uuid;
    inner.string("service", out.service);
    inner.uuid("uuid", out.uuid);
  } else if (type == "ALL") {
    out.type = Target::Type::all;
  } else {
    return fail("unknown variant `" + type +
                "`, expected one of `NAME`, `UUID`, `SERVICE`, `SERVICE_CLIENT_UUID`, `ALL`");
  }
  if (!inner.ok()) fail(inner.error);
}

// ---- JSON forms ------------------------------------------------------------------------------

namespace {
json::value optional_json(const std::optional<std::string>& s) {
  return s ? json::value(*s) : json::value(nullptr);
}
json::array string_array(const std::vector<std::string>& v) {
  json::array a;
  a.reserve(v.size());
  for (const auto& s : v) a.emplace_back(s);
  return a;
}
}  // namespace

json::object client_json(const ClientInfo& c) {
  return json::object{{"name", c.name},
                      {"nickname", optional_json(c.nickname)},
                      {"uuid", c.uuid},
                      {"tags", string_array(c.tags)}};
}

json::object service_json(const ServiceInfo& s) {
  return json::object{{"name", s.name},
                      {"nickname", optional_json(s.nickname)},
                      {"owner_uuid", s.owner_uuid},
                      {"subscribers", string_array(s.subscribers)}};
}

json::object origin_json(const Origin& o) {
  json::object out = client_json(o.client);
  out["service"] = o.service ? json::value(service_json(*o.service)) : json::value(nullptr);
  return out;
}

json::object target_json(const Target& t) {
  switch (t.type) {
    case Target::Type::name:
      return json::object{{"type", "NAME"}, {"name", t.name}};
    case Target::Type::uuid:
      return json::object{{"type", "UUID"}, {"uuid", t.uuid}};
    case Target::Type::service:
      return json::object{{"type", "SERVICE"}, {"service", t.service}};
    case Target::Type::service_client_uuid:
      return json::object{
          {"type", "SERVICE_CLIENT_UUID"}, {"service", t.service}, {"uuid", t.uuid}};
    case Target::Type::all:
      break;
  }
  return json::object{{"type", "ALL"}};
}

std::string envelope(std::string_view type, std::optional<std::uint64_t> seq,
                     const json::object& members) {
  json::object o;
  o.reserve(members.size() + 2);
  o["type"] = type;
  if (seq) o["seq"] = *seq;
  for (const auto& m : members) o[m.key()] = m.value();
  return json::serialize(o);
}

}  // namespace parley::dialects::concierge::detail
