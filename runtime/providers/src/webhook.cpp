// The webhook provider: an HTTP/1.1 POST of the message as JSON (Boost.Beast), signed with
// HMAC-SHA256, over a small pool of kept-alive connections.
//
// One attempt has one deadline (config.timeout) that covers resolving, connecting, writing
// and reading the answer; connecting alone is also bounded by connect_timeout. A connection
// taken from the idle pool may have been closed by the receiver meanwhile: when such a
// connection fails before any answer arrives, the attempt goes again once on a fresh
// connection instead of counting as a failed attempt.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <ctime>
#include <mutex>

#include "core.hpp"

namespace cascade::providers::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxAnswerBytes = 1 << 20;  // receivers answer with a small JSON, if anything
constexpr std::size_t kDetailBytes = 200;

struct Url {
  std::string host, port, target;
};

std::variant<Url, std::string> parse_url(const std::string& url) {
  if (url.rfind("https://", 0) == 0)
    return std::string(
        "https:// is not supported by the webhook provider yet: use http:// to a receiver on a "
        "trusted network, or a local TLS-terminating proxy");
  if (url.rfind("http://", 0) != 0) return "the url `" + url + "` does not start with http://";
  for (char c : url)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F)
      return "the url `" + url + "` has a space or control character";
  std::string rest = url.substr(7);
  const auto slash = rest.find_first_of("/?");
  std::string authority = rest.substr(0, slash);
  Url u;
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (u.target[0] == '?') u.target = "/" + u.target;
  if (authority.find('@') != std::string::npos)
    return std::string("the url must not carry a user or password");
  std::string host = authority, port = "80";
  if (!authority.empty() && authority[0] == '[') {  // [::1]:8080
    const auto close = authority.find(']');
    if (close == std::string::npos) return "the url `" + url + "` has an unclosed `[`";
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return "the url `" + url + "` is malformed after `]`";
      port = authority.substr(close + 2);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return "the url `" + url + "` has no host";
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) < 1 || std::stoi(port) > 65535)
    return "the url `" + url + "` has a bad port";
  u.host = host;
  u.port = port;
  return u;
}

// Printable, bounded text for a detail message.
std::string excerpt(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, kDetailBytes)) out.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
  if (s.size() > kDetailBytes) out += "…";
  return out;
}

// Retry-After: delta-seconds or an HTTP-date.
std::optional<Millis> parse_retry_after(std::string_view v) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  if (v.size() <= 9 && v.find_first_not_of("0123456789") == std::string_view::npos)
    return Millis(std::stoll(std::string(v)) * 1000);
  std::tm tm{};
  const std::string s(v);
  if (const char* end = strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
      end != nullptr && *end == '\0') {
    const std::time_t at = timegm(&tm);
    const std::time_t now = std::time(nullptr);
    return Millis(at > now ? static_cast<std::int64_t>(at - now) * 1000 : 0);
  }
  return std::nullopt;
}

// The receiver's own id for the message, from a JSON answer {"id": …} or {"message_id": …}.
std::string provider_id_of(const std::string& body) {
  if (body.empty() || body.size() > 64 * 1024) return "";
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return "";
  for (const char* key : {"id", "message_id"}) {
    if (const auto* f = v.as_object().if_contains(key)) {
      if (f->is_string()) return std::string(f->as_string());
      if (f->is_int64() || f->is_uint64()) return boost::json::serialize(*f);
    }
  }
  return "";
}

struct Shared {
  asio::io_context& io;
  ProviderConfig config;
  Url url;
  std::string secret;  // empty: unsigned
  std::mutex mutex;    // guards what follows: attempts may finish on any io thread
  std::vector<std::unique_ptr<beast::tcp_stream>> idle;
  std::optional<tcp::resolver::results_type> endpoints;
  bool shut = false;

  Shared(asio::io_context& i, ProviderConfig c, Url u, std::string s)
      : io(i), config(std::move(c)), url(std::move(u)), secret(std::move(s)) {}

  std::unique_ptr<beast::tcp_stream> take_idle() {
    std::lock_guard lock(mutex);
    if (idle.empty()) return nullptr;
    auto s = std::move(idle.back());
    idle.pop_back();
    return s;
  }
  void give_back(std::unique_ptr<beast::tcp_stream> s) {
    std::lock_guard lock(mutex);
    if (!shut && idle.size() < static_cast<std::size_t>(std::max(1, config.concurrency)))
      idle.push_back(std::move(s));
  }
};

class Call : public std::enable_shared_from_this<Call> {
 public:
  Call(std::shared_ptr<Shared> shared, const OutboundMessage& m, AttemptDone done)
      : sh_(std::move(shared)),
        done_(std::move(done)),
        deadline_(Clock::now() + sh_->config.timeout),
        resolver_(sh_->io),
        timer_(sh_->io) {
    const std::string body = boost::json::serialize(message_json(m));
    req_.method(http::verb::post);
    req_.target(sh_->url.target);
    req_.version(11);
    req_.set(http::field::host, sh_->url.port == "80" ? sh_->url.host : sh_->url.host + ":" + sh_->url.port);
    req_.set(http::field::user_agent, "cascade");
    req_.set(http::field::content_type, "application/json");
    req_.set("Idempotency-Key", m.idempotency_key);
    req_.set("X-Cascade-Message-Id", m.id);
    if (!sh_->secret.empty()) {
      const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
      req_.set("X-Cascade-Signature", signature_header(sh_->secret, now, body));
    }
    req_.keep_alive(true);
    req_.body() = body;
    req_.prepare_payload();
  }

  void start() {
    stream_ = sh_->take_idle();
    if (stream_) {
      reused_ = true;
      write();
    } else {
      connect();
    }
  }

 private:
  Millis remaining() const {
    return std::max(Millis(1), std::chrono::duration_cast<Millis>(deadline_ - Clock::now()));
  }

  void connect() {
    reused_ = false;
    stream_ = std::make_unique<beast::tcp_stream>(sh_->io);
    std::optional<tcp::resolver::results_type> cached;
    {
      std::lock_guard lock(sh_->mutex);
      cached = sh_->endpoints;
    }
    if (cached) return connect_to(*cached);
    // The resolver has no timeout of its own: a timer cancels it at the deadline.
    timer_.expires_after(remaining());
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->resolver_.cancel();
    });
    resolver_.async_resolve(
        sh_->url.host, sh_->url.port,
        [self = shared_from_this()](boost::system::error_code ec, tcp::resolver::results_type r) {
          self->timer_.cancel();
          if (ec) {
            return self->fail(ec == asio::error::operation_aborted
                                  ? "timeout resolving " + self->sh_->url.host
                                  : "resolving " + self->sh_->url.host + ": " + ec.message());
          }
          {
            std::lock_guard lock(self->sh_->mutex);
            self->sh_->endpoints = r;
          }
          self->connect_to(r);
        });
  }

  void connect_to(const tcp::resolver::results_type& endpoints) {
    stream_->expires_after(std::min(remaining(), sh_->config.connect_timeout));
    stream_->async_connect(
        endpoints, [self = shared_from_this()](boost::system::error_code ec, const tcp::endpoint&) {
          if (ec) {
            {
              std::lock_guard lock(self->sh_->mutex);
              self->sh_->endpoints.reset();  // the address may have changed
            }
            return self->fail(ec == beast::error::timeout
                                  ? "timeout connecting to " + self->authority()
                                  : "connecting to " + self->authority() + ": " + ec.message());
          }
          self->write();
        });
  }

  void write() {
    stream_->expires_at(deadline_);
    http::async_write(*stream_, req_, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec) return self->broken(ec, "sending");
      self->read();
    });
  }

  void read() {
    parser_.emplace();
    parser_->body_limit(kMaxAnswerBytes);
    http::async_read(*stream_, buffer_, *parser_,
                     [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                       if (ec) return self->broken(ec, "reading the answer");
                       self->answered();
                     });
  }

  // A kept-alive connection the receiver closed while idle fails like this; try once more on
  // a new one before calling it a failed attempt.
  void broken(boost::system::error_code ec, const char* phase) {
    const bool stale = ec == http::error::end_of_stream || ec == asio::error::eof ||
                       ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
                       ec == asio::error::connection_aborted;
    if (reused_ && stale && (!parser_ || !parser_->got_some()) && Clock::now() < deadline_) {
      buffer_.clear();
      parser_.reset();
      return connect();
    }
    if (ec == beast::error::timeout)
      return fail("timeout after " + std::to_string(sh_->config.timeout.count()) + "ms " + phase);
    if (ec == http::error::end_of_stream || ec == asio::error::eof)
      return fail("the receiver closed the connection before answering");
    fail(std::string(phase) + ": " + ec.message());
  }

  void answered() {
    auto& res = parser_->get();
    const int status = static_cast<int>(res.result_int());
    AttemptOutcome o;
    if (status >= 200 && status < 300) {
      o.kind = AttemptOutcome::Kind::accepted;
      o.provider_message_id = provider_id_of(res.body());
    } else {
      o.kind = (status == 429 || status == 408 || status >= 500) ? AttemptOutcome::Kind::retry
                                                                 : AttemptOutcome::Kind::permanent;
      o.detail = "HTTP " + std::to_string(status) + " from " + authority();
      if (!res.body().empty()) o.detail += ": " + excerpt(res.body());
      if (auto it = res.find(http::field::retry_after); it != res.end())
        o.retry_after = parse_retry_after(it->value());
    }
    if (res.keep_alive()) {
      stream_->expires_never();
      sh_->give_back(std::move(stream_));
    }
    complete(std::move(o));
  }

  void fail(std::string detail) {
    AttemptOutcome o;
    o.kind = AttemptOutcome::Kind::retry;
    o.detail = std::move(detail);
    if (stream_) {
      boost::system::error_code ignored;
      stream_->socket().close(ignored);
    }
    complete(std::move(o));
  }

  void complete(AttemptOutcome o) {
    if (!done_) return;
    auto d = std::move(done_);
    done_ = nullptr;
    d(std::move(o));
  }

  std::string authority() const { return sh_->url.host + ":" + sh_->url.port; }

  std::shared_ptr<Shared> sh_;
  AttemptDone done_;
  Clock::time_point deadline_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  std::unique_ptr<beast::tcp_stream> stream_;
  bool reused_ = false;
  http::request<http::string_body> req_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
};

class Webhook final : public Transport {
 public:
  explicit Webhook(std::shared_ptr<Shared> shared) : sh_(std::move(shared)) {}
  void attempt(const OutboundMessage& m, int, AttemptDone done) override {
    std::make_shared<Call>(sh_, m, std::move(done))->start();
  }
  void shutdown() override {
    std::lock_guard lock(sh_->mutex);
    sh_->shut = true;
    for (auto& s : sh_->idle) {
      boost::system::error_code ignored;
      s->socket().close(ignored);
    }
    sh_->idle.clear();
  }

 private:
  std::shared_ptr<Shared> sh_;
};

}  // namespace

std::variant<std::unique_ptr<Transport>, StartError> make_webhook(asio::io_context& io,
                                                                  const ProviderConfig& c) {
  auto url = parse_url(c.url);
  if (auto* e = std::get_if<std::string>(&url)) return StartError{prefix(c) + *e};
  std::string secret;
  if (!c.secret_env.empty()) {
    auto s = read_secret(c, "HMAC secret the webhook bodies are signed with");
    if (auto* e = std::get_if<StartError>(&s)) return std::move(*e);
    secret = std::move(std::get<std::string>(s));
  }
  auto shared = std::make_shared<Shared>(io, c, std::move(std::get<Url>(url)), std::move(secret));
  return std::unique_ptr<Transport>(std::make_unique<Webhook>(std::move(shared)));
}

}  // namespace cascade::providers::detail
