#include "cascade/http/errors.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace cascade::http {

namespace json = boost::json;
namespace bhttp = boost::beast::http;

ApiError make_error(unsigned status, std::string code, std::string message) {
  ApiError e;
  e.status = status;
  e.code = std::move(code);
  e.message = std::move(message);
  return e;
}

json::object error_object(const ApiError& error) {
  json::object inner;
  inner["status"] = error.status;
  inner["code"] = error.code;
  inner["message"] = error.message;
  if (error.pointer) inner["pointer"] = *error.pointer;
  if (error.line) inner["line"] = *error.line;
  if (error.column) inner["column"] = *error.column;
  return inner;
}

std::string error_json(const ApiError& error) {
  json::object outer;
  outer["error"] = error_object(error);
  return json::serialize(outer);
}

Response json_response(unsigned status, const json::value& body, unsigned version, bool keep_alive) {
  Response res{static_cast<bhttp::status>(status), version};
  res.set(bhttp::field::content_type, "application/json");
  res.keep_alive(keep_alive);
  res.body() = json::serialize(body);
  res.body() += '\n';
  res.prepare_payload();
  return res;
}

Response error_response(const ApiError& error, unsigned version, bool keep_alive) {
  Response res{static_cast<bhttp::status>(error.status), version};
  res.set(bhttp::field::content_type, "application/json");
  // Errors depend on the request and on credentials: never let a cache keep one.
  res.set(bhttp::field::cache_control, "no-store");
  if (error.status == 401) {
    res.set(bhttp::field::www_authenticate, error.code == "invalid_token"
                                                ? R"(Bearer realm="cascade", error="invalid_token")"
                                                : R"(Bearer realm="cascade")");
  }
  res.keep_alive(keep_alive);
  res.body() = error_json(error);
  res.body() += '\n';
  res.prepare_payload();
  return res;
}

std::string pointer_token(std::string_view key) {
  std::string out;
  out.reserve(key.size());
  for (char c : key) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string pointer_append(std::string_view pointer, std::string_view key) {
  std::string out{pointer};
  out += '/';
  out += pointer_token(key);
  return out;
}

std::string pointer_append(std::string_view pointer, std::size_t index) {
  return fmt::format("{}/{}", pointer, index);
}

TextPosition position_of(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  TextPosition pos;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++pos.line;
      pos.column = 1;
    } else {
      ++pos.column;
    }
  }
  return pos;
}

namespace {

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

ApiError syntax_error(std::string_view text, std::size_t offset, std::string_view what) {
  const TextPosition pos = position_of(text, offset);
  ApiError e = make_error(400, "bad_json",
                          fmt::format("invalid JSON at line {}, column {}: {}", pos.line, pos.column, what));
  e.line = pos.line;
  e.column = pos.column;
  return e;
}

// One parser per call keeps this re-entrant; its default depth limit (32) bounds recursion, so
// a body of ten thousand '[' is an error, not a stack overflow.
JsonResult parse_with(json::parser& parser, std::string_view text) {
  JsonResult out;
  parser.reset();
  boost::system::error_code ec;
  const std::size_t used = parser.write_some(text.data(), text.size(), ec);
  if (ec) {
    const bool blank = std::all_of(text.begin(), text.end(), is_json_space);
    out.error = syntax_error(text, used, blank ? std::string{"empty body"} : ec.message());
    return out;
  }
  for (std::size_t i = used; i < text.size(); ++i) {
    if (!is_json_space(text[i])) {
      out.error = syntax_error(text, i, "unexpected data after the JSON value");
      return out;
    }
  }
  out.value = parser.release();
  return out;
}

}  // namespace

JsonResult parse_json(std::string_view text) {
  json::parser parser;
  return parse_with(parser, text);
}

JsonResult parse_json_object(std::string_view text) {
  JsonResult r = parse_json(text);
  if (r.value && !r.value->is_object()) {
    ApiError e = make_error(400, "bad_json", "the body must be a JSON object");
    e.pointer = "";
    r.value.reset();
    r.error = std::move(e);
  }
  return r;
}

NdjsonBatch split_ndjson(std::string_view body, std::size_t max_lines, bool require_objects) {
  struct Span {
    std::size_t line;
    std::string_view text;
  };
  NdjsonBatch batch;
  std::vector<Span> spans;
  std::size_t line = 0;
  std::size_t start = 0;
  while (start < body.size()) {
    ++line;
    std::size_t end = body.find('\n', start);
    const std::size_t next = end == std::string_view::npos ? body.size() : end + 1;
    if (end == std::string_view::npos) end = body.size();
    std::string_view text = body.substr(start, end - start);
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    start = next;
    if (std::all_of(text.begin(), text.end(), is_json_space)) continue;
    if (spans.size() == max_lines) {
      batch.error = make_error(413, "batch_too_large",
                               fmt::format("the batch has more than {} lines; split it", max_lines));
      batch.error->line = line;
      return batch;
    }
    spans.push_back({line, text});
  }
  batch.lines.reserve(spans.size());
  json::parser parser;
  for (const Span& span : spans) {
    NdjsonLine out;
    out.line = span.line;
    JsonResult r = parse_with(parser, span.text);
    if (r.error) {
      r.error->message = fmt::format("line {}: {}", span.line, r.error->message);
      r.error->line = span.line;  // the column stays the one within the line
      out.error = std::move(r.error);
    } else if (require_objects && !r.value->is_object()) {
      ApiError e = make_error(400, "bad_json", fmt::format("line {}: each line must be a JSON object", span.line));
      e.line = span.line;
      e.pointer = "";
      out.error = std::move(e);
    } else {
      out.value = std::move(r.value);
    }
    batch.lines.push_back(std::move(out));
  }
  return batch;
}

namespace {

std::string lower_media_type(std::string_view value) {
  const std::size_t semi = value.find(';');
  if (semi != std::string_view::npos) value = value.substr(0, semi);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  std::string out{value};
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

BodyType body_type(const Request& request) {
  const auto it = request.find(bhttp::field::content_type);
  if (it == request.end()) return BodyType::None;
  const std::string media = lower_media_type(it->value());
  if (media == "application/json") return BodyType::Json;
  if (media == "application/x-ndjson" || media == "application/ndjson" || media == "application/jsonlines")
    return BodyType::Ndjson;
  return BodyType::Other;
}

std::optional<ApiError> check_content_type(const Request& request, Accept accept) {
  if (accept == Accept::Any) return std::nullopt;
  const auto method = request.method();
  if (method != bhttp::verb::post && method != bhttp::verb::put && method != bhttp::verb::patch) return std::nullopt;
  const BodyType type = body_type(request);
  const bool ok = (type == BodyType::Json && (accept == Accept::Json || accept == Accept::JsonOrNdjson)) ||
                  (type == BodyType::Ndjson && (accept == Accept::Ndjson || accept == Accept::JsonOrNdjson));
  if (ok) return std::nullopt;
  const char* wanted = accept == Accept::Json     ? "application/json"
                       : accept == Accept::Ndjson ? "application/x-ndjson"
                                                  : "application/json or application/x-ndjson";
  return make_error(415, "unsupported_media_type",
                    type == BodyType::None ? fmt::format("Content-Type is missing; send {}", wanted)
                                           : fmt::format("Content-Type must be {}", wanted));
}

}  // namespace cascade::http
