#pragma once
// The ERT chat service (the seed's chat_service.py) as a Concierge client, without its socket:
// feed it what the server sends, send what it returns. It identifies as chat_service, creates
// the service chat_service and subscribes to it (to hear who joins and leaves), turns each
// INPUT {text} from a subscriber into a TEXT {author, author_uuid, text} for every subscriber,
// announces joins and leaves as STATUS, and answers "/about" to the asker alone. When the
// service name is held by another client (its own previous connection, say), it takes the name
// as soon as that service is deleted.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::dialects::concierge {

struct ChatServiceOptions {
  std::string name = "chat_service";
  std::string nickname = "Chat Service Client";
  std::string version = "0.2.0";
  std::vector<std::string> tags = {"service", "chat"};
  std::string service = "chat_service";
  std::string service_nickname = "Chat Service";
};

class ChatService {
 public:
  explicit ChatService(ChatServiceOptions options = {}) : options_(std::move(options)) {}

  // The first payload on a new connection: IDENTIFY. Forgets the previous connection's uuid.
  std::string on_connected();
  // Reacts to one payload from the server; returns the payloads to send, in order. Payloads it
  // does not understand, or that are not for its service, get nothing.
  std::vector<std::string> on_payload(std::string_view text);

  // The uuid HELLO gave on this connection, if any.
  const std::optional<std::string>& uuid() const { return uuid_; }
  const ChatServiceOptions& options() const { return options_; }

 private:
  std::string to_service(std::string data) const;

  ChatServiceOptions options_;
  std::optional<std::string> uuid_;
};

// The private answer to "/about".
inline constexpr std::string_view kAboutText =
    "(Only you can see this!)\nERT Chat Service\nVersion: 0.1";

}  // namespace parley::dialects::concierge
