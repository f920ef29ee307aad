#pragma once
#include "app/config.hpp"

namespace parley::app {

// Runs the server until SIGINT or SIGTERM; then stops accepting, closes WebSockets with 1001,
// flushes storage and returns 0. Start-up errors are logged and return 1.
int run_server(const Config& config);

}  // namespace parley::app
