#include "net/chatroom_debug_routes.hpp"

#include <spdlog/spdlog.h>

#include <boost/json/serialize.hpp>
#include <memory>

#include "net/assets.hpp"

namespace parley::net {

namespace json = boost::json;
using dialects::chatroom::DebugFeed;

namespace {

// One debugger page's event stream: subscribed to the feed's channel before the snapshot is
// sent, so nothing between the two is missed (the page skips what the snapshot already holds).
class DebugStream final : public core::DialectConnection, private core::Subscriber {
 public:
  DebugStream(core::Broker& broker, core::Sink& sink, DebugFeed& feed,
              std::chrono::milliseconds keep_alive)
      : broker_(broker), sink_(sink), feed_(feed), keep_alive_(keep_alive) {}

  void on_open() override {
    if (broker_.subscribe(std::string(DebugFeed::kChannel), sink_.thread(), this) !=
        core::Outcome::ok) {
      spdlog::warn("chatroom debugger: stream refused: too many channels");
      sink_.close(1013, "too many channels");
      return;
    }
    subscribed_ = true;
    sink_.send_text("retry: 1000\n\n" + DebugFeed::render_sse(feed_.snapshot()));
    arm_keep_alive();
  }
  void on_text(std::string_view) override {}
  bool on_binary(std::string_view data) override {  // ignored, up to kMaxIgnoredBytes
    ignored_ += data.size();
    return ignored_ <= kMaxIgnoredBytes;
  }
  void on_close() override {
    if (!subscribed_) return;
    subscribed_ = false;
    broker_.unsubscribe(std::string(DebugFeed::kChannel), sink_.thread(), this);
  }

 private:
  void deliver(const core::Event& ev, core::EncodeCache& cache) override {
    if (ev.kind != core::Event::Kind::broadcast || ev.broadcast->dialect != DebugFeed::kDialect)
      return;
    const json::object* event = ev.broadcast->payload.if_object();
    if (!event) return;
    const core::Frame& frame = cache.get(DebugFeed::kFormatSse, [&]() -> core::Frame {
      return std::make_shared<const std::string>(DebugFeed::render_sse(*event));
    });
    sink_.send_frame(frame);
  }

  void arm_keep_alive() {
    sink_.after(keep_alive_, [this] {
      sink_.send_text(": keep-alive\n\n");
      arm_keep_alive();
    });
  }

  core::Broker& broker_;
  core::Sink& sink_;
  DebugFeed& feed_;
  std::chrono::milliseconds keep_alive_;
  bool subscribed_ = false;
  std::size_t ignored_ = 0;
};

HttpResponse no_store(HttpResponse res) {
  res.headers.emplace_back("Cache-Control", "no-store");
  return res;
}

}  // namespace

void add_chatroom_debug_routes(Router& router, core::Broker& broker, DebugFeed& feed,
                               std::chrono::milliseconds keep_alive) {
  router.get("/", [](const HttpRequest&) {
    const auto* page = assets::find("chatroom_debug.html");
    if (!page) return HttpResponse::text(500, "debugger page missing from this build\n");
    return no_store(HttpResponse::html(std::string(page->data)));
  });
  router.get("/state", [&feed](const HttpRequest&) {
    return no_store(HttpResponse::json(200, json::serialize(feed.snapshot())));
  });
  router.stream(
      "GET", "/events",
      [&broker, &feed, keep_alive](const HttpRequest&) -> std::variant<StreamAccept, HttpResponse> {
        StreamAccept accept;
        accept.system = System::chatroom;
        accept.headers = {{"Content-Type", "text/event-stream"},
                          {"Cache-Control", "no-store"},
                          {"X-Accel-Buffering", "no"}};
        accept.make = [&broker, &feed, keep_alive](core::Sink& sink) {
          return std::make_shared<DebugStream>(broker, sink, feed, keep_alive);
        };
        return accept;
      });
}

}  // namespace parley::net
