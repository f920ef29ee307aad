#include "app/cli.hpp"

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <iostream>
#include <thread>

#include "app/concierge_chat.hpp"
#include "app/config.hpp"
#include "app/server_main.hpp"
#include "app/users_command.hpp"

namespace parley::app {

namespace {

int check_config(const std::string& file) {
  Config cfg;
  try {
    load_config_file(file, cfg);
  } catch (const ConfigError& e) {
    std::cerr << "parley: configuration error: " << e.what() << "\n";
    return 2;
  }
  std::cout << file << ": ok\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Parley: one real-time chat server for the wire protocols of five chat systems."};
  cli.set_version_flag("--version", std::string("parley ") + PARLEY_VERSION);
  std::string config_file, http, data_dir, log_level, log_format;
  unsigned threads = 0;
  cli.add_option("--config", config_file, "TOML configuration file (docs/configuration.md)")
      ->check(CLI::ExistingFile);
  cli.add_option("--http", http, "HTTP/WebSocket listener, ADDR:PORT (default 127.0.0.1:4000)");
  std::string mqtt;
  auto* mqtt_option = cli.add_option(
      "--mqtt", mqtt, "MQTT TCP listener, ADDR:PORT, \"\" for none (default 127.0.0.1:1883)");
  mqtt_option->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  cli.add_option("--data-dir", data_dir, "Directory of the embedded store (default ./data)");
  cli.add_option("--threads", threads, "I/O threads (default: the number of cores)")
      ->check(CLI::Range(1u, 1024u));
  cli.add_option("--log-level", log_level,
                 "trace, debug, info, warn, error, critical or off (default info)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  cli.add_option("--log-format", log_format,
                 "text, or json: one JSON object per line, for log collectors (default text)")
      ->check(CLI::IsMember({"text", "json"}));
  // parley check-config FILE: validates a configuration file and exits.
  std::string check_file;
  auto* check = cli.add_subcommand(
      "check-config", "Validate a configuration file: exit 0 when it is valid, 2 naming the key");
  check->add_option("file", check_file, "The TOML file (docs/configuration.md)")->required();
  // parley users add|remove|list: the local accounts of username/password logins.
  UsersCommand users_command;
  auto* users = cli.add_subcommand("users", "Manage the local user accounts (password logins)");
  users->require_subcommand(1);
  users->fallthrough();
  auto* users_add = users->add_subcommand(
      "add", "Add a user; the password is read from standard input (its first line)");
  users_add->add_option("username", users_command.username, "User name, also the user's id")
      ->required();
  users_add->add_option("--nickname", users_command.nickname,
                        "Display name (default: the user name)");
  users_add->fallthrough();
  users_add->callback([&] { users_command.action = UsersCommand::Action::add; });
  auto* users_remove = users->add_subcommand("remove", "Remove a user");
  users_remove->add_option("username", users_command.username, "User name")->required();
  users_remove->fallthrough();
  users_remove->callback([&] { users_command.action = UsersCommand::Action::remove; });
  auto* users_list = users->add_subcommand("list", "List the users: name, nickname, created");
  users_list->fallthrough();
  users_list->callback([&] { users_command.action = UsersCommand::Action::list; });
  std::string chat_url = "ws://localhost:64209/ws";
  auto* chat = cli.add_subcommand(
      "concierge-chat",
      "Run the ERT chat service: a Concierge client serving the service chat_service");
  chat->add_option("url", chat_url,
                   "The Concierge's WebSocket URL (default ws://localhost:64209/ws)");
  CLI11_PARSE(cli, argc, argv);
  if (*chat) return run_concierge_chat(chat_url);
  if (*check) return check_config(check_file);

  Config cfg;
  try {
    if (!config_file.empty()) load_config_file(config_file, cfg);
    if (!http.empty()) cfg.http.listen = parse_endpoint(http, "--http");
    if (mqtt_option->count() > 0) {
      if (mqtt.empty())
        cfg.mqtt.listen.reset();
      else
        cfg.mqtt.listen = parse_endpoint(mqtt, "--mqtt");
    }
  } catch (const ConfigError& e) {
    std::cerr << "parley: configuration error: " << e.what() << "\n";
    return 2;
  }
  if (!data_dir.empty()) cfg.storage.data_dir = data_dir;
  if (threads) cfg.threads = threads;
  if (!log_level.empty()) cfg.log_level = log_level;
  if (log_format == "json") cfg.log_format = LogFormat::json;
  if (log_format == "text") cfg.log_format = LogFormat::text;
  if (users->parsed()) return run_users_command(cfg, users_command);
  if (cfg.threads == 0) cfg.threads = std::max(1u, std::thread::hardware_concurrency());
  return run_server(cfg);
}

}  // namespace parley::app
