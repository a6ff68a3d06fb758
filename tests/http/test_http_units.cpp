// The parts of cascade_http that need no socket: the error shape and body decoders, the NDJSON
// splitter, Content-Type checks, the router, the auth policy, tracking tokens and their handlers,
// the metrics registry (checked by promtool), mask_pii and the JSON-lines logger.
#define BOOST_TEST_MODULE http_units
#include <boost/test/unit_test.hpp>

#include "cascade/http/auth.hpp"
#include "cascade/http/errors.hpp"
#include "cascade/http/log.hpp"
#include "cascade/http/metrics.hpp"
#include "cascade/http/router.hpp"
#include "cascade/http/tracking.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <unistd.h>

namespace cascade::http {
std::ostream& operator<<(std::ostream& os, TokenError e) { return os << token_error_name(e); }
}  // namespace cascade::http

namespace http = cascade::http;
namespace json = boost::json;
using http::Verb;

namespace {

json::value error_of(const std::string& text) {
  const json::value v = json::parse(text);
  return v.at("error");
}

http::Request request_with_type(Verb verb, const char* type) {
  http::Request req{verb, "/", 11};
  if (type) req.set(boost::beast::http::field::content_type, type);
  return req;
}

// Runs promtool on `text`; returns its exit status and puts its output in `out`.
int promtool_check(const std::string& text, std::string& out) {
  char path[] = "/tmp/cascade_metrics_XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return -1;
  const ssize_t written = write(fd, text.data(), text.size());
  close(fd);
  if (written != static_cast<ssize_t>(text.size())) return -1;
  const std::string cmd = std::string{"promtool check metrics < "} + path + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int status = pclose(p);
  std::remove(path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(error_shape_has_every_known_field) {
  http::ApiError e = http::make_error(400, "bad_json", "nope");
  e.pointer = "/properties/total";
  e.line = 3;
  const json::value err = error_of(http::error_json(e));
  BOOST_TEST(err.at("status").as_int64() == 400);
  BOOST_TEST(err.at("code").as_string() == "bad_json");
  BOOST_TEST(err.at("message").as_string() == "nope");
  BOOST_TEST(err.at("pointer").as_string() == "/properties/total");
  BOOST_TEST(err.at("line").as_int64() == 3);
  BOOST_TEST(!err.as_object().contains("column"));

  const json::value bare = error_of(http::error_json(http::make_error(404, "not_found", "x")));
  BOOST_TEST(!bare.as_object().contains("pointer"));
  BOOST_TEST(!bare.as_object().contains("line"));
}

BOOST_AUTO_TEST_CASE(error_response_sets_type_and_challenge) {
  const http::Response r = http::error_response(http::make_error(401, "invalid_token", "x"));
  BOOST_TEST(r.result_int() == 401u);
  BOOST_TEST(std::string{r[boost::beast::http::field::content_type]} == "application/json");
  BOOST_TEST(std::string{r[boost::beast::http::field::www_authenticate]}.find("invalid_token") != std::string::npos);
  BOOST_TEST(error_of(r.body()).at("status").as_int64() == 401);
}

BOOST_AUTO_TEST_CASE(pointers_escape_tokens) {
  BOOST_TEST(http::pointer_append("", "a/b~c") == "/a~1b~0c");
  BOOST_TEST(http::pointer_append("/items", std::size_t{2}) == "/items/2");
}

BOOST_AUTO_TEST_CASE(parse_json_locates_syntax_errors) {
  const auto ok = http::parse_json(" {\"a\": [1, 2]}\n");
  BOOST_TEST(ok.ok());
  BOOST_TEST(ok.value->at("a").as_array().size() == 2u);

  const auto bad = http::parse_json("{\n  \"a\": 1,\n  \"b\": tru\n}");
  BOOST_REQUIRE(bad.error);
  BOOST_TEST(bad.error->code == "bad_json");
  BOOST_TEST(*bad.error->line == 3u);
  BOOST_TEST(*bad.error->column >= 8u);
  BOOST_TEST(bad.error->message.find("line 3") != std::string::npos);

  const auto trailing = http::parse_json("{\"a\":1}\n{\"b\":2}");
  BOOST_REQUIRE(trailing.error);
  BOOST_TEST(*trailing.error->line == 2u);
  BOOST_TEST(*trailing.error->column == 1u);

  const auto empty = http::parse_json("  \n");
  BOOST_REQUIRE(empty.error);
  BOOST_TEST(empty.error->message.find("empty body") != std::string::npos);

  const auto cut = http::parse_json("{\"a\": [1, 2");
  BOOST_REQUIRE(cut.error);
  BOOST_TEST(*cut.error->line == 1u);

  // Deep nesting is an error value, not a stack overflow.
  const auto deep = http::parse_json(std::string(100000, '['));
  BOOST_TEST(!deep.ok());
}

BOOST_AUTO_TEST_CASE(parse_json_object_rejects_other_values) {
  const auto r = http::parse_json_object("[1]");
  BOOST_REQUIRE(r.error);
  BOOST_TEST(*r.error->pointer == "");
  BOOST_TEST(http::parse_json_object("{}").ok());
}

BOOST_AUTO_TEST_CASE(content_types) {
  using http::Accept;
  BOOST_TEST(!http::check_content_type(request_with_type(Verb::post, "application/json; charset=utf-8"), Accept::Json));
  BOOST_TEST(!http::check_content_type(request_with_type(Verb::post, "Application/JSON"), Accept::Json));
  BOOST_TEST(!http::check_content_type(request_with_type(Verb::post, "application/x-ndjson"), Accept::JsonOrNdjson));
  const auto ndjson_on_json = http::check_content_type(request_with_type(Verb::post, "application/x-ndjson"), Accept::Json);
  BOOST_REQUIRE(ndjson_on_json);
  BOOST_TEST(ndjson_on_json->status == 415u);
  const auto text = http::check_content_type(request_with_type(Verb::put, "text/plain"), Accept::JsonOrNdjson);
  BOOST_REQUIRE(text);
  BOOST_TEST(text->code == "unsupported_media_type");
  const auto missing = http::check_content_type(request_with_type(Verb::post, nullptr), Accept::Json);
  BOOST_REQUIRE(missing);
  BOOST_TEST(missing->message.find("missing") != std::string::npos);
  BOOST_TEST(!http::check_content_type(request_with_type(Verb::get, nullptr), Accept::Json));  // no body expected
  BOOST_TEST(!http::check_content_type(request_with_type(Verb::post, "text/plain"), Accept::Any));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ndjson)

BOOST_AUTO_TEST_CASE(good_and_bad_lines_by_number) {
  const std::string body =
      "{\"a\":1}\r\n"    // 1
      "\n"               // 2 blank
      "{\"a\":\n"        // 3 bad
      "   \t \r\n"       // 4 blank
      "[1,2]\n"          // 5 not an object
      "{\"b\":2}  \n"    // 6
      "{\"c\":3}";       // 7, no final newline
  const auto batch = http::split_ndjson(body, 100);
  BOOST_TEST(!batch.error);
  BOOST_REQUIRE(batch.lines.size() == 5u);
  BOOST_TEST(batch.lines[0].line == 1u);
  BOOST_TEST(batch.lines[0].value->at("a").as_int64() == 1);
  BOOST_TEST(batch.lines[1].line == 3u);
  BOOST_REQUIRE(batch.lines[1].error);
  BOOST_TEST(*batch.lines[1].error->line == 3u);
  BOOST_TEST(batch.lines[1].error->message.find("line 3") != std::string::npos);
  BOOST_TEST(batch.lines[2].line == 5u);
  BOOST_REQUIRE(batch.lines[2].error);
  BOOST_TEST(*batch.lines[2].error->pointer == "");
  BOOST_TEST(batch.lines[3].line == 6u);
  BOOST_TEST(batch.lines[3].value->at("b").as_int64() == 2);
  BOOST_TEST(batch.lines[4].line == 7u);
  BOOST_TEST(batch.lines[4].value->at("c").as_int64() == 3);
}

BOOST_AUTO_TEST_CASE(non_objects_allowed_when_asked) {
  const auto batch = http::split_ndjson("1\n\"x\"\n", 10, false);
  BOOST_REQUIRE(batch.lines.size() == 2u);
  BOOST_TEST(batch.lines[0].value->as_int64() == 1);
  BOOST_TEST(batch.lines[1].value->as_string() == "x");
}

BOOST_AUTO_TEST_CASE(too_many_lines_rejects_the_batch) {
  std::string body;
  for (int i = 0; i < 11; ++i) body += "{}\n\n";
  const auto batch = http::split_ndjson(body, 10);
  BOOST_REQUIRE(batch.error);
  BOOST_TEST(batch.error->status == 413u);
  BOOST_TEST(batch.error->code == "batch_too_large");
  BOOST_TEST(batch.lines.empty());
  BOOST_TEST(!http::split_ndjson(body, 11).error);
}

BOOST_AUTO_TEST_CASE(empty_and_blank_bodies) {
  BOOST_TEST(http::split_ndjson("", 10).lines.empty());
  BOOST_TEST(http::split_ndjson("\n\r\n  \n", 10).lines.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(router)

BOOST_AUTO_TEST_CASE(params_methods_and_allow) {
  http::Router r;
  const auto noop = [](http::Exchange) {};
  r.add(Verb::put, "/v1/profiles/{id}", noop);
  r.add(Verb::get, "/v1/profiles/{id}", noop);
  r.add(Verb::post, "/v1/scenarios/{name}/broadcast", noop);
  r.add(Verb::get, "/t/o/{token}", noop);
  r.add(Verb::post, "/v1/events", noop);

  auto m = r.match(Verb::put, "/v1/profiles/u%40x.ru?debug=1");
  BOOST_REQUIRE(m.route);
  BOOST_TEST(m.route->pattern == "/v1/profiles/{id}");
  BOOST_REQUIRE(m.params.size() == 1u);
  BOOST_TEST(m.params[0].first == "id");
  BOOST_TEST(m.params[0].second == "u@x.ru");

  m = r.match(Verb::post, "/v1/scenarios/welcome/broadcast");
  BOOST_REQUIRE(m.route);
  BOOST_TEST(m.params[0].second == "welcome");

  m = r.match(Verb::delete_, "/v1/profiles/7");
  BOOST_TEST(!m.route);
  BOOST_TEST(http::allow_header(m.allowed) == "PUT, GET");

  m = r.match(Verb::get, "/v1/events");
  BOOST_TEST(!m.route);
  BOOST_TEST(http::allow_header(m.allowed) == "POST");

  BOOST_TEST(!r.match(Verb::get, "/v1/profiles/").route);        // empty parameter
  BOOST_TEST(r.match(Verb::get, "/v1/profiles/").allowed.empty());
  BOOST_TEST(!r.match(Verb::get, "/v1/profiles/a/b").route);
  BOOST_TEST(!r.match(Verb::get, "/v1/profiles/%zz").route);     // bad escape
  BOOST_TEST(!r.match(Verb::get, "/v1/profiles/%4").route);
  BOOST_TEST(!r.match(Verb::get, "").route);
  BOOST_TEST(!r.match(Verb::get, "*").route);
  BOOST_TEST(!r.match(Verb::get, "/nope").route);
}

BOOST_AUTO_TEST_CASE(bad_patterns_throw) {
  http::Router r;
  const auto noop = [](http::Exchange) {};
  BOOST_CHECK_THROW(r.add(Verb::get, "v1", noop), std::invalid_argument);
  BOOST_CHECK_THROW(r.add(Verb::get, "/a/x{id}", noop), std::invalid_argument);
  r.add(Verb::get, "/a/{id}", noop);
  BOOST_CHECK_THROW(r.add(Verb::get, "/a/{id}", noop), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(responder_answers_once_and_on_drop) {
  std::vector<unsigned> got;
  {
    auto r = http::Responder::make([&](http::Response res) { got.push_back(res.result_int()); });
    r.json(200, {{"ok", true}});
    r.error(http::make_error(500, "x", "y"));  // ignored
    BOOST_TEST(r.sent());
  }
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0] == 200u);
  { auto dropped = http::Responder::make([&](http::Response res) { got.push_back(res.result_int()); }); }
  BOOST_REQUIRE(got.size() == 2u);
  BOOST_TEST(got[1] == 500u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(auth)

BOOST_AUTO_TEST_CASE(policy_table) {
  using http::Policy;
  BOOST_TEST(!http::token_required(Policy::Public, false));
  BOOST_TEST(!http::token_required(Policy::Public, true));
  BOOST_TEST(!http::token_required(Policy::TokenWhenExposed, false));
  BOOST_TEST(http::token_required(Policy::TokenWhenExposed, true));
  BOOST_TEST(http::token_required(Policy::AlwaysToken, false));
  BOOST_TEST(http::token_required(Policy::AlwaysToken, true));
}

BOOST_AUTO_TEST_CASE(authorize_loopback_vs_exposed) {
  using http::Policy;
  const std::string token = "s3cret-token-0123456789";
  // Loopback: open calls need nothing, deploy/broadcast need the token.
  BOOST_TEST(!http::authorize(Policy::TokenWhenExposed, false, token, ""));
  auto e = http::authorize(Policy::AlwaysToken, false, token, "");
  BOOST_REQUIRE(e);
  BOOST_TEST(e->status == 401u);
  BOOST_TEST(e->code == "unauthorized");
  BOOST_TEST(!http::authorize(Policy::AlwaysToken, false, token, "Bearer " + token));
  // Exposed: everything but Public.
  BOOST_TEST(http::authorize(Policy::TokenWhenExposed, true, token, "")->code == "unauthorized");
  BOOST_TEST(http::authorize(Policy::TokenWhenExposed, true, token, "Bearer wrong")->code == "invalid_token");
  BOOST_TEST(http::authorize(Policy::TokenWhenExposed, true, token, "Basic " + token)->code == "unauthorized");
  BOOST_TEST(http::authorize(Policy::TokenWhenExposed, true, token, "Bearer " + token + "x")->code == "invalid_token");
  BOOST_TEST(!http::authorize(Policy::TokenWhenExposed, true, token, "bearer  " + token));
  BOOST_TEST(!http::authorize(Policy::Public, true, token, ""));
  // No token configured: a route that needs one is closed, not open.
  BOOST_TEST(http::authorize(Policy::AlwaysToken, false, "", "Bearer ")->code == "token_not_configured");
  BOOST_TEST(http::authorize(Policy::AlwaysToken, false, "", "Bearer x")->code == "token_not_configured");
}

BOOST_AUTO_TEST_CASE(loopback_hosts) {
  BOOST_TEST(http::is_loopback_host("127.0.0.1"));
  BOOST_TEST(http::is_loopback_host("127.3.2.1"));
  BOOST_TEST(http::is_loopback_host("::1"));
  BOOST_TEST(http::is_loopback_host("[::1]"));
  BOOST_TEST(http::is_loopback_host("localhost"));
  BOOST_TEST(!http::is_loopback_host("0.0.0.0"));
  BOOST_TEST(!http::is_loopback_host("::"));
  BOOST_TEST(!http::is_loopback_host("10.1.2.3"));
  BOOST_TEST(!http::is_loopback_host("example.com"));
}

BOOST_AUTO_TEST_CASE(constant_time_compare) {
  BOOST_TEST(http::constant_time_equal("abc", "abc"));
  BOOST_TEST(!http::constant_time_equal("abc", "abd"));
  BOOST_TEST(!http::constant_time_equal("abc", "abcd"));
  BOOST_TEST(http::constant_time_equal("", ""));
}

BOOST_AUTO_TEST_CASE(token_from_env_and_file) {
  char path[] = "/tmp/cascade_token_XXXXXX";
  const int fd = mkstemp(path);
  BOOST_REQUIRE(fd >= 0);
  const std::string text = "  file-token-0123456789\n";
  BOOST_REQUIRE(write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  close(fd);
  ::unsetenv("CASCADE_TEST_TOKEN");
  auto r = http::load_token(path, "CASCADE_TEST_TOKEN");
  BOOST_TEST(!r.error);
  BOOST_TEST(r.token == "file-token-0123456789");
  ::setenv("CASCADE_TEST_TOKEN", "env-token-0123456789", 1);
  r = http::load_token(path, "CASCADE_TEST_TOKEN");
  BOOST_TEST(r.token == "env-token-0123456789");
  ::setenv("CASCADE_TEST_TOKEN", "short", 1);
  r = http::load_token(path, "CASCADE_TEST_TOKEN");
  BOOST_TEST(r.error.has_value());
  BOOST_TEST(r.token.empty());
  ::unsetenv("CASCADE_TEST_TOKEN");
  std::remove(path);
  r = http::load_token(path, "CASCADE_TEST_TOKEN");
  BOOST_TEST(r.error.has_value());
  r = http::load_token("", "CASCADE_TEST_TOKEN");
  BOOST_TEST(!r.error);
  BOOST_TEST(r.token.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tracking)

const http::TrackingKey& key() {
  static const auto k = http::TrackingKey::from_secret("tracking-key-0123456789abcdef");
  return *k;
}

http::TrackingToken click(std::int64_t expires = 2'000'000'000) {
  return {http::TrackKind::Click, "m-42:cart:1", "https://shop.example/cart?x=1&y=%20", expires};
}

BOOST_AUTO_TEST_CASE(base64url_is_strict) {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\xff\x00\xfe", 3)}) {
    const auto back = http::base64url_decode(http::base64url_encode(s));
    BOOST_REQUIRE(back);
    BOOST_TEST(*back == s);
  }
  BOOST_TEST(http::base64url_encode("\xfb\xff") == "-_8");
  BOOST_TEST(!http::base64url_decode("Zg=="));  // padding
  BOOST_TEST(!http::base64url_decode("Zh"));    // non-zero leftover bits: a second spelling of "f"
  BOOST_TEST(!http::base64url_decode("Z"));
  BOOST_TEST(!http::base64url_decode("a+b/"));
}

BOOST_AUTO_TEST_CASE(round_trip) {
  const auto minted = key().mint(click());
  BOOST_REQUIRE(!minted.error);
  const auto r = key().verify(minted.token, http::TrackKind::Click, 1'700'000'000);
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r.token->message_id == "m-42:cart:1");
  BOOST_TEST(r.token->url == "https://shop.example/cart?x=1&y=%20");
  BOOST_TEST(r.token->expires_at == 2'000'000'000);
  for (char c : minted.token) BOOST_TEST((std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'));

  const auto open = key().mint({http::TrackKind::Open, "m-1", "", 2'000'000'000});
  BOOST_REQUIRE(!open.error);
  BOOST_TEST(key().verify(open.token, http::TrackKind::Open, 0).ok());
  BOOST_TEST(*key().verify(open.token, http::TrackKind::Click, 0).error == http::TokenError::WrongKind);
}

BOOST_AUTO_TEST_CASE(every_tampered_byte_is_rejected) {
  const std::string token = key().mint(click()).token;
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
  for (std::size_t i = 0; i < token.size(); ++i) {
    for (char replacement : {alphabet[(alphabet.find(token[i]) + 1) % alphabet.size()], '!', '\0'}) {
      std::string t = token;
      t[i] = replacement;
      const auto r = key().verify(t, http::TrackKind::Click, 0);
      BOOST_TEST(!r.ok(), "byte " << i << " replaced by " << int(replacement) << " was accepted");
    }
  }
  BOOST_TEST(!key().verify(token.substr(0, token.size() - 1), http::TrackKind::Click, 0).ok());
  BOOST_TEST(!key().verify(token + "A", http::TrackKind::Click, 0).ok());
  const auto other = http::TrackingKey::from_secret("another-key-0123456789abcdef");
  BOOST_TEST(*other->verify(token, http::TrackKind::Click, 0).error == http::TokenError::BadSignature);
}

BOOST_AUTO_TEST_CASE(expiry) {
  const std::string token = key().mint(click(1000)).token;
  BOOST_TEST(key().verify(token, http::TrackKind::Click, 999).ok());
  const auto r = key().verify(token, http::TrackKind::Click, 1000);
  BOOST_REQUIRE(r.error);
  BOOST_TEST(*r.error == http::TokenError::Expired);
}

BOOST_AUTO_TEST_CASE(garbage_never_verifies) {
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) {
    std::string s(rng() % 120, '\0');
    for (char& c : s) c = static_cast<char>(rng() % 256);
    if (i % 2 && !s.empty()) s[rng() % s.size()] = '.';
    const auto r = key().verify(s, http::TrackKind::Click, 0);
    BOOST_TEST(!r.ok());
    BOOST_TEST(!r.reason.empty());
  }
  // Well-formed base64url on both sides, wrong tag.
  const std::string fake = http::base64url_encode(std::string("\x01" "c\0\0\0\0\xff\xff\xff\xff\x01m" "https://evil.example", 32)) +
                           "." + http::base64url_encode(std::string(16, 'x'));
  BOOST_TEST(*key().verify(fake, http::TrackKind::Click, 0).error == http::TokenError::BadSignature);
  BOOST_TEST(!key().verify(std::string(10000, 'A'), http::TrackKind::Click, 0).ok());
}

BOOST_AUTO_TEST_CASE(mint_refuses_unsafe_urls_and_bad_fields) {
  for (const char* url : {"javascript:alert(1)", "//evil.example", "https:///evil", "https://\\evil", "ftp://x.example",
                          "https://a.example/\r\nSet-Cookie: x", "https://a b.example", "https://"}) {
    auto t = click();
    t.url = url;
    BOOST_TEST(key().mint(t).error.has_value(), url);
  }
  auto t = click();
  t.message_id = "";
  BOOST_TEST(key().mint(t).error.has_value());
  t = click();
  t.message_id = std::string(256, 'm');
  BOOST_TEST(key().mint(t).error.has_value());
  BOOST_TEST(key().mint({http::TrackKind::Open, "m", "https://x.example", 5}).error.has_value());
  BOOST_TEST(!http::TrackingKey::from_secret("short").has_value());
}

BOOST_AUTO_TEST_CASE(pixel_always_a_gif_reports_only_valid) {
  int reported = 0;
  const auto sink = [&](const http::TrackingToken& t) {
    ++reported;
    BOOST_TEST(t.message_id == "m-9");
  };
  const std::string good = key().mint({http::TrackKind::Open, "m-9", "", 5000}).token;
  for (const std::string& token : {good, std::string{"garbage"}, good + "x", std::string{}}) {
    http::VerifyResult outcome;
    const http::Response r = http::pixel_response(key(), token, 100, sink, &outcome);
    BOOST_TEST(r.result_int() == 200u);
    BOOST_TEST(std::string{r[boost::beast::http::field::content_type]} == "image/gif");
    BOOST_TEST(std::string{r[boost::beast::http::field::cache_control]}.find("no-store") != std::string::npos);
    BOOST_TEST(r.body() == std::string{http::pixel_gif()});
  }
  BOOST_TEST(reported == 1);
  http::pixel_response(key(), good, 6000, sink);  // expired: still a GIF, not reported
  BOOST_TEST(reported == 1);
}

BOOST_AUTO_TEST_CASE(redirect_only_for_valid_tokens) {
  int reported = 0;
  const auto sink = [&](const http::TrackingToken&) { ++reported; };
  const std::string good = key().mint(click(5000)).token;
  http::Response r = http::redirect_response(key(), good, 100, sink);
  BOOST_TEST(r.result_int() == 302u);
  BOOST_TEST(std::string{r[boost::beast::http::field::location]} == click().url);
  BOOST_TEST(reported == 1);

  r = http::redirect_response(key(), good, 5000, sink);
  BOOST_TEST(r.result_int() == 410u);
  BOOST_TEST((r.find(boost::beast::http::field::location) == r.end()));

  std::string tampered = good;
  tampered[3] = tampered[3] == 'A' ? 'B' : 'A';
  for (const std::string& bad : {tampered, std::string{"x.y"}, key().mint({http::TrackKind::Open, "m", "", 5000}).token}) {
    r = http::redirect_response(key(), bad, 100, sink);
    BOOST_TEST(r.result_int() == 404u);
    BOOST_TEST((r.find(boost::beast::http::field::location) == r.end()));
  }
  BOOST_TEST(reported == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(metrics)

BOOST_AUTO_TEST_CASE(exposition_format) {
  http::metrics::Registry reg;
  auto& c = reg.counter("demo_requests_total", "Requests.\nSecond line \\ here.", {"route", "status"});
  c.with({"/v1/\"x\"", "200"}).inc(3);
  c.with({"/a\nb", "500"}).inc();
  reg.gauge("demo_in_flight", "In flight.").with({}).set(2.5);
  auto& h = reg.histogram("demo_duration_seconds", "Duration.", {"route"}, {0.1, 1});
  h.with({"/x"}).observe(0.05);
  h.with({"/x"}).observe(0.5);
  h.with({"/x"}).observe(3);
  const std::string text = reg.render();
  BOOST_TEST(text.find("# HELP demo_requests_total Requests.\\nSecond line \\\\ here.\n") != std::string::npos);
  BOOST_TEST(text.find("# TYPE demo_requests_total counter\n") != std::string::npos);
  BOOST_TEST(text.find("demo_requests_total{route=\"/v1/\\\"x\\\"\",status=\"200\"} 3\n") != std::string::npos);
  BOOST_TEST(text.find("demo_requests_total{route=\"/a\\nb\",status=\"500\"} 1\n") != std::string::npos);
  BOOST_TEST(text.find("demo_in_flight 2.5\n") != std::string::npos);
  BOOST_TEST(text.find("demo_duration_seconds_bucket{route=\"/x\",le=\"0.1\"} 1\n") != std::string::npos);
  BOOST_TEST(text.find("demo_duration_seconds_bucket{route=\"/x\",le=\"1\"} 2\n") != std::string::npos);
  BOOST_TEST(text.find("demo_duration_seconds_bucket{route=\"/x\",le=\"+Inf\"} 3\n") != std::string::npos);
  BOOST_TEST(text.find("demo_duration_seconds_sum{route=\"/x\"} 3.55\n") != std::string::npos);
  BOOST_TEST(text.find("demo_duration_seconds_count{route=\"/x\"} 3\n") != std::string::npos);

  std::string out;
  BOOST_TEST(promtool_check(text, out) == 0, out);
  BOOST_TEST(out.empty(), out);
}

BOOST_AUTO_TEST_CASE(promtool_catches_a_bad_exposition) {
  // The check must be able to fail: a counter without _total is a lint error.
  std::string out;
  BOOST_TEST(promtool_check("# HELP x_requests R.\n# TYPE x_requests counter\nx_requests 1\n", out) != 0);
}

BOOST_AUTO_TEST_CASE(bad_names_and_duplicates_throw) {
  http::metrics::Registry reg;
  BOOST_CHECK_THROW(reg.counter("1bad_total", "x"), std::invalid_argument);
  BOOST_CHECK_THROW(reg.counter("ok_total", "x", {"__reserved"}), std::invalid_argument);
  BOOST_CHECK_THROW(reg.histogram("h_seconds", "x", {"le"}), std::invalid_argument);
  BOOST_CHECK_THROW(reg.histogram("h2_seconds", "x", {}, {1, 0.5}), std::invalid_argument);
  auto& c = reg.counter("ok_total", "x", {"a"});
  BOOST_CHECK_THROW(reg.gauge("ok_total", "x"), std::invalid_argument);
  BOOST_CHECK_THROW(c.with({}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(concurrent_increments_add_up) {
  http::metrics::Registry reg;
  auto& c = reg.counter("t_total", "x", {"k"});
  auto& g = reg.gauge("t_gauge", "x");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        c.with({t % 2 ? "a" : "b"}).inc();
        g.with({}).add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  BOOST_TEST(c.with({"a"}).value() == 20000u);
  BOOST_TEST(c.with({"b"}).value() == 20000u);
  BOOST_TEST(g.with({}).value() == 40000.0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(logs)

BOOST_AUTO_TEST_CASE(mask_emails_and_phones) {
  BOOST_TEST(http::mask_pii("alice@example.ru") == "a***@e***.ru");
  BOOST_TEST(http::mask_pii("to bob.smith+tag@mail.example.com.") == "to b***@m***.com.");
  BOOST_TEST(http::mask_pii("+79161234567") == "+7916*****67");
  BOOST_TEST(http::mask_pii("phone=89161234567;") == "phone=8916*****67;");
  BOOST_TEST(http::mask_pii("+7 (916) 123-45-67") == "+7 (916) ***-**-67");
  BOOST_TEST(http::mask_pii("/v1/profiles/alice@example.ru/x?p=+79161234567") ==
             "/v1/profiles/a***@e***.ru/x?p=+7916*****67");
  BOOST_TEST(http::mask_pii("a@b.c and c@d.org") == "a***@b***.c and c***@d***.org");
  // Left alone: short numbers, ids with letters around digits, lone '@'.
  BOOST_TEST(http::mask_pii("status 200 in 15 ms, 2026-11-23") == "status 200 in 15 ms, 2026-11-23");
  BOOST_TEST(http::mask_pii("m-1234abc5678901") == "m-1234abc5678901");
  BOOST_TEST(http::mask_pii("@ alone, x@y, @home") == "@ alone, x@y, @home");
  BOOST_TEST(http::mask_pii("") == "");
  // Nothing of the original digits in the middle survives.
  const std::string masked = http::mask_pii("call 8 800 555 35 35 now");
  BOOST_TEST(masked.find("555") == std::string::npos, masked);
}

BOOST_AUTO_TEST_CASE(mask_never_fails_on_garbage) {
  std::mt19937 rng(11);
  for (int i = 0; i < 2000; ++i) {
    std::string s(rng() % 64, '\0');
    for (char& c : s) c = "@.+-() 0123456789ab\x80"[rng() % 20];
    (void)http::mask_pii(s);
  }
  BOOST_TEST(true);
}

BOOST_AUTO_TEST_CASE(json_lines_are_masked) {
  std::vector<std::string> lines;
  http::Logger log(http::Level::Info, [&](std::string_view l) { lines.emplace_back(l); });
  log.info("sent to alice@example.ru", {{"route", std::string_view{"/v1/profiles/{id}"}},
                                        {"phone", std::string_view{"+79161234567"}},
                                        {"status", std::int64_t{202}},
                                        {"duration_ms", 1.5},
                                        {"ok", true}});
  log.log(http::Level::Debug, "hidden");
  BOOST_REQUIRE(lines.size() == 1u);
  BOOST_TEST(lines[0].back() == '\n');
  const json::value v = json::parse(lines[0]);
  BOOST_TEST(v.at("level").as_string() == "info");
  BOOST_TEST(v.at("msg").as_string() == "sent to a***@e***.ru");
  BOOST_TEST(v.at("phone").as_string() == "+7916*****67");
  BOOST_TEST(v.at("route").as_string() == "/v1/profiles/{id}");
  BOOST_TEST(v.at("status").as_int64() == 202);
  BOOST_TEST(v.at("duration_ms").as_double() == 1.5);
  BOOST_TEST(v.at("ok").as_bool());
  BOOST_TEST(v.at("time").as_string().size() == 24u);  // 2026-11-23T03:10:00.123Z
}

BOOST_AUTO_TEST_SUITE_END()
