#include "dialects/heavenland/chat_connection.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>

#include "dialects/heavenland/errors.hpp"
#include "dialects/heavenland/render.hpp"

namespace parley::dialects::heavenland {

namespace json = boost::json;

ChatConnection::ChatConnection(ChatShared& shared, core::Sink& sink, std::uint64_t session,
                               std::size_t thread, std::string peer)
    : shared_(shared),
      sink_(sink),
      session_(session),
      thread_(thread),
      peer_(std::move(peer)),
      address_(address_of(peer_)),
      login_bucket_(shared.options.login_per_connection, now()),
      alive_(std::make_shared<ChatConnection*>(this)) {}

ChatConnection::~ChatConnection() { on_close(); }

Clock::time_point ChatConnection::now() const {
  return shared_.options.now ? shared_.options.now() : Clock::now();
}

void ChatConnection::on_text(std::string_view text) {
  if (closed_) return;
  auto decoded = decode_frame(text);
  if (auto* error = std::get_if<std::string_view>(&decoded)) return send_error(*error);
  Frame& frame = std::get<Frame>(decoded);
  if (state_ != State::authenticated) {
    if (frame.action == "login") return handle_login(frame.object);
    return send_error(errors::kNotAuthenticated);
  }
  if (frame.action == "message") return handle_message(std::move(frame.object));
  if (frame.action == "history") return handle_history(frame.object);
  // Unknown actions after login are ignored, as the original did (and `login` again).
  spdlog::debug("heavenland: session={} peer={}: action \"{}\" ignored", session_, peer_,
                frame.action);
}

void ChatConnection::handle_login(const json::object& frame) {
  Clock::time_point t = now();
  if (!login_bucket_.take(t) || !shared_.address_limiter.take(address_, t)) {
    if (!rate_limited_)  // once per run of refusals: a flood does not flood the log
      spdlog::warn("heavenland: session={} peer={}: login rate limit", session_, peer_);
    rate_limited_ = true;
    return sink_.send_text(json::serialize(json::object{{"error", errors::kTooManyLogins}}));
  }
  rate_limited_ = false;
  if (state_ == State::pending) return send_error(errors::kLoginInProgress);
  auto parsed = parse_login(frame);
  if (auto* error = std::get_if<std::string_view>(&parsed)) return send_error(*error);
  auto& request = std::get<LoginRequest>(parsed);
  // A password check costs tens of milliseconds of a hashing thread: an account is tried at
  // most so often, from however many addresses.
  if (request.token.empty() && !shared_.account_limiter.take(request.username, t)) {
    spdlog::warn("heavenland: session={} peer={}: login rate limit of account {:?}", session_,
                 peer_, request.username);
    return sink_.send_text(json::serialize(json::object{{"error", errors::kTooManyLogins}}));
  }
  state_ = State::pending;
  std::weak_ptr<ChatConnection*> alive = alive_;
  std::string username = request.username;
  auto done = [alive, username](AuthResult result) {
    if (auto self = alive.lock()) (*self)->on_login_done(result, username);
  };
  if (!request.token.empty())
    shared_.auth.login_token(request.token, thread_, std::move(done));
  else
    shared_.auth.login_password(request.username, request.password, thread_, std::move(done));
}

void ChatConnection::on_login_done(const AuthResult& result, const std::string& username) {
  if (closed_ || state_ != State::pending) return;
  if (!result.ok()) {
    state_ = State::anonymous;
    return send_error(auth_error_text(result, username));
  }
  state_ = State::authenticated;
  user_id_ = result.user_id;
  nickname_ = result.nickname;
  shared_.online.add(user_id_, nickname_, session_);
  // Subscribed before "connected": whatever is committed after the client reads it, it gets.
  shared_.broker.subscribe_all(thread_, this);
  spdlog::info("heavenland: session={} peer={}: logged in as {} ({})", session_, peer_, user_id_,
               nickname_);
  sink_.send_text(json::serialize(json::object{{"info", "connected"}}));
}

void ChatConnection::handle_message(json::object frame) {
  auto parsed = parse_message(std::move(frame));
  if (auto* error = std::get_if<std::string_view>(&parsed)) return send_error(*error);
  auto& request = std::get<MessageRequest>(parsed);
  core::Message m;
  m.channel = request.channel ? *request.channel : std::string(kDefaultChannel);
  m.author_id = user_id_;
  m.author_name = nickname_;
  m.text = std::move(request.text);
  m.payload = std::move(request.payload);
  m.dialect = std::string(kDialect);
  // Delivered back to this socket too, once committed.
  switch (shared_.broker.publish(std::move(m))) {
    case core::Outcome::ok:
      break;
    case core::Outcome::too_many_channels:
      return send_error(errors::kTooManyChannels);
    case core::Outcome::store_unavailable:
      return send_error(errors::kStorageUnavailable);
  }
  // The store is behind: this client is read again once it has room (nothing is dropped).
  if (!shared_.broker.accepting()) sink_.pause_reading(shared_.broker);
}

void ChatConnection::handle_history(const json::object& frame) {
  auto parsed = parse_history(frame, shared_.options.history_limit);
  if (auto* error = std::get_if<std::string_view>(&parsed)) return send_error(*error);
  auto& request = std::get<HistoryRequest>(parsed);
  json::array history;
  if (request.limit) {
    auto messages = shared_.broker.recent(request.limit, request.offset);
    history.reserve(messages.size());
    for (const auto& m : messages) history.push_back(render_message(*m));
  }
  sink_.send_text(json::serialize(json::object{{"history", std::move(history)}}));
}

void ChatConnection::send_error(std::string_view error) {
  spdlog::info("heavenland: session={} peer={}: {}", session_, peer_, error);
  sink_.send_text(json::serialize(json::object{{"error", error}}));
}

void ChatConnection::on_close() {
  if (closed_) return;
  closed_ = true;
  if (state_ == State::authenticated) {
    shared_.broker.unsubscribe_all(thread_, this);
    shared_.online.remove(user_id_, session_);
  }
}

void ChatConnection::deliver(const core::Event& ev, core::EncodeCache& cache) {
  if (ev.kind != core::Event::Kind::message || closed_) return;
  const core::Frame& frame = cache.get(
      kChatFormat, [&] { return sink_.make_frame(json::serialize(render_message(*ev.message))); });
  if (frame) sink_.send_frame(frame);
}

}  // namespace parley::dialects::heavenland
