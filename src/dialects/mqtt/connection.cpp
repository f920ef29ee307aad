#include "dialects/mqtt/connection.hpp"

#include <spdlog/spdlog.h>

#include "core/uuid.hpp"
#include "dialects/mqtt/message.hpp"

namespace parley::dialects::mqtt {

namespace {

// EncodeCache formats: 'M' 'Q', what is cached, the wire. Raw payloads are the same on every wire.
constexpr std::uint32_t kFormatQos0Packet = 0x4D510100;
constexpr std::uint32_t kFormatPayload = 0x4D510200;
constexpr std::uint32_t kFormatPayloadFrame = 0x4D510300;

// A QoS 1 or 2 PUBLISH carries its own packet identifier: from this payload size on, its payload
// is sent as a buffer of its own, shared with the other subscribers of the fan-out.
constexpr std::size_t kSharedPayloadBytes = 512;

// WebSocket close codes (RFC 6455); a TCP transport ignores them.
constexpr std::uint16_t kCloseNormal = 1000;
constexpr std::uint16_t kCloseProtocolError = 1002;
constexpr std::uint16_t kCloseUnsupportedData = 1003;
constexpr std::uint16_t kClosePolicy = 1008;

}  // namespace

Connection::Connection(Engine& engine, core::Sink& sink)
    : engine_(engine),
      transport_(sink),
      thread_(sink.thread()),
      parser_(ParserOptions{engine.options().max_packet_bytes, Role::server}),
      alive_(std::make_shared<bool>(true)) {}

Connection::~Connection() { on_close(); }

std::chrono::steady_clock::time_point Connection::now() const {
  return engine_.options().clock ? engine_.options().clock() : std::chrono::steady_clock::now();
}

template <class Fn>
void Connection::to_session(Fn&& fn) {
  engine_.run_on(session_->home(), thread_,
                 [s = session_, fn = std::forward<Fn>(fn)]() mutable { fn(*s); });
}

void Connection::on_open() {
  last_packet_ = now();
  auto timeout = engine_.options().connect_timeout;
  if (timeout.count() <= 0) return;
  transport_.after(timeout, [this, alive = std::weak_ptr<bool>(alive_)] {
    auto a = alive.lock();
    if (!a || !*a || state_ != State::awaiting_connect) return;
    spdlog::info("mqtt session={} peer={}: no CONNECT within {} ms", transport_.id(),
                 transport_.peer(), engine_.options().connect_timeout.count());
    close(kCloseNormal, "no CONNECT");
  });
}

bool Connection::on_binary(std::string_view data) {
  if (state_ == State::closing || state_ == State::gone) return true;
  if (state_ == State::authenticating) {
    // Held until the login is decided; a client may send packets right after CONNECT.
    if (held_.size() + data.size() > engine_.options().max_packet_bytes + 64 * 1024) {
      fail("too much input before CONNACK");
      return true;
    }
    held_.append(data);
    return true;
  }
  feed(data);
  return true;
}

void Connection::feed(std::string_view data) {
  FeedResult r = parser_.feed(data, *this);
  if (r.error) return fail(r.error);
  if (state_ == State::authenticating && r.consumed < data.size())
    held_.append(data.substr(r.consumed));
}

void Connection::on_text(std::string_view) {
  if (state_ == State::closing || state_ == State::gone) return;
  spdlog::warn("mqtt session={} peer={}: a text frame (MQTT uses binary frames)", transport_.id(),
               transport_.peer());
  close(kCloseUnsupportedData, "MQTT uses binary frames");
}

void Connection::fail(std::string_view why) {
  if (state_ == State::closing || state_ == State::gone) return;
  spdlog::warn("mqtt session={} peer={} client={}: {}; closing", transport_.id(), transport_.peer(),
               client_id_, why);
  close(kCloseProtocolError, why);
}

void Connection::close(std::uint16_t code, std::string_view why) {
  if (state_ == State::closing || state_ == State::gone) return;
  // A session was accepted: the will stays armed until on_close (unless DISCONNECT cleared it).
  state_ = State::closing;
  transport_.close(code, why);
}

void Connection::refuse(std::uint8_t code, std::string_view why) {
  spdlog::info("mqtt session={} peer={} client={}: CONNACK {}: {}", transport_.id(),
               transport_.peer(), client_id_, code, why);
  transport_.send_binary(encode_connack(false, code));
  close(code == connack_code::not_authorized || code == connack_code::bad_username_or_password
            ? kClosePolicy
            : kCloseNormal,
        why);
}

bool Connection::on_packet(const Packet& packet) {
  if (state_ == State::closing || state_ == State::gone) return false;
  last_packet_ = now();
  if (state_ == State::awaiting_connect) {
    const auto* c = std::get_if<Connect>(&packet);
    if (!c) {
      fail(std::string("first packet is ") + type_name(type_of(packet)) + ", not CONNECT");
      return false;
    }
    on_connect(*c);
    return state_ == State::connected;
  }
  struct Visitor {
    Connection& self;
    void operator()(const Connect&) { self.fail("a second CONNECT"); }
    void operator()(const Publish& p) {
      core::Message m = make_message(p.topic, p.payload, p.qos, self.author_);
      self.to_session([from = self.link_, m = std::move(m), qos = p.qos, retain = p.retain,
                       id = p.packet_id](Session& s) mutable {
        s.on_publish(from, std::move(m), qos, retain, id);
      });
      // The store is behind: this client is read again once it has room (nothing is dropped).
      core::Broker& broker = self.engine_.broker();
      if (!broker.accepting()) self.transport_.pause_reading(broker);
    }
    void operator()(const Ack& a) {
      std::uint16_t id = a.packet_id;
      switch (a.type) {
        case PacketType::puback:
          return self.to_session([id](Session& s) { s.on_puback(id); });
        case PacketType::pubrec:
          return self.to_session([from = self.link_, id](Session& s) { s.on_pubrec(from, id); });
        case PacketType::pubrel:
          return self.to_session([from = self.link_, id](Session& s) { s.on_pubrel(from, id); });
        case PacketType::pubcomp:
          return self.to_session([id](Session& s) { s.on_pubcomp(id); });
        default:
          return self.fail("unexpected acknowledgement");  // the parser lets none through
      }
    }
    void operator()(const Subscribe& sub) {
      std::vector<std::pair<std::string, std::uint8_t>> filters;
      filters.reserve(sub.filters.size());
      for (const auto& [filter, qos] : sub.filters) filters.emplace_back(filter, qos);
      self.to_session([from = self.link_, id = sub.packet_id, filters = std::move(filters)](
                          Session& s) mutable { s.on_subscribe(from, id, std::move(filters)); });
    }
    void operator()(const Unsubscribe& u) {
      std::vector<std::string> filters(u.filters.begin(), u.filters.end());
      self.to_session([from = self.link_, id = u.packet_id, filters = std::move(filters)](
                          Session& s) mutable { s.on_unsubscribe(from, id, std::move(filters)); });
    }
    void operator()(const Empty& e) {
      if (e.type == PacketType::pingreq) {
        self.transport_.send_binary(encode_empty(PacketType::pingresp));
      } else if (e.type == PacketType::disconnect) {
        self.will_.reset();  // section 3.14.4: a clean disconnect discards the will
        spdlog::info("mqtt session={} client={}: DISCONNECT", self.transport_.id(),
                     self.client_id_);
        self.close(kCloseNormal, "DISCONNECT");
      } else {
        self.fail("unexpected packet");  // the parser lets none through
      }
    }
    void operator()(const Connack&) { self.fail("CONNACK from a client"); }
    void operator()(const Suback&) { self.fail("SUBACK from a client"); }
  };
  std::visit(Visitor{*this}, packet);
  return state_ == State::connected;
}

void Connection::on_connect(const Connect& c) {
  level_ = c.level;
  if (!c.supported) {
    // Section 3.1.2.2: 0x01, then close.
    return refuse(connack_code::bad_protocol_version,
                  std::string(c.protocol_name) + " level " + std::to_string(c.level));
  }
  const Options& options = engine_.options();
  clean_ = c.clean_session;
  keep_alive_ = std::chrono::seconds(c.keep_alive);
  client_id_ = std::string(c.client_id);
  if (client_id_.empty()) {
    // Section 3.1.3.1: only with a clean session, and then the server assigns one.
    if (!c.clean_session || c.level == kLevel31 || !options.allow_zero_length_client_id)
      return refuse(connack_code::identifier_rejected, "empty client id");
    client_id_ = "parley-" + core::make_uuid();
  }
  if (c.will)
    will_ = PendingWill{std::string(c.will->topic), std::string(c.will->payload), c.will->qos,
                        c.will->retain};
  if (!c.username) {
    if (!options.allow_anonymous)
      return refuse(connack_code::not_authorized, "no user name (allow_anonymous is off)");
    author_ = client_id_;
    return accept();
  }
  author_ = std::string(*c.username);
  Authenticator* auth = engine_.authenticator();
  if (!auth) return accept();
  // A password check costs tens of milliseconds of a hashing thread: limited per address and
  // per account, as Heavenland's logins.
  auto t = now();
  if (!engine_.address_limiter().take(core::address_of(transport_.peer()), t))
    return refuse(connack_code::server_unavailable, "login rate limit of the address");
  if (!engine_.account_limiter().take(author_, t))
    return refuse(connack_code::server_unavailable, "login rate limit of user " + author_);
  state_ = State::authenticating;
  auth->check(author_, std::string(c.password.value_or(std::string_view())), thread_,
              [this, alive = std::weak_ptr<bool>(alive_)](AuthOutcome outcome) {
                auto a = alive.lock();
                if (!a || !*a || state_ != State::authenticating) return;
                state_ = State::awaiting_connect;
                if (outcome == AuthOutcome::rejected)
                  return refuse(connack_code::bad_username_or_password,
                                "unknown user or wrong password");
                if (outcome == AuthOutcome::unavailable)
                  return refuse(connack_code::server_unavailable, "the user store failed");
                accept();
                if (state_ != State::connected) return;
                std::string held = std::move(held_);
                held_.clear();
                if (!held.empty()) feed(held);
              });
}

void Connection::accept() {
  link_ = std::make_shared<Link>(thread_);
  link_->connection = this;
  Engine::Claim claim = engine_.connect(client_id_, clean_, link_);
  if (claim.refused) {
    link_->connection = nullptr;
    link_.reset();
    return refuse(connack_code::server_unavailable, "max_sessions persistent sessions");
  }
  session_ = claim.session;
  state_ = State::connected;
  // MQTT 3.1 has no session-present flag.
  bool present = claim.present && level_ == kLevel311;
  transport_.send_binary(encode_connack(present, connack_code::accepted));
  spdlog::info("mqtt connect session={} peer={} client={} clean={} keep_alive={}s present={}",
               transport_.id(), transport_.peer(), client_id_, clean_, keep_alive_.count() / 1000,
               present);
  engine_.attach(session_, link_);
  if (keep_alive_.count() > 0) arm_keep_alive(keep_alive_ * 3 / 2);
}

void Connection::arm_keep_alive(std::chrono::milliseconds after) {
  transport_.after(after, [this, alive = std::weak_ptr<bool>(alive_)] {
    auto a = alive.lock();
    if (!a || !*a || state_ != State::connected) return;
    auto limit = keep_alive_ * 3 / 2;
    auto silent = std::chrono::duration_cast<std::chrono::milliseconds>(now() - last_packet_);
    if (silent >= limit) {
      spdlog::info("mqtt session={} client={}: nothing for {} ms (keep-alive {} s); closing",
                   transport_.id(), client_id_, silent.count(), keep_alive_.count() / 1000);
      return close(kCloseNormal, "keep-alive timeout");
    }
    arm_keep_alive(limit - silent);
  });
}

void Connection::send_packet(std::string bytes) {
  if (state_ != State::connected) return;
  transport_.send_binary(std::move(bytes));
}

void Connection::send_publish(const core::Message& m, const Publish& p, core::EncodeCache* cache) {
  if (state_ != State::connected) return;
  // A WebSocket frame cannot go on a byte stream: frames are cached per transport.
  const auto wire = static_cast<std::uint32_t>(transport_.transport());
  if (!cache) {
    Publish full = p;
    std::string payload = payload_of(m);
    full.payload = payload;
    return transport_.send_binary(encode_publish(full));
  }
  const core::Frame& payload = cache->get(
      kFormatPayload, [&] { return std::make_shared<const std::string>(payload_of(m)); });
  if (p.qos == 0 && !p.retain && !p.dup) {
    // Every live QoS 0 subscriber of the fan-out gets these same bytes.
    const core::Frame& packet = cache->get(kFormatQos0Packet | wire, [&] {
      Publish full = p;
      full.payload = *payload;
      return transport_.make_binary_frame(encode_publish(full));
    });
    return transport_.send_frame(packet);
  }
  if (payload->size() < kSharedPayloadBytes) {
    Publish full = p;
    full.payload = *payload;
    return transport_.send_binary(encode_publish(full));
  }
  transport_.send_binary(encode_publish_head(p, payload->size()));
  const core::Frame& frame = cache->get(kFormatPayloadFrame | wire,
                                        [&] { return transport_.make_binary_frame(*payload); });
  transport_.send_frame(frame);
}

void Connection::kick(bool publish_will) {
  if (state_ == State::closing || state_ == State::gone) return;
  if (!publish_will) will_.reset();
  spdlog::info("mqtt session={} client={}: taken over by a new connection", transport_.id(),
               client_id_);
  close(kCloseNormal, "session taken over");
}

void Connection::publish_will() {
  if (!will_ || !session_) return;
  core::Message m = make_message(will_->topic, will_->payload, will_->qos, author_);
  spdlog::info("mqtt client={}: publishing its will on '{}'", client_id_, will_->topic);
  // Through the session's thread, after what the client published before.
  engine_.run_on(session_->home(), thread_,
                 [&engine = engine_, m = std::move(m), retain = will_->retain]() mutable {
                   engine.publish(std::move(m), retain);
                 });
  will_.reset();
}

void Connection::on_close() {
  if (state_ == State::gone) return;
  state_ = State::gone;
  *alive_ = false;
  if (link_) link_->connection = nullptr;
  if (!session_) return;
  publish_will();
  engine_.disconnect(client_id_, link_);
  spdlog::info("mqtt gone session={} client={}", transport_.id(), client_id_);
}

}  // namespace parley::dialects::mqtt
