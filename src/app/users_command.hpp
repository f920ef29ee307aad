#pragma once
// `parley users add|remove|list`: the local user accounts of username/password logins (the
// table `users` of the embedded database, in [storage] data_dir).
#include <optional>
#include <string>

#include "app/config.hpp"

namespace parley::app {

struct UsersCommand {
  enum class Action { add, remove, list } action = Action::list;
  std::string username;
  std::string nickname;                 // add: default the username
  std::optional<std::string> password;  // add: else read from standard input (first line)
};

// Runs the command; prints to stdout/stderr. Returns the exit code: 0 done, 1 refused or failed.
int run_users_command(const Config& config, const UsersCommand& command);

}  // namespace parley::app
