// The decoder's fast path for status lines (InputDecoder::fast_status in
// runtime/vm/src/input_json.cpp, which reads the commonest lines without the JSON parser) must
// decode every line exactly as the JSON path does: same result, same fields, same error. Each
// line below goes through InputDecoder::input(text) and, parsed by boost.json, through
// InputDecoder::input(value) — the JSON path alone — and the two are compared; the lines are
// well-formed status reports and near misses of every kind (keys, types, escapes, UTF-8,
// blanks, duplicates, trailing text, unknown recipients and statuses).
#define BOOST_TEST_MODULE input_fast
#include <unistd.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "cascade/compiler/driver.hpp"
#include "cascade/compiler/render.hpp"
#include "cascade/vm/engine.hpp"
#include "cascade/vm/input_json.hpp"
#include "runtime_config.hpp"

namespace fs = std::filesystem;
using namespace cascade;

namespace {

constexpr const char* kProject = R"(timezone: UTC
profile:
  email: string?
events:
  cart: { id: string }
channels:
  email: { kind: email, address: email, provider: esp, cost: 0.2 }
providers:
  esp:  { type: file, path: "email.jsonl" }
)";

std::unique_ptr<vm::Engine> make_engine() {
  const fs::path dir = fs::temp_directory_path() / ("cascade-input-fast-test-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "cascade.yaml") << kProject;
  driver::CheckRequest request;
  request.paths = {dir.string()};
  driver::CheckOutcome out = driver::check(request);
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (out.diagnostics.has_errors() || !out.project) {
    out.diagnostics.sort();
    BOOST_FAIL("the project does not check:\n" << diag::render_text(out.diagnostics, out.sources));
  }
  auto engine = std::make_unique<vm::Engine>(host::runtime_config(*out.project));
  engine->upsert_profile("u1", vm::Record(), 0);
  return engine;
}

std::vector<std::string> lines() {
  std::vector<std::string> v = {
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","status":"delivered","channel":"email"})",
      R"({"at":"2026-03-02T13:00:00+03:00","recipient":"u1","status":"opened","message":"m17"})",
      R"({"recipient":"u1","at":"2026-03-02T10:00:00.5Z","channel":"email","status":"clicked","message":"m2"})",
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","status":"failed","channel":"email","reason":"bounced"})",
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","status":"opened","channel":"email","reason":"ignored"})",
      R"(  { "at" : "2026-03-02T10:00:00Z" ,	"recipient":"u1", "status":"delivered" , "channel":"email" }  )",
      "{\"at\":\"2026-03-02T10:00:00Z\",\"recipient\":\"u1\",\"status\":\"delivered\",\"channel\":\"email\"}\r",
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","status":"delivered","channel":""})",
      // Near misses: each must give the JSON path's answer (an error, or the same input).
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u2","status":"delivered","channel":"email"})",
      R"({"at":"2026-03-02T10:00:00Z","recipient":"","status":"delivered","channel":"email"})",
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","status":"sent","channel":"email"})",
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","status":"read","channel":"email"})",
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","status":"delivered"})",
      R"({"at":"yesterday","recipient":"u1","status":"delivered","channel":"email"})",
      R"({"recipient":"u1","status":"delivered","channel":"email"})",
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","status":"delivered","channel":"email","event":"cart"})",
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","status":"delivered","channel":"email","data":{}})",
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","status":"delivered","channel":"email","x":"y"})",
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","status":"delivered","channel":5})",
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","status":"failed","channel":"email","reason":7})",
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u\u0031","status":"delivered","channel":"email"})",
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","status":"delivered","channel":"почта"})",
      "{\"at\":\"2026-03-02T10:00:00Z\",\"recipient\":\"u1\",\"status\":\"delivered\",\"channel\":\"\xff\"}",
      "{\"at\":\"2026-03-02T10:00:00Z\",\"recipient\":\"u1\",\"status\":\"delivered\",\"channel\":\"a\x01\"}",
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","recipient":"u2","status":"delivered","channel":"email"})",
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","status":"delivered","channel":"email"} {})",
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","status":"delivered","channel":"email"},)",
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","status":"delivered","channel":"email",})",
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","status":"delivered","channel":"email")",
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","status":"delivered","channel":"email)",
      R"({"at":"2026-03-02T10:00:00Z" "recipient":"u1","status":"delivered","channel":"email"})",
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","status":"delivered","channel":"email"}})",
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","status":"delivered","channel":"email"})"
      "\n",
      R"({})",
      R"([])",
      R"("status")",
      "",
  };
  // Every prefix of a good line: truncated input at each byte.
  const std::string good = v[0];
  for (std::size_t n = 0; n < good.size(); ++n) v.push_back(good.substr(0, n));
  return v;
}

void compare(vm::InputDecoder& decoder, const std::string& line) {
  vm::Input fast, slow;
  const std::optional<vm::LineError> a = decoder.input(line, fast);
  std::optional<vm::LineError> b;
  vm::LineError parse_error;
  if (const boost::json::value* v = decoder.parse(line, parse_error)) {
    const boost::json::value copy = *v;  // the decoder's scratch is reused by input() below
    b = decoder.input(copy, slow);
  } else {
    b = parse_error;
  }
  BOOST_TEST_CONTEXT("line: " << line) {
    BOOST_TEST(a.has_value() == b.has_value());
    if (a && b) {
      BOOST_TEST(a->message == b->message);
      BOOST_TEST(a->column == b->column);
    }
    if (!a && !b) {
      BOOST_TEST(static_cast<int>(fast.kind) == static_cast<int>(slow.kind));
      BOOST_TEST(fast.at == slow.at);
      BOOST_TEST(fast.recipient == slow.recipient);
      BOOST_TEST(static_cast<int>(fast.status) == static_cast<int>(slow.status));
      BOOST_TEST(fast.channel == slow.channel);
      BOOST_TEST(fast.message == slow.message);
      BOOST_TEST(fast.reason == slow.reason);
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(status_lines_decode_as_the_json_path_decodes_them) {
  const auto engine = make_engine();
  vm::InputDecoder decoder(*engine);
  for (const std::string& line : lines()) compare(decoder, line);
}

BOOST_AUTO_TEST_CASE(without_the_recipient_check_too) {
  const auto engine = make_engine();
  vm::InputDecoder::Options options;
  options.check_recipients = false;
  vm::InputDecoder decoder(*engine, options);
  for (const std::string& line : lines()) compare(decoder, line);
}

BOOST_AUTO_TEST_CASE(the_accepted_fields_are_the_ones_on_the_line) {
  const auto engine = make_engine();
  vm::InputDecoder decoder(*engine);
  vm::Input in;
  in.message = "stale";
  in.reason = "stale";
  BOOST_TEST_REQUIRE(
      !decoder.input(std::string_view(R"({"at":"2026-03-02T10:00:01Z","recipient":"u1","status":"failed","channel":"email","reason":"bounced"})"), in));
  BOOST_TEST(in.at == 1772445601);
  BOOST_TEST(in.recipient == "u1");
  BOOST_TEST(static_cast<int>(in.status) == static_cast<int>(vm::MsgStatus::Failed));
  BOOST_TEST(in.channel == "email");
  BOOST_TEST(in.message.empty());
  BOOST_TEST(in.reason == "bounced");
}
