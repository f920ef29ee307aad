#include "core/presence.hpp"

#include <algorithm>
#include <array>
#include <random>

namespace parley::core {

namespace {

PresenceMeta* find_meta(PresenceMap& map, const std::string& key, std::uint64_t session) {
  auto it = map.find(key);
  if (it == map.end()) return nullptr;
  for (auto& m : it->second)
    if (m.session == session) return &m;
  return nullptr;
}

}  // namespace

std::string make_presence_ref() {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uint64_t bits = rng();
  std::array<unsigned char, 8> b{};
  for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(bits >> (i * 8));
  std::string out;
  out.reserve(12);
  for (int i = 0; i < 8; i += 3) {
    std::uint32_t n = b[i] << 16;
    if (i + 1 < 8) n |= b[i + 1] << 8;
    if (i + 2 < 8) n |= b[i + 2];
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += i + 1 < 8 ? alphabet[(n >> 6) & 63] : '=';
    out += i + 2 < 8 ? alphabet[n & 63] : '=';
  }
  return out;
}

PresenceDiff Presence::track(const std::string& key, std::uint64_t session,
                             boost::json::object data) {
  if (find_meta(map_, key, session)) return update(key, session, std::move(data));
  PresenceMeta meta{session, make_presence_ref(), {}, std::move(data)};
  keys_of_[session].push_back(key);
  PresenceDiff diff;
  diff.joins[key].push_back(meta);
  map_[key].push_back(std::move(meta));
  return diff;
}

PresenceDiff Presence::update(const std::string& key, std::uint64_t session,
                              boost::json::object data) {
  PresenceDiff diff;
  PresenceMeta* meta = find_meta(map_, key, session);
  if (!meta) return diff;
  PresenceMeta old = *meta;
  meta->prev_ref = old.ref;
  meta->ref = make_presence_ref();
  meta->data = std::move(data);
  diff.leaves[key].push_back(std::move(old));
  diff.joins[key].push_back(*meta);
  return diff;
}

void merge_diff(PresenceDiff& pending, PresenceDiff next) {
  for (auto& [key, metas] : next.leaves) {
    for (auto& meta : metas) {
      auto joined = pending.joins.find(key);
      if (joined != pending.joins.end()) {
        auto& j = joined->second;
        auto same = std::find_if(j.begin(), j.end(),
                                 [&](const PresenceMeta& m) { return m.ref == meta.ref; });
        if (same != j.end()) {
          j.erase(same);
          if (j.empty()) pending.joins.erase(joined);
          continue;
        }
      }
      pending.leaves[key].push_back(std::move(meta));
    }
  }
  for (auto& [key, metas] : next.joins) {
    auto& j = pending.joins[key];
    j.insert(j.end(), std::make_move_iterator(metas.begin()), std::make_move_iterator(metas.end()));
  }
}

PresenceDiff Presence::untrack(std::uint64_t session) {
  PresenceDiff diff;
  auto keys = keys_of_.find(session);
  if (keys == keys_of_.end()) return diff;
  for (const std::string& key : keys->second) {
    auto it = map_.find(key);
    if (it == map_.end()) continue;
    auto& metas = it->second;
    auto gone = std::stable_partition(metas.begin(), metas.end(),
                                      [&](const PresenceMeta& m) { return m.session != session; });
    if (gone != metas.end()) {
      auto& leaves = diff.leaves[key];
      leaves.insert(leaves.end(), std::make_move_iterator(gone),
                    std::make_move_iterator(metas.end()));
      metas.erase(gone, metas.end());
    }
    if (metas.empty()) map_.erase(it);
  }
  keys_of_.erase(keys);
  return diff;
}

}  // namespace parley::core
