// The configuration loader. Each section is a table of keys, and each key says how to read its TOML
// value into the Config: adding a key is one line in config_fields() (and a field in
// config.hpp). A key the tables do not list is an error, so a typo never passes silently.
//
// Errors: every check throws ConfigError("<key>: <what is wrong>"); the loader prefixes the
// source ("parley.toml: hub.listen: ...") and converts toml++ syntax errors into
// "<source>:<line>:<col>: <description>". Nothing else is thrown.
#include "app/config.hpp"

#include <arpa/inet.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <type_traits>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "dialects/mqtt/topic.hpp"

namespace parley::app {
namespace {

using std::chrono::milliseconds;

[[noreturn]] void fail(const std::string& key, const std::string& what) {
  throw ConfigError(key + ": " + what);
}

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

// How an offending value is shown after "got": strings quoted, numbers as written, the rest by
// kind.
std::string describe(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return quote(node.as_string()->get());
    case toml::node_type::integer:
      return std::to_string(node.as_integer()->get());
    case toml::node_type::floating_point: {
      std::ostringstream out;
      out << node.as_floating_point()->get();
      return out.str();
    }
    case toml::node_type::boolean:
      return node.as_boolean()->get() ? "true" : "false";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

std::string join(const std::string& prefix, std::string_view name) {
  return prefix.empty() ? std::string(name) : prefix + "." + std::string(name);
}

// ---- Scalar syntaxes --------------------------------------------------------------------------

// The whole of `text` as decimal digits (no sign, no spaces); nullopt otherwise or on overflow.
std::optional<std::uint64_t> digits(std::string_view text) {
  std::uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

// "123unit" or "123 unit" -> {123, "unit"}; nullopt without a leading number.
std::optional<std::pair<std::uint64_t, std::string>> number_and_unit(std::string_view text) {
  std::size_t split = 0;
  while (split < text.size() && std::isdigit(static_cast<unsigned char>(text[split]))) ++split;
  auto number = digits(text.substr(0, split));
  if (!number) return std::nullopt;
  std::string_view unit = text.substr(split);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  return std::pair{*number, std::string(unit)};
}

std::optional<std::uint64_t> scaled(std::uint64_t number, std::uint64_t unit, std::uint64_t max) {
  if (number > max / unit) return std::nullopt;
  return number * unit;
}

std::optional<milliseconds> duration_of(std::string_view text) {
  static const std::pair<std::string_view, std::uint64_t> kUnits[] = {
      {"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  auto parsed = number_and_unit(text);
  if (!parsed || (text.find(' ') != std::string_view::npos)) return std::nullopt;
  for (auto [unit, ms] : kUnits) {
    if (parsed->second != unit) continue;
    auto max = static_cast<std::uint64_t>(std::numeric_limits<milliseconds::rep>::max());
    auto value = scaled(parsed->first, ms, max);
    if (!value) return std::nullopt;
    return milliseconds(static_cast<milliseconds::rep>(*value));
  }
  return std::nullopt;
}

std::optional<std::size_t> size_of(std::string_view text) {
  static const std::pair<std::string_view, std::uint64_t> kUnits[] = {{"", 1},
                                                                      {"b", 1},
                                                                      {"kb", 1000},
                                                                      {"mb", 1000'000},
                                                                      {"gb", 1000'000'000},
                                                                      {"tb", 1000'000'000'000},
                                                                      {"kib", 1ULL << 10},
                                                                      {"mib", 1ULL << 20},
                                                                      {"gib", 1ULL << 30},
                                                                      {"tib", 1ULL << 40}};
  auto parsed = number_and_unit(text);
  if (!parsed) return std::nullopt;
  for (char& c : parsed->second) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto [unit, bytes] : kUnits) {
    if (parsed->second == unit) {
      return scaled(parsed->first, bytes, std::numeric_limits<std::size_t>::max());
    }
  }
  return std::nullopt;
}

bool is_ipv4(const std::string& host) {
  in_addr addr{};
  return inet_pton(AF_INET, host.c_str(), &addr) == 1;
}

// An IPv6 address, with an optional "%zone" (a scope id such as an interface name).
bool is_ipv6(const std::string& host) {
  std::string address = host.substr(0, host.find('%'));
  if (address.size() != host.size() && address.size() + 1 == host.size()) return false;
  in6_addr addr{};
  return inet_pton(AF_INET6, address.c_str(), &addr) == 1;
}

// A DNS name ("localhost", "chat.example.org"): dot-separated labels of letters, digits, '-', '_'.
bool is_hostname(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  bool all_numeric = true;  // "1.2.3" is a broken IPv4 address, not a name
  std::size_t label = 0;
  for (std::size_t i = 0; i <= host.size(); ++i) {
    if (i == host.size() || host[i] == '.') {
      if (label == 0 || label > 63 || host[i - 1] == '-' || host[i - label] == '-') return false;
      label = 0;
      continue;
    }
    auto c = static_cast<unsigned char>(host[i]);
    if (!std::isalnum(c) && c != '-' && c != '_') return false;
    if (!std::isdigit(c)) all_numeric = false;
    ++label;
  }
  return !all_numeric;
}

// ---- Readers: one TOML value to one typed value, or ConfigError naming the key ----------------

bool read_bool(const toml::node& node, const std::string& key) {
  if (auto* value = node.as_boolean()) return value->get();
  fail(key, "expected true or false, got " + describe(node));
}

std::string read_string(const toml::node& node, const std::string& key) {
  if (auto* value = node.as_string()) return value->get();
  fail(key, "expected a string, got " + describe(node));
}

std::filesystem::path read_nonempty_path(const toml::node& node, const std::string& key) {
  std::string path = read_string(node, key);
  if (path.empty()) fail(key, "expected a path, got \"\"");
  return path;
}

Endpoint read_endpoint(const toml::node& node, const std::string& key) {
  if (auto* value = node.as_string()) return parse_endpoint(value->get(), key);
  fail(key, "expected \"ADDR:PORT\", got " + describe(node));
}

// An integer >= 0 (0 usually meaning "no limit").
std::uint64_t read_count(const toml::node& node, const std::string& key) {
  auto* value = node.as_integer();
  if (!value || value->get() < 0) fail(key, "expected an integer >= 0, got " + describe(node));
  return static_cast<std::uint64_t>(value->get());
}

std::size_t read_positive(const toml::node& node, const std::string& key) {
  auto* value = node.as_integer();
  if (!value) fail(key, "expected a positive integer, got " + describe(node));
  if (value->get() <= 0) fail(key, "expected a positive integer");
  return static_cast<std::size_t>(value->get());
}

// A positive size in bytes: an integer, or a string with a unit ("64KiB").
std::size_t read_size(const toml::node& node, const std::string& key) {
  if (node.is_integer()) return read_positive(node, key);
  auto* value = node.as_string();
  if (!value)
    fail(key, "expected a positive integer or a size such as \"64KiB\", got " + describe(node));
  std::size_t size = parse_size(value->get(), key);
  if (size == 0) fail(key, "expected a positive size, got " + describe(node));
  return size;
}

// A duration >= 0: a string with a unit ("45s", "500ms") or an integer of seconds.
milliseconds read_duration(const toml::node& node, const std::string& key) {
  if (auto* value = node.as_string()) return parse_duration(value->get(), key);
  if (auto* value = node.as_integer(); value && value->get() >= 0) {
    if (auto ms = duration_of(std::to_string(value->get()))) return *ms;
  }
  fail(key, "expected a duration such as \"45s\", \"500ms\", \"2m\", \"1h\" or \"7d\", got " +
                describe(node));
}

milliseconds read_positive_duration(const toml::node& node, const std::string& key) {
  milliseconds value = read_duration(node, key);
  if (value.count() == 0) fail(key, "expected a duration above 0, got " + describe(node));
  return value;
}

// Retention ages are kept in whole seconds.
std::chrono::seconds read_age(const toml::node& node, const std::string& key) {
  milliseconds value = read_duration(node, key);
  if (value.count() % 1000 != 0) {
    fail(key, "expected a duration in whole seconds, got " + describe(node));
  }
  return std::chrono::duration_cast<std::chrono::seconds>(value);
}

// An endpoint, or "" for none.
std::optional<Endpoint> read_optional_endpoint(const toml::node& node, const std::string& key) {
  if (auto* value = node.as_string(); value && value->get().empty()) return std::nullopt;
  return read_endpoint(node, key);
}

// An integer from 1 to max.
auto read_between(std::int64_t max) {
  return [max](const toml::node& node, const std::string& key) -> std::size_t {
    auto* value = node.as_integer();
    if (!value || value->get() < 1 || value->get() > max)
      fail(key, "expected an integer from 1 to " + std::to_string(max) + ", got " + describe(node));
    return static_cast<std::size_t>(value->get());
  };
}

// An array of MQTT topic filters.
std::vector<std::string> read_topic_filters(const toml::node& node, const std::string& key) {
  auto* array = node.as_array();
  if (!array) fail(key, "expected an array of topic filters, got " + describe(node));
  std::vector<std::string> out;
  for (const toml::node& item : *array) {
    auto* value = item.as_string();
    if (!value) fail(key, "expected an array of topic filters, got " + describe(item) + " in it");
    if (!dialects::mqtt::valid_topic_filter(value->get()))
      fail(key, "not a valid MQTT topic filter: " + quote(value->get()));
    out.push_back(value->get());
  }
  return out;
}

// An endpoint on a loopback address only (the admin listener).
Endpoint read_loopback_endpoint(const toml::node& node, const std::string& key) {
  Endpoint at = read_endpoint(node, key);
  const std::string& a = at.address;
  bool loopback = a == "localhost" || a == "::1" || (is_ipv4(a) && a.starts_with("127."));
  if (!loopback)
    fail(key, "expected a loopback address (127.0.0.1, [::1] or localhost), got " +
                  quote(at.to_string()) + ": the admin page is open on it without a token");
  return at;
}

// The admin token: empty (none), or long enough not to be guessed.
std::string read_token(const toml::node& node, const std::string& key) {
  std::string token = read_string(node, key);
  if (!token.empty() && token.size() < 16)
    fail(key, "expected at least 16 characters, got " + std::to_string(token.size()));
  for (char c : token)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      fail(key, "expected no spaces or control characters");
  return token;
}

// As many as --threads accepts; 0: one per core.
unsigned read_threads(const toml::node& node, const std::string& key) {
  constexpr std::int64_t kMax = 1024;
  auto* value = node.as_integer();
  if (!value || value->get() < 0 || value->get() > kMax) {
    fail(key, "expected an integer from 0 to " + std::to_string(kMax) + ", got " + describe(node));
  }
  return static_cast<unsigned>(value->get());
}

// A reader accepting one of the given names.
template <class T>
auto one_of(std::vector<std::pair<std::string, T>> choices) {
  return [choices = std::move(choices)](const toml::node& node, const std::string& key) -> T {
    if (auto* value = node.as_string()) {
      for (const auto& [name, result] : choices) {
        if (value->get() == name) return result;
      }
    }
    std::string names;
    for (const auto& choice : choices) names += (names.empty() ? "" : ", ") + quote(choice.first);
    fail(key, "expected one of " + names + "; got " + describe(node));
  };
}

// ---- Sections ----------------------------------------------------------------------------------

// ---- Values as text (config_values) ---------------------------------------------------------

std::string show(bool v) { return v ? "true" : "false"; }
std::string show(const std::string& v) { return quote(v); }
std::string show(const std::filesystem::path& v) { return quote(v.string()); }
std::string show(const Endpoint& v) { return quote(v.to_string()); }
std::string show(const std::optional<Endpoint>& v) { return v ? show(*v) : "unset"; }
std::string show(milliseconds v) { return std::to_string(v.count()) + "ms"; }
std::string show(std::chrono::seconds v) { return std::to_string(v.count()) + "s"; }
std::string show(const std::vector<std::string>& v) {
  std::string text = "[";
  for (const auto& item : v) text += (text.size() > 1 ? ", " : "") + quote(item);
  return text + "]";
}
std::string show(LogFormat v) { return v == LogFormat::json ? "\"json\"" : "\"text\""; }
std::string show(SlowConsumerPolicy v) {
  return v == SlowConsumerPolicy::drop ? "\"drop\"" : "\"disconnect\"";
}
template <class T>
requires std::is_integral_v<T> std::string show(T v) { return std::to_string(v); }

using Values = std::map<std::string, std::string>;

// ---- Sections ----------------------------------------------------------------------------------

// One key of a section whose values land in an S: its name, how to store a TOML value, and how
// to show the stored value (config_values).
template <class S>
struct Field {
  std::string_view name;
  std::function<void(const toml::node& node, const std::string& key, S& target)> set;
  std::function<void(const S& source, const std::string& key, Values& out)> get;
};

template <class S>
using Fields = std::vector<Field<S>>;

// A key stored as-is in `member` of S (a pointer to member, possibly of a base of S).
template <class S, class Member, class Read>
Field<S> field(std::string_view name, Member member, Read read) {
  return {name,
          [member, read](const toml::node& node, const std::string& path, S& target) {
            target.*member = read(node, path);
          },
          [member](const S& source, const std::string& key, Values& out) {
            out[key] = show(source.*member);
          }};
}

const toml::table& expect_table(const toml::node& node, const std::string& key) {
  if (auto* table = node.as_table()) return *table;
  fail(key, "expected a table, got " + describe(node));
}

// Stores every key of `table` into target. Unknown keys are rejected first; then the fields are
// applied in their declaration order, so a field may depend on one declared before it.
template <class S>
void apply(const toml::table& table, const std::string& prefix, const Fields<S>& fields,
           S& target) {
  for (auto&& [name, node] : table) {
    bool known = false;
    for (const auto& field : fields) known = known || field.name == name.str();
    if (known) continue;
    bool section = prefix.empty() && node.is_table();
    fail(join(prefix, name.str()), section ? "unknown section" : "unknown key");
  }
  for (const auto& field : fields) {
    if (const toml::node* node = table.get(field.name)) {
      field.set(*node, join(prefix, field.name), target);
    }
  }
}

// Shows every field of source under prefix.
template <class S>
void show_all(const S& source, const std::string& prefix, const Fields<S>& fields, Values& out) {
  for (const auto& field : fields) {
    if (field.get) field.get(source, join(prefix, field.name), out);
  }
}

// A [name] section stored in cfg.*member.
template <class S>
Field<Config> section(std::string_view name, S Config::*member, Fields<S> fields) {
  auto shared = std::make_shared<const Fields<S>>(std::move(fields));
  return {name,
          [member, shared](const toml::node& node, const std::string& key, Config& cfg) {
            apply(expect_table(node, key), key, *shared, cfg.*member);
          },
          [member, shared](const Config& cfg, const std::string& key, Values& out) {
            show_all(cfg.*member, key, *shared, out);
          }};
}

// The keys every system section has, then the system's own.
template <class S = SystemConfig>
Fields<S> system_fields(Fields<S> own = {}) {
  Fields<S> fields = {
      field<S>("enabled", &S::enabled, read_bool),
      field<S>("listen", &S::listen, read_endpoint),
      field<S>("idle_timeout", &S::idle_timeout, read_duration),
  };
  for (auto& field : own) fields.push_back(std::move(field));
  return fields;
}

// [storage.retention.<channel>]: age and count, each defaulting to the [storage] policy.
void set_channel_retention(const toml::node& node, const std::string& key, StorageConfig& storage);
// The per-channel policies, "<channel>: age=<s>s count=<n>; ..." ("" without any).
void show_channel_retention(const StorageConfig& storage, const std::string& key, Values& out) {
  std::string text;
  for (const auto& [channel, policy] : storage.retention.per_channel)
    text += quote(channel) + ": age=" + show(policy.max_age) + " count=" + show(policy.max_count) +
            "; ";
  out[key] = text;
}

void set_channel_retention(const toml::node& node, const std::string& key, StorageConfig& storage) {
  static const Fields<core::RetentionPolicy> kPolicy = {
      field<core::RetentionPolicy>("age", &core::RetentionPolicy::max_age, read_age),
      field<core::RetentionPolicy>("count", &core::RetentionPolicy::max_count, read_count),
  };
  for (auto&& [channel, channel_node] : expect_table(node, key)) {
    std::string channel_key = join(key, channel.str());
    core::RetentionPolicy policy = storage.retention.fallback;
    apply(expect_table(channel_node, channel_key), channel_key, kPolicy, policy);
    storage.retention.per_channel[std::string(channel.str())] = policy;
  }
}

const Fields<Config>& config_fields() {
  using H = HttpConfig;
  using S = StorageConfig;
  using A = AuthConfig;
  using L = LimitsConfig;
  static const Fields<Config> kFields = {
      field<Config>("threads", &Config::threads, read_threads),
      field<Config>("log_level", &Config::log_level,
                    one_of<std::string>({{"trace", "trace"},
                                         {"debug", "debug"},
                                         {"info", "info"},
                                         {"warn", "warn"},
                                         {"error", "error"},
                                         {"critical", "critical"},
                                         {"off", "off"}})),
      field<Config>("log_format", &Config::log_format,
                    one_of<LogFormat>({{"text", LogFormat::text}, {"json", LogFormat::json}})),
      section<H>("http", &Config::http,
                 {
                     field<H>("listen", &H::listen, read_endpoint),
                 }),
      section<S>("storage", &Config::storage,
                 {
                     field<S>("data_dir", &S::data_dir, read_nonempty_path),
                     {"retention_age",
                      [](const toml::node& node, const std::string& key, S& storage) {
                        storage.retention.fallback.max_age = read_age(node, key);
                      },
                      [](const S& storage, const std::string& key, Values& out) {
                        out[key] = show(storage.retention.fallback.max_age);
                      }},
                     {"retention_count",
                      [](const toml::node& node, const std::string& key, S& storage) {
                        storage.retention.fallback.max_count = read_count(node, key);
                      },
                      [](const S& storage, const std::string& key, Values& out) {
                        out[key] = show(storage.retention.fallback.max_count);
                      }},
                     field<S>("ring_size", &S::ring_size, read_positive),
                     field<S>("retention_interval", &S::retention_interval, read_positive_duration),
                     field<S>("max_pending_bytes", &S::max_pending_bytes, read_size),
                     field<S>("ring_bytes", &S::ring_bytes, read_size),
                     field<S>("cache_bytes", &S::cache_bytes, read_size),
                     field<S>("idle_channels", &S::idle_channels, read_count),
                     // After retention_age and retention_count: channels fall back to them.
                     {"retention", set_channel_retention, show_channel_retention},
                 }),
      section<A>("auth", &Config::auth,
                 {
                     field<A>("jwt_secret", &A::jwt_secret, read_string),
                     field<A>("jwt_public_key", &A::jwt_public_key, read_string),
                     field<A>("jwt_audience", &A::jwt_audience, read_string),
                     field<A>("nickname_claim", &A::nickname_claim, read_string),
                     field<A>("account_url", &A::account_url, read_string),
                     field<A>("account_timeout", &A::account_timeout, read_positive_duration),
                     field<A>("password_hash_threads", &A::password_hash_threads, read_positive),
                     field<A>("password_hash_queue", &A::password_hash_queue, read_count),
                 }),
      section<L>(
          "limits", &Config::limits,
          {
              field<L>("max_frame_bytes", &L::max_frame_bytes, read_size),
              field<L>("max_queue_bytes", &L::max_queue_bytes, read_size),
              field<L>("slow_consumer", &L::slow_consumer,
                       one_of<SlowConsumerPolicy>({{"disconnect", SlowConsumerPolicy::disconnect},
                                                   {"drop", SlowConsumerPolicy::drop}})),
              field<L>("max_channels_per_connection", &L::max_channels_per_connection,
                       read_positive),
              field<L>("max_connections", &L::max_connections, read_positive),
              field<L>("max_messages_per_second", &L::max_messages_per_second, read_count),
              field<L>("max_http_body_bytes", &L::max_http_body_bytes, read_size),
              field<L>("max_channels", &L::max_channels, read_positive),
          }),
      section("hub", &Config::hub, system_fields()),
      section(
          "concierge", &Config::concierge,
          system_fields<ConciergeConfig>({
              field<ConciergeConfig>("secret", &ConciergeConfig::secret, read_string),
              field<ConciergeConfig>("max_file_bytes", &ConciergeConfig::max_file_bytes, read_size),
          })),
      section(
          "chatroom", &Config::chatroom,
          system_fields<ChatroomConfig>({
              field<ChatroomConfig>("request_timeout", &ChatroomConfig::request_timeout,
                                    read_positive_duration),
              field<ChatroomConfig>("debug", &ChatroomConfig::debug, read_bool),
              field<ChatroomConfig>("debug_listen", &ChatroomConfig::debug_listen, read_endpoint),
              field<ChatroomConfig>(
                  "envelope", &ChatroomConfig::envelope,
                  one_of<std::string>({{"args", "args"}, {"content", "content"}})),
              field<ChatroomConfig>(
                  "protocol", &ChatroomConfig::protocol,
                  one_of<std::string>({{"original", "original"}, {"extended", "extended"}})),
          })),
      section<HeavenlandConfig>(
          "heavenland", &Config::heavenland,
          system_fields<HeavenlandConfig>({
              field<HeavenlandConfig>("env", &HeavenlandConfig::env, read_string),
              field<HeavenlandConfig>("history_limit", &HeavenlandConfig::history_limit,
                                      read_positive),
              field<HeavenlandConfig>("login_attempts_per_connection",
                                      &HeavenlandConfig::login_attempts_per_connection,
                                      read_positive),
              field<HeavenlandConfig>("login_attempts_per_address",
                                      &HeavenlandConfig::login_attempts_per_address, read_positive),
              field<HeavenlandConfig>("login_attempts_per_account",
                                      &HeavenlandConfig::login_attempts_per_account, read_positive),
              field<HeavenlandConfig>("login_window", &HeavenlandConfig::login_window,
                                      read_positive_duration),
          })),
      section(
          "chat_sse", &Config::chat_sse,
          system_fields<ChatSseConfig>({
              field<ChatSseConfig>("publish_listen", &ChatSseConfig::publish_listen, read_endpoint),
              field<ChatSseConfig>("receive_listen", &ChatSseConfig::receive_listen, read_endpoint),
              field<ChatSseConfig>("page_listen", &ChatSseConfig::page_listen, read_endpoint),
              field<ChatSseConfig>("keepalive", &ChatSseConfig::keepalive, read_duration),
              field<ChatSseConfig>("retry", &ChatSseConfig::retry, read_duration),
          })),
      section<MqttConfig>(
          "mqtt", &Config::mqtt,
          {
              // Not system_fields(): `listen` is set by default and "" turns it off.
              field<MqttConfig>("enabled", &MqttConfig::enabled, read_bool),
              field<MqttConfig>("listen", &MqttConfig::listen, read_optional_endpoint),
              field<MqttConfig>("idle_timeout", &MqttConfig::idle_timeout, read_duration),
              field<MqttConfig>("allow_anonymous", &MqttConfig::allow_anonymous, read_bool),
              field<MqttConfig>("allow_zero_length_client_id",
                                &MqttConfig::allow_zero_length_client_id, read_bool),
              field<MqttConfig>("deny_subscribe", &MqttConfig::deny_subscribe, read_topic_filters),
              field<MqttConfig>("max_packet_bytes", &MqttConfig::max_packet_bytes, read_size),
              field<MqttConfig>("max_inflight", &MqttConfig::max_inflight, read_between(65535)),
              field<MqttConfig>("max_queued_messages", &MqttConfig::max_queued_messages,
                                read_positive),
              field<MqttConfig>("max_queued_bytes", &MqttConfig::max_queued_bytes, read_size),
              field<MqttConfig>("max_subscriptions", &MqttConfig::max_subscriptions, read_positive),
              field<MqttConfig>("max_sessions", &MqttConfig::max_sessions, read_positive),
              field<MqttConfig>("max_retained", &MqttConfig::max_retained, read_positive),
              field<MqttConfig>("connect_timeout", &MqttConfig::connect_timeout, read_duration),
              field<MqttConfig>("login_attempts_per_address",
                                &MqttConfig::login_attempts_per_address, read_positive),
              field<MqttConfig>("login_attempts_per_account",
                                &MqttConfig::login_attempts_per_account, read_positive),
              field<MqttConfig>("login_window", &MqttConfig::login_window, read_duration),
          }),
      section<AdminConfig>(
          "admin", &Config::admin,
          {
              field<AdminConfig>("token", &AdminConfig::token, read_token),
              field<AdminConfig>("listen", &AdminConfig::listen, read_loopback_endpoint),
          }),
  };
  return kFields;
}

}  // namespace

std::string Endpoint::to_string() const {
  bool ipv6 = address.find(':') != std::string::npos;
  return (ipv6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

Endpoint parse_endpoint(const std::string& text, const std::string& key) {
  const std::string expected = "expected \"ADDR:PORT\", got " + quote(text);
  std::string host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      fail(key, expected);
    }
    host = text.substr(1, close - 1);
    port = std::string_view(text).substr(close + 2);
    if (!is_ipv6(host)) fail(key, expected + " (not an IPv6 address in brackets)");
  } else {
    std::size_t colon = text.rfind(':');
    if (colon == std::string::npos) fail(key, expected);
    host = text.substr(0, colon);
    port = std::string_view(text).substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      fail(key, expected + " (write an IPv6 address in brackets: \"[::1]:4000\")");
    }
    if (!is_ipv4(host) && !is_hostname(host)) fail(key, expected);
  }
  auto number = digits(port);
  if (!number || *number > 65535) fail(key, expected + " (the port must be 0-65535)");
  return Endpoint{host, static_cast<std::uint16_t>(*number)};
}

milliseconds parse_duration(const std::string& text, const std::string& key) {
  if (auto value = duration_of(text)) return *value;
  fail(key, "expected a duration such as \"45s\", \"500ms\", \"2m\", \"1h\" or \"7d\", got " +
                quote(text));
}

std::size_t parse_size(const std::string& text, const std::string& key) {
  if (auto value = size_of(text)) return *value;
  fail(key, "expected a size such as 65536, \"64KiB\", \"16MiB\" or \"1MB\", got " + quote(text));
}

std::map<std::string, std::string> config_values(const Config& cfg) {
  Values out;
  show_all(cfg, "", config_fields(), out);
  return out;
}

void load_config_text(std::string_view toml, Config& cfg, const std::string& source) {
  toml::table root;
  try {
    root = toml::parse(toml, source);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    throw ConfigError(source + ":" + std::to_string(where.line) + ":" +
                      std::to_string(where.column) + ": " + std::string(e.description()));
  }
  Config next = cfg;  // cfg is left as it was when the file is rejected
  try {
    apply(root, "", config_fields(), next);
  } catch (const ConfigError& e) {
    throw ConfigError(source + ": " + e.what());
  }
  cfg = std::move(next);
}

void load_config_file(const std::filesystem::path& file, Config& cfg) {
  const std::string source = file.string();
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) throw ConfigError(source + ": is a directory");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(source + ": cannot open: " + std::strerror(errno));
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) throw ConfigError(source + ": cannot read: " + std::strerror(errno));
  load_config_text(text, cfg, source);
}

}  // namespace parley::app
