#include "app/system.hpp"

namespace parley::app {

const std::vector<std::pair<const char*, SystemInstaller>>& systems() {
  static const std::vector<std::pair<const char*, SystemInstaller>> all = {
      {"hub", install_hub},           {"heavenland", install_heavenland},
      {"chat_sse", install_chat_sse}, {"concierge", install_concierge},
      {"chatroom", install_chatroom}, {"mqtt", install_mqtt},
  };
  return all;
}

}  // namespace parley::app
