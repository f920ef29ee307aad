// Client payloads, both ways; and the small checks the codec exposes (uuids, versions, names).
#include <boost/json/serialize.hpp>
#include <cctype>
#include <charconv>

#include "core/overloaded.hpp"
#include "dialects/concierge/codec.hpp"
#include "dialects/concierge/codec_json.hpp"
#include "dialects/concierge/codec_table.hpp"

namespace parley::dialects::concierge {

namespace json = boost::json;
using detail::Fields;
using detail::ParsedObject;

namespace {

constexpr std::string_view kVariantsIn =
    "`IDENTIFY`, `MESSAGE`, `SELF_SUBSCRIBE`, `SELF_UNSUBSCRIBE`, `SELF_FETCH`, `SELF_SET_SEQ`, "
    "`SERVICE_CREATE`, `SERVICE_DELETE`, `SERVICE_FETCH`, `SERVICE_FETCH_ALL`, `CLIENT_FETCH`, "
    "`CLIENT_FETCH_ALL`";

json::value optional_json(const std::optional<std::string>& s) {
  return s ? json::value(*s) : json::value(nullptr);
}

// The fields of each client payload with fields, read in the order of the original's structs
// (so the first error reported is the same). Payloads with the same fields share a reader.
struct InFields {
  static void read(Fields& f, const ParsedObject&, in::Identify& p) {
    f.string("name", p.name);
    f.optional_string("nickname", p.nickname);
    f.string("version", p.version);
    f.optional_string("secret", p.secret);
    f.string_list("tags", p.tags, false);
  }
  template <class T>
  requires detail::one_of<T, in::SelfSubscribe, in::SelfUnsubscribe, in::ServiceDelete,
                          in::ServiceFetch>
  static void read(Fields& f, const ParsedObject&, T& p) { f.string("service", p.service); }
  static void read(Fields& f, const ParsedObject&, in::SelfSetSeq& p) { f.u64("seq", p.seq); }
  static void read(Fields& f, const ParsedObject&, in::ServiceCreate& p) {
    f.string("service", p.service);
    f.optional_string("nickname", p.nickname);
  }
  static void read(Fields& f, const ParsedObject&, in::ClientFetch& p) { f.uuid("uuid", p.uuid); }
  // "data" is kept as its raw text; "origin" is ignored.
  static void read(Fields& f, const ParsedObject& parsed, in::Message& p) {
    f.target("target", p.target);
    f.raw(parsed, "data", p.data);
  }
};

using Row = detail::Rows<PayloadIn, InFields>;

// Every client payload, in the order of PayloadIn.
constexpr detail::Kind<PayloadIn> kIn[] = {
    Row::of<in::Identify>("IDENTIFY"),
    Row::of<in::SelfSubscribe>("SELF_SUBSCRIBE"),
    Row::of<in::SelfUnsubscribe>("SELF_UNSUBSCRIBE"),
    Row::of<in::SelfFetch>("SELF_FETCH"),
    Row::of<in::SelfSetSeq>("SELF_SET_SEQ"),
    Row::of<in::ServiceCreate>("SERVICE_CREATE"),
    Row::of<in::ServiceDelete>("SERVICE_DELETE"),
    Row::of<in::ServiceFetch>("SERVICE_FETCH"),
    Row::of<in::ServiceFetchAll>("SERVICE_FETCH_ALL"),
    Row::of<in::ClientFetch>("CLIENT_FETCH"),
    Row::of<in::ClientFetchAll>("CLIENT_FETCH_ALL"),
    Row::of<in::Message>("MESSAGE"),
};
static_assert(detail::covers_in_order(kIn));

}  // namespace

std::string_view close_reason(std::uint16_t code) {
  switch (code) {
    case close_code::fatal_decode:
      return "Failed to critical payload";
    case close_code::no_auth:
      return "No identification payload sent";
    case close_code::auth_failed:
      return "Authorization failed";
    case close_code::duplicate_auth:
      return "Duplicate name in namespace";
    case close_code::bad_secret:
      return "Secret mismatch";
    case close_code::bad_version:
      return "Version mismatch";
    case close_code::bad_auth:
      return "Name must be alphanumeric";
    case close_code::hb_failed:
      return "Heartbeat failed";
    case close_code::try_again_later:
      return "Try again later";
    default:
      return "Unknown reason";
  }
}

std::optional<std::string> normalize_uuid(std::string_view text) {
  std::string hex;
  if (text.size() == 36) {
    for (std::size_t i = 0; i < text.size(); ++i) {
      bool dash_at = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash_at != (text[i] == '-')) return std::nullopt;
      if (!dash_at) hex += text[i];
    }
  } else if (text.size() == 32) {
    hex = std::string(text);
  } else {
    return std::nullopt;
  }
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < hex.size(); ++i) {
    auto c = static_cast<unsigned char>(hex[i]);
    if (!std::isxdigit(c)) return std::nullopt;
    if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

// Dot-separated identifiers of a pre-release or build part: non-empty, [0-9A-Za-z-].
static bool valid_identifiers(std::string_view ids) {
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = ids.find('.', start);
    std::string_view id = ids.substr(start, dot - start);
    if (id.empty()) return false;
    for (char c : id)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool version_supported(std::string_view v) {
  // MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], numbers without leading zeros (semver 2.0.0).
  std::size_t plus = v.find('+');
  if (plus != std::string_view::npos && !valid_identifiers(v.substr(plus + 1))) return false;
  std::string_view head = v.substr(0, plus);
  std::size_t dash = head.find('-');
  bool prerelease = dash != std::string_view::npos;
  if (prerelease && !valid_identifiers(head.substr(dash + 1))) return false;
  std::string_view core = head.substr(0, dash);
  std::uint64_t nums[3];
  std::size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    std::size_t dot = i < 2 ? core.find('.', start) : core.size();
    if (dot == std::string_view::npos) return false;
    std::string_view n = core.substr(start, dot - start);
    if (n.empty() || (n.size() > 1 && n[0] == '0')) return false;
    auto [ptr, ec] = std::from_chars(n.data(), n.data() + n.size(), nums[i]);
    if (ec != std::errc{} || ptr != n.data() + n.size()) return false;
    start = dot + 1;
  }
  // ^0.2.0: >= 0.2.0 and < 0.3.0; a pre-release never matches a requirement without one.
  return nums[0] == 0 && nums[1] == 2 && !prerelease;
}

bool valid_client_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

std::string_view type_name(const PayloadIn& p) { return kIn[p.index()].type; }

std::variant<PayloadIn, DecodeError> decode_in(std::string_view text) {
  detail::ParsedObject parsed;
  std::string type, error;
  if (!detail::parse_tagged(text, parsed, type, error, "internally tagged enum PayloadIn"))
    return DecodeError{std::move(error)};
  Fields f(parsed.object);

  const auto* row = detail::find_kind(kIn, type);
  if (!row)
    return DecodeError{"unknown variant `" + type + "`, expected one of " +
                       std::string(kVariantsIn)};
  PayloadIn out;
  row->read(f, parsed, out);
  if (!f.ok()) return DecodeError{f.error};
  return out;
}

std::string encode(const PayloadIn& payload) {
  using detail::envelope;
  std::string_view type = type_name(payload);
  return std::visit(
      core::overloaded{
          [&](const in::Identify& p) {
            json::array tags;
            for (const auto& t : p.tags) tags.emplace_back(t);
            return envelope(type, std::nullopt,
                            {{"name", p.name},
                             {"nickname", optional_json(p.nickname)},
                             {"version", p.version},
                             {"secret", optional_json(p.secret)},
                             {"tags", std::move(tags)}});
          },
          [&](const in::SelfSubscribe& p) {
            return envelope(type, std::nullopt, {{"service", p.service}});
          },
          [&](const in::SelfUnsubscribe& p) {
            return envelope(type, std::nullopt, {{"service", p.service}});
          },
          [&](const in::SelfSetSeq& p) {
            return envelope(type, std::nullopt, {{"seq", p.seq}});
          },
          [&](const in::ServiceCreate& p) {
            return envelope(type, std::nullopt,
                            {{"service", p.service}, {"nickname", optional_json(p.nickname)}});
          },
          [&](const in::ServiceDelete& p) {
            return envelope(type, std::nullopt, {{"service", p.service}});
          },
          [&](const in::ServiceFetch& p) {
            return envelope(type, std::nullopt, {{"service", p.service}});
          },
          [&](const in::ClientFetch& p) {
            return envelope(type, std::nullopt, {{"uuid", p.uuid}});
          },
          [&](const in::Message& p) {
            return "{\"type\":\"MESSAGE\",\"target\":" +
                   json::serialize(detail::target_json(p.target)) +
                   ",\"data\":" + (p.data.empty() ? std::string("null") : p.data) + "}";
          },
          [&](const auto&) { return envelope(type, std::nullopt, {}); },
      },
      payload);
}

}  // namespace parley::dialects::concierge
