#include "core/rate_limit.hpp"

#include <algorithm>

namespace parley::core {

std::string address_of(std::string_view peer) {
  if (peer.starts_with('[')) {
    std::size_t close = peer.find(']');
    if (close != std::string_view::npos) return std::string(peer.substr(1, close - 1));
    return std::string(peer);
  }
  std::size_t colon = peer.rfind(':');
  if (colon == std::string_view::npos || peer.find(':') != colon) return std::string(peer);
  return std::string(peer.substr(0, colon));
}

void TokenBucket::refill(Clock::time_point now) {
  if (now <= last_) return;
  double window_ms = double(std::max<std::int64_t>(1, limit_.window.count()));
  double elapsed_ms = std::chrono::duration<double, std::milli>(now - last_).count();
  tokens_ = std::min(double(limit_.burst), tokens_ + elapsed_ms * double(limit_.burst) / window_ms);
  last_ = now;
}

bool TokenBucket::take(Clock::time_point now) {
  refill(now);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

bool TokenBucket::full(Clock::time_point now) const {
  TokenBucket copy = *this;
  copy.refill(now);
  return copy.tokens_ >= double(limit_.burst);
}

bool KeyedLimiter::take(const std::string& key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (buckets_.size() >= kSweepAt)
    std::erase_if(buckets_, [&](auto& b) { return b.second.full(now); });
  auto it = buckets_.try_emplace(key, limit_, now).first;
  return it->second.take(now);
}

std::size_t KeyedLimiter::size() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

}  // namespace parley::core
