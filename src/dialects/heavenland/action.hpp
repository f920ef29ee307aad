#pragma once
// Heavenland's client frames: JSON objects with an "action". Decoding is in two steps, because
// what a malformed field means depends on the connection's state (before login every action but
// `login` answers "you need to authenticate first", whatever its fields):
//   1. decode_frame: text -> JSON object and its action name;
//   2. parse_login / parse_message / parse_history: the fields of one action.
// Every failure is the wire error string (errors.hpp). Nothing here throws but bad_alloc.
#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace parley::dialects::heavenland {

// A parse result: the value, or the error string for the client.
template <class T>
using Parsed = std::variant<T, std::string_view>;

struct Frame {
  boost::json::object object;
  std::string action;  // "" when absent or not a string
};
Parsed<Frame> decode_frame(std::string_view text);

// {"action":"login","token":T} or {"action":"login","username":U,"password":P}; the token wins
// when both are given (as the original).
struct LoginRequest {
  std::string token;  // non-empty for a token login
  std::string username;
  std::string password;
};
Parsed<LoginRequest> parse_login(const boost::json::object& frame);

// {"action":"message","message":S,"channel"?:S|int, ...extra keys}.
struct MessageRequest {
  std::string text;
  std::optional<std::string> channel;  // integers as their decimal text; null: absent
  // The request minus "action" and the keys the server sets ("user_id", "timestamp",
  // "nickname"), in request order, "channel" as a string: what is stored and rendered.
  boost::json::object payload;
};
Parsed<MessageRequest> parse_message(boost::json::object frame);

// {"action":"history","limit"?:N,"offset"?:N}: non-negative integers; limit capped at max_limit.
struct HistoryRequest {
  std::size_t limit = 10;
  std::size_t offset = 0;
};
Parsed<HistoryRequest> parse_history(const boost::json::object& frame, std::size_t max_limit);

inline constexpr std::size_t kDefaultHistoryLimit = 10;  // the original's default
inline constexpr std::size_t kMaxChannelBytes = 200;

}  // namespace parley::dialects::heavenland
