// cascade::http server: the HTTP/1.1 front of `cascade serve` — Boost.Beast on a small pool of
// io_context threads, keep-alive, pipelined requests answered in order (one request at a time per
// connection; the next one waits in the buffer), and limits that make a slow or hostile client
// cost a bounded amount: header size (431), body size per route (413, decided from Content-Length
// before the body is read), read timeout for a whole request (408; a client that sends a byte a
// second is cut off), idle keep-alive timeout (closed silently), write timeout, and a maximum
// number of connections (503 beyond it).
//
// A request goes: read header → route (404/405) → auth (401) → Content-Type (415) → body limit
// (413) → read body (answering "100 Continue" when asked) → handler. Every refusal uses the JSON
// error shape of errors.hpp; a refusal before the body is read closes the connection after the
// answer, since the unread body would otherwise be taken for the next request.
//
// stop() drains: it stops accepting, closes idle connections, lets requests in flight (including
// asynchronous handlers that answer later) finish within the deadline with "Connection: close",
// then closes whatever is left and joins the threads. The server owns /healthz (200 while the
// process runs), /readyz (200 once set_ready(true), 503 before) and /metrics unless told not to.
#pragma once

#include "cascade/http/log.hpp"
#include "cascade/http/metrics.hpp"
#include "cascade/http/router.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace cascade::http {

struct Limits {
  std::size_t max_body = 1 << 20;            // per request, unless the route says otherwise
  std::size_t max_header = 16 << 10;         // request line + fields
  std::size_t max_batch_lines = 10'000;      // for split_ndjson in handlers
  std::chrono::milliseconds read_timeout{10'000};  // first byte → whole request read
  std::chrono::milliseconds idle_timeout{30'000};  // keep-alive: between requests
  std::chrono::milliseconds write_timeout{10'000};
  std::size_t max_connections = 1024;
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: any free port (see Server::port())
  unsigned threads = 2;
  Limits limits;
  std::string token;               // bearer token; empty: none (exposed servers then refuse to start)
  std::optional<bool> exposed;     // override what the bound address implies (tests)
  std::shared_ptr<metrics::Registry> registry;  // shared with the daemon's own metrics; made when null
  std::shared_ptr<Logger> logger;  // access log (JSON lines, masked); none when null
  bool builtin_routes = true;      // /healthz, /readyz, /metrics
};

namespace detail {
struct Core;
}

class Server {
 public:
  Server(ServerConfig config, Router router);
  ~Server();  // stop(0) if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the threads. An error (address in use, bad host, exposed without
  // a token) comes back as text; the server is then not running.
  std::optional<std::string> start();

  // Thread-safe; not from a handler running on the server's own threads (it joins them).
  void stop(std::chrono::milliseconds drain = std::chrono::milliseconds{10'000});

  std::uint16_t port() const;
  boost::asio::ip::tcp::endpoint endpoint() const;
  bool exposed() const;
  void set_ready(bool ready);
  metrics::Registry& registry();
  const Limits& limits() const;

 private:
  std::shared_ptr<detail::Core> core_;
  std::vector<std::thread> threads_;
  bool running_ = false;
};

}  // namespace cascade::http
