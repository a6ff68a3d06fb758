#include "cascade/http/router.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace cascade::http {

namespace bhttp = boost::beast::http;

struct Responder::State {
  Deliver deliver;
  unsigned version = 11;
  bool keep_alive = true;
  std::atomic<bool> done{false};

  ~State() {
    if (!done.exchange(true)) {
      // Never throw from here: the handler's thread is not ours to unwind.
      try {
        deliver(error_response(make_error(500, "handler_dropped", "the request was dropped without an answer"),
                               version, keep_alive));
      } catch (...) {
      }
    }
  }
};

Responder Responder::make(Deliver deliver, unsigned version, bool keep_alive) {
  auto state = std::make_shared<State>();
  state->deliver = std::move(deliver);
  state->version = version;
  state->keep_alive = keep_alive;
  return Responder{std::move(state)};
}

void Responder::send(Response response) const {
  if (!state_ || state_->done.exchange(true)) return;
  response.version(state_->version);
  if (!state_->keep_alive) response.keep_alive(false);
  if (!response.has_content_length() && !response.chunked()) response.prepare_payload();
  state_->deliver(std::move(response));
}

void Responder::json(unsigned status, const boost::json::value& body) const {
  send(json_response(status, body, state_ ? state_->version : 11, state_ ? state_->keep_alive : true));
}

void Responder::error(const ApiError& e) const {
  send(error_response(e, state_ ? state_->version : 11, state_ ? state_->keep_alive : true));
}

bool Responder::sent() const { return state_ && state_->done.load(); }

std::string_view Exchange::param(std::string_view name) const {
  for (const auto& [k, v] : params)
    if (k == name) return v;
  return {};
}

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') return out;
  std::size_t start = 1;
  while (true) {
    const std::size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

bool is_param(std::string_view seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }

}  // namespace

std::string_view target_path(std::string_view target) {
  const std::size_t cut = target.find_first_of("?#");
  return cut == std::string_view::npos ? target : target.substr(0, cut);
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int hi = hex(text[i + 1]);
    const int lo = hex(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

Router& Router::add(Verb method, std::string pattern, Handler handler, RouteOptions options) {
  if (pattern.empty() || pattern.front() != '/')
    throw std::invalid_argument(fmt::format("route '{}': a pattern starts with '/'", pattern));
  Route route;
  route.method = method;
  for (std::string_view seg : split_path(pattern)) {
    if (seg.find_first_of("{}") != std::string_view::npos && !is_param(seg))
      throw std::invalid_argument(fmt::format("route '{}': a parameter is a whole segment '{{name}}'", pattern));
    route.segments.emplace_back(seg);
  }
  for (const auto& r : routes_) {
    if (r->method == method && r->segments == route.segments)
      throw std::invalid_argument(fmt::format("route {} {} added twice", bhttp::to_string(method), pattern));
  }
  route.pattern = std::move(pattern);
  route.options = options;
  route.handler = std::move(handler);
  routes_.push_back(std::make_unique<Route>(std::move(route)));
  return *this;
}

RouteMatch Router::match(Verb method, std::string_view target) const {
  RouteMatch out;
  const std::vector<std::string_view> segs = split_path(target_path(target));
  if (segs.empty()) return out;
  for (const auto& r : routes_) {
    if (r->segments.size() != segs.size()) continue;
    Params params;
    bool ok = true;
    for (std::size_t i = 0; ok && i < segs.size(); ++i) {
      const std::string& want = r->segments[i];
      if (is_param(want)) {
        auto value = percent_decode(segs[i]);
        if (!value || value->empty()) ok = false;
        else params.emplace_back(want.substr(1, want.size() - 2), std::move(*value));
      } else {
        ok = want == segs[i];
      }
    }
    if (!ok) continue;
    if (r->method == method) {
      out.route = r.get();
      out.params = std::move(params);
      out.allowed.clear();
      return out;
    }
    if (std::find(out.allowed.begin(), out.allowed.end(), r->method) == out.allowed.end())
      out.allowed.push_back(r->method);
  }
  return out;
}

std::string allow_header(const std::vector<Verb>& verbs) {
  std::string out;
  for (Verb v : verbs) {
    if (!out.empty()) out += ", ";
    out += std::string_view{bhttp::to_string(v)};
  }
  return out;
}

}  // namespace cascade::http
