#include "cascade/http/server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/value.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace cascade::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

class Session;

namespace detail {

struct Core {
  Core(ServerConfig c, Router r)
      : ioc(static_cast<int>(std::max(1u, c.threads))), config(std::move(c)), router(std::move(r)) {
    registry = config.registry ? config.registry : std::make_shared<metrics::Registry>();
    requests = &registry->counter("cascade_http_requests_total", "HTTP requests answered, by method, route and status.",
                                  {"method", "route", "status"});
    duration = &registry->histogram("cascade_http_request_duration_seconds",
                                    "Time from the first byte of a request to the end of its answer.", {"route"});
    in_flight = &registry->gauge("cascade_http_requests_in_flight", "Requests handed to a handler and not yet answered.")
                     .with({});
    open_connections = &registry->gauge("cascade_http_connections_open", "Open client connections.").with({});
    connections = &registry->counter("cascade_http_connections_total", "Connections accepted.").with({});
    rejected = &registry->counter("cascade_http_connections_rejected_total",
                                  "Connections refused with 503 because max_connections were open.")
                    .with({});
    bytes_in = &registry->counter("cascade_http_request_body_bytes_total", "Request body bytes read.").with({});
    bytes_out = &registry->counter("cascade_http_response_body_bytes_total", "Response body bytes written.").with({});
    ready_gauge = &registry->gauge("cascade_http_ready", "1 when /readyz answers 200.").with({});
  }

  net::io_context ioc;
  ServerConfig config;
  Router router;
  bool exposed = false;
  std::optional<tcp::acceptor> acceptor;
  tcp::endpoint bound;
  std::atomic<bool> ready{false};
  std::atomic<bool> stopping{false};

  std::shared_ptr<metrics::Registry> registry;
  metrics::Family<metrics::Counter>* requests = nullptr;
  metrics::Family<metrics::Histogram>* duration = nullptr;
  metrics::Gauge* in_flight = nullptr;
  metrics::Gauge* open_connections = nullptr;
  metrics::Counter* connections = nullptr;
  metrics::Counter* rejected = nullptr;
  metrics::Counter* bytes_in = nullptr;
  metrics::Counter* bytes_out = nullptr;
  metrics::Gauge* ready_gauge = nullptr;

  std::mutex sessions_mutex;
  std::condition_variable sessions_cv;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;

  // Closed once the threads are gone, so a late answer from another thread never posts work to
  // an io_context nobody runs (the work would hold its session, and the session this core).
  std::mutex post_mutex;
  bool posts_open = true;

  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
};

}  // namespace detail

using detail::Core;

namespace {

bool is_parse_error(const beast::error_code& ec) {
  return &ec.category() == &bhttp::make_error_code(bhttp::error::bad_method).category();
}

}  // namespace

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, std::shared_ptr<Core> core)
      : stream_(std::move(socket)),
        core_(std::move(core)),
        buffer_(std::max<std::size_t>(core_->config.limits.max_header + 1024, 64 << 10)),
        read_timer_(stream_.get_executor()) {
    core_->open_connections->inc();
  }

  ~Session() {
    core_->open_connections->dec();
    if (handling_) core_->in_flight->dec();
    unregister();
  }

  void start() {
    {
      std::lock_guard lock(core_->sessions_mutex);
      core_->sessions.emplace(this, weak_from_this());
    }
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_next(); });
  }

  auto executor() { return stream_.get_executor(); }

  // On the strand. Idle connections go now; a request being read or handled finishes first
  // (its answer carries Connection: close).
  void begin_shutdown() {
    if (phase_ == Phase::Idle || phase_ == Phase::Lingering) close();
  }

  void close() {
    if (phase_ == Phase::Closed) return;
    phase_ = Phase::Closed;
    read_timer_.cancel();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
    // A closed session no longer counts for the drain or max_connections, even while a handler
    // still holds its Responder (and so this object).
    unregister();
  }

  void unregister() {
    std::lock_guard lock(core_->sessions_mutex);
    core_->sessions.erase(this);
    core_->sessions_cv.notify_all();
  }

  // From any thread (the Responder's deliver). A handler that answers before it returns is on
  // this session's strand already (a server thread, which stop() has not joined yet): write now,
  // without a second trip through the queue or the lock.
  void post_response(Response res) {
    if (handler_thread_.load(std::memory_order_relaxed) == std::this_thread::get_id())
      return write_response(std::move(res));
    std::lock_guard lock(core_->post_mutex);
    if (!core_->posts_open) return;
    net::post(stream_.get_executor(),
              [self = shared_from_this(), res = std::move(res)]() mutable { self->write_response(std::move(res)); });
  }

 private:
  enum class Phase { Idle, Reading, Handling, Writing, Lingering, Closed };

  const Limits& limits() const { return core_->config.limits; }

  void read_next() {
    if (phase_ == Phase::Closed) return;
    if (core_->stopping) return close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(limits().max_header, UINT32_MAX)));
    // No limit while the header is read: the route decides (and a Content-Length over the
    // route's limit is refused before any body byte is read).
    parser_->body_limit(boost::none);
    route_ = nullptr;
    close_after_ = false;
    timed_out_ = false;
    if (buffer_.size() > 0) return read_header();  // a pipelined request is already here
    phase_ = Phase::Idle;
    stream_.expires_after(limits().idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->on_idle_read(ec, n);
    });
  }

  void on_idle_read(beast::error_code ec, std::size_t n) {
    if (ec || phase_ == Phase::Closed) return close();  // idle timeout, client gone, shutdown: no answer
    buffer_.commit(n);
    read_header();
  }

  void arm_read_timer() {
    // The whole request must arrive within read_timeout of its first byte. A timer of our own
    // (not tcp_stream's expiry, which closes the socket) leaves the socket open for the 408.
    stream_.expires_never();
    read_timer_.expires_after(limits().read_timeout);
    read_timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->phase_ != Phase::Reading) return;
      self->timed_out_ = true;
      beast::error_code ignored;
      self->stream_.socket().cancel(ignored);
    });
  }

  void read_header() {
    phase_ = Phase::Reading;
    started_ = Clock::now();
    arm_read_timer();
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec) return on_read_error(ec);
    const Request& req = parser_->get();
    method_ = std::string{req.method_string()};
    const bool body_pending = !parser_->is_done();
    RouteMatch m = core_->router.match(req.method(), req.target());
    if (!m.route) {
      if (!m.allowed.empty()) {
        return refuse(make_error(405, "method_not_allowed",
                                 fmt::format("{} is not allowed here; allowed: {}", method_, allow_header(m.allowed))),
                      body_pending, allow_header(m.allowed));
      }
      return refuse(make_error(404, "not_found", "no such endpoint"), body_pending);
    }
    route_ = m.route;
    params_ = std::move(m.params);
    const RouteOptions& opt = route_->options;
    const auto auth = req.find(bhttp::field::authorization);
    if (auto e = authorize(opt.policy, core_->exposed, core_->config.token,
                           auth == req.end() ? std::string_view{} : std::string_view{auth->value()}))
      return refuse(*e, body_pending);
    if (auto e = check_content_type(req, opt.accept)) return refuse(*e, body_pending);
    const std::size_t limit = opt.max_body ? opt.max_body : limits().max_body;
    if (const auto len = parser_->content_length(); len && *len > limit)
      return refuse(too_large(limit), body_pending);
    parser_->body_limit(limit);
    if (!body_pending) return on_body({});
    const auto expect = req.find(bhttp::field::expect);
    if (expect != req.end() && beast::iequals(expect->value(), "100-continue")) {
      continue_.emplace(bhttp::status::continue_, req.version());
      bhttp::async_write(stream_, *continue_, [self = shared_from_this()](beast::error_code wec, std::size_t) {
        if (wec) return self->close();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  static ApiError too_large(std::size_t limit) {
    return make_error(413, "body_too_large", fmt::format("the body is larger than {} bytes", limit));
  }

  void read_body() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
  }

  void on_read_error(beast::error_code ec) {
    read_timer_.cancel();
    if (phase_ == Phase::Closed) return;
    if (timed_out_) {
      return refuse(make_error(408, "request_timeout",
                               fmt::format("the request did not arrive within {} ms", limits().read_timeout.count())),
                    true);
    }
    if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow)
      return refuse(make_error(431, "header_too_large",
                               fmt::format("the request header is larger than {} bytes", limits().max_header)),
                    true);
    if (ec == bhttp::error::body_limit) return refuse(too_large(route_limit()), true);
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || !is_parse_error(ec))
      return close();  // the client went away (or a socket error): nobody to answer
    refuse(make_error(400, "bad_request", fmt::format("malformed HTTP request: {}", ec.message())), true);
  }

  std::size_t route_limit() const {
    return route_ && route_->options.max_body ? route_->options.max_body : limits().max_body;
  }

  void refuse(const ApiError& error, bool close_after, std::string allow = {}) {
    read_timer_.cancel();
    close_after_ = close_after_ || close_after;
    const unsigned version = parser_ && parser_->is_header_done() ? parser_->get().version() : 11;
    Response res = error_response(error, version, !close_after_);
    if (!allow.empty()) res.set(bhttp::field::allow, allow);
    write_response(std::move(res));
  }

  void on_body(beast::error_code ec) {
    if (ec) return on_read_error(ec);
    read_timer_.cancel();
    phase_ = Phase::Handling;
    auto req = std::make_shared<const Request>(parser_->release());
    parser_.reset();
    target_ = std::string{target_path(req->target())};
    core_->bytes_in->inc(req->body().size());
    handling_ = true;
    core_->in_flight->inc();
    Responder responder = Responder::make([self = shared_from_this()](Response res) { self->post_response(std::move(res)); },
                                          req->version(), req->keep_alive() && !core_->stopping);
    Exchange ex{req, std::move(params_), route_->pattern, responder};
    handler_thread_.store(std::this_thread::get_id(), std::memory_order_relaxed);
    try {
      route_->handler(std::move(ex));
    } catch (const std::exception& e) {
      if (core_->config.logger)
        core_->config.logger->error("handler threw", {{"route", route_->pattern}, {"what", e.what()}});
      responder.error(make_error(500, "internal", "internal error"));
    } catch (...) {
      responder.error(make_error(500, "internal", "internal error"));
    }
    handler_thread_.store(std::thread::id{}, std::memory_order_relaxed);
  }

  void write_response(Response res) {
    if (phase_ == Phase::Closed) return;
    if (handling_) {
      handling_ = false;
      core_->in_flight->dec();
    }
    phase_ = Phase::Writing;
    const bool keep = res.keep_alive() && !close_after_ && !core_->stopping;
    res.keep_alive(keep);
    close_after_ = !keep;
    if (!res.has_content_length() && !res.chunked()) res.prepare_payload();
    out_ = std::make_shared<Response>(std::move(res));
    // Counted when the answer is ready, not after it is written: a client that reads /metrics
    // right after its answer then sees its own request (the duration excludes the send).
    record();
    stream_.expires_after(limits().write_timeout);
    bhttp::async_write(stream_, *out_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_write(ec);
    });
  }

  void on_write(beast::error_code ec) {
    out_.reset();
    if (ec) return close();
    if (close_after_) return linger();
    read_next();
  }

  // Closing a socket with unread input makes the kernel send a reset, which can destroy the
  // answer before the client reads it (a 413 sent while the client is still uploading). So:
  // half-close, then read and discard until the client closes, for a bounded time.
  void linger() {
    phase_ = Phase::Lingering;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::min<std::chrono::milliseconds>(limits().read_timeout, std::chrono::seconds(2)));
    drain();
  }

  void drain() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(16 << 10), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || self->phase_ == Phase::Closed) return self->close();
      self->drain();
    });
  }

  void record() {
    const unsigned status = out_->result_int();
    const double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    const std::string route = route_ ? route_->pattern : std::string{"(unmatched)"};
    core_->requests->with({method_.empty() ? std::string{"(none)"} : method_, route, std::to_string(status)}).inc();
    core_->duration->with({route}).observe(seconds);
    core_->bytes_out->inc(out_->body().size());
    if (const auto& log = core_->config.logger; log && log->enabled(Level::Info)) {
      log->log(status >= 500 ? Level::Error : Level::Info, "request",
               {{"method", std::string_view{method_}},
                {"route", std::string_view{route}},
                {"path", std::string_view{target_}},
                {"status", static_cast<std::int64_t>(status)},
                {"duration_ms", seconds * 1000.0},
                {"bytes_out", static_cast<std::int64_t>(out_->body().size())}});
    }
    method_.clear();
    target_.clear();
  }

  beast::tcp_stream stream_;
  std::shared_ptr<Core> core_;
  beast::flat_buffer buffer_;
  net::steady_timer read_timer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::empty_body>> continue_;
  std::shared_ptr<Response> out_;
  Phase phase_ = Phase::Idle;
  const Route* route_ = nullptr;
  Params params_;
  std::string method_;
  std::string target_;
  Clock::time_point started_ = Clock::now();
  bool close_after_ = false;
  bool timed_out_ = false;
  bool handling_ = false;
  std::atomic<std::thread::id> handler_thread_{};  // set while a handler runs on this strand
};

namespace {

// Beyond max_connections: a fixed 503 and close, without reading the request.
void reject(tcp::socket socket) {
  struct Holder {
    tcp::socket socket;
    std::string text;
  };
  auto h = std::make_shared<Holder>(Holder{std::move(socket), {}});
  const std::string body = error_json(make_error(503, "too_many_connections", "too many open connections; retry later"));
  h->text = fmt::format(
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
      "Retry-After: 1\r\nConnection: close\r\n\r\n{}",
      body.size(), body);
  net::async_write(h->socket, net::buffer(h->text), [h](beast::error_code, std::size_t) {
    beast::error_code ec;
    h->socket.shutdown(tcp::socket::shutdown_both, ec);
    h->socket.close(ec);
  });
}

void do_accept(const std::shared_ptr<Core>& core) {
  core->acceptor->async_accept(net::make_strand(core->ioc), [core](beast::error_code ec, tcp::socket socket) {
    if (core->stopping || ec == net::error::operation_aborted || !core->acceptor->is_open()) return;
    if (!ec) {
      core->connections->inc();
      std::size_t open = 0;
      {
        std::lock_guard lock(core->sessions_mutex);
        open = core->sessions.size();
      }
      if (open >= core->config.limits.max_connections) {
        core->rejected->inc();
        reject(std::move(socket));
      } else {
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::make_shared<Session>(std::move(socket), core)->start();
      }
    } else {
      if (core->config.logger) core->config.logger->warn("accept failed", {{"error", ec.message()}});
      // Out of descriptors (EMFILE) fails again at once: pause instead of spinning.
      auto timer = std::make_shared<net::steady_timer>(core->acceptor->get_executor(), std::chrono::milliseconds(50));
      timer->async_wait([core, timer](beast::error_code) {
        if (!core->stopping) do_accept(core);
      });
      return;
    }
    do_accept(core);
  });
}

void add_builtin_routes(Router& router, Core* core) {
  const auto has = [&](std::string_view path) {
    const RouteMatch m = router.match(Verb::get, path);
    return m.route != nullptr;
  };
  if (!has("/healthz")) {
    router.add(Verb::get, "/healthz", [](Exchange ex) { ex.respond.json(200, {{"status", "ok"}}); },
               {Policy::Public});
  }
  if (!has("/readyz")) {
    router.add(
        Verb::get, "/readyz",
        [core](Exchange ex) {
          if (core->ready) ex.respond.json(200, {{"status", "ready"}});
          else ex.respond.error(make_error(503, "not_ready", "the daemon is starting (restoring its state)"));
        },
        {Policy::Public});
  }
  if (!has("/metrics")) {
    router.add(
        Verb::get, "/metrics",
        [core](Exchange ex) {
          Response res{bhttp::status::ok, 11};
          res.set(bhttp::field::content_type, metrics::Registry::content_type);
          res.set(bhttp::field::cache_control, "no-store");
          res.body() = core->registry->render();
          ex.respond.send(std::move(res));
        },
        {Policy::TokenWhenExposed});
  }
}

}  // namespace

Server::Server(ServerConfig config, Router router) {
  const bool builtin = config.builtin_routes;
  core_ = std::make_shared<Core>(std::move(config), std::move(router));
  if (builtin) add_builtin_routes(core_->router, core_.get());
}

Server::~Server() { stop(std::chrono::milliseconds{0}); }

std::optional<std::string> Server::start() {
  if (running_) return "the server is already running";
  Core& c = *core_;
  std::string host = c.config.host;
  if (host == "localhost") host = "127.0.0.1";
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  beast::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (ec) return fmt::format("listen address '{}': not an IP address", c.config.host);
  c.exposed = c.config.exposed.value_or(!address.is_loopback());
  if (c.exposed && c.config.token.empty())
    return fmt::format("listening on {} (not loopback) needs a bearer token: set CASCADE_TOKEN or a token file",
                       c.config.host);
  const tcp::endpoint want{address, c.config.port};
  c.acceptor.emplace(net::make_strand(c.ioc));
  c.acceptor->open(want.protocol(), ec);
  if (!ec) c.acceptor->set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) c.acceptor->bind(want, ec);
  if (!ec) c.acceptor->listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    c.acceptor.reset();
    return fmt::format("cannot listen on {}:{}: {}", c.config.host, c.config.port, ec.message());
  }
  c.bound = c.acceptor->local_endpoint(ec);
  c.work.emplace(c.ioc.get_executor());
  do_accept(core_);
  for (unsigned i = 0; i < std::max(1u, c.config.threads); ++i)
    threads_.emplace_back([core = core_] { core->ioc.run(); });
  running_ = true;
  return std::nullopt;
}

void Server::stop(std::chrono::milliseconds drain) {
  if (!running_) return;
  running_ = false;
  Core& c = *core_;
  c.stopping = true;
  net::dispatch(c.acceptor->get_executor(), [core = core_] {
    beast::error_code ec;
    core->acceptor->close(ec);
  });
  const auto each_session = [&](auto fn) {
    std::vector<std::shared_ptr<Session>> live;
    {
      std::lock_guard lock(c.sessions_mutex);
      for (auto& [ptr, weak] : c.sessions)
        if (auto s = weak.lock()) live.push_back(std::move(s));
    }
    for (auto& s : live) net::post(s->executor(), [s, fn] { fn(*s); });
  };
  each_session([](Session& s) { s.begin_shutdown(); });
  {
    std::unique_lock lock(c.sessions_mutex);
    c.sessions_cv.wait_for(lock, drain, [&] { return c.sessions.empty(); });
  }
  // Past the deadline: close what is left. A handler still holding a Responder keeps its session
  // object alive, but its answer goes nowhere.
  each_session([](Session& s) { s.close(); });
  c.work.reset();
  c.ioc.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  {
    std::lock_guard lock(c.post_mutex);
    c.posts_open = false;
  }
  // Run what the threads left queued (the closes above, aborted reads and timers) so no queued
  // work keeps a session, and through it this core, alive.
  c.ioc.restart();
  c.ioc.poll();
}

std::uint16_t Server::port() const { return core_->bound.port(); }
boost::asio::ip::tcp::endpoint Server::endpoint() const { return core_->bound; }
bool Server::exposed() const { return core_->exposed; }
void Server::set_ready(bool ready) {
  core_->ready = ready;
  core_->ready_gauge->set(ready ? 1 : 0);
}
metrics::Registry& Server::registry() { return *core_->registry; }
const Limits& Server::limits() const { return core_->config.limits; }

}  // namespace cascade::http
