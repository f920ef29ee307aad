#pragma once
// Parley's configuration: built-in defaults, then the TOML file (--config), then the command
// line. Documented key by key in docs/configuration.md.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/message_store.hpp"

namespace parley::app {

// "ADDR:PORT", e.g. "127.0.0.1:4000" or "[::1]:4000".
struct Endpoint {
  std::string address = "127.0.0.1";
  std::uint16_t port = 4000;
  std::string to_string() const;
};

struct HttpConfig {
  Endpoint listen;
};

struct StorageConfig {
  std::filesystem::path data_dir = "data";
  core::Retention retention{// default: 7 days, 10,000 messages per channel
                            .fallback = {.max_age = std::chrono::days{7}, .max_count = 10'000}};
  std::size_t ring_size = 1000;  // recent messages kept in memory per channel
  std::chrono::milliseconds retention_interval{60'000};  // how often retention runs
  // Messages waiting for the store's writer, in bytes; past it publishers are pushed back.
  std::size_t max_pending_bytes = 16 * 1024 * 1024;
  std::size_t ring_bytes = 1024 * 1024;         // a channel's ring, in bytes (the newest is kept)
  std::size_t cache_bytes = 256 * 1024 * 1024;  // every ring together
  std::size_t idle_channels = 1000;             // idle channels kept in memory for their history
};

struct AuthConfig {
  std::string jwt_secret;
  std::filesystem::path jwt_public_key;
  std::string jwt_audience;
  std::string nickname_claim = "nickname";
  std::string account_url;
  std::chrono::milliseconds account_timeout{5000};  // the account lookup's deadline
  std::size_t password_hash_threads = 1;  // threads checking passwords (argon2id), no others' work
  std::size_t password_hash_queue = 16;   // password checks waiting for them; more: "busy"
};

enum class SlowConsumerPolicy { disconnect, drop };

struct LimitsConfig {
  std::size_t max_frame_bytes = 64 * 1024;        // larger WebSocket messages: close 1009
  std::size_t max_queue_bytes = 4 * 1024 * 1024;  // per session, then the slow-consumer policy
  SlowConsumerPolicy slow_consumer = SlowConsumerPolicy::disconnect;
  std::size_t max_channels_per_connection = 100;
  std::size_t max_connections = 100'000;
  std::size_t max_messages_per_second = 1000;  // per connection; 0: no limit
  std::size_t max_http_body_bytes = 1024 * 1024;
  std::size_t max_channels = 100'000;  // channels in memory at once; past it: the dialect's error
};

// A system's own section. `listen` gives it a listener of its own with its original paths.
struct SystemConfig {
  bool enabled = true;
  std::optional<Endpoint> listen;
  std::chrono::milliseconds idle_timeout{0};  // 0: the system's default
};

// [heavenland]: the system's keys and its own.
struct HeavenlandConfig : SystemConfig {
  std::string env = "PRODUCTION";   // "env" of GET /api/version
  std::size_t history_limit = 100;  // messages kept in memory for `history`, and its largest limit
  std::size_t login_attempts_per_connection = 5;  // per login_window, bursts allowed
  std::size_t login_attempts_per_address = 30;    // per login_window, all connections of an address
  std::size_t login_attempts_per_account = 10;    // per login_window, password logins of a username
  std::chrono::milliseconds login_window{60'000};
};

// [chat_sse]: the original was three services on three ports; `listen` serves all three on one
// listener, the *_listen keys one each (docs/configuration.md).
struct ChatSseConfig : SystemConfig {
  std::optional<Endpoint> publish_listen;       // POST /chat/publish/... (originally :8080)
  std::optional<Endpoint> receive_listen;       // GET /chat/receive/... (originally :8081)
  std::optional<Endpoint> page_listen;          // the demo page (originally :8000)
  std::chrono::milliseconds keepalive{15'000};  // comment sent on every stream; 0: none
  std::chrono::milliseconds retry{3'000};       // `retry:` sent first on a stream; 0: none
};

// [concierge]: the keys of every system, and ERT Concierge's own.
struct ConciergeConfig : SystemConfig {
  std::string secret;                             // IDENTIFY must carry it; empty: none
  std::size_t max_file_bytes = 16 * 1024 * 1024;  // one uploaded file; larger: 413
};

// [chatroom]: the system keys, then ChatRoom's own.
struct ChatroomConfig : SystemConfig {
  std::chrono::milliseconds request_timeout{30'000};  // a service request without response
  bool debug = false;  // the debugger listener (also when the environment has DEBUG=true)
  Endpoint debug_listen{"127.0.0.1", 8800};
  std::string envelope = "args";      // or "content" (the seed README's); ?envelope= overrides
  std::string protocol = "original";  // or "extended" (Parley's typed changes); ?protocol=
};

// [mqtt]: the broker. `listen` is its TCP listener (on by default, unlike the other systems'
// own listeners; unset: none); MQTT over WebSocket is /mqtt on the shared listener.
struct MqttConfig : SystemConfig {
  MqttConfig() { listen = Endpoint{"127.0.0.1", 1883}; }
  bool allow_anonymous = true;              // CONNECT without a user name accepted
  bool allow_zero_length_client_id = true;  // with clean session 1: an id is assigned
  std::vector<std::string> deny_subscribe;  // topic filters refused (SUBACK 0x80)
  std::size_t max_packet_bytes = 1024 * 1024;
  std::size_t max_inflight = 20;           // unacknowledged QoS 1/2 per session, 1-65535
  std::size_t max_queued_messages = 1000;  // per session
  std::size_t max_queued_bytes = 4 * 1024 * 1024;
  std::size_t max_subscriptions = 100;                // topic filters per session
  std::size_t max_sessions = 10'000;                  // persistent sessions kept
  std::size_t max_retained = 10'000;                  // retained messages kept
  std::chrono::milliseconds connect_timeout{10'000};  // CONNECT must come within it; 0: none
  std::size_t login_attempts_per_address = 30;        // per login_window, CONNECTs with a user name
  std::size_t login_attempts_per_account = 10;        // per login_window, CONNECTs of a user name
  std::chrono::milliseconds login_window{60'000};
};

// [admin]: the admin page (/admin). Off unless token is set, or listen puts it on a listener of
// its own, which must be loopback-only (then the token is optional).
struct AdminConfig {
  std::string token;               // "Authorization: Bearer <token>" or the login form's cookie
  std::optional<Endpoint> listen;  // a loopback address: 127.0.0.0/8, [::1] or localhost
};

enum class LogFormat { text, json };

struct Config {
  HttpConfig http;
  StorageConfig storage;
  AuthConfig auth;
  LimitsConfig limits;
  SystemConfig hub;  // Hub (Phoenix Channels); idle_timeout default 45 s
  ConciergeConfig concierge;
  ChatroomConfig chatroom;
  HeavenlandConfig heavenland;
  ChatSseConfig chat_sse;
  MqttConfig mqtt;
  AdminConfig admin;
  unsigned threads = 0;  // I/O threads; 0: the number of cores
  std::string log_level = "info";
  LogFormat log_format = LogFormat::text;  // json: one JSON object per line (log collectors)
};

// A configuration error: names the key (e.g. "limits.max_frame_bytes") and what is wrong.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses "ADDR:PORT". Throws ConfigError naming `key` when malformed.
Endpoint parse_endpoint(const std::string& text, const std::string& key);
// Parses a duration: "45s", "500ms", "1h", "7d", "2m", or a bare integer of seconds.
std::chrono::milliseconds parse_duration(const std::string& text, const std::string& key);
// Parses a size in bytes: "65536", "64KiB", "16MiB", "1MB" (units B, KB, MB, GB, TB are powers
// of 1000, KiB, MiB, GiB, TiB powers of 1024; case-insensitive). Throws ConfigError naming `key`.
std::size_t parse_size(const std::string& text, const std::string& key);

// Reads a TOML file over the defaults in cfg. Unknown sections or keys, wrong types and bad
// values throw ConfigError naming the key ("hub.listen: expected \"ADDR:PORT\"").
void load_config_file(const std::filesystem::path& file, Config& cfg);
// The same, from TOML text (tests).
void load_config_text(std::string_view toml, Config& cfg, const std::string& source = "config");

// Every key a file can set ("limits.max_frame_bytes", "threads"; the per-channel retention
// tables as one key, "storage.retention"), with its value in cfg as text. For tests and
// diagnostics: two configurations are equal when their values are.
std::map<std::string, std::string> config_values(const Config& cfg);

}  // namespace parley::app
