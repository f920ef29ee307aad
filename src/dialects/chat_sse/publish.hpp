#pragma once
// Chat Service: POST /chat/publish/{channel_id}/{user_id}, the message being the request body.
// The HTTP route (net) adds the CORS headers and the rate limit; this decides the status and
// publishes.
#include <string>
#include <string_view>

#include "core/broker.hpp"

namespace parley::dialects::chat_sse {

struct PublishResult {
  // 200: handed to the broker; `committed` is called once the message is durable (or its write
  // failed), and the answer waits for it. 400: an id is not a UUID, or the body is not UTF-8
  // text. 503: the store's queue is full (Broker::accepting), or the broker refused it
  // (core::Outcome: too many channels in memory, or the store could not be read); nothing was
  // published and `committed` is never called.
  // 202 (the original's answer when its message queue was down) is reserved for a broker that
  // cannot reach its cluster engine.
  unsigned status = 200;
  std::string_view reason;  // why, when not 200 (a static string)
};

// Validates the ids, then publishes {"id":<new uuid>,"userId":user_id,"message":body} on channel
// channel_id (both ids in lower case, as the original's UUID.toString() gave them). committed is
// called (on the store's thread) only when the status is 200. Never throws. Thread-safe
// (Broker::publish is).
PublishResult publish(core::Broker& broker, std::string_view channel_id, std::string_view user_id,
                      std::string body, core::Broker::Committed committed = {});

}  // namespace parley::dialects::chat_sse
