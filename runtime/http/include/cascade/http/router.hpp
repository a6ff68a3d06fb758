// cascade::http routing: method + path patterns with parameters ("/v1/profiles/{id}",
// "/v1/scenarios/{name}/broadcast", "/t/o/{token}"), each route with its auth policy, the body
// types it accepts and its body limit. A path that matches no pattern is 404; a path that matches
// with another method is 405 with Allow (the server turns both into the JSON error shape).
//
// Handlers may answer later and from any thread: a handler gets a Responder and may keep it (the
// daemon answers after the store's commit). The request stays alive as long as the Exchange.
// A Responder answers once; later calls are ignored. If the last copy of a Responder is dropped
// without an answer, the client gets 500 handler_dropped rather than waiting forever.
#pragma once

#include "cascade/http/auth.hpp"
#include "cascade/http/errors.hpp"

#include <boost/beast/http/verb.hpp>

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cascade::http {

using Verb = boost::beast::http::verb;

class Responder {
 public:
  using Deliver = std::function<void(Response)>;
  // `deliver` receives the one response (with the request's HTTP version and keep-alive set).
  static Responder make(Deliver deliver, unsigned version = 11, bool keep_alive = true);

  void send(Response response) const;
  void json(unsigned status, const boost::json::value& body) const;
  void error(const ApiError& error) const;
  bool sent() const;

 private:
  struct State;
  explicit Responder(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

using Params = std::vector<std::pair<std::string, std::string>>;

struct Exchange {
  std::shared_ptr<const Request> request;
  Params params;          // percent-decoded
  std::string_view route;  // the pattern, for logs and metrics; lives as long as the router
  Responder respond;

  // The parameter's value, or "" when the route has no such parameter.
  std::string_view param(std::string_view name) const;
  const std::string& body() const { return request->body(); }
};

using Handler = std::function<void(Exchange)>;

struct RouteOptions {
  Policy policy = Policy::TokenWhenExposed;
  Accept accept = Accept::Any;
  std::size_t max_body = 0;  // 0: the server's default limit
};

struct Route {
  Verb method;
  std::string pattern;
  RouteOptions options;
  Handler handler;
  std::vector<std::string> segments;  // "{name}" marks a parameter
};

struct RouteMatch {
  const Route* route = nullptr;  // null: no route for this method and path
  Params params;
  std::vector<Verb> allowed;  // when the path matched other methods only: 405 with these
};

class Router {
 public:
  // Patterns start with '/'; a parameter is a whole segment "{name}". A bad pattern or the same
  // method and pattern twice is a programming error (std::invalid_argument).
  Router& add(Verb method, std::string pattern, Handler handler, RouteOptions options = {});

  // `target` is the request target: the query and fragment are ignored.
  RouteMatch match(Verb method, std::string_view target) const;

  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }

 private:
  std::vector<std::unique_ptr<Route>> routes_;
};

// "GET, POST" for an Allow header.
std::string allow_header(const std::vector<Verb>& verbs);

// The path of a target without query and fragment; and percent-decoding of one segment
// (nullopt for a bad escape).
std::string_view target_path(std::string_view target);
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace cascade::http
