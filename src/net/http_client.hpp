#pragma once
// An asynchronous HTTP/1.1 client for outbound GETs (Heavenland's account lookup): http and
// https, one request per connection, one overall deadline. It runs on the io_context it is given
// (an I/O thread), never blocks it, and calls back there.
//
// TLS: the system's trust store (OpenSSL's default paths; SSL_CERT_FILE and SSL_CERT_DIR are
// honoured), the peer's certificate and host name verified, SNI sent.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace parley::net {

struct HttpClientResult {
  enum class Outcome { ok, timeout, failed };
  Outcome outcome = Outcome::failed;
  unsigned status = 0;  // when ok: any HTTP status
  std::string body;     // when ok
  std::string error;    // otherwise: why, for the log
};

class HttpClient {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;
  using Done = std::function<void(HttpClientResult)>;

  // Throws std::runtime_error when TLS cannot be set up (start-up).
  static std::shared_ptr<HttpClient> create();
  virtual ~HttpClient() = default;

  // GETs url ("http://host[:port]/path?query" or "https://..."). done runs exactly once, on
  // ctx's thread, within about `timeout`; never before get() returns. Bodies over max_body
  // fail. Call on ctx's thread.
  virtual void get(boost::asio::io_context& ctx, const std::string& url, Headers headers,
                   std::chrono::milliseconds timeout, Done done) = 0;

  static constexpr std::size_t kMaxBody = 1024 * 1024;
};

}  // namespace parley::net
