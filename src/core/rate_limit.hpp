#pragma once
// Rate limits: a token bucket (per connection, say), and buckets by key (a client address, an
// account) shared by every connection. A bucket holds up to `burst` tokens and refills evenly,
// `burst` per `window`: a client may act `burst` times at once, then once every window/burst.
#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace parley::core {

using Clock = std::chrono::steady_clock;

struct RateLimit {
  std::size_t burst = 5;
  std::chrono::milliseconds window{60'000};
};

// The address of a peer "ADDR:PORT" or "[V6]:PORT": "ADDR" or "V6"; the text itself without a
// port.
std::string address_of(std::string_view peer);

class TokenBucket {
 public:
  TokenBucket(RateLimit limit, Clock::time_point now)
      : limit_(limit), tokens_(double(limit.burst)), last_(now) {}
  // Takes one attempt; false when none is left.
  bool take(Clock::time_point now);
  // True when the bucket is full again at `now` (it may be forgotten).
  bool full(Clock::time_point now) const;

 private:
  void refill(Clock::time_point now);
  RateLimit limit_;
  double tokens_;
  Clock::time_point last_;
};

// Buckets by key (an address, an account). Thread-safe. Full buckets are forgotten when the
// table grows past kSweepAt, so memory follows the number of keys recently seen.
class KeyedLimiter {
 public:
  explicit KeyedLimiter(RateLimit limit) : limit_(limit) {}
  // Takes one token from key's bucket; false when none is left.
  bool take(const std::string& key, Clock::time_point now);
  std::size_t size() const;

  static constexpr std::size_t kSweepAt = 4096;

 private:
  RateLimit limit_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, TokenBucket> buckets_;
};

}  // namespace parley::core
