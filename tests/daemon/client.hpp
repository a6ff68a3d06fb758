// The daemon tests' HTTP client: one synchronous Boost.Beast request per call, each on a fresh
// loopback connection with a deadline. A fresh connection per request costs little on loopback
// and keeps the crash test simple: a daemon killed mid-request leaves no half-used kept-alive
// socket behind, and a failed request is reported as `error` (never an exception), so a caller
// can tell "refused or reset" (not acknowledged) from an HTTP answer.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <map>
#include <string>

namespace cascade::daemon_test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace json = boost::json;

struct Reply {
  int status = 0;           // 0: no answer (connection refused, reset, timed out)
  std::string error;        // why there was no answer
  std::string body;
  std::string content_type;
  std::string location;
  std::map<std::string, std::string> headers;  // every header, names as sent

  bool ok() const { return status != 0; }
  // The body as JSON; a null value when it is not JSON (the caller's assertion then fails
  // with the body in its message).
  json::value json() const {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    return ec ? json::value() : v;
  }
};

struct RequestOptions {
  std::string content_type = "application/json";
  std::string token;  // Bearer token; empty: no Authorization header
  std::chrono::milliseconds timeout{20000};
};

class Client {
 public:
  Client() = default;
  Client(unsigned short port, std::string token) : port_(port), token_(std::move(token)) {}
  void port(unsigned short p) { port_ = p; }
  unsigned short port() const { return port_; }
  const std::string& token() const { return token_; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }

  Reply get(const std::string& target) const { return request(bhttp::verb::get, target, "", options()); }
  Reply post(const std::string& target, const std::string& body,
             const std::string& content_type = "application/json") const {
    RequestOptions o = options();
    o.content_type = content_type;
    return request(bhttp::verb::post, target, body, o);
  }
  Reply post_json(const std::string& target, const json::value& v) const { return post(target, json::serialize(v)); }
  Reply put(const std::string& target, const std::string& body) const {
    return request(bhttp::verb::put, target, body, options());
  }

  RequestOptions options() const {
    RequestOptions o;
    o.token = token_;
    return o;
  }

  Reply request(bhttp::verb method, const std::string& target, const std::string& body,
                const RequestOptions& o) const {
    Reply r;
    try {
      asio::io_context io;
      beast::tcp_stream stream(io);
      stream.expires_after(o.timeout);
      stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
      bhttp::request<bhttp::string_body> req(method, target, 11);
      req.set(bhttp::field::host, "127.0.0.1:" + std::to_string(port_));
      if (!o.token.empty()) req.set(bhttp::field::authorization, "Bearer " + o.token);
      if (method != bhttp::verb::get || !body.empty()) {
        if (!o.content_type.empty()) req.set(bhttp::field::content_type, o.content_type);
        req.body() = body;
        req.prepare_payload();
      }
      req.keep_alive(false);
      bhttp::write(stream, req);
      beast::flat_buffer buffer;
      bhttp::response_parser<bhttp::string_body> parser;
      parser.body_limit(64u << 20);
      bhttp::read(stream, buffer, parser);
      const auto& res = parser.get();
      r.status = static_cast<int>(res.result_int());
      r.body = res.body();
      r.content_type = std::string(res[bhttp::field::content_type]);
      r.location = std::string(res[bhttp::field::location]);
      for (const auto& f : res) r.headers[std::string(f.name_string())] = std::string(f.value());
      boost::system::error_code ec;
      stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    } catch (const std::exception& e) {
      r = Reply{};
      r.error = e.what();
    }
    return r;
  }

 private:
  unsigned short port_ = 0;
  std::string token_;
};

}  // namespace cascade::daemon_test
