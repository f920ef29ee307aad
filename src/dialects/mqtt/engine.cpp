#include "dialects/mqtt/engine.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>

#include "dialects/mqtt/connection.hpp"
#include "dialects/mqtt/topic.hpp"

namespace parley::dialects::mqtt {

Engine::Engine(core::Broker& broker, core::Dispatcher& threads, Options options,
               core::StateStore* store, Authenticator* auth)
    : broker_(broker),
      threads_(threads),
      options_(std::move(options)),
      store_(store),
      auth_(auth),
      retained_(store, options_.max_retained),
      address_limiter_(options_.login_per_address),
      account_limiter_(options_.login_per_account) {
  for (std::size_t t = 0; t < threads_.thread_count(); ++t)
    indexes_.push_back(std::make_unique<SubscriptionIndex>(*this, t));
}

Engine::~Engine() {
  // The sessions leave their indexes before the indexes go.
  std::lock_guard lock(mutex_);
  for (auto& [id, entry] : sessions_) entry.session->discard(/*erase_records=*/false);
  sessions_.clear();
}

bool Engine::denied(std::string_view filter_or_topic) const {
  for (const std::string& deny : options_.deny_subscribe)
    if (topic_matches(deny, filter_or_topic)) return true;
  return false;
}

core::Outcome Engine::publish(core::Message m, bool retain, core::Broker::Committed committed) {
  if (retain) return retained_.publish(std::move(m), broker_, std::move(committed));
  return broker_.publish(std::move(m), std::move(committed));
}

Engine::Claim Engine::connect(const std::string& client_id, bool clean, const LinkPtr& link) {
  Claim claim;
  LinkPtr kicked;
  bool kicked_will = false;
  std::shared_ptr<Session> discarded;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(client_id);
    bool resume = it != sessions_.end() && !clean && it->second.session->persistent();
    if (!clean && !resume && persistent_ >= options_.max_sessions) {
      claim.refused = true;
      return claim;
    }
    if (it != sessions_.end()) {
      Entry& old = it->second;
      if (old.link) {
        kicked = old.link;
        kicked_will = old.clean || clean;
      }
      if (resume) {
        claim.session = old.session;
        claim.present = true;
      } else {
        discarded = old.session;
        if (discarded->persistent()) --persistent_;
      }
    }
    if (!claim.session) {
      claim.session = std::make_shared<Session>(*this, client_id, link->thread, !clean);
      if (!clean) {
        ++persistent_;
        save_subscriptions(*claim.session);  // none yet: the session itself is kept
      }
    }
    sessions_[client_id] = Entry{claim.session, link, clean};
  }
  if (kicked) {
    threads_.post(kicked->thread, [kicked, kicked_will] {
      if (kicked->connection) kicked->connection->kick(kicked_will);
    });
  }
  if (discarded) {
    if (discarded->persistent()) forget(client_id);
    threads_.post(discarded->home(), [discarded] { discarded->discard(); });
  }
  return claim;
}

void Engine::attach(const std::shared_ptr<Session>& session, const LinkPtr& link) {
  run_on(session->home(), link->thread, [session, link] { session->attach(link); });
}

void Engine::disconnect(const std::string& client_id, const LinkPtr& link) {
  std::shared_ptr<Session> session;
  bool discard = false;
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(client_id);
    if (it == sessions_.end() || it->second.link != link) return;  // taken over since
    session = it->second.session;
    if (session->persistent()) {
      it->second.link.reset();
    } else {
      discard = true;
      sessions_.erase(it);
    }
  }
  // Posted even on the session's own thread: this may run inside a fan-out that is iterating
  // over the session.
  if (discard)
    threads_.post(session->home(), [session] { session->discard(); });
  else
    threads_.post(session->home(), [session, link] { session->detach(link); });
}

bool Engine::holds(const std::string& client_id, const LinkPtr& link) const {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(client_id);
  return it != sessions_.end() && it->second.link == link;
}

void Engine::save_subscriptions(const Session& session) {
  if (store_) store_->put("s/" + session.client_id(), session.subscriptions_record());
}

void Engine::forget(const std::string& client_id) {
  if (!store_) return;
  store_->erase("s/" + client_id);
  store_->erase(Session::pubrel_key(client_id));  // its message records go with discard()
}

std::size_t Engine::session_count() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

std::size_t Engine::restore(const std::vector<std::pair<std::string, std::string>>& records) {
  std::size_t read = 0;
  std::lock_guard lock(mutex_);
  // Subscriptions first: a state record belongs to a session that has them.
  for (const auto& [key, value] : records) {
    if (key.starts_with("r/")) {
      if (retained_.restore(value))
        ++read;
      else
        spdlog::warn("mqtt: unreadable retained message record '{}'; ignored", key);
    } else if (key.starts_with("s/")) {
      std::string client_id = key.substr(2);
      if (sessions_.count(client_id)) continue;
      std::size_t home = std::hash<std::string>{}(client_id) % threads_.thread_count();
      auto s = std::make_shared<Session>(*this, client_id, home, /*persistent=*/true);
      if (!s->restore_subscriptions(value)) {
        s->discard(/*erase_records=*/false);  // leaves the index with what it had read
        spdlog::warn("mqtt: unreadable session record '{}'; the session is lost", key);
        continue;
      }
      sessions_[client_id] = Entry{s, nullptr, false};
      ++persistent_;
      ++read;
    }
  }
  // Then their messages, in the order they were delivered (seq), and inbound identifiers.
  std::vector<std::pair<std::string_view, std::string_view>> rest;
  for (const auto& [key, value] : records)
    if (key.starts_with("m/") || key.starts_with("p/") || key.starts_with("q/"))
      rest.emplace_back(key, value);
  auto seq_of = [](std::string_view key) -> std::uint64_t {
    if (key.size() < 2 + 17 || key[key.size() - 17] != '/') return 0;
    std::uint64_t seq = 0;
    for (char c : key.substr(key.size() - 16)) {
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) return 0;
      seq = seq * 16 + static_cast<std::uint64_t>(d);
    }
    return seq;
  };
  std::sort(rest.begin(), rest.end(),
            [&](const auto& a, const auto& b) { return seq_of(a.first) < seq_of(b.first); });
  std::uint64_t top = 0;
  for (const auto& [key, value] : rest) {
    std::uint64_t seq = key.starts_with("m/") ? seq_of(key) : 0;
    std::string client_id(key.starts_with("m/") ? key.substr(2, key.size() - 2 - 17)
                                                : key.substr(2));
    auto it = sessions_.find(client_id);
    bool ok = false;
    if (key.starts_with("q/")) {
      ok = false;  // the format of a development build: dropped
    } else if (it == sessions_.end()) {
      ok = false;
    } else if (key.starts_with("m/")) {
      ok = seq != 0 && it->second.session->restore_message(seq, value);
      if (!ok && seq != 0)
        spdlog::warn("mqtt: unreadable session message '{}'; that message is lost", key);
    } else {
      ok = it->second.session->restore_pubrel(value);
      if (!ok) spdlog::warn("mqtt: unreadable session state '{}'; ignored", key);
    }
    if (ok) {
      top = std::max(top, seq);
      ++read;
    } else if (store_) {
      store_->erase(std::string(key));
    }
  }
  record_seq_ = std::max<std::uint64_t>(record_seq_, top);
  return read;
}

}  // namespace parley::dialects::mqtt
