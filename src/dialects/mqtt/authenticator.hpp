#pragma once
// How an MQTT connection checks a CONNECT's user name and password: against Parley's user store
// (src/auth), on the blocking pool, in net. A fake in the unit tests.
#include <cstddef>
#include <functional>
#include <string>

namespace parley::dialects::mqtt {

enum class AuthOutcome {
  ok,
  rejected,     // unknown user or wrong password: CONNACK 0x04
  unavailable,  // the store cannot be read: CONNACK 0x03
};

class Authenticator {
 public:
  using Done = std::function<void(AuthOutcome)>;
  virtual ~Authenticator() = default;
  // Calls done exactly once, on I/O thread `thread`, possibly before returning. done may
  // outlive the caller: it must check that its connection is still there.
  virtual void check(const std::string& username, const std::string& password, std::size_t thread,
                     Done done) = 0;
};

}  // namespace parley::dialects::mqtt
