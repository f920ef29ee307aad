#include "dialects/chat_sse/publish.hpp"

#include "dialects/chat_sse/codec.hpp"

namespace parley::dialects::chat_sse {

PublishResult publish(core::Broker& broker, std::string_view channel_id, std::string_view user_id,
                      std::string body, core::Broker::Committed committed) {
  if (!is_uuid(channel_id)) return {400, "channel_id is not a UUID"};
  if (!is_uuid(user_id)) return {400, "user_id is not a UUID"};
  if (!valid_utf8(body)) return {400, "the message is not UTF-8 text"};
  if (!broker.accepting()) return {503, "the message store is busy; retry later"};
  auto outcome = broker.publish(
      make_message(normalize_uuid(channel_id), normalize_uuid(user_id), std::move(body)),
      std::move(committed));
  if (outcome != core::Outcome::ok) return {503, core::describe(outcome)};
  return {200, {}};
}

}  // namespace parley::dialects::chat_sse
