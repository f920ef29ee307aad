#pragma once
// Fakes for the Heavenland unit tests: a sink that parses what was sent, a scripted authenticator
// and a manual clock.
#include <boost/json/parse.hpp>
#include <deque>
#include <string>
#include <vector>

#include "dialects/heavenland/authenticator.hpp"
#include "dialects/heavenland/login_limiter.hpp"
#include "recording_sink.hpp"

namespace parley::test {

namespace hl = dialects::heavenland;

// Records what a connection sends; frames are the text itself.
// The shared recording sink; what was sent comes back parsed.
struct HeavenlandSink final : RecordingSink {
  std::vector<boost::json::value> take() { return take_json(); }
};

// Holds each login until the test completes it with complete().
class ScriptedAuth final : public hl::Authenticator {
 public:
  struct Call {
    std::string token, username, password;
    std::size_t thread = 0;
    Done done;
  };
  void login_token(const std::string& token, std::size_t thread, Done done) override {
    calls.push_back({token, "", "", thread, std::move(done)});
  }
  void login_password(const std::string& username, const std::string& password, std::size_t thread,
                      Done done) override {
    calls.push_back({"", username, password, thread, std::move(done)});
  }
  // Completes the oldest pending login.
  void complete(hl::AuthResult result) {
    auto call = std::move(calls.front());
    calls.pop_front();
    call.done(std::move(result));
  }
  void succeed(std::string user_id, std::string nickname) {
    hl::AuthResult r;
    r.failure = hl::AuthFailure::none;
    r.user_id = std::move(user_id);
    r.nickname = std::move(nickname);
    complete(std::move(r));
  }
  void fail(hl::AuthFailure f, std::string detail = {}) {
    hl::AuthResult r;
    r.failure = f;
    r.detail = std::move(detail);
    complete(std::move(r));
  }
  std::deque<Call> calls;
};

// A steady clock the test moves by hand.
struct ManualClock {
  hl::Clock::time_point now{std::chrono::hours(1)};
  void advance(std::chrono::milliseconds d) { now += d; }
};

}  // namespace parley::test
