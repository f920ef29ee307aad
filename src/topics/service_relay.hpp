#pragma once
// Client-to-client services, ChatRoom's way: a client registers a name; a request for it is
// relayed to that provider under a fresh request id, and the provider's response goes back to
// the caller under the caller's own id. This class is the bookkeeping only (who provides what,
// which requests are open); SyncHub does the sending and the timeouts. Thread-safe: one mutex,
// never held while calling out.
#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

namespace parley::topics {

class ServiceRelay {
 public:
  // A request made by the server itself (a validator asked about a change): called once with the
  // provider's response, or with nullopt and the reason it will never come.
  using Internal =
      std::function<void(std::optional<boost::json::value> response, std::string error)>;

  // Whom a response (or an error in its place) goes to.
  struct Caller {
    std::uint64_t client = 0;       // 0: the server itself (internal set)
    boost::json::value request_id;  // the caller's own id, echoed
    std::string service;
    Internal internal;
  };
  struct Relayed {
    std::uint64_t provider = 0;
    std::string request_id;  // fresh: what the provider is sent
  };
  struct Departure {
    std::vector<std::string> services;                 // the client provided these
    std::vector<std::pair<std::string, Caller>> owed;  // requests it will never answer
  };

  // make_id makes fresh request ids (uuid v4 by default). max_pending: open requests per caller.
  explicit ServiceRelay(std::size_t max_pending = 1000, std::function<std::string()> make_id = {});

  // An error when name is provided by another client. Registering again is a no-op.
  std::optional<std::string> add(const std::string& name, std::uint64_t provider);
  // An error when provider does not provide name. Requests already relayed stay open.
  std::optional<std::string> remove(const std::string& name, std::uint64_t provider);
  std::optional<std::uint64_t> provider_of(const std::string& name) const;
  // Every service and its provider, by name.
  std::vector<std::pair<std::string, std::uint64_t>> list() const;

  // Opens a request for service: the provider and fresh id to relay it under, or an error
  // (no provider; too many open requests from this caller).
  std::variant<Relayed, std::string> open(const std::string& service, Caller caller);
  // The provider answered request_id: whom to tell. An error when no such request is open or it
  // was relayed to someone else.
  std::variant<Caller, std::string> answer(std::uint64_t provider, const std::string& request_id);
  // request_id timed out: whom to tell, if it was still open.
  std::optional<Caller> expire(const std::string& request_id);
  // client is gone: its services go, the requests relayed to it are owed an error, and the
  // requests it made are forgotten.
  Departure leave(std::uint64_t client);

  std::size_t open_count() const;

 private:
  struct Open {
    std::uint64_t provider;
    Caller caller;
  };
  void forget(std::unordered_map<std::string, Open>::iterator it);

  const std::size_t max_pending_;
  std::function<std::string()> make_id_;
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> providers_;
  std::unordered_map<std::string, Open> open_;  // by fresh id
  std::unordered_map<std::uint64_t, std::size_t> per_caller_;
};

}  // namespace parley::topics
