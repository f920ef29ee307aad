#include "dialects/concierge/connection.hpp"

#include <spdlog/spdlog.h>

#include "dialects/concierge/codec.hpp"

namespace parley::dialects::concierge {

namespace json = boost::json;

Connection::Connection(Registry& registry, core::Sink& sink, std::uint64_t session,
                       std::size_t thread, std::string peer, ConnectionOptions options)
    : registry_(registry),
      sink_(sink),
      session_(session),
      peer_(std::move(peer)),
      options_(std::move(options)) {
  caller_.thread = thread;
  caller_.subscriber = this;
  last_seen_ = now();
}

Connection::~Connection() { on_close(); }

std::chrono::steady_clock::time_point Connection::now() const {
  return options_.clock ? options_.clock() : std::chrono::steady_clock::now();
}

void Connection::on_open() {
  last_seen_ = now();
  sink_.after(options_.identify_timeout, [this] {
    if (closed_ || !caller_.uuid.empty()) return;
    spdlog::info("concierge: session={} peer={}: no IDENTIFY within {} ms", session_, peer_,
                 options_.identify_timeout.count());
    close(close_code::auth_failed);
  });
  sink_.after(options_.ping_interval, [this] { heartbeat(); });
}

void Connection::heartbeat() {
  if (closed_) return;
  auto silent = now() - last_seen_;
  if (silent > options_.heartbeat_timeout) {
    spdlog::info("concierge: session={} peer={}: silent for {} ms", session_, peer_,
                 std::chrono::duration_cast<std::chrono::milliseconds>(silent).count());
    return close(close_code::hb_failed);
  }
  sink_.ping();
  sink_.after(options_.ping_interval, [this] { heartbeat(); });
}

void Connection::on_alive() { last_seen_ = now(); }

void Connection::close(std::uint16_t code) {
  if (closed_) return;
  closed_ = true;
  registry_.leave(caller_);
  sink_.close(code, close_reason(code));
}

void Connection::on_close() {
  bool was_open = !closed_;
  closed_ = true;
  registry_.leave(caller_);
  if (was_open && !uuid_.empty() && options_.on_gone) options_.on_gone(uuid_);
}

bool Connection::on_binary(std::string_view data) {
  if (closed_) return true;
  last_seen_ = now();
  if (caller_.uuid.empty()) {
    spdlog::info("concierge: session={} peer={}: binary frame before IDENTIFY", session_, peer_);
    close(close_code::no_auth);
    return true;
  }
  spdlog::debug("concierge: session={} peer={}: binary frame of {} bytes ignored", session_, peer_,
                data.size());
  return true;
}

void Connection::on_text(std::string_view text) {
  if (closed_) return;
  last_seen_ = now();
  if (caller_.uuid.empty()) return identify(text);
  handle(text);
}

void Connection::identify(std::string_view text) {
  auto decoded = decode_in(text);
  if (auto* err = std::get_if<DecodeError>(&decoded)) {
    spdlog::info("concierge: session={} peer={}: first payload invalid: {}", session_, peer_,
                 err->desc);
    return close(close_code::unknown);
  }
  auto* id = std::get_if<in::Identify>(&std::get<PayloadIn>(decoded));
  if (!id) {
    spdlog::info("concierge: session={} peer={}: first payload is {}, not IDENTIFY", session_,
                 peer_, type_name(std::get<PayloadIn>(decoded)));
    return close(close_code::no_auth);
  }
  std::uint16_t refused = 0;
  if (!valid_client_name(id->name))
    refused = close_code::bad_auth;
  else if (options_.secret && id->secret != options_.secret)
    refused = close_code::bad_secret;
  else if (!version_supported(id->version))
    refused = close_code::bad_version;
  if (refused) {
    spdlog::info("concierge: session={} peer={}: IDENTIFY refused ({}): name={:?} version={:?}",
                 session_, peer_, close_reason(refused), id->name, id->version);
    return close(refused);
  }
  auto hello = registry_.identify(caller_, *id);
  if (auto* refused = std::get_if<Registry::Refused>(&hello)) {
    if (*refused == Registry::Refused::name_taken) {
      spdlog::info("concierge: session={} peer={}: name {} is taken", session_, peer_, id->name);
      return close(close_code::duplicate_auth);
    }
    spdlog::warn("concierge: session={} peer={}: {} refused: too many channels", session_, peer_,
                 id->name);
    return close(close_code::try_again_later);
  }
  name_ = id->name;
  uuid_ = caller_.uuid;
  spdlog::info("concierge: session={} peer={}: {} identified as {}", session_, peer_, name_,
               caller_.uuid);
  sink_.send_text(std::move(std::get<std::string>(hello)));
}

void Connection::handle(std::string_view text) {
  const std::uint64_t seq = seq_++;
  auto decoded = decode_in(text);
  if (auto* err = std::get_if<DecodeError>(&decoded)) {
    spdlog::info("concierge: session={} peer={} ({}): invalid payload: {}", session_, peer_, name_,
                 err->desc);
    sink_.send_text(encode(PayloadOut{seq, out::ErrorProtocol{err->desc}}));
    return;
  }
  const PayloadIn& payload = std::get<PayloadIn>(decoded);
  if (std::holds_alternative<in::Identify>(payload)) {
    sink_.send_text(encode(PayloadOut{seq, out::ErrorUnsupported{}}));
    return;
  }
  if (auto* set = std::get_if<in::SelfSetSeq>(&payload)) {
    // Answered with the new value; the payload after it is answered with value + 1.
    sink_.send_text(encode(PayloadOut{set->seq, out::Ok{}}));
    seq_ = set->seq + 1;
    return;
  }
  for (auto& reply : registry_.handle(caller_, seq, payload)) sink_.send_text(std::move(reply));
}

void Connection::deliver(const core::Event& ev, core::EncodeCache& cache) {
  if (closed_ || caller_.uuid.empty()) return;
  if (ev.kind != core::Event::Kind::broadcast || ev.broadcast->dialect != kDialect) return;
  const json::object* envelope = ev.broadcast->payload.if_object();
  if (!envelope) return;
  auto string_is = [&](std::string_view key, const std::string& value) {
    const json::value* v = envelope->if_contains(key);
    return v && v->is_string() && v->get_string() == value;
  };
  auto number = [&](std::string_view key) -> std::optional<std::uint64_t> {
    const json::value* v = envelope->if_contains(key);
    if (!v || !v->is_uint64()) return std::nullopt;
    return v->get_uint64();
  };
  if (envelope->contains("to") && !string_is("to", caller_.uuid)) return;
  if (string_is("skip", caller_.uuid)) return;
  if (auto instance = number("instance")) {
    auto it = caller_.service_channels.find(ev.channel);
    if (it == caller_.service_channels.end() || it->second != *instance) return;
  }
  if (auto deleted = number("deleted")) registry_.drop_instance(caller_, *deleted);
  const json::value* text = envelope->if_contains("text");
  if (!text || !text->is_string()) return;
  const core::Frame& frame =
      cache.get(kFormat, [&] { return sink_.make_frame(std::string(text->get_string())); });
  if (frame) sink_.send_frame(frame);
}

}  // namespace parley::dialects::concierge
