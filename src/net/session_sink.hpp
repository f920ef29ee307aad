#pragma once
// A dialect's Sink (core::Sink, or a dialect's extension of it) over a net::Session: what every
// WebSocket handler hands its dialect connection.
#include <string>
#include <string_view>

#include "core/broker.hpp"
#include "core/sink.hpp"
#include "net/session.hpp"

namespace parley::net {

template <class Base = core::Sink>
class SessionSink : public Base {
 public:
  // session is the handler's SessionHandler::session, set before on_open.
  explicit SessionSink(Session*& session) : session_(session) {}

  void send_text(std::string text) override { session_->send_text(std::move(text)); }
  core::Frame make_frame(std::string text) override {
    return Session::make_text_frame(std::move(text));
  }
  void send_frame(const core::Frame& frame) override { session_->send_frame(frame); }
  void close(std::uint16_t code, std::string_view reason) override {
    session_->close(code, reason);
  }
  void pause_reading(core::Broker& broker) override {
    session_->pause_reading(
        [&broker](Session::Resume resume) { broker.when_accepting(std::move(resume)); });
  }

 protected:
  Session*& session_;
};

}  // namespace parley::net
