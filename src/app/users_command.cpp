#include "app/users_command.hpp"

#include <termios.h>
#include <unistd.h>

#include <ctime>
#include <iostream>

#include "auth/user_store.hpp"

namespace parley::app {

namespace {

// The first line of standard input, without its line end; echo off when it is a terminal.
std::optional<std::string> read_password() {
  bool tty = ::isatty(STDIN_FILENO);
  termios saved{};
  if (tty) {
    std::cerr << "Password: " << std::flush;
    if (::tcgetattr(STDIN_FILENO, &saved) == 0) {
      termios quiet = saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
  }
  std::string line;
  bool ok = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << "\n";
  }
  if (!ok && line.empty()) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::string iso_time(std::int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int add(auth::UserStore& store, const UsersCommand& c) {
  if (auto problem = auth::UserStore::username_problem(c.username); !problem.empty()) {
    std::cerr << "parley users add: " << problem << "\n";
    return 1;
  }
  std::string nickname = c.nickname.empty() ? c.username : c.nickname;
  if (auto problem = auth::UserStore::nickname_problem(nickname); !problem.empty()) {
    std::cerr << "parley users add: " << problem << "\n";
    return 1;
  }
  auto password = c.password ? c.password : read_password();
  if (!password || password->empty()) {
    std::cerr << "parley users add: no password (give it on standard input)\n";
    return 1;
  }
  std::string error;
  switch (store.add(c.username, *password, nickname, error)) {
    case auth::UserStore::Change::done:
      std::cout << "added " << c.username << "\n";
      return 0;
    case auth::UserStore::Change::exists:
      std::cerr << "parley users add: " << c.username << " exists\n";
      return 1;
    default:
      std::cerr << "parley users add: " << error << "\n";
      return 1;
  }
}

int remove(auth::UserStore& store, const UsersCommand& c) {
  std::string error;
  switch (store.remove(c.username, error)) {
    case auth::UserStore::Change::done:
      std::cout << "removed " << c.username << "\n";
      return 0;
    case auth::UserStore::Change::unknown:
      std::cerr << "parley users remove: no user " << c.username << "\n";
      return 1;
    default:
      std::cerr << "parley users remove: " << error << "\n";
      return 1;
  }
}

}  // namespace

int run_users_command(const Config& config, const UsersCommand& c) {
  try {
    auth::UserStore store(config.storage.data_dir / "parley.db");
    switch (c.action) {
      case UsersCommand::Action::add:
        return add(store, c);
      case UsersCommand::Action::remove:
        return remove(store, c);
      case UsersCommand::Action::list:
        for (const auto& u : store.list())
          std::cout << u.username << "\t" << u.nickname << "\t" << iso_time(u.created_ms) << "\n";
        return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "parley users: " << e.what() << "\n";
  }
  return 1;
}

}  // namespace parley::app
