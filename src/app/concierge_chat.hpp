#pragma once
#include <string>

namespace parley::app {

// `parley concierge-chat [URL]`: runs the ERT chat service against a Concierge server
// (default ws://localhost:64209/ws, as the original) until killed, reconnecting whenever the
// connection drops. Returns 2 for a URL it cannot use.
int run_concierge_chat(const std::string& url);

}  // namespace parley::app
