// The JSON renderer: the document's shape, key order and values.
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include "cascade/compiler/render.hpp"
#include "helpers.hpp"

using namespace cascade;
namespace json = boost::json;
using cascade::test::span_of;

namespace {
std::vector<std::string> keys(const json::object& o) {
  std::vector<std::string> out;
  for (const auto& kv : o) out.emplace_back(kv.key());
  return out;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(json_output)

BOOST_AUTO_TEST_CASE(empty_document) {
  source::SourceMap sources;
  diag::Diagnostics diags;
  BOOST_TEST(diag::render_json(diags, sources) ==
             "{\n  \"version\": 1,\n  \"diagnostics\": [],\n  \"errors\": 0,\n  \"warnings\": 0\n}\n");
}

BOOST_AUTO_TEST_CASE(shape_and_values) {
  source::SourceMap sources;
  const auto id = sources.add("examples/cart.cascade", "segment vip = true\nsend sms \"Привет, {имя}\"\n");
  diag::Diagnostics diags;
  auto d = diag::make(diag::Code::DuplicateName, span_of(sources, id, "имя"), "имя");
  d.notes.push_back({span_of(sources, id, "vip"), "first defined here"});
  diags.add(std::move(d));
  auto sms = diag::make(diag::Code::SmsSegments, span_of(sources, id, "\"Привет, {имя}\""), "at least ", 1,
                        "UCS-2", 10, "");
  sms.data["encoding"] = "UCS-2";
  sms.data["characters"] = 10;
  sms.data["segments"] = 1;
  diags.add(std::move(sms));
  diags.add(diag::make_unplaced(diag::Code::ProjectNotFound, "examples"));

  const json::value doc = json::parse(diag::render_json(diags, sources));
  BOOST_TEST(
      keys(doc.as_object()) == (std::vector<std::string>{"version", "diagnostics", "errors", "warnings"}),
      boost::test_tools::per_element());
  BOOST_TEST(doc.at("version").as_int64() == 1);
  BOOST_TEST(doc.at("errors").as_int64() == 2);
  BOOST_TEST(doc.at("warnings").as_int64() == 1);

  const json::array& items = doc.at("diagnostics").as_array();
  BOOST_REQUIRE_EQUAL(items.size(), 3u);
  const json::object& first = items[0].as_object();
  BOOST_TEST(
      keys(first) == (std::vector<std::string>{"code", "severity", "name", "message", "hint", "file", "line",
                                               "column", "end_line", "end_column", "notes", "data"}),
      boost::test_tools::per_element());
  BOOST_TEST(first.at("code") == "E0206");
  BOOST_TEST(first.at("severity") == "error");
  BOOST_TEST(first.at("name") == "duplicate-name");
  BOOST_TEST(first.at("message") == "`имя` is already defined");
  BOOST_TEST(first.at("hint") == "rename one of them");
  BOOST_TEST(first.at("file") == "examples/cart.cascade");
  BOOST_TEST(first.at("line").as_int64() == 2);
  BOOST_TEST(first.at("column").as_int64() == 20);  // code points, not bytes
  BOOST_TEST(first.at("end_line").as_int64() == 2);
  BOOST_TEST(first.at("end_column").as_int64() == 23);
  const json::object& note = first.at("notes").at(0).as_object();
  BOOST_TEST(
      keys(note) == (std::vector<std::string>{"message", "file", "line", "column", "end_line", "end_column"}),
      boost::test_tools::per_element());
  BOOST_TEST(note.at("message") == "first defined here");
  BOOST_TEST(note.at("line").as_int64() == 1);
  BOOST_TEST(note.at("column").as_int64() == 9);
  BOOST_TEST(first.at("data").as_object().empty());

  const json::object& second = items[1].as_object();
  BOOST_TEST(second.at("severity") == "warning");
  BOOST_TEST(second.at("hint").is_null());  // an empty hint is null
  BOOST_TEST(second.at("message") == "this SMS is at least 1 segments (UCS-2, 10 characters)");
  BOOST_TEST(second.at("data").at("encoding") == "UCS-2");
  BOOST_TEST(second.at("data").at("characters").as_int64() == 10);
  BOOST_TEST(second.at("data").at("segments").as_int64() == 1);

  const json::object& third = items[2].as_object();
  BOOST_TEST(third.at("code") == "E0100");
  for (const char* key : {"file", "line", "column", "end_line", "end_column"})
    BOOST_TEST(third.at(key).is_null());
}

BOOST_AUTO_TEST_CASE(invalid_utf8_becomes_valid_json) {
  source::SourceMap sources;
  const auto id = sources.add(std::string("bad\xff.cascade"), std::string("x\xc3\n"));
  diag::Diagnostics diags;
  auto d = diag::make(diag::Code::InvalidUtf8, {id, 1, 2}, "C3");
  d.message += "\xc3";
  d.data["quoted"] = std::string("\xe2\x82");
  diags.add(std::move(d));
  const std::string out = diag::render_json(diags, sources);
  json::error_code ec;
  const json::value doc = json::parse(out, ec);
  BOOST_REQUIRE(!ec);
  BOOST_TEST(doc.at("diagnostics").at(0).at("file") == "bad\uFFFD.cascade");
  BOOST_TEST(doc.at("diagnostics").at(0).at("message") ==
             "the file is not valid UTF-8 (bad byte 0xC3)\uFFFD");
  BOOST_TEST(doc.at("diagnostics").at(0).at("data").at("quoted") == "\uFFFD\uFFFD");
}

BOOST_AUTO_TEST_CASE(werror_shows_as_error) {
  source::SourceMap sources;
  const auto id = sources.add("w.cascade", "wait 0s\n");
  diag::Diagnostics diags;
  diags.add(diag::make(diag::Code::ZeroWait, {id, 0, 7}));
  diags.promote_warnings();
  const json::value doc = json::parse(diag::render_json(diags, sources));
  BOOST_TEST(doc.at("diagnostics").at(0).at("severity") == "error");
  BOOST_TEST(doc.at("diagnostics").at(0).at("code") == "W0007");
  BOOST_TEST(doc.at("errors").as_int64() == 1);
  BOOST_TEST(doc.at("warnings").as_int64() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
