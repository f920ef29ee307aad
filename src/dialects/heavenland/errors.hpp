#pragma once
// The error strings Heavenland clients see, as `{"error": <string>}`. Those marked "original"
// are the original server's exact text (clients may match on them); the others are Parley's,
// for input the original crashed on or did not check.
#include <string_view>

namespace parley::dialects::heavenland::errors {

// /chat, original.
inline constexpr std::string_view kNotAuthenticated = "you need to authenticate first";
inline constexpr std::string_view kLoginFieldsMissing =
    "username and password or token have to be provided with action of type login";
inline constexpr std::string_view kTokenInvalid = "the access token is expired or invalid";
inline constexpr std::string_view kTokenUnparsable = "error parsing the access token";
inline constexpr std::string_view kAccountTimeout =
    "Heavenland API request timeout, please try again";
inline constexpr std::string_view kAccountError = "bad request";  // when the API gives no message
inline constexpr std::string_view kTokenUserNotFound =
    "could not find user with given token (maybe token from different environment?)";
inline constexpr std::string_view kInvalidCredentials = "invalid credentials";
inline constexpr std::string_view kAuthUnavailable =
    "heavenland authentication server is unavailable";
inline constexpr std::string_view kLoginFailed = "error occured during logging in";  // sic
inline constexpr std::string_view kUnknownUsernamePrefix = "could not find user with username ";

// /chat, Parley.
inline constexpr std::string_view kNotJson = "the message is not valid JSON";
inline constexpr std::string_view kNotObject = "the message has to be a JSON object";
inline constexpr std::string_view kTooManyLogins =
    "too many login attempts, please try again later";
inline constexpr std::string_view kLoginInProgress = "login already in progress";
inline constexpr std::string_view kLoginsBusy =
    "the server is busy with other logins, please try again later";
inline constexpr std::string_view kMessageNotString = "message has to be a string";
inline constexpr std::string_view kBadChannel =
    "channel has to be a string of 1 to 200 bytes or an integer";
inline constexpr std::string_view kBadLimit = "limit has to be a non-negative integer";
inline constexpr std::string_view kBadOffset = "offset has to be a non-negative integer";
// A message refused by the broker (core::Outcome): the channel limit, the store unreadable.
inline constexpr std::string_view kTooManyChannels = "too many channels, please try again later";
inline constexpr std::string_view kStorageUnavailable =
    "storage unavailable, please try again later";

// /minigame, original.
inline constexpr std::string_view kSchedulerNotRunning = "scheduler not running";
inline constexpr std::string_view kLeaderboardEmpty = "leaderboard is empty";
// "game with id <id> not found in list of running games"
// "position not found for player id <id>"
// "player id <id> not found in the pool of existing players"

// /minigame, Parley.
inline constexpr std::string_view kBadPeriod = "period has to be an integer from 1 to 2147483647";
inline constexpr std::string_view kBadOffsetSeconds =
    "offset has to be an integer from 0 to 2147483647";
inline constexpr std::string_view kLeaderboardNotList = "leaderboard has to be a list of objects";

}  // namespace parley::dialects::heavenland::errors
