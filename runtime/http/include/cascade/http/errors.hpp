// cascade::http errors and request bodies: the one JSON error shape of every 4xx/5xx answer of
// `cascade serve`, and the decoders that produce it with a location — a JSON body parsed with
// its line:column, an NDJSON batch split into per-line results, the Content-Type check.
//
// Errors are values here: nothing in this header throws on bad input. A handler that finds a
// type error in an otherwise well-formed body names it with a JSON pointer (`pointer`), a batch
// names the line (`line`); the renderer puts whichever is known into
//   {"error":{"status":400,"code":"bad_json","message":"…","pointer":"/properties/total","line":3}}
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cascade::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

struct ApiError {
  unsigned status = 400;
  std::string code;     // stable, snake_case: clients switch on it
  std::string message;  // for humans; may change between versions
  std::optional<std::string> pointer;  // RFC 6901 pointer into the request body
  std::optional<std::size_t> line;     // 1-based line of the body (a batch line, a JSON syntax error)
  std::optional<std::size_t> column;   // 1-based column, with line, for syntax errors
};

ApiError make_error(unsigned status, std::string code, std::string message);

// {"error":{…}} as a JSON value (the NDJSON per-line report embeds the inner object).
boost::json::object error_object(const ApiError& error);
std::string error_json(const ApiError& error);

// A complete response: the JSON body, Content-Type, Cache-Control: no-store and, for 401, a
// WWW-Authenticate challenge; the caller's keep-alive and HTTP version are kept.
Response error_response(const ApiError& error, unsigned version = 11, bool keep_alive = true);
Response json_response(unsigned status, const boost::json::value& body, unsigned version = 11,
                       bool keep_alive = true);

// RFC 6901 escaping of one reference token ("a/b" → "a~1b"), and building a pointer.
std::string pointer_token(std::string_view key);
std::string pointer_append(std::string_view pointer, std::string_view key);
std::string pointer_append(std::string_view pointer, std::size_t index);

// Offset (bytes from the start of `text`) → 1-based line and column (columns count bytes).
struct TextPosition {
  std::size_t line = 1;
  std::size_t column = 1;
};
TextPosition position_of(std::string_view text, std::size_t offset);

// A JSON body: one value (leading/trailing whitespace allowed, nothing else). A syntax error is
// 400 bad_json with the line and column of the first byte the parser rejected.
struct JsonResult {
  std::optional<boost::json::value> value;
  std::optional<ApiError> error;
  bool ok() const { return value.has_value(); }
};
JsonResult parse_json(std::string_view text);

// Like parse_json, and the value must be an object (400 bad_json with pointer "" otherwise).
JsonResult parse_json_object(std::string_view text);

// One line of an NDJSON batch: its 1-based line number in the body and either the parsed value
// or an error naming that line.
struct NdjsonLine {
  std::size_t line = 0;
  std::optional<boost::json::value> value;
  std::optional<ApiError> error;
};

struct NdjsonBatch {
  std::vector<NdjsonLine> lines;   // blank lines are skipped, not reported
  std::optional<ApiError> error;   // the batch as a whole: too many lines (413 batch_too_large)
};

// Splits an NDJSON body: lines end with \n or \r\n, the last line may lack its newline, blank
// (whitespace-only) lines are skipped. Each non-blank line is parsed on its own, so one bad line
// does not hide the good ones. More than `max_lines` non-blank lines rejects the whole batch
// before any line is parsed. With `require_objects`, a line that is not an object is an error.
NdjsonBatch split_ndjson(std::string_view body, std::size_t max_lines, bool require_objects = true);

// Which body a request carries, from its Content-Type (media type only, case-insensitive,
// parameters such as charset ignored).
enum class BodyType { None, Json, Ndjson, Other };
BodyType body_type(const Request& request);

// What a route accepts; a POST/PUT/PATCH whose body type is not accepted gets 415.
enum class Accept { Any, Json, JsonOrNdjson, Ndjson };
std::optional<ApiError> check_content_type(const Request& request, Accept accept);

}  // namespace cascade::http
