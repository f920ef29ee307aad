#pragma once
// What every MQTT connection of the process shares: the options, the broker, the sessions by
// client id, the retained messages, one SubscriptionIndex per I/O thread, and what is kept
// across restarts in a StateStore as it changes: "s/<client id>" the subscriptions of a
// persistent session (written when it starts and when they change), "m/<client id>/<seq>" and
// "p/<client id>" the rest of its state (session.hpp), "r/<topic>" a retained message.
//
// Sessions by client id (section 3.1.4): a CONNECT takes over the session of its client id. The
// connection holding it is closed; its will is published when either side asked for a clean
// session (Mosquitto's rule), else dropped. Clean session 1 discards the old session; 0 resumes
// a persistent one (session present) or starts one. Registry operations take one mutex; what
// they decide for a session or a connection is posted to its thread.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/broker.hpp"
#include "core/rate_limit.hpp"
#include "core/state_store.hpp"
#include "core/subscriber.hpp"
#include "dialects/mqtt/authenticator.hpp"
#include "dialects/mqtt/options.hpp"
#include "dialects/mqtt/retained.hpp"
#include "dialects/mqtt/session.hpp"
#include "dialects/mqtt/subscription_index.hpp"

namespace parley::dialects::mqtt {

class Engine {
 public:
  // store and auth may be null: nothing kept across restarts; user names accepted unchecked.
  // All references must outlive the engine.
  Engine(core::Broker& broker, core::Dispatcher& threads, Options options,
         core::StateStore* store = nullptr, Authenticator* auth = nullptr);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const Options& options() const { return options_; }
  core::Broker& broker() { return broker_; }
  core::Dispatcher& threads() { return threads_; }
  Authenticator* authenticator() { return auth_; }
  RetainedStore& retained() { return retained_; }
  SubscriptionIndex& index(std::size_t thread) { return *indexes_.at(thread); }
  core::StateStore* store() { return store_; }
  // The login limits (options().login_per_address / login_per_account), shared by every
  // connection.
  core::KeyedLimiter& address_limiter() { return address_limiter_; }
  core::KeyedLimiter& account_limiter() { return account_limiter_; }

  // Start-up, before the I/O threads run: the sessions and retained messages kept by the last
  // run (key, value records as the StateStore holds them). Returns the number of records read;
  // records of no session (and of an older format) are erased.
  std::size_t restore(const std::vector<std::pair<std::string, std::string>>& records);
  // A key for a session's message record, unique in the store. Thread-safe.
  std::uint64_t next_record_seq() { return ++record_seq_; }

  struct Claim {
    std::shared_ptr<Session> session;
    bool present = false;  // a persistent session was resumed
    bool refused = false;  // max_sessions: answer 0x03
  };
  // A CONNECT for client_id was accepted on link->thread. The session must then be attached
  // (attach()) once CONNACK is sent.
  Claim connect(const std::string& client_id, bool clean, const LinkPtr& link);
  void attach(const std::shared_ptr<Session>& session, const LinkPtr& link);
  // The connection on link ended (any reason).
  void disconnect(const std::string& client_id, const LinkPtr& link);
  // True when link is the connection holding client_id's session now.
  bool holds(const std::string& client_id, const LinkPtr& link) const;

  // Publishes m; retain: it also becomes (or, empty, clears) its topic's retained message.
  // committed and the outcome: as Broker::publish (a refused message is not retained).
  // Thread-safe.
  core::Outcome publish(core::Message m, bool retain, core::Broker::Committed committed = {});

  // True when [mqtt] deny_subscribe refuses this filter (or withholds this topic).
  bool denied(std::string_view filter_or_topic) const;

  // Persistent sessions: their subscriptions changed / they ended.
  void save_subscriptions(const Session& session);
  void forget(const std::string& client_id);

  // Runs fn on thread: at once when `from` is that thread, else posted.
  template <class Fn>
  void run_on(std::size_t thread, std::size_t from, Fn&& fn) {
    if (thread == from)
      fn();
    else
      threads_.post(thread, std::forward<Fn>(fn));
  }

  std::size_t session_count() const;

 private:
  struct Entry {
    std::shared_ptr<Session> session;
    LinkPtr link;       // the connection holding it, or null
    bool clean = true;  // that connection asked for a clean session
  };

  core::Broker& broker_;
  core::Dispatcher& threads_;
  const Options options_;
  core::StateStore* store_;
  Authenticator* auth_;
  RetainedStore retained_;
  core::KeyedLimiter address_limiter_;
  core::KeyedLimiter account_limiter_;
  std::vector<std::unique_ptr<SubscriptionIndex>> indexes_;  // one per I/O thread
  mutable std::mutex mutex_;                                 // guards sessions_, persistent_
  std::unordered_map<std::string, Entry> sessions_;
  std::size_t persistent_ = 0;
  std::atomic<std::uint64_t> record_seq_{0};
};

}  // namespace parley::dialects::mqtt
