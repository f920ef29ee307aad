#include "app/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <toml++/toml.h>
#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace parley::app {
namespace {

using namespace std::chrono_literals;

std::filesystem::path source_dir() {
#ifdef PARLEY_SOURCE_DIR
  return PARLEY_SOURCE_DIR;
#else
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
#endif
}

Config load(std::string_view toml) {
  Config cfg;
  load_config_text(toml, cfg, "parley.toml");
  return cfg;
}

// The ConfigError message load_config_text gives for toml, or "" when it loads.
std::string error_of(std::string_view toml) {
  try {
    load(toml);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

void expect_policy_eq(const core::RetentionPolicy& a, const core::RetentionPolicy& b) {
  EXPECT_EQ(a.max_age, b.max_age);
  EXPECT_EQ(a.max_count, b.max_count);
}

// Every key a file can set, compared by value (config_values lists them all: a key added to the
// loader is compared without an edit here).
void expect_values_eq(const std::map<std::string, std::string>& got,
                      const std::map<std::string, std::string>& want) {
  std::set<std::string> keys;
  for (const auto& [key, value] : got) keys.insert(key);
  for (const auto& [key, value] : want) keys.insert(key);
  for (const auto& key : keys) {
    auto g = got.find(key), w = want.find(key);
    EXPECT_EQ(g == got.end() ? "<no such key>" : g->second,
              w == want.end() ? "<no such key>" : w->second)
        << key;
  }
}

void expect_config_eq(const Config& a, const Config& b) {
  expect_values_eq(config_values(a), config_values(b));
}

// A configuration where every value a file can set differs from the default.
Config all_changed() {
  Config cfg;
  cfg.http.listen = {"0.0.0.0", 1};
  cfg.storage.data_dir = "elsewhere";
  cfg.storage.retention.fallback = {1s, 1};
  cfg.storage.ring_size = 1;
  cfg.storage.retention_interval = 1ms;
  cfg.storage.retention.per_channel["c"] = {1s, 1};
  cfg.storage.max_pending_bytes = 1;
  cfg.storage.ring_bytes = 1;
  cfg.storage.cache_bytes = 1;
  cfg.storage.idle_channels = 1;
  cfg.auth.jwt_secret = "s";
  cfg.auth.jwt_public_key = "k.pem";
  cfg.auth.jwt_audience = "aud";
  cfg.auth.nickname_claim = "name";
  cfg.auth.account_url = "http://x";
  cfg.auth.account_timeout = 1ms;
  cfg.auth.password_hash_threads = 99;
  cfg.auth.password_hash_queue = 99;
  cfg.heavenland.env = "x";
  cfg.heavenland.history_limit = 1;
  cfg.heavenland.login_attempts_per_connection = 1;
  cfg.heavenland.login_attempts_per_address = 1;
  cfg.heavenland.login_attempts_per_account = 1;
  cfg.heavenland.login_window = 1ms;
  // One by one, not a brace list: a list shorter than the struct leaves the rest at default.
  cfg.limits.max_frame_bytes = 1;
  cfg.limits.max_queue_bytes = 1;
  cfg.limits.slow_consumer = SlowConsumerPolicy::drop;
  cfg.limits.max_channels_per_connection = 1;
  cfg.limits.max_connections = 1;
  cfg.limits.max_messages_per_second = 1;
  cfg.limits.max_http_body_bytes = 1;
  cfg.limits.max_channels = 1;
  for (SystemConfig* system : std::initializer_list<SystemConfig*>{
           &cfg.hub, &cfg.concierge, &cfg.chatroom, &cfg.heavenland, &cfg.chat_sse, &cfg.mqtt}) {
    system->enabled = false;
    system->listen = Endpoint{"0.0.0.0", 2};
    system->idle_timeout = 1ms;
  }
  cfg.chat_sse.publish_listen = Endpoint{"0.0.0.0", 3};
  cfg.chat_sse.receive_listen = Endpoint{"0.0.0.0", 4};
  cfg.chat_sse.page_listen = Endpoint{"0.0.0.0", 5};
  cfg.admin.listen = Endpoint{"127.0.0.1", 6};
  cfg.chat_sse.keepalive = 1ms;
  cfg.chat_sse.retry = 1ms;
  cfg.concierge.secret = "s";
  cfg.concierge.max_file_bytes = 1;
  cfg.chatroom.request_timeout = 1ms;
  cfg.chatroom.debug = true;
  cfg.chatroom.debug_listen = {"0.0.0.0", 1};
  cfg.mqtt.listen.reset();
  cfg.mqtt.allow_anonymous = false;
  cfg.mqtt.allow_zero_length_client_id = false;
  cfg.mqtt.deny_subscribe = {"x"};
  cfg.mqtt.max_packet_bytes = 1;
  cfg.mqtt.max_inflight = 1;
  cfg.mqtt.max_queued_messages = 1;
  cfg.mqtt.max_queued_bytes = 1;
  cfg.mqtt.max_subscriptions = 1;
  cfg.mqtt.max_sessions = 1;
  cfg.mqtt.max_retained = 1;
  cfg.mqtt.connect_timeout = 1ms;
  cfg.mqtt.login_attempts_per_address = 1;
  cfg.mqtt.login_attempts_per_account = 1;
  cfg.mqtt.login_window = 1ms;
  cfg.chatroom.envelope = "content";
  cfg.chatroom.protocol = "extended";
  cfg.admin.token = "0123456789abcdef";
  cfg.threads = 99;
  cfg.log_level = "off";
  cfg.log_format = LogFormat::json;
  return cfg;
}

TEST(AppConfig, Defaults) {
  Config cfg;
  EXPECT_EQ(cfg.http.listen.to_string(), "127.0.0.1:4000");
  EXPECT_EQ(cfg.storage.data_dir, "data");
  EXPECT_EQ(cfg.storage.retention.fallback.max_age, std::chrono::days{7});
  EXPECT_EQ(cfg.storage.retention.fallback.max_count, 10'000u);
  EXPECT_TRUE(cfg.storage.retention.per_channel.empty());
  EXPECT_EQ(cfg.storage.ring_size, 1000u);
  EXPECT_EQ(cfg.storage.retention_interval, 60s);
  EXPECT_EQ(cfg.auth.jwt_secret, "");
  EXPECT_EQ(cfg.auth.nickname_claim, "nickname");
  EXPECT_EQ(cfg.limits.max_frame_bytes, 64u * 1024);
  EXPECT_EQ(cfg.limits.max_queue_bytes, 4u * 1024 * 1024);
  EXPECT_EQ(cfg.limits.slow_consumer, SlowConsumerPolicy::disconnect);
  EXPECT_EQ(cfg.limits.max_channels_per_connection, 100u);
  EXPECT_EQ(cfg.limits.max_connections, 100'000u);
  EXPECT_EQ(cfg.limits.max_http_body_bytes, 1024u * 1024);
  EXPECT_EQ(cfg.limits.max_channels, 100'000u);
  EXPECT_EQ(cfg.storage.ring_bytes, 1024u * 1024);
  EXPECT_EQ(cfg.storage.cache_bytes, 256u * 1024 * 1024);
  EXPECT_EQ(cfg.storage.idle_channels, 1000u);
  EXPECT_TRUE(cfg.hub.enabled);
  EXPECT_FALSE(cfg.hub.listen);
  EXPECT_EQ(cfg.hub.idle_timeout, 0ms);
  EXPECT_EQ(cfg.threads, 0u);
  EXPECT_EQ(cfg.log_level, "info");
  EXPECT_EQ(cfg.chatroom.envelope, "args");  // what the original code sends
  EXPECT_EQ(cfg.chatroom.protocol, "original");
}

TEST(AppConfig, EmptyFileKeepsDefaults) {
  expect_config_eq(load(""), Config{});
  expect_config_eq(load("# only a comment\n"), Config{});
}

TEST(AppConfig, AbsentKeysKeepWhatWasThere) {
  Config cfg = all_changed();
  load_config_text("[hub]\nenabled = true\n", cfg);
  Config expected = all_changed();
  expected.hub.enabled = true;
  expect_config_eq(cfg, expected);
}

TEST(AppConfig, EveryKeyParsed) {
  Config cfg = load(R"(
threads = 8
log_level = "debug"

[http]
listen = "0.0.0.0:9000"

[storage]
data_dir = "/var/lib/parley"
retention_age = "30d"
retention_count = 0
ring_size = 250
retention_interval = "5m"
ring_bytes = "64KiB"
cache_bytes = "1GiB"
idle_channels = 0

[auth]
jwt_secret = "s3cret"
jwt_public_key = "/etc/parley/jwt.pem"
jwt_audience = "heavenland-api"
nickname_claim = "preferred_username"
account_url = "https://accounts.example.org/idm/accounts"

[limits]
max_frame_bytes = "1MiB"
max_queue_bytes = 8388608
slow_consumer = "drop"
max_channels_per_connection = 20
max_connections = 5000
max_http_body_bytes = "2MB"
max_channels = 300

[hub]
enabled = false
listen = "127.0.0.1:0"
idle_timeout = "90s"

[concierge]
listen = "[::1]:64209"
idle_timeout = 30

[chatroom]
listen = "localhost:8765"
idle_timeout = "500ms"
request_timeout = "5s"
debug = true
debug_listen = "0.0.0.0:8801"
envelope = "content"
protocol = "extended"

[heavenland]
enabled = false

[chat_sse]
listen = "0.0.0.0:8080"
publish_listen = "127.0.0.1:8080"
receive_listen = "127.0.0.1:8081"
page_listen = "127.0.0.1:8000"
keepalive = "500ms"
retry = "0"

[mqtt]
listen = "127.0.0.1:11883"
idle_timeout = "2m"
allow_anonymous = false
allow_zero_length_client_id = false
deny_subscribe = ["test/nosubscribe", "$SYS/#", "private/+/x"]
max_packet_bytes = "256KiB"
max_inflight = 65535
max_queued_messages = 5
max_queued_bytes = "1MiB"
max_subscriptions = 7
max_sessions = 8
max_retained = 9
connect_timeout = "3s"
)");
  EXPECT_EQ(cfg.threads, 8u);
  EXPECT_EQ(cfg.log_level, "debug");
  EXPECT_EQ(cfg.http.listen.address, "0.0.0.0");
  EXPECT_EQ(cfg.http.listen.port, 9000);
  EXPECT_EQ(cfg.storage.data_dir, "/var/lib/parley");
  EXPECT_EQ(cfg.storage.retention.fallback.max_age, std::chrono::days{30});
  EXPECT_EQ(cfg.storage.retention.fallback.max_count, 0u);
  EXPECT_EQ(cfg.storage.ring_size, 250u);
  EXPECT_EQ(cfg.storage.retention_interval, 5min);
  EXPECT_EQ(cfg.storage.ring_bytes, 64u * 1024);
  EXPECT_EQ(cfg.storage.cache_bytes, 1024u * 1024 * 1024);
  EXPECT_EQ(cfg.storage.idle_channels, 0u);
  EXPECT_EQ(cfg.auth.jwt_secret, "s3cret");
  EXPECT_EQ(cfg.auth.jwt_public_key, "/etc/parley/jwt.pem");
  EXPECT_EQ(cfg.auth.jwt_audience, "heavenland-api");
  EXPECT_EQ(cfg.auth.nickname_claim, "preferred_username");
  EXPECT_EQ(cfg.auth.account_url, "https://accounts.example.org/idm/accounts");
  EXPECT_EQ(cfg.limits.max_frame_bytes, 1024u * 1024);
  EXPECT_EQ(cfg.limits.max_channels, 300u);
  EXPECT_EQ(cfg.limits.max_queue_bytes, 8u * 1024 * 1024);
  EXPECT_EQ(cfg.limits.slow_consumer, SlowConsumerPolicy::drop);
  EXPECT_EQ(cfg.limits.max_channels_per_connection, 20u);
  EXPECT_EQ(cfg.limits.max_connections, 5000u);
  EXPECT_EQ(cfg.limits.max_http_body_bytes, 2'000'000u);
  EXPECT_FALSE(cfg.hub.enabled);
  ASSERT_TRUE(cfg.hub.listen);
  EXPECT_EQ(cfg.hub.listen->to_string(), "127.0.0.1:0");
  EXPECT_EQ(cfg.hub.idle_timeout, 90s);
  EXPECT_TRUE(cfg.concierge.enabled);
  ASSERT_TRUE(cfg.concierge.listen);
  EXPECT_EQ(cfg.concierge.listen->address, "::1");
  EXPECT_EQ(cfg.concierge.listen->port, 64209);
  EXPECT_EQ(cfg.concierge.idle_timeout, 30s);
  ASSERT_TRUE(cfg.chatroom.listen);
  EXPECT_EQ(cfg.chatroom.listen->to_string(), "localhost:8765");
  EXPECT_EQ(cfg.chatroom.idle_timeout, 500ms);
  EXPECT_EQ(cfg.chatroom.request_timeout, 5s);
  EXPECT_TRUE(cfg.chatroom.debug);
  EXPECT_EQ(cfg.chatroom.debug_listen.to_string(), "0.0.0.0:8801");
  EXPECT_EQ(cfg.chatroom.envelope, "content");
  EXPECT_EQ(cfg.chatroom.protocol, "extended");
  EXPECT_FALSE(cfg.heavenland.enabled);
  EXPECT_FALSE(cfg.heavenland.listen);
  ASSERT_TRUE(cfg.chat_sse.listen);
  EXPECT_EQ(cfg.chat_sse.listen->to_string(), "0.0.0.0:8080");
  ASSERT_TRUE(cfg.chat_sse.publish_listen);
  EXPECT_EQ(cfg.chat_sse.publish_listen->port, 8080);
  ASSERT_TRUE(cfg.chat_sse.receive_listen);
  EXPECT_EQ(cfg.chat_sse.receive_listen->port, 8081);
  ASSERT_TRUE(cfg.chat_sse.page_listen);
  EXPECT_EQ(cfg.chat_sse.page_listen->port, 8000);
  EXPECT_EQ(cfg.chat_sse.keepalive, 500ms);
  EXPECT_EQ(cfg.chat_sse.retry, 0ms);
  ASSERT_TRUE(cfg.mqtt.listen);
  EXPECT_EQ(cfg.mqtt.listen->port, 11883);
  EXPECT_EQ(cfg.mqtt.idle_timeout, 2min);
  EXPECT_FALSE(cfg.mqtt.allow_anonymous);
  EXPECT_FALSE(cfg.mqtt.allow_zero_length_client_id);
  EXPECT_EQ(cfg.mqtt.deny_subscribe,
            (std::vector<std::string>{"test/nosubscribe", "$SYS/#", "private/+/x"}));
  EXPECT_EQ(cfg.mqtt.max_packet_bytes, 256u * 1024);
  EXPECT_EQ(cfg.mqtt.max_inflight, 65535u);
  EXPECT_EQ(cfg.mqtt.max_queued_messages, 5u);
  EXPECT_EQ(cfg.mqtt.max_queued_bytes, 1024u * 1024);
  EXPECT_EQ(cfg.mqtt.max_subscriptions, 7u);
  EXPECT_EQ(cfg.mqtt.max_sessions, 8u);
  EXPECT_EQ(cfg.mqtt.max_retained, 9u);
  EXPECT_EQ(cfg.mqtt.connect_timeout, 3s);
}

TEST(AppConfig, PerChannelRetention) {
  Config cfg = load(R"(
[storage.retention.general]
age = "1h"
count = 500

[storage.retention.ageonly]
age = "2h"

[storage.retention.countonly]
count = 7

[storage.retention."room:lobby"]
age = "0"

[storage]
retention_age = "3d"
retention_count = 42
)");
  const auto& retention = cfg.storage.retention;
  expect_policy_eq(retention.fallback, {std::chrono::days{3}, 42});
  ASSERT_EQ(retention.per_channel.size(), 4u);
  expect_policy_eq(retention.for_channel("general"), {1h, 500});
  // A missing key falls back to the [storage] policy, wherever [storage] is in the file.
  expect_policy_eq(retention.for_channel("ageonly"), {2h, 42});
  expect_policy_eq(retention.for_channel("countonly"), {std::chrono::days{3}, 7});
  expect_policy_eq(retention.for_channel("room:lobby"), {0s, 42});
  expect_policy_eq(retention.for_channel("unlisted"), retention.fallback);
}

TEST(AppConfig, PerChannelRetentionFallsBackToDefaults) {
  Config cfg = load("[storage.retention.general]\ncount = 5\n");
  expect_policy_eq(cfg.storage.retention.for_channel("general"), {std::chrono::days{7}, 5});
  expect_policy_eq(cfg.storage.retention.fallback, {std::chrono::days{7}, 10'000});
}

TEST(AppConfig, PerChannelRetentionErrors) {
  EXPECT_EQ(error_of("[storage.retention.general]\nag = \"1h\"\n"),
            "parley.toml: storage.retention.general.ag: unknown key");
  EXPECT_EQ(error_of("[storage.retention]\nage = \"1h\"\n"),
            "parley.toml: storage.retention.age: expected a table, got \"1h\"");
  EXPECT_EQ(error_of("[storage]\nretention = 5\n"),
            "parley.toml: storage.retention: expected a table, got 5");
  EXPECT_EQ(error_of("[storage.retention.general]\ncount = -1\n"),
            "parley.toml: storage.retention.general.count: expected an integer >= 0, got -1");
  EXPECT_EQ(error_of("[storage.retention.general]\nage = \"1500ms\"\n"),
            "parley.toml: storage.retention.general.age: expected a duration in whole seconds, "
            "got \"1500ms\"");
}

TEST(AppConfig, ErrorsNameTheKey) {
  struct Case {
    std::string toml;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"[hub]\nlisten = \"nonsense\"",
       "parley.toml: hub.listen: expected \"ADDR:PORT\", got \"nonsense\""},
      {"[hub]\nlisten = 4000", "parley.toml: hub.listen: expected \"ADDR:PORT\", got 4000"},
      {"[hub]\nenabled = \"yes\"", "parley.toml: hub.enabled: expected true or false, got \"yes\""},
      {"[mqtt]\nidle_timeout = \"soon\"",
       "parley.toml: mqtt.idle_timeout: expected a duration such as \"45s\", \"500ms\", \"2m\", "
       "\"1h\" or \"7d\", got \"soon\""},
      {"[mqtt]\nidle_timeout = -1",
       "parley.toml: mqtt.idle_timeout: expected a duration such as \"45s\", \"500ms\", \"2m\", "
       "\"1h\" or \"7d\", got -1"},
      {"[mqtt]\nlisten = \"1883\"",
       "parley.toml: mqtt.listen: expected \"ADDR:PORT\", got \"1883\""},
      {"[mqtt]\nmax_inflight = 0",
       "parley.toml: mqtt.max_inflight: expected an integer from 1 to 65535, got 0"},
      {"[mqtt]\nmax_inflight = 65536",
       "parley.toml: mqtt.max_inflight: expected an integer from 1 to 65535, got 65536"},
      {"[mqtt]\ndeny_subscribe = \"x\"",
       "parley.toml: mqtt.deny_subscribe: expected an array of topic filters, got \"x\""},
      {"[mqtt]\ndeny_subscribe = [\"a/#/b\"]",
       "parley.toml: mqtt.deny_subscribe: not a valid MQTT topic filter: \"a/#/b\""},
      {"[mqtt]\ndeny_subscribe = [1]",
       "parley.toml: mqtt.deny_subscribe: expected an array of topic filters, got 1 in it"},
      {"[mqtt]\nmax_sessions = 0", "parley.toml: mqtt.max_sessions: expected a positive integer"},
      {"[limits]\nmax_frame_bytes = 0",
       "parley.toml: limits.max_frame_bytes: expected a positive integer"},
      {"[limits]\nmax_frame_bytes = -4",
       "parley.toml: limits.max_frame_bytes: expected a positive integer"},
      {"[limits]\nmax_frame_bytes = \"0KiB\"",
       "parley.toml: limits.max_frame_bytes: expected a positive size, got \"0KiB\""},
      {"[limits]\nmax_queue_bytes = \"lots\"",
       "parley.toml: limits.max_queue_bytes: expected a size such as 65536, \"64KiB\", "
       "\"16MiB\" or \"1MB\", got \"lots\""},
      {"[limits]\nmax_http_body_bytes = 1.5",
       "parley.toml: limits.max_http_body_bytes: expected a positive integer or a size such as "
       "\"64KiB\", got 1.5"},
      {"[limits]\nmax_connections = 0",
       "parley.toml: limits.max_connections: expected a positive integer"},
      {"[limits]\nmax_channels_per_connection = \"10\"",
       "parley.toml: limits.max_channels_per_connection: expected a positive integer, got \"10\""},
      {"[limits]\nslow_consumer = \"dropp\"",
       "parley.toml: limits.slow_consumer: expected one of \"disconnect\", \"drop\"; got "
       "\"dropp\""},
      {"[chatroom]\nenvelope = \"xml\"",
       "parley.toml: chatroom.envelope: expected one of \"args\", \"content\"; got \"xml\""},
      {"[chatroom]\nprotocol = \"latest\"",
       "parley.toml: chatroom.protocol: expected one of \"original\", \"extended\"; got "
       "\"latest\""},
      {"[storage]\ndata_dir = \"\"", "parley.toml: storage.data_dir: expected a path, got \"\""},
      {"[storage]\ndata_dir = 3", "parley.toml: storage.data_dir: expected a string, got 3"},
      {"[storage]\nretention_age = \"forever\"",
       "parley.toml: storage.retention_age: expected a duration such as \"45s\", \"500ms\", "
       "\"2m\", \"1h\" or \"7d\", got \"forever\""},
      {"[storage]\nretention_count = -5",
       "parley.toml: storage.retention_count: expected an integer >= 0, got -5"},
      {"[storage]\nring_size = 0", "parley.toml: storage.ring_size: expected a positive integer"},
      {"[storage]\nretention_interval = \"0s\"",
       "parley.toml: storage.retention_interval: expected a duration above 0, got \"0s\""},
      {"[auth]\njwt_secret = true", "parley.toml: auth.jwt_secret: expected a string, got true"},
      {"[auth]\naccount_url = [1]",
       "parley.toml: auth.account_url: expected a string, got an array"},
      {"threads = -1", "parley.toml: threads: expected an integer from 0 to 1024, got -1"},
      {"threads = 1025", "parley.toml: threads: expected an integer from 0 to 1024, got 1025"},
      {"threads = \"4\"", "parley.toml: threads: expected an integer from 0 to 1024, got \"4\""},
      {"log_level = \"loud\"",
       "parley.toml: log_level: expected one of \"trace\", \"debug\", \"info\", \"warn\", "
       "\"error\", \"critical\", \"off\"; got \"loud\""},
      {"http = 1", "parley.toml: http: expected a table, got 1"},
      {"[http]\nlisten = \"127.0.0.1:65536\"",
       "parley.toml: http.listen: expected \"ADDR:PORT\", got \"127.0.0.1:65536\" (the port must "
       "be 0-65535)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.toml);
    EXPECT_EQ(error_of(c.toml), c.error);
  }
}

TEST(AppConfig, MqttListenerOnByDefaultAndEmptyTurnsItOff) {
  Config cfg;
  ASSERT_TRUE(cfg.mqtt.listen);
  EXPECT_EQ(cfg.mqtt.listen->to_string(), "127.0.0.1:1883");
  EXPECT_FALSE(load("[mqtt]\nlisten = \"\"\n").mqtt.listen);
  // The other systems have no such default, and "" is not an endpoint for them.
  EXPECT_FALSE(cfg.hub.listen);
  EXPECT_EQ(error_of("[hub]\nlisten = \"\"\n"),
            "parley.toml: hub.listen: expected \"ADDR:PORT\", got \"\"");
}

TEST(AppConfig, UnknownSectionAndKeyRejected) {
  EXPECT_EQ(error_of("[hub]\nlisen = \"127.0.0.1:4000\"\n"), "parley.toml: hub.lisen: unknown key");
  EXPECT_EQ(error_of("[bogus]\nx = 1\n"), "parley.toml: bogus: unknown section");
  EXPECT_EQ(error_of("[hub.extra]\n"), "parley.toml: hub.extra: unknown key");
  EXPECT_EQ(error_of("thread = 4\n"), "parley.toml: thread: unknown key");
  EXPECT_EQ(error_of("[limits]\nmax_frame_size = 1\n"),
            "parley.toml: limits.max_frame_size: unknown key");
  // A key a system does not have, close to one it has.
  EXPECT_EQ(error_of("[heavenland]\nenvironment = \"dev\"\n"),
            "parley.toml: heavenland.environment: unknown key");
}

TEST(AppConfig, HeavenlandKeys) {
  Config cfg = load(
      "[heavenland]\nenv = \"LOCAL DEV\"\nhistory_limit = 50\nlogin_attempts_per_connection = 3\n"
      "login_attempts_per_address = 9\nlogin_window = \"30s\"\nlisten = \"127.0.0.1:8000\"\n"
      "[auth]\naccount_timeout = \"750ms\"\n");
  EXPECT_EQ(cfg.heavenland.env, "LOCAL DEV");
  EXPECT_EQ(cfg.heavenland.history_limit, 50u);
  EXPECT_EQ(cfg.heavenland.login_attempts_per_connection, 3u);
  EXPECT_EQ(cfg.heavenland.login_attempts_per_address, 9u);
  EXPECT_EQ(cfg.heavenland.login_window, 30s);
  ASSERT_TRUE(cfg.heavenland.listen);
  EXPECT_EQ(cfg.heavenland.listen->port, 8000);
  EXPECT_EQ(cfg.auth.account_timeout, 750ms);
  EXPECT_EQ(error_of("[heavenland]\nhistory_limit = 0\n"),
            "parley.toml: heavenland.history_limit: expected a positive integer");
  EXPECT_EQ(error_of("[heavenland]\nenv = 5\n"),
            "parley.toml: heavenland.env: expected a string, got 5");
  EXPECT_EQ(error_of("[heavenland]\nlogin_window = \"0\"\n"),
            "parley.toml: heavenland.login_window: expected a duration above 0, got \"0\"");
  EXPECT_EQ(error_of("[auth]\naccount_timeout = \"soon\"\n"),
            "parley.toml: auth.account_timeout: expected a duration such as \"45s\", \"500ms\", "
            "\"2m\", \"1h\" or \"7d\", got \"soon\"");
}

TEST(AppConfig, UnknownKeyRejectedBeforeAnyOtherError) {
  EXPECT_EQ(error_of("[hub]\nlisten = \"nonsense\"\nzzz = 1\n"),
            "parley.toml: hub.zzz: unknown key");
}

TEST(AppConfig, SyntaxErrorGivesLineAndColumn) {
  std::string error = error_of("threads = 4\n[hub\n");
  EXPECT_EQ(error.rfind("parley.toml:2:", 0), 0u) << error;
  EXPECT_GT(error.size(), std::string("parley.toml:2:1: ").size()) << error;
  error = error_of("threads = 4\nthreads = 5\n");
  EXPECT_EQ(error.rfind("parley.toml:2:", 0), 0u) << error;
}

TEST(AppConfig, FailedLoadLeavesConfigUnchanged) {
  Config cfg;
  EXPECT_THROW(load_config_text("threads = 3\n[hub]\nlisten = \"x\"\n", cfg), ConfigError);
  EXPECT_EQ(cfg.threads, 0u);
}

TEST(AppConfig, DefaultSourceName) {
  Config cfg;
  try {
    load_config_text("[hub]\nlisen = 1\n", cfg);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "config: hub.lisen: unknown key");
  }
}

TEST(AppConfig, Durations) {
  EXPECT_EQ(parse_duration("45s", "k"), 45s);
  EXPECT_EQ(parse_duration("500ms", "k"), 500ms);
  EXPECT_EQ(parse_duration("2m", "k"), 2min);
  EXPECT_EQ(parse_duration("1h", "k"), 1h);
  EXPECT_EQ(parse_duration("7d", "k"), std::chrono::days{7});
  EXPECT_EQ(parse_duration("30", "k"), 30s);
  EXPECT_EQ(parse_duration("0", "k"), 0ms);
  EXPECT_EQ(parse_duration("0ms", "k"), 0ms);
  EXPECT_EQ(load("[hub]\nidle_timeout = 45\n").hub.idle_timeout, 45s);
  for (const char* bad : {"", "s", "-5s", "+5s", "1.5h", "5 s", " 5s", "5s ", "5x", "1h30m", "5S",
                          "99999999999999999999d", "9999999999999999d"}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(parse_duration(bad, "k"), ConfigError);
  }
  try {
    parse_duration("5x", "hub.idle_timeout");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("hub.idle_timeout: ", 0), 0u) << e.what();
  }
}

TEST(AppConfig, Sizes) {
  EXPECT_EQ(parse_size("65536", "k"), 65536u);
  EXPECT_EQ(parse_size("0", "k"), 0u);
  EXPECT_EQ(parse_size("100B", "k"), 100u);
  EXPECT_EQ(parse_size("64KiB", "k"), 64u * 1024);
  EXPECT_EQ(parse_size("16MiB", "k"), 16u * 1024 * 1024);
  EXPECT_EQ(parse_size("2GiB", "k"), 2ull * 1024 * 1024 * 1024);
  EXPECT_EQ(parse_size("1TiB", "k"), 1ull << 40);
  EXPECT_EQ(parse_size("1KB", "k"), 1000u);
  EXPECT_EQ(parse_size("1MB", "k"), 1'000'000u);
  EXPECT_EQ(parse_size("3GB", "k"), 3'000'000'000u);
  EXPECT_EQ(parse_size("64kib", "k"), 64u * 1024);
  EXPECT_EQ(parse_size("64 KiB", "k"), 64u * 1024);
  EXPECT_EQ(load("[limits]\nmax_frame_bytes = 12345\n").limits.max_frame_bytes, 12345u);
  for (const char* bad : {"", "KiB", "-1", "1.5MiB", "64K", "64 potatoes", " 64", "64KiB ",
                          "99999999999999999999", "99999999999TiB"}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(parse_size(bad, "k"), ConfigError);
  }
  try {
    parse_size("lots", "limits.max_queue_bytes");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("limits.max_queue_bytes: ", 0), 0u) << e.what();
  }
}

TEST(AppConfig, Endpoints) {
  struct Case {
    const char* text;
    const char* address;
    std::uint16_t port;
  };
  for (auto [text, address, port] :
       std::vector<Case>{{"127.0.0.1:4000", "127.0.0.1", 4000},
                         {"0.0.0.0:4000", "0.0.0.0", 4000},
                         {"[::1]:4000", "::1", 4000},
                         {"[::]:8080", "::", 8080},
                         {"[fe80::1%eth0]:80", "fe80::1%eth0", 80},
                         {"localhost:4000", "localhost", 4000},
                         {"chat.example.org:443", "chat.example.org", 443},
                         {"127.0.0.1:0", "127.0.0.1", 0},
                         {"127.0.0.1:65535", "127.0.0.1", 65535}}) {
    SCOPED_TRACE(text);
    Endpoint endpoint = parse_endpoint(text, "http.listen");
    EXPECT_EQ(endpoint.address, address);
    EXPECT_EQ(endpoint.port, port);
    EXPECT_EQ(endpoint.to_string(), text);
  }
}

TEST(AppConfig, BadEndpoints) {
  for (const char* bad : {"",
                          "nonsense",
                          "4000",
                          ":4000",
                          "127.0.0.1",
                          "127.0.0.1:",
                          "127.0.0.1:65536",
                          "127.0.0.1:-1",
                          "127.0.0.1:+80",
                          "127.0.0.1:80x",
                          "127.0.0.1:99999999999999999999",
                          "256.0.0.1:4000",
                          "1.2.3:4000",
                          "::1:4000",
                          "[::1]4000",
                          "[::1]:",
                          "[::1:4000",
                          "[127.0.0.1]:4000",
                          "[nonsense]:4000",
                          "[fe80::1%]:80",
                          "local host:4000",
                          "-bad:4000",
                          "a..b:4000",
                          "http://localhost:4000"}) {
    SCOPED_TRACE(bad);
    try {
      parse_endpoint(bad, "hub.listen");
      ADD_FAILURE() << "accepted";
    } catch (const ConfigError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("hub.listen: expected \"ADDR:PORT\", got ", 0), 0u)
          << e.what();
    }
  }
}

TEST(AppConfig, AdminSection) {
  Config cfg;
  load_config_text(
      "log_format = \"json\"\n[admin]\ntoken = \"s3cret-s3cret-s3cret\"\n"
      "listen = \"127.0.0.1:4001\"\n",
      cfg);
  EXPECT_EQ(cfg.log_format, LogFormat::json);
  EXPECT_EQ(cfg.admin.token, "s3cret-s3cret-s3cret");
  ASSERT_TRUE(cfg.admin.listen);
  EXPECT_EQ(cfg.admin.listen->to_string(), "127.0.0.1:4001");
  for (const char* at : {"[::1]:0", "localhost:9", "127.1.2.3:80"}) {
    Config c;
    EXPECT_NO_THROW(load_config_text(std::string("[admin]\nlisten = \"") + at + "\"\n", c)) << at;
  }
  auto error = [](const std::string& toml) {
    Config c;
    try {
      load_config_text(toml, c, "t.toml");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error("[admin]\nlisten = \"0.0.0.0:4001\"\n")
                .rfind("t.toml: admin.listen: expected a loopback address", 0),
            0u);
  EXPECT_EQ(error("[admin]\nlisten = \"10.0.0.1:4001\"\n").rfind("t.toml: admin.listen: ", 0), 0u);
  EXPECT_EQ(error("[admin]\ntoken = \"short\"\n"),
            "t.toml: admin.token: expected at least 16 characters, got 5");
  EXPECT_EQ(error("[admin]\ntoken = \"has a space in it ok\"\n"),
            "t.toml: admin.token: expected no spaces or control characters");
  EXPECT_EQ(error("[admin]\ntokn = \"x\"\n"), "t.toml: admin.tokn: unknown key");
  EXPECT_EQ(error("log_format = \"xml\"\n"),
            "t.toml: log_format: expected one of \"text\", \"json\"; got \"xml\"");
}

TEST(AppConfig, EndpointToString) {
  EXPECT_EQ(Endpoint{}.to_string(), "127.0.0.1:4000");
  EXPECT_EQ((Endpoint{"::1", 4000}.to_string()), "[::1]:4000");
  EXPECT_EQ((Endpoint{"localhost", 0}.to_string()), "localhost:0");
}

// Keys whose default (unset, no table) a file cannot write: the example has them commented out.
const std::set<std::string> kUnsettable = {"hub.listen",
                                           "concierge.listen",
                                           "chatroom.listen",
                                           "heavenland.listen",
                                           "chat_sse.listen",
                                           "mqtt.listen",
                                           "storage.retention",
                                           "chat_sse.publish_listen",
                                           "chat_sse.receive_listen",
                                           "chat_sse.page_listen",
                                           "admin.listen"};

TEST(AppConfig, AllChangedChangesEveryKey) {
  // The premise of the example-file test below: a key all_changed() leaves at its default
  // would pass there even if the example left it out or set it wrong.
  auto defaults = config_values(Config{});
  auto changed = config_values(all_changed());
  ASSERT_EQ(defaults.size(), changed.size());
  for (const auto& [key, value] : defaults) {
    EXPECT_NE(changed.at(key), value) << key << " is at its default in all_changed()";
  }
}

TEST(AppConfig, ExampleFileLoadsAndSetsEveryKeyToItsDefault) {
  // Loaded over a configuration where everything differs, the example must give the defaults
  // back: it is complete, and its values are the defaults.
  Config cfg = all_changed();
  load_config_file(source_dir() / "parley.example.toml", cfg);
  auto got = config_values(cfg);
  auto want = config_values(Config{});
  for (const auto& key : kUnsettable) {
    ASSERT_EQ(got.erase(key), 1u) << key;
    want.erase(key);
  }
  expect_values_eq(got, want);
}

// The example with its commented-out keys ("# listen = ...", the per-channel retention)
// uncommented.
std::string uncommented_example() {
  std::ifstream in(source_dir() / "parley.example.toml");
  EXPECT_TRUE(in);
  std::string text;
  for (std::string line; std::getline(in, line);) {
    bool commented_key = line.rfind("# listen = ", 0) == 0 || line.rfind("# age = ", 0) == 0 ||
                         line.rfind("# count = ", 0) == 0 ||
                         line.rfind("# [storage.retention.", 0) == 0;
    // [chat_sse]'s listeners, one per original service.
    for (const char* key : {"# publish_listen = ", "# receive_listen = ", "# page_listen = "})
      commented_key = commented_key || line.rfind(key, 0) == 0;
    text += (commented_key ? line.substr(2) : line) + "\n";
  }
  return text;
}

// The dotted paths of the values in table (sections' keys as "section.key").
void key_paths(const toml::table& table, const std::string& prefix, std::set<std::string>& out) {
  for (auto&& [name, node] : table) {
    std::string path =
        prefix.empty() ? std::string(name.str()) : prefix + "." + std::string(name.str());
    if (path == "storage.retention") {
      out.insert(path);  // per-channel tables: one key for config_values
    } else if (const toml::table* sub = node.as_table()) {
      key_paths(*sub, path, out);
    } else {
      out.insert(path);
    }
  }
}

TEST(AppConfig, ExampleFileListsEveryKey) {
  // Every key the loader knows is in the example, set or commented out, and nothing else is.
  std::set<std::string> listed;
  key_paths(toml::parse(uncommented_example()), "", listed);
  std::set<std::string> known;
  for (const auto& [key, value] : config_values(Config{})) known.insert(key);
  for (const auto& key : known) EXPECT_TRUE(listed.count(key)) << key << " is not in the example";
  for (const auto& key : listed) EXPECT_TRUE(known.count(key)) << key << " is not a key";
}

TEST(AppConfig, ExampleFileCommentedListenersAreValid) {
  // The example's commented-out lines must load once uncommented.
  Config cfg;
  load_config_text(uncommented_example(), cfg, "uncommented example");
  ASSERT_TRUE(cfg.concierge.listen);
  EXPECT_EQ(cfg.concierge.listen->port, 64209);
  ASSERT_TRUE(cfg.chat_sse.publish_listen);
  EXPECT_EQ(cfg.chat_sse.publish_listen->port, 8080);
  ASSERT_TRUE(cfg.chat_sse.receive_listen);
  EXPECT_EQ(cfg.chat_sse.receive_listen->port, 8081);
  ASSERT_TRUE(cfg.chat_sse.page_listen);
  EXPECT_EQ(cfg.chat_sse.page_listen->port, 8000);
  EXPECT_EQ(cfg.storage.retention.per_channel.size(), 1u);
}

TEST(AppConfig, DocumentationExamplesLoad) {
  std::ifstream in(source_dir() / "docs" / "configuration.md");
  ASSERT_TRUE(in);
  std::vector<std::string> blocks;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line == "```toml") {
      inside = true;
      blocks.emplace_back();
    } else if (line.rfind("```", 0) == 0) {
      inside = false;
    } else if (inside) {
      blocks.back() += line + "\n";
    }
  }
  ASSERT_GE(blocks.size(), 2u);
  for (const auto& block : blocks) {
    SCOPED_TRACE(block);
    Config cfg;
    EXPECT_NO_THROW(load_config_text(block, cfg, "configuration.md"));
  }
}

TEST(AppConfig, LoadFile) {
  auto path = std::filesystem::temp_directory_path() /
              ("parley_config_test_" + std::to_string(::getpid()) + ".toml");
  {
    std::ofstream out(path);
    out << "threads = 3\n[hub]\nlisten = \"[::1]:0\"\n";
  }
  Config cfg;
  load_config_file(path, cfg);
  EXPECT_EQ(cfg.threads, 3u);
  ASSERT_TRUE(cfg.hub.listen);
  EXPECT_EQ(cfg.hub.listen->to_string(), "[::1]:0");
  {
    std::ofstream out(path);
    out << "[hub]\nlisen = 1\n";
  }
  try {
    load_config_file(path, cfg);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), path.string() + ": hub.lisen: unknown key");
  }
  std::filesystem::remove(path);
}

TEST(AppConfig, MissingFileIsAConfigError) {
  Config cfg;
  try {
    load_config_file("/nonexistent/parley.toml", cfg);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("/nonexistent/parley.toml: cannot open", 0), 0u)
        << e.what();
  }
  EXPECT_THROW(load_config_file(std::filesystem::temp_directory_path(), cfg), ConfigError);
}

}  // namespace
}  // namespace parley::app
