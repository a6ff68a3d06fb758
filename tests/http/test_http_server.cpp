// The server on a random loopback port with a real Beast client: routing, keep-alive and
// pipelining, limits (413, 431, 408, idle close, max connections), auth when exposed, async
// handlers, graceful stop with a request in flight, /metrics through promtool, and garbage.
// Only the tests of the timeouts use short ones (hundreds of ms); the rest give the server
// seconds and the client waits generously, so a loaded machine slows the suite, not fails it.
#define BOOST_TEST_MODULE http_server
#include <boost/test/unit_test.hpp>

#include "cascade/http/server.hpp"
#include "cascade/http/tracking.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <sys/socket.h>
#include <unistd.h>

namespace http = cascade::http;
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace json = boost::json;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using http::Verb;

namespace {

constexpr auto kWait = std::chrono::seconds(10);  // generous: only a hung server takes this long
const std::string kToken = "test-token-0123456789abcdef";

class Client {
 public:
  explicit Client(std::uint16_t port) : stream_(ioc_) {
    stream_.expires_after(kWait);
    stream_.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
  }

  void send_raw(std::string_view bytes) {
    beast::error_code ec;
    net::write(stream_.socket(), net::buffer(bytes.data(), bytes.size()), ec);
  }

  void send(const http::Request& req) {
    http::Request copy = req;
    copy.prepare_payload();
    beast::error_code ec;
    bhttp::write(stream_.socket(), copy, ec);
  }

  // The next response, or nullopt if the connection ended (or nothing came within `wait`).
  std::optional<http::Response> read(std::chrono::steady_clock::duration wait = kWait) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 << 20);
    beast::error_code ec;
    stream_.expires_after(wait);
    bhttp::async_read(stream_, buffer_, parser, [&](beast::error_code e, std::size_t) { ec = e; });
    ioc_.restart();
    ioc_.run();
    if (ec) return std::nullopt;
    return parser.release();
  }

  http::Response request(Verb verb, std::string target, std::string body = {},
                         std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::Request req{verb, target, 11};
    req.set(bhttp::field::host, "127.0.0.1");
    for (auto& [k, v] : headers) req.set(k, v);
    req.body() = std::move(body);
    send(req);
    auto res = read();
    BOOST_REQUIRE_MESSAGE(res.has_value(), "no response to " << target);
    return std::move(*res);
  }

  // True when the server closes the connection (EOF) within `wait`, with nothing else sent.
  int native() { return stream_.socket().native_handle(); }

  bool closed_by_server(std::chrono::steady_clock::duration wait = kWait) {
    if (buffer_.size() > 0) return false;
    char byte;
    beast::error_code ec;
    std::size_t n = 0;
    stream_.expires_after(wait);
    stream_.async_read_some(net::buffer(&byte, 1), [&](beast::error_code e, std::size_t got) {
      ec = e;
      n = got;
    });
    ioc_.restart();
    ioc_.run();
    return n == 0 && (ec == net::error::eof || ec == net::error::connection_reset);
  }

 private:
  net::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

json::value error_of(const http::Response& res) {
  BOOST_TEST(std::string{res[bhttp::field::content_type]} == "application/json");
  const json::value v = json::parse(res.body());
  BOOST_TEST(v.at("error").at("status").as_int64() == res.result_int());
  return v.at("error");
}

// A pending asynchronous answer, completed by the test from another thread.
struct Parked {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<http::Responder> responders;

  void park(http::Responder r) {
    std::lock_guard lock(mutex);
    responders.push_back(std::move(r));
    cv.notify_all();
  }
  http::Responder take() {
    std::unique_lock lock(mutex);
    BOOST_REQUIRE(cv.wait_for(lock, kWait, [&] { return !responders.empty(); }));
    http::Responder r = responders.front();
    responders.erase(responders.begin());
    return r;
  }
};

http::Router demo_router(Parked* parked = nullptr) {
  http::Router r;
  r.add(Verb::get, "/v1/profiles/{id}", [](http::Exchange ex) {
    ex.respond.json(200, {{"id", ex.param("id")}, {"route", ex.route}});
  });
  r.add(Verb::put, "/v1/profiles/{id}", [](http::Exchange ex) {
      auto parsed = http::parse_json_object(ex.body());
      if (!parsed.ok()) return ex.respond.error(*parsed.error);
      ex.respond.json(200, {{"id", ex.param("id")}});
    }, {http::Policy::TokenWhenExposed, http::Accept::Json});
  r.add(Verb::post, "/v1/events", [](http::Exchange ex) {
      if (http::body_type(*ex.request) == http::BodyType::Ndjson) {
        const auto batch = http::split_ndjson(ex.body(), 3);
        if (batch.error) return ex.respond.error(*batch.error);
        json::array results;
        for (const auto& line : batch.lines) {
          json::object o{{"line", line.line}};
          if (line.error) o["error"] = http::error_object(*line.error);
          else o["ok"] = true;
          results.push_back(std::move(o));
        }
        return ex.respond.json(200, {{"results", std::move(results)}});
      }
      auto parsed = http::parse_json_object(ex.body());
      if (!parsed.ok()) return ex.respond.error(*parsed.error);
      if (!parsed.value->as_object().contains("event")) {
        auto e = http::make_error(400, "missing_field", "an event needs 'event'");
        e.pointer = "/event";
        return ex.respond.error(e);
      }
      ex.respond.json(202, {{"accepted", 1}});
    }, {http::Policy::TokenWhenExposed, http::Accept::JsonOrNdjson, 256});
  r.add(Verb::post, "/v1/scenarios/{name}/broadcast", [](http::Exchange ex) {
      ex.respond.json(202, {{"scenario", ex.param("name")}});
    }, {http::Policy::AlwaysToken});
  r.add(Verb::post, "/echo", [](http::Exchange ex) { ex.respond.json(200, {{"size", ex.body().size()}}); },
        {http::Policy::TokenWhenExposed, http::Accept::Any, 1 << 20});
  r.add(Verb::get, "/slow/{ms}", [](http::Exchange ex) {
    // Answers from another thread after a delay: pipelined answers must still come in order.
    std::thread([ex] {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(std::string{ex.param("ms")})));
      ex.respond.json(200, {{"slept", ex.param("ms")}});
    }).detach();
  });
  r.add(Verb::get, "/drop", [](http::Exchange) {});
  r.add(Verb::get, "/throw", [](http::Exchange) -> void { throw std::runtime_error("boom"); });
  if (parked) {
    r.add(Verb::post, "/parked", [parked](http::Exchange ex) { parked->park(ex.respond); });
  }
  return r;
}

// Timeouts long enough for a loaded CI machine; the tests of the timeouts shorten their own.
http::ServerConfig fast_config() {
  http::ServerConfig c;
  c.limits.read_timeout = 5s;
  c.limits.idle_timeout = 5s;
  c.limits.max_header = 4096;
  return c;
}

http::ServerConfig short_timeouts(std::chrono::milliseconds read, std::chrono::milliseconds idle) {
  http::ServerConfig c = fast_config();
  c.limits.read_timeout = read;
  c.limits.idle_timeout = idle;
  return c;
}

struct Running {
  explicit Running(http::ServerConfig config = fast_config(), Parked* parked = nullptr)
      : server(std::move(config), demo_router(parked)) {
    const auto err = server.start();
    BOOST_REQUIRE_MESSAGE(!err, err.value_or(""));
  }
  http::Server server;
};

}  // namespace

BOOST_AUTO_TEST_CASE(routes_params_and_json_errors) {
  Running s;
  BOOST_TEST(s.server.port() != 0);
  BOOST_TEST(!s.server.exposed());
  Client c(s.server.port());
  auto res = c.request(Verb::get, "/v1/profiles/alice%40example.ru");
  BOOST_TEST(res.result_int() == 200u);
  const json::value v = json::parse(res.body());
  BOOST_TEST(v.at("id").as_string() == "alice@example.ru");
  BOOST_TEST(v.at("route").as_string() == "/v1/profiles/{id}");

  res = c.request(Verb::get, "/v1/nothing");
  BOOST_TEST(res.result_int() == 404u);
  BOOST_TEST(error_of(res).at("code").as_string() == "not_found");

  res = c.request(Verb::delete_, "/v1/profiles/7");
  BOOST_TEST(res.result_int() == 405u);
  BOOST_TEST(std::string{res[bhttp::field::allow]} == "GET, PUT");
  BOOST_TEST(error_of(res).at("code").as_string() == "method_not_allowed");

  res = c.request(Verb::put, "/v1/profiles/7", "{\"a\":\n  nope}", {{"Content-Type", "application/json"}});
  BOOST_TEST(res.result_int() == 400u);
  BOOST_TEST(error_of(res).at("line").as_int64() == 2);
  BOOST_TEST(error_of(res).at("column").as_int64() == 3);

  res = c.request(Verb::post, "/v1/events", "{\"user\":1}", {{"Content-Type", "application/json"}});
  BOOST_TEST(res.result_int() == 400u);
  BOOST_TEST(error_of(res).at("pointer").as_string() == "/event");

  res = c.request(Verb::put, "/v1/profiles/7", "{}", {{"Content-Type", "text/plain"}});
  BOOST_TEST(res.result_int() == 415u);
  BOOST_TEST(error_of(res).at("code").as_string() == "unsupported_media_type");
}

BOOST_AUTO_TEST_CASE(ndjson_batch_reports_lines) {
  Running s;
  Client c(s.server.port());
  auto res = c.request(Verb::post, "/v1/events", "{\"event\":\"a\"}\r\n\n{bad\n{\"event\":\"b\"}",
                       {{"Content-Type", "application/x-ndjson"}});
  BOOST_TEST(res.result_int() == 200u);
  const auto results = json::parse(res.body()).at("results").as_array();
  BOOST_REQUIRE(results.size() == 3u);
  BOOST_TEST(results[0].at("line").as_int64() == 1);
  BOOST_TEST(results[0].at("ok").as_bool());
  BOOST_TEST(results[1].at("line").as_int64() == 3);
  BOOST_TEST(results[1].at("error").at("line").as_int64() == 3);
  BOOST_TEST(results[2].at("line").as_int64() == 4);

  res = c.request(Verb::post, "/v1/events", "{}\n{}\n{}\n{}\n", {{"Content-Type", "application/x-ndjson"}});
  BOOST_TEST(res.result_int() == 413u);
  BOOST_TEST(error_of(res).at("code").as_string() == "batch_too_large");
}

BOOST_AUTO_TEST_CASE(keep_alive_and_pipelining) {
  Running s;
  Client c(s.server.port());
  for (int i = 0; i < 5; ++i) {
    auto res = c.request(Verb::get, "/v1/profiles/" + std::to_string(i));
    BOOST_TEST(res.result_int() == 200u);
    BOOST_TEST(res.keep_alive());
    BOOST_TEST(json::parse(res.body()).at("id").as_string() == std::to_string(i));
  }
  // Three requests in one write; the first answers last on its own, yet answers come in order.
  c.send_raw(
      "GET /slow/300 HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /v1/profiles/second HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /slow/10 HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r1 = c.read();
  auto r2 = c.read();
  auto r3 = c.read();
  BOOST_REQUIRE(r1 && r2 && r3);
  BOOST_TEST(json::parse(r1->body()).at("slept").as_string() == "300");
  BOOST_TEST(json::parse(r2->body()).at("id").as_string() == "second");
  BOOST_TEST(json::parse(r3->body()).at("slept").as_string() == "10");

  // HTTP/1.0 without keep-alive: answered, then closed.
  c.send_raw("GET /healthz HTTP/1.0\r\n\r\n");
  auto r4 = c.read();
  BOOST_REQUIRE(r4);
  BOOST_TEST(r4->result_int() == 200u);
  BOOST_TEST(c.closed_by_server());
}

BOOST_AUTO_TEST_CASE(body_limits) {
  Running s;
  {
    // Content-Length above the route's limit (256): 413 before the body is sent, then close.
    Client c(s.server.port());
    c.send_raw("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n");
    auto res = c.read();
    BOOST_REQUIRE(res);
    BOOST_TEST(res->result_int() == 413u);
    BOOST_TEST(error_of(*res).at("code").as_string() == "body_too_large");
    BOOST_TEST(!res->keep_alive());
  }
  {
    // Chunked: the limit is found while reading.
    Client c(s.server.port());
    std::string chunk(200, 'x');
    c.send_raw("POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
    c.send_raw("c8\r\n" + chunk + "\r\nc8\r\n" + chunk + "\r\n0\r\n\r\n");
    auto res = c.read();
    BOOST_REQUIRE(res);
    BOOST_TEST(res->result_int() == 413u);
  }
  {
    // Under the limit and chunked: accepted; a bigger route limit applies to its route only.
    Client c(s.server.port());
    auto res = c.request(Verb::post, "/echo", std::string(500'000, 'y'));
    BOOST_TEST(res.result_int() == 200u);
    BOOST_TEST(json::parse(res.body()).at("size").as_int64() == 500000);
    res = c.request(Verb::post, "/v1/profiles/x", std::string(2'000'000, 'y'));  // 405 before the body
    BOOST_TEST(res.result_int() == 405u);
    BOOST_TEST(!res.keep_alive());
  }
  {
    // Expect: 100-continue gets its interim answer, then the final one.
    Client c(s.server.port());
    c.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
    auto interim = c.read();
    BOOST_REQUIRE(interim);
    BOOST_TEST(interim->result_int() == 100u);
    c.send_raw("abc");
    auto res = c.read();
    BOOST_REQUIRE(res);
    BOOST_TEST(json::parse(res->body()).at("size").as_int64() == 3);
  }
}

BOOST_AUTO_TEST_CASE(header_limit_431) {
  Running s;
  Client c(s.server.port());
  c.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n");
  auto res = c.read();
  BOOST_REQUIRE(res);
  BOOST_TEST(res->result_int() == 431u);
  BOOST_TEST(error_of(*res).at("code").as_string() == "header_too_large");
  BOOST_TEST(c.closed_by_server());
}

BOOST_AUTO_TEST_CASE(read_timeout_408_and_idle_close) {
  Running s(short_timeouts(400ms, 400ms));
  {
    Client c(s.server.port());
    c.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");  // and then nothing
    auto res = c.read();
    BOOST_REQUIRE(res);
    BOOST_TEST(res->result_int() == 408u);
    BOOST_TEST(error_of(*res).at("code").as_string() == "request_timeout");
    BOOST_TEST(c.closed_by_server());
  }
  {
    // A slowloris: a byte every 50 ms, never finishing the header. Cut off by the read timeout
    // (400 ms here) even though bytes keep coming.
    Client c(s.server.port());
    std::atomic<bool> done{false};
    const int fd = c.native();
    std::thread writer([&] {
      const std::string head = "GET /healthz HTTP/1.1\r\nX-Slow: ";
      for (std::size_t i = 0; i < 160 && !done; ++i) {
        const char byte = i < head.size() ? head[i] : 'a';
        if (::send(fd, &byte, 1, MSG_NOSIGNAL) != 1) break;
        std::this_thread::sleep_for(50ms);
      }
    });
    const auto start = std::chrono::steady_clock::now();
    auto res = c.read();
    done = true;
    writer.join();
    BOOST_REQUIRE(res);
    BOOST_TEST(res->result_int() == 408u);
    BOOST_TEST((std::chrono::steady_clock::now() - start < 7s));
  }
  {
    Client c(s.server.port());
    BOOST_TEST(c.request(Verb::get, "/healthz").result_int() == 200u);
    BOOST_TEST(c.closed_by_server());  // idle keep-alive: closed quietly, no answer
  }
}

BOOST_AUTO_TEST_CASE(auth_when_exposed) {
  auto config = fast_config();
  config.exposed = true;  // the policy as on a public address, without binding one
  config.token = kToken;
  Running s(config);
  BOOST_TEST(s.server.exposed());
  Client c(s.server.port());
  auto res = c.request(Verb::get, "/v1/profiles/1");
  BOOST_TEST(res.result_int() == 401u);
  BOOST_TEST(std::string{res[bhttp::field::www_authenticate]}.find("Bearer") == 0u);
  BOOST_TEST(error_of(res).at("code").as_string() == "unauthorized");
  res = c.request(Verb::get, "/v1/profiles/1", {}, {{"Authorization", "Bearer nope"}});
  BOOST_TEST(res.result_int() == 401u);
  BOOST_TEST(error_of(res).at("code").as_string() == "invalid_token");
  res = c.request(Verb::get, "/v1/profiles/1", {}, {{"Authorization", "Bearer " + kToken}});
  BOOST_TEST(res.result_int() == 200u);
  BOOST_TEST(c.request(Verb::get, "/healthz").result_int() == 200u);
  BOOST_TEST(c.request(Verb::get, "/metrics").result_int() == 401u);
  // An unauthorized request with a body is answered before the body and the connection closes.
  Client d(s.server.port());
  d.send_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n");
  auto r = d.read();
  BOOST_REQUIRE(r);
  BOOST_TEST(r->result_int() == 401u);
  BOOST_TEST(!r->keep_alive());
}

BOOST_AUTO_TEST_CASE(auth_on_loopback) {
  auto config = fast_config();
  config.token = kToken;
  Running s(config);
  Client c(s.server.port());
  BOOST_TEST(c.request(Verb::get, "/v1/profiles/1").result_int() == 200u);
  auto res = c.request(Verb::post, "/v1/scenarios/welcome/broadcast");
  BOOST_TEST(res.result_int() == 401u);
  res = c.request(Verb::post, "/v1/scenarios/welcome/broadcast", {}, {{"Authorization", "Bearer " + kToken}});
  BOOST_TEST(res.result_int() == 202u);
  BOOST_TEST(json::parse(res.body()).at("scenario").as_string() == "welcome");
}

BOOST_AUTO_TEST_CASE(exposed_without_token_refuses_to_start) {
  auto config = fast_config();
  config.host = "0.0.0.0";
  http::Server server(config, http::Router{});
  const auto err = server.start();
  BOOST_REQUIRE(err);
  BOOST_TEST(err->find("token") != std::string::npos);
  http::ServerConfig bad_host;
  bad_host.host = "not an address";
  http::Server bad(bad_host, http::Router{});
  BOOST_TEST(bad.start().has_value());
}

BOOST_AUTO_TEST_CASE(async_dropped_and_throwing_handlers) {
  Running s;
  Client c(s.server.port());
  auto res = c.request(Verb::get, "/slow/50");
  BOOST_TEST(res.result_int() == 200u);
  res = c.request(Verb::get, "/drop");
  BOOST_TEST(res.result_int() == 500u);
  BOOST_TEST(error_of(res).at("code").as_string() == "handler_dropped");
  res = c.request(Verb::get, "/throw");
  BOOST_TEST(res.result_int() == 500u);
  BOOST_TEST(error_of(res).at("code").as_string() == "internal");
  BOOST_TEST(c.request(Verb::get, "/healthz").result_int() == 200u);  // the connection survived
}

BOOST_AUTO_TEST_CASE(health_and_readiness) {
  Running s;
  Client c(s.server.port());
  BOOST_TEST(c.request(Verb::get, "/healthz").result_int() == 200u);
  auto res = c.request(Verb::get, "/readyz");
  BOOST_TEST(res.result_int() == 503u);
  BOOST_TEST(error_of(res).at("code").as_string() == "not_ready");
  s.server.set_ready(true);
  BOOST_TEST(c.request(Verb::get, "/readyz").result_int() == 200u);
}

BOOST_AUTO_TEST_CASE(max_connections_503) {
  auto config = fast_config();
  config.limits.max_connections = 2;
  config.limits.idle_timeout = 5s;
  Running s(config);
  Client a(s.server.port());
  Client b(s.server.port());
  BOOST_TEST(a.request(Verb::get, "/healthz").result_int() == 200u);
  BOOST_TEST(b.request(Verb::get, "/healthz").result_int() == 200u);
  Client third(s.server.port());
  auto res = third.read();
  BOOST_REQUIRE(res);
  BOOST_TEST(res->result_int() == 503u);
  BOOST_TEST(error_of(*res).at("code").as_string() == "too_many_connections");
}

BOOST_AUTO_TEST_CASE(graceful_stop_finishes_in_flight) {
  Parked parked;
  Running s(fast_config(), &parked);
  Client busy(s.server.port());
  busy.send_raw("POST /parked HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
  http::Responder pending = parked.take();  // the handler has the request
  Client idle(s.server.port());
  BOOST_TEST(idle.request(Verb::get, "/healthz").result_int() == 200u);

  auto stopped = std::async(std::launch::async, [&] { s.server.stop(std::chrono::seconds(20)); });
  BOOST_TEST(idle.closed_by_server());  // idle connections go at once
  BOOST_TEST((stopped.wait_for(200ms) == std::future_status::timeout));  // still draining
  std::thread([pending] {
    std::this_thread::sleep_for(100ms);
    pending.json(202, {{"durable", true}});  // as the store's commit would, from its thread
  }).detach();
  auto res = busy.read();
  BOOST_REQUIRE(res);
  BOOST_TEST(res->result_int() == 202u);
  BOOST_TEST(!res->keep_alive());
  BOOST_TEST(json::parse(res->body()).at("durable").as_bool());
  BOOST_TEST((stopped.wait_for(kWait) == std::future_status::ready));
  // Not listening any more.
  net::io_context ioc;
  tcp::socket sock(ioc);
  beast::error_code ec;
  sock.connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), s.server.port()}, ec);
  BOOST_TEST(static_cast<bool>(ec));
}

BOOST_AUTO_TEST_CASE(stop_deadline_closes_stuck_requests) {
  Parked parked;
  Running s(fast_config(), &parked);
  Client busy(s.server.port());
  busy.send_raw("POST /parked HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
  http::Responder pending = parked.take();
  s.server.stop(100ms);  // the handler never answers in time
  BOOST_TEST(!busy.read(2s).has_value());
  pending.json(200, {});  // too late: goes nowhere, and must not crash
  BOOST_TEST(pending.sent());
}

BOOST_AUTO_TEST_CASE(tracking_routes_through_the_server) {
  auto key = std::make_shared<const http::TrackingKey>(*http::TrackingKey::from_secret("tracking-key-0123456789abcdef"));
  std::mutex m;
  std::vector<std::string> opens, clicks;
  http::Router r;
  http::add_tracking_routes(
      r, key, [] { return std::int64_t{1000}; },
      [&](const http::TrackingToken& t) {
        std::lock_guard lock(m);
        opens.push_back(t.message_id);
      },
      [&](const http::TrackingToken& t) {
        std::lock_guard lock(m);
        clicks.push_back(t.message_id);
      });
  auto config = fast_config();
  config.exposed = true;  // tracking is public even on an exposed server
  config.token = kToken;
  http::Server server(config, std::move(r));
  BOOST_REQUIRE(!server.start());
  Client c(server.port());
  const std::string open = key->mint({http::TrackKind::Open, "m-1", "", 2000}).token;
  const std::string click = key->mint({http::TrackKind::Click, "m-2", "https://shop.example/x", 2000}).token;
  auto res = c.request(Verb::get, "/t/o/" + open);
  BOOST_TEST(res.result_int() == 200u);
  BOOST_TEST(std::string{res[bhttp::field::content_type]} == "image/gif");
  res = c.request(Verb::get, "/t/o/garbage");
  BOOST_TEST(res.result_int() == 200u);
  BOOST_TEST(res.body() == std::string{http::pixel_gif()});
  res = c.request(Verb::get, "/t/c/" + click);
  BOOST_TEST(res.result_int() == 302u);
  BOOST_TEST(std::string{res[bhttp::field::location]} == "https://shop.example/x");
  res = c.request(Verb::get, "/t/c/" + open);
  BOOST_TEST(res.result_int() == 404u);
  BOOST_TEST((res.find(bhttp::field::location) == res.end()));
  server.stop(1s);
  BOOST_TEST(opens == std::vector<std::string>{"m-1"});
  BOOST_TEST(clicks == std::vector<std::string>{"m-2"});
}

BOOST_AUTO_TEST_CASE(metrics_pass_promtool) {
  Running s;
  {
    Client c(s.server.port());
    c.request(Verb::get, "/v1/profiles/1");
    c.request(Verb::get, "/nothing");
    c.request(Verb::post, "/v1/events", "{}", {{"Content-Type", "application/json"}});
  }
  Client c(s.server.port());
  auto res = c.request(Verb::get, "/metrics");
  BOOST_TEST(res.result_int() == 200u);
  BOOST_TEST(std::string{res[bhttp::field::content_type]}.find("version=0.0.4") != std::string::npos);
  const std::string& text = res.body();
  BOOST_TEST(text.find("cascade_http_requests_total{method=\"GET\",route=\"/v1/profiles/{id}\",status=\"200\"} 1") !=
             std::string::npos, text);
  BOOST_TEST(text.find("cascade_http_requests_total{method=\"GET\",route=\"(unmatched)\",status=\"404\"} 1") !=
             std::string::npos);
  BOOST_TEST(text.find("cascade_http_request_duration_seconds_bucket{route=\"/v1/events\",le=\"+Inf\"} 1") !=
             std::string::npos);
  BOOST_TEST(text.find("cascade_http_requests_in_flight 1") != std::string::npos);  // this very request

  char path[] = "/tmp/cascade_http_metrics_XXXXXX";
  const int fd = mkstemp(path);
  BOOST_REQUIRE(fd >= 0);
  BOOST_REQUIRE(write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  close(fd);
  std::string out;
  FILE* p = popen((std::string{"promtool check metrics < "} + path + " 2>&1").c_str(), "r");
  BOOST_REQUIRE(p);
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int status = pclose(p);
  std::remove(path);
  BOOST_TEST(status == 0, out);
  BOOST_TEST(out.empty(), out);
}

BOOST_AUTO_TEST_CASE(access_log_is_masked_json) {
  std::mutex m;
  std::vector<std::string> lines;
  auto config = fast_config();
  config.logger = std::make_shared<http::Logger>(http::Level::Info, [&](std::string_view l) {
    std::lock_guard lock(m);
    lines.emplace_back(l);
  });
  {
    Running s(config);
    Client c(s.server.port());
    c.request(Verb::get, "/v1/profiles/alice@example.ru");
    s.server.stop(1s);
  }
  std::lock_guard lock(m);
  BOOST_REQUIRE(!lines.empty());
  const json::value v = json::parse(lines.front());
  BOOST_TEST(v.at("msg").as_string() == "request");
  BOOST_TEST(v.at("route").as_string() == "/v1/profiles/{id}");
  BOOST_TEST(v.at("status").as_int64() == 200);
  BOOST_TEST(v.at("path").as_string() == "/v1/profiles/a***@e***.ru");
  BOOST_TEST(v.as_object().contains("duration_ms"));
}

BOOST_AUTO_TEST_CASE(garbage_never_crashes_the_server) {
  Running s(short_timeouts(500ms, 5s));  // the truncated requests wait for the read timeout
  std::mt19937 rng(1234);
  std::vector<std::string> cases = {
      "\r\n\r\n",
      "GET\r\n\r\n",
      "GET / HTTP/9.9\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
      "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n",
      "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc",
      "POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n\r\nabc",
      "GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n",
      "GET /he\x00lthz HTTP/1.1\r\n\r\n",
      "GET /healthz HTTP/1.1\r\n" + std::string(10000, 'x') + "\r\n\r\n",
      "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHost: x\r\n",  // truncated
      "POST /echo HTTP/1.1\r\nContent-Length: 100\r\n\r\nshort",  // truncated body
  };
  for (int i = 0; i < 150; ++i) {
    std::string junk(rng() % 2000, '\0');
    for (char& ch : junk) ch = static_cast<char>(rng() % 256);
    if (i % 3 == 0) junk = "POST /v1/events HTTP/1.1\r\n" + junk;
    cases.push_back(std::move(junk));
  }
  for (const std::string& bytes : cases) {
    Client c(s.server.port());
    c.send_raw(bytes);
    // Whatever comes back (an error, or a close) is fine; a crash or a hang is not.
    auto res = c.read(2s);
    if (res) BOOST_TEST(res->result_int() >= 400u);
  }
  Client ok(s.server.port());
  BOOST_TEST(ok.request(Verb::get, "/healthz").result_int() == 200u);
}
