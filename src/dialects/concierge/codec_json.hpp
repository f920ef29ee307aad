#pragma once
// Helpers shared by the two halves of the codec (codec_in.cpp, codec_out.cpp): parsing with
// the raw text of each top-level member kept, serde-like field readers, and the JSON forms of
// the info objects and targets.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dialects/concierge/payload.hpp"

namespace parley::dialects::concierge::detail {

// A parsed JSON object and the raw text of each of its top-level members' values.
struct ParsedObject {
  boost::json::object object;
  std::vector<std::pair<std::string, std::string_view>> raw;  // key -> value text, in order
  std::string_view raw_of(std::string_view key) const;        // empty when absent
};

// Parses text as one JSON object. On failure returns false and sets error (serde-like).
// Duplicate top-level keys are an error ("duplicate field `x`").
bool parse_object(std::string_view text, ParsedObject& out, std::string& error,
                  std::string_view expecting);

// Parses an internally tagged payload: one object (as parse_object) with a string "type".
bool parse_tagged(std::string_view text, ParsedObject& out, std::string& type, std::string& error,
                  std::string_view expecting);

// serde's wording for an unexpected value: "integer `5`", "string \"x\"", "map", "null"...
std::string unexpected(const boost::json::value& v);

// Field readers over one object. The first failure is kept in `error`; later calls are no-ops.
class Fields {
 public:
  explicit Fields(const boost::json::object& o) : o_(o) {}
  bool ok() const { return error.empty(); }

  void string(std::string_view key, std::string& out);
  void optional_string(std::string_view key, std::optional<std::string>& out);  // absent/null
  void string_list(std::string_view key, std::vector<std::string>& out, bool required);
  void u64(std::string_view key, std::uint64_t& out);
  void boolean(std::string_view key, bool& out);
  void uuid(std::string_view key, std::string& out);
  void uuid_list(std::string_view key, std::vector<std::string>& out);
  void client(std::string_view key, ClientInfo& out);
  void service(std::string_view key, ServiceInfo& out);
  void optional_service(std::string_view key, std::optional<ServiceInfo>& out);
  void services(std::string_view key, std::vector<ServiceInfo>& out);
  void clients(std::string_view key, std::vector<ClientInfo>& out);
  void target(std::string_view key, Target& out);
  // The fields of a client flattened into this object (an origin).
  void client_fields(ClientInfo& out);
  // A required member's JSON text as it was sent, verbatim (a MESSAGE's "data").
  void raw(const ParsedObject& parsed, std::string_view key, std::string& out);

  std::string error;

 private:
  // An array of objects under key, each read by read(Fields&, T&); `type` names T in errors.
  template <class T, class Read>
  void sequence(std::string_view key, std::vector<T>& out, std::string_view type, Read read);
  const boost::json::value* get(std::string_view key, bool required);
  void fail(std::string what);
  const boost::json::object& o_;
};

boost::json::object client_json(const ClientInfo& c);
boost::json::object service_json(const ServiceInfo& s);
boost::json::object origin_json(const Origin& o);
boost::json::object target_json(const Target& t);

// {"type":"<type>"[,"seq":n]} followed by members (each already serialized), as text.
std::string envelope(std::string_view type, std::optional<std::uint64_t> seq,
                     const boost::json::object& members);

}  // namespace parley::dialects::concierge::detail
