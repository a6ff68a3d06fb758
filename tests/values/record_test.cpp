// Records and the decoder: the example profiles against the example project's schema, exact
// decimals, every error with its JSON pointer, strict time / duration / clock forms, and
// hostile input (deep nesting, huge numbers and strings) without a crash.
#include "cascade/vm/record.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "cascade/compiler/project.hpp"
#include "cascade/grammar/source.hpp"
#include "cascade/vm/ops.hpp"

using namespace cascade::vm;
namespace json = boost::json;
namespace types = cascade::types;

namespace {

const cascade::project::Project& example_project() {
  static const cascade::project::Project project = [] {
    cascade::source::SourceMap sources;
    auto r = cascade::project::load(std::string(CASCADE_SOURCE_DIR) + "/examples/cascade.yaml", sources);
    BOOST_REQUIRE(r.project.has_value());
    return *r.project;
  }();
  return project;
}

const Shape& profile_shape() {
  static const Shape shape = Shape::of(example_project().profile);
  return shape;
}

std::vector<std::string> example_profiles() {
  std::ifstream in(std::string(CASCADE_SOURCE_DIR) + "/examples/profiles.jsonl");
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// The first example profile with `edit` applied to its JSON object.
template <class F>
std::optional<DecodeError> decode_edited(F edit, Record& out) {
  json::value v = json::parse(example_profiles().at(0));
  edit(v.as_object());
  return decode(profile_shape(), v, out);
}

const Value& field(const Record& r, std::string_view path) {
  const int i = profile_shape().index(path);
  BOOST_REQUIRE_MESSAGE(i >= 0, "no field " << path);
  return r.get(i);
}

bool same_decimal(const Value& v, std::int64_t units, int scale) {
  return v.kind == Kind::Decimal && v.i == units && v.scale == scale;
}

types::Type T(types::Kind k) {
  return types::Type::of(k);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(record_suite)

BOOST_AUTO_TEST_CASE(shape_flattens_nested_records) {
  const Shape& s = profile_shape();
  BOOST_TEST(s.size() == 23u);  // 19 top-level leaves + consent.{email,sms,push,viber}
  const int email = s.index("consent.email");
  BOOST_TEST(email >= 0);
  BOOST_TEST(s.path(static_cast<std::size_t>(email)) == "consent.email");
  BOOST_TEST((s.type(static_cast<std::size_t>(email)).kind == types::Kind::Bool));
  BOOST_TEST(s.index("consent") == -1);
  BOOST_TEST(s.index("nope") == -1);
  BOOST_TEST(s.index("ltv") >= 0);
  BOOST_TEST((s.type(static_cast<std::size_t>(s.index("tags"))).kind == types::Kind::List));
  BOOST_TEST(Shape::of(T(types::Kind::Int)).size() == 0u);
}

BOOST_AUTO_TEST_CASE(every_example_profile_decodes) {
  const auto lines = example_profiles();
  BOOST_TEST(lines.size() == 12u);
  for (const std::string& line : lines) {
    Record r;
    const auto err = decode(profile_shape(), json::parse(line), r);
    BOOST_TEST(!err.has_value(), line.substr(0, 20)
                                     << ": " << (err ? err->pointer + " " + err->message : ""));
    BOOST_TEST(r.size() == profile_shape().size());
  }
}

BOOST_AUTO_TEST_CASE(decoded_values_of_the_first_profile) {
  Record r;
  BOOST_REQUIRE(!decode(profile_shape(), json::parse(example_profiles().at(0)), r));
  BOOST_TEST(field(r, "first_name").str() == "Анна");
  BOOST_TEST(field(r, "email").str() == "anna@example.ru");
  BOOST_TEST(cascade::vm::ops::equal(field(r, "ltv"), Value::integer(35000)));
  BOOST_TEST((field(r, "ltv").kind == Kind::Decimal));
  BOOST_TEST(field(r, "age").i == 34);
  BOOST_TEST((field(r, "age").kind == Kind::Int));
  BOOST_TEST((field(r, "vip").kind == Kind::Bool));
  BOOST_TEST(!field(r, "vip").truthy());
  BOOST_TEST(field(r, "has_app").truthy());
  BOOST_TEST(field(r, "consent.email").truthy());
  BOOST_TEST(field(r, "median_open_delay").i == 3 * 3600);
  BOOST_TEST((field(r, "median_open_delay").kind == Kind::Duration));
  BOOST_TEST(field(r, "registered_at").i == 1715508000);  // 2024-05-12T10:00:00Z
  BOOST_TEST((field(r, "registered_at").kind == Kind::Time));
  const Value& tags = field(r, "tags");
  BOOST_TEST((tags.kind == Kind::List));
  BOOST_TEST(tags.size == 1u);
  BOOST_TEST(tags.list[0].str() == "app");
  // u2 has no push_token and no last_visit_at: absent optional fields are null.
  Record r2;
  BOOST_REQUIRE(!decode(profile_shape(), json::parse(example_profiles().at(1)), r2));
  BOOST_TEST(field(r2, "push_token").is_null());
  BOOST_TEST(field(r2, "last_visit_at").is_null());
  BOOST_TEST(!field(r2, "consent.push").truthy());
  BOOST_TEST((field(r2, "consent.push").kind == Kind::Bool));
  BOOST_TEST(r2.get(-1).is_null());
  BOOST_TEST(r2.get(1000).is_null());
}

BOOST_AUTO_TEST_CASE(decimals_are_exact_as_written) {
  Record r;
  auto ltv = [&](json::value v) {
    const auto err = decode_edited([&](json::object& o) { o["ltv"] = v; }, r);
    BOOST_REQUIRE_MESSAGE(!err, (err ? err->message : ""));
    return field(r, "ltv");
  };
  BOOST_TEST(same_decimal(ltv(json::parse("0.1")), 1, 1));
  BOOST_TEST(same_decimal(ltv(json::parse("1499.90")), 14999, 1));
  BOOST_TEST(same_decimal(ltv(json::parse("-0.05")), -5, 2));
  BOOST_TEST(same_decimal(ltv(json::parse("12")), 12, 0));
  BOOST_TEST(same_decimal(ltv(json::parse("1e3")), 1000, 0));
  BOOST_TEST(same_decimal(ltv(json::parse("1.5e-7")), 15, 8));
  BOOST_TEST(same_decimal(ltv(json::parse("123456789.123456")), 123456789123456, 6));
  BOOST_TEST(same_decimal(ltv(json::parse("0.000000000000000001")), 1, 18));
  BOOST_TEST(same_decimal(ltv(json::parse("0.0")), 0, 0));
  BOOST_TEST(same_decimal(ltv(json::parse("-9223372036854775808")), INT64_MIN, 0));
  BOOST_TEST(same_decimal(ltv(json::parse("1e18")), 1000000000000000000, 0));
  BOOST_TEST(cascade::vm::ops::render(ltv(json::parse("5490.0"))) == "5490");
}

BOOST_AUTO_TEST_CASE(errors_carry_json_pointers) {
  Record r;
  auto check = [&](auto edit, const std::string& pointer, const std::string& message) {
    const auto err = decode_edited(edit, r);
    BOOST_REQUIRE_MESSAGE(err.has_value(), "expected an error at " << pointer);
    BOOST_TEST(err->pointer == pointer);
    BOOST_TEST(err->message == message);
  };
  check([](json::object& o) { o.erase("vip"); }, "/vip", "missing required field");
  check([](json::object& o) { o["vip"] = nullptr; }, "/vip", "expected bool, got null");
  check([](json::object& o) { o["vip"] = "yes"; }, "/vip", "expected bool, got string");
  check([](json::object& o) { o["orders_count"] = 1.5; }, "/orders_count",
        "expected int, got a fractional number");
  check([](json::object& o) { o["orders_count"] = "7"; }, "/orders_count", "expected int, got string");
  check([](json::object& o) { o["orders_count"] = json::parse("18446744073709551615"); }, "/orders_count",
        "number out of range for int");
  check([](json::object& o) { o["orders_count"] = 1e19; }, "/orders_count", "number out of range for int");
  check([](json::object& o) { o["ltv"] = json::parse("1e30"); }, "/ltv", "number out of range for decimal");
  check([](json::object& o) { o["ltv"] = json::parse("1e-30"); }, "/ltv",
        "decimal has more than 18 digits after the point");
  check([](json::object& o) { o["ltv"] = json::parse("18446744073709551615"); }, "/ltv",
        "number out of range for decimal");
  check([](json::object& o) { o["ltv"] = json::array{}; }, "/ltv", "expected decimal, got array");
  check([](json::object& o) { o["registered_at"] = "2026-13-40T10:00:00Z"; }, "/registered_at",
        "expected a time like 2026-03-02T10:00:00Z, got \"2026-13-40T10:00:00Z\"");
  check([](json::object& o) { o["registered_at"] = 1772445600; }, "/registered_at",
        "expected time, got number");
  check([](json::object& o) { o["median_open_delay"] = "3 hours"; }, "/median_open_delay",
        "expected a duration like 1h30m, got \"3 hours\"");
  check([](json::object& o) { o["consent"].as_object()["email"] = "true"; }, "/consent/email",
        "expected bool, got string");
  check([](json::object& o) { o["consent"].as_object().erase("sms"); }, "/consent/sms",
        "missing required field");
  check([](json::object& o) { o.erase("consent"); }, "/consent", "missing required field");
  check([](json::object& o) { o["consent"] = 1; }, "/consent", "expected object, got number");
  check(
      [](json::object& o) {
        o["tags"] = json::array{"a", "b", 3};
      },
      "/tags/2", "expected string, got number");
  check(
      [](json::object& o) {
        o["tags"] = json::array{"a", nullptr};
      },
      "/tags/1", "expected string, got null");
  check([](json::object& o) { o["tags"] = "app"; }, "/tags", "expected list<string>, got string");
  // A long bad value is cut in the message, on a character boundary.
  const auto err = decode_edited(
      [](json::object& o) {
        std::string s;
        for (int k = 0; k < 100; ++k) s += "Ж";
        o["registered_at"] = s;
      },
      r);
  BOOST_REQUIRE(err.has_value());
  BOOST_TEST(err->message.size() < 120u);

  const auto top = decode(profile_shape(), json::parse("[1,2]"), r);
  BOOST_REQUIRE(top.has_value());
  BOOST_TEST(top->pointer == "");
  BOOST_TEST(top->message == "expected object, got array");
}

BOOST_AUTO_TEST_CASE(accepted_variants) {
  Record r;
  BOOST_TEST(!decode_edited([](json::object& o) { o["orders_count"] = 3.0; }, r));
  BOOST_TEST(field(r, "orders_count").i == 3);
  BOOST_TEST(!decode_edited([](json::object& o) { o["age"] = nullptr; }, r));  // optional: null
  BOOST_TEST(field(r, "age").is_null());
  BOOST_TEST(!decode_edited(
      [](json::object& o) {
        o["extra"] = json::object{{"deep", json::array{1, 2}}};
      },
      r));
  BOOST_TEST(
      !decode_edited([](json::object& o) { o["registered_at"] = "2026-03-02T13:00:00.987+03:00"; }, r));
  BOOST_TEST(field(r, "registered_at").i == 1772445600);
}

BOOST_AUTO_TEST_CASE(optional_nested_records) {
  using types::Field;
  using types::Kind;
  const types::Type inner =
      types::Type::record({Field{"a", T(Kind::Int)}, Field{"b", T(Kind::String).as_optional()}});
  const types::Type outer = types::Type::record(
      {Field{"x", T(Kind::Bool)}, Field{"r", inner.as_optional()}, Field{"c", T(Kind::Clock)},
       Field{"l", types::Type::list(types::Type::list(T(Kind::Int)))}});
  const Shape s = Shape::of(outer);
  BOOST_TEST(s.size() == 5u);
  BOOST_TEST(s.index("r.a") == 1);
  BOOST_TEST(s.type(1).optional);  // under an optional record
  Record rec;
  // The optional record is absent: its required leaf is not an error.
  BOOST_TEST(!decode(s, json::parse(R"({"x":true,"c":"9:05","l":[]})"), rec));
  BOOST_TEST(rec.get(1).is_null());
  BOOST_TEST(rec.get(3).i == 545);
  BOOST_TEST(rec.get(4).size == 0u);
  // Present but incomplete: it is.
  const auto err = decode(s, json::parse(R"({"x":true,"r":{"b":"q"},"c":"09:05","l":[]})"), rec);
  BOOST_REQUIRE(err.has_value());
  BOOST_TEST(err->pointer == "/r/a");
  BOOST_TEST(!decode(s, json::parse(R"({"x":false,"r":{"a":5},"c":"23:59","l":[[1,2],[],[3]]})"), rec));
  BOOST_TEST(rec.get(1).i == 5);
  BOOST_TEST(rec.get(2).is_null());
  BOOST_TEST(rec.get(4).size == 3u);
  BOOST_TEST(rec.get(4).list[0].list[1].i == 2);
  BOOST_TEST(rec.get(4).list[2].list[0].i == 3);
  const auto bad_clock = decode(s, json::parse(R"({"x":true,"c":"24:00","l":[]})"), rec);
  BOOST_REQUIRE(bad_clock.has_value());
  BOOST_TEST(bad_clock->pointer == "/c");
  const auto nested_list = decode(s, json::parse(R"({"x":true,"c":"00:00","l":[[1],[2,"3"]]})"), rec);
  BOOST_REQUIRE(nested_list.has_value());
  BOOST_TEST(nested_list->pointer == "/l/1/1");
  // Pointer tokens are escaped (RFC 6901).
  const types::Type odd = types::Type::record({Field{"a/b~c", T(Kind::Int)}});
  const auto esc = decode(Shape::of(odd), json::parse(R"({"a/b~c":"x"})"), rec);
  BOOST_REQUIRE(esc.has_value());
  BOOST_TEST(esc->pointer == "/a~1b~0c");
}

BOOST_AUTO_TEST_CASE(record_reuse_and_move_keep_storage) {
  Record r;
  const auto lines = example_profiles();
  for (const auto& line : lines) BOOST_REQUIRE(!decode(profile_shape(), json::parse(line), r));
  const std::size_t warm = r.memory_bytes();
  for (int round = 0; round < 20; ++round) {
    for (const auto& line : lines) BOOST_REQUIRE(!decode(profile_shape(), json::parse(line), r));
  }
  BOOST_TEST(r.memory_bytes() == warm);  // a warm record grows no more
  const char* name = field(r, "first_name").s;
  const std::string text(field(r, "first_name").str());
  Record moved = std::move(r);
  BOOST_TEST(static_cast<const void*>(field(moved, "first_name").s) == static_cast<const void*>(name));  // not moved
  BOOST_TEST(field(moved, "first_name").str() == text);
  Record assigned;
  assigned = std::move(moved);
  BOOST_TEST(field(assigned, "first_name").str() == text);
}

BOOST_AUTO_TEST_CASE(hostile_input) {
  Record r;
  // Deep nesting in a field the schema ignores and in one it reads.
  json::value deep = json::array{};
  for (int k = 0; k < 500; ++k) deep = json::array{deep};
  BOOST_TEST(!decode_edited([&](json::object& o) { o["junk"] = deep; }, r));
  const auto e1 = decode_edited([&](json::object& o) { o["consent"].as_object()["email"] = deep; }, r);
  BOOST_REQUIRE(e1.has_value());
  BOOST_TEST(e1->pointer == "/consent/email");
  // Huge strings and lists are copied whole.
  const std::string big(1 << 20, 'x');
  BOOST_TEST(!decode_edited([&](json::object& o) { o["email"] = big; }, r));
  BOOST_TEST(field(r, "email").size == big.size());
  json::array many;
  for (int k = 0; k < 10000; ++k) many.emplace_back(std::to_string(k));
  BOOST_TEST(!decode_edited([&](json::object& o) { o["tags"] = many; }, r));
  BOOST_TEST(field(r, "tags").size == 10000u);
  BOOST_TEST(field(r, "tags").list[9999].str() == "9999");
  // Huge and tiny numbers everywhere.
  for (const char* n :
       {"1e308", "-1e308", "5e-324", "123456789012345678901234567890", "-0.0", "0.30000000000000004"}) {
    const json::value v = json::parse(n);
    decode_edited([&](json::object& o) { o["ltv"] = v; }, r);
    decode_edited([&](json::object& o) { o["orders_count"] = v; }, r);
    decode_edited([&](json::object& o) { o["age"] = v; }, r);
  }
  // Random JSON values in every field: decode returns, the record stays consistent.
  std::mt19937 rng(7);
  const std::vector<json::value> samples = {nullptr,
                                            true,
                                            1,
                                            -1,
                                            2.5,
                                            "x",
                                            "2026-03-02T10:00:00Z",
                                            "1h",
                                            json::array{1},
                                            json::object{{"email", true}},
                                            json::parse("1e300")};
  for (int k = 0; k < 2000; ++k) {
    json::value v = json::parse(example_profiles().at(static_cast<std::size_t>(k % 12)));
    auto& o = v.as_object();
    for (auto& kv : o) {
      if (rng() % 4 == 0) kv.value() = samples[rng() % samples.size()];
    }
    decode(profile_shape(), v, r);
    BOOST_TEST(r.size() == profile_shape().size());
  }
}

BOOST_AUTO_TEST_CASE(parse_time_is_strict) {
  BOOST_TEST(*parse_time("2026-03-02T10:00:00Z") == 1772445600);
  BOOST_TEST(*parse_time("2026-03-02T13:00:00+03:00") == 1772445600);
  BOOST_TEST(*parse_time("2026-03-02T05:30:00-04:30") == 1772445600);
  BOOST_TEST(*parse_time("2026-03-02T10:00:00.999999Z") == 1772445600);
  BOOST_TEST(*parse_time("1970-01-01T00:00:00Z") == 0);
  BOOST_TEST(*parse_time("0001-01-01T00:00:00Z") == -62135596800);
  BOOST_TEST(*parse_time("9999-12-31T23:59:59Z") == 253402300799);
  BOOST_TEST(parse_time("2024-02-29T00:00:00Z").has_value());
  BOOST_TEST(parse_time("2000-02-29T00:00:00Z").has_value());
  for (const char* bad : {"",
                          "2026",
                          "2026-03-02",
                          "2026-02-29T00:00:00Z",
                          "1900-02-29T00:00:00Z",
                          "2026-13-01T00:00:00Z",
                          "2026-00-01T00:00:00Z",
                          "2026-04-31T00:00:00Z",
                          "2026-13-40T10:00:00Z",
                          "2026-03-02T24:00:00Z",
                          "2026-03-02T10:60:00Z",
                          "2026-03-02T10:00:60Z",
                          "2026-03-02 10:00:00Z",
                          "2026-03-02T10:00:00",
                          "2026-03-02T10:00:00Zjunk",
                          "2026-03-02T10:00:00+3:00",
                          "2026-03-02T10:00:00+03:60",
                          "2026-03-02T10:00:00+24:00",
                          "2026-03-02T10:00:00.Z",
                          "2026-3-02T10:00:00Z",
                          "+2026-03-02T10:00:00Z",
                          "2026-03-02T10:00Z",
                          "2026-03-02t10:00:00z",
                          "２０２６-03-02T10:00:00Z",
                          "2026-03-02T10:00:00+0300"}) {
    BOOST_TEST(!parse_time(bad).has_value(), bad);
  }
}

BOOST_AUTO_TEST_CASE(time_round_trips_through_utc_text) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::int64_t> dist(-62135596800, 253402300799);
  for (int k = 0; k < 20000; ++k) {
    const std::int64_t t = dist(rng);
    const std::string text = format_time_utc(t);
    const auto back = parse_time(text);
    BOOST_REQUIRE_MESSAGE(back.has_value(), text);
    BOOST_TEST(*back == t);
  }
  BOOST_TEST(format_time_utc(1772445600) == "2026-03-02T10:00:00Z");
  BOOST_TEST(format_time_utc(951782400) == "2000-02-29T00:00:00Z");
}

BOOST_AUTO_TEST_CASE(parse_duration_forms) {
  BOOST_TEST(*parse_duration("90s") == 90);
  BOOST_TEST(*parse_duration("15m") == 900);
  BOOST_TEST(*parse_duration("1h30m") == 5400);
  BOOST_TEST(*parse_duration("7d") == 7 * 86400);
  BOOST_TEST(*parse_duration("2w") == 14 * 86400);
  BOOST_TEST(*parse_duration("0s") == 0);
  BOOST_TEST(*parse_duration("1w2d3h4m5s") == 7 * 86400 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
  for (const char* bad : {"", "h", "10", "1x", "-1h", "1h 30m", "1.5h", "99999999999999999999s",
                          "9223372036854775807w", "9223372036854775807s1s", "1H"}) {
    BOOST_TEST(!parse_duration(bad).has_value(), bad);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(record_order_suite)

// The decoder tries keys in schema order first; any other order must decode the same.
BOOST_AUTO_TEST_CASE(key_order_does_not_matter) {
  const json::value original = json::parse(example_profiles().at(0));
  Record want;
  BOOST_REQUIRE(!decode(profile_shape(), original, want));
  std::mt19937 rng(3);
  for (int round = 0; round < 50; ++round) {
    std::vector<std::pair<std::string, json::value>> members;
    for (const auto& kv : original.as_object()) members.emplace_back(std::string(kv.key()), kv.value());
    std::shuffle(members.begin(), members.end(), rng);
    json::object shuffled;
    for (auto& [k, v] : members) shuffled[k] = v;
    Record got;
    BOOST_REQUIRE(!decode(profile_shape(), json::value(shuffled), got));
    for (std::size_t i = 0; i < profile_shape().size(); ++i) {
      const int k = static_cast<int>(i);
      BOOST_TEST(cascade::vm::ops::equal(got.get(k), want.get(k)), profile_shape().path(i));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

// Reads every byte a value reaches (under ASan a wild pointer fails here) and renders it.
std::string walk(const Value& v, int depth = 0) {
  BOOST_REQUIRE(depth < 64);
  switch (v.kind) {
    case Kind::String: return "s:" + std::string(v.str());
    case Kind::List: {
      std::string out = "[";
      for (std::uint32_t k = 0; k < v.size; ++k) out += walk(v.list[k], depth + 1) + ",";
      return out + "]";
    }
    case Kind::Decimal: return "d:" + std::to_string(v.i) + "/" + std::to_string(v.scale);
    default: return std::to_string(static_cast<int>(v.kind)) + ":" + std::to_string(v.i);
  }
}

std::string walk(const Record& r) {
  std::string out;
  for (const Value& v : r.values()) out += walk(v) + ";";
  return out;
}

// A record with every kind, empty and nested lists, and empty and non-ASCII strings.
Record every_kind() {
  const Value inner[] = {Value::string("a"), Value::string(""), Value::integer(-7)};
  const Value empty_list = Value::list_of(nullptr, 0);
  const Value nested[] = {Value::list_of(inner, 3), empty_list, Value::string("Ёжик")};
  const Value values[] = {Value::null(),         Value::boolean(true),           Value::integer(42),
                          Value::decimal(3500050, 2), Value::duration(5400),     Value::time(1772445600),
                          Value::clock(570),     Value::string("u1@example.com"), Value::list_of(nested, 3),
                          empty_list,            Value::string("")};
  return Record::copy_of(values);
}

}  // namespace

// Snapshots store records as images: every example profile and a record of every kind come back
// the same, and the image of the copy is the same bytes (determinism).
BOOST_AUTO_TEST_CASE(record_images_round_trip) {
  std::vector<Record> records;
  for (const std::string& line : example_profiles()) {
    Record r;
    BOOST_REQUIRE(!decode(profile_shape(), json::parse(line), r));
    records.push_back(std::move(r));
  }
  records.push_back(every_kind());
  records.emplace_back();  // the empty record
  for (const Record& r : records) {
    std::vector<std::uint8_t> image;
    r.append_image(image);
    image.push_back(0xAB);  // a following byte must be left alone
    Record back;
    std::string error;
    const std::size_t used = Record::from_image(image, back, error);
    BOOST_TEST_REQUIRE(used == image.size() - 1, error);
    BOOST_TEST(walk(back) == walk(r));
    std::vector<std::uint8_t> again;
    back.append_image(again);
    BOOST_TEST((std::vector<std::uint8_t>(image.begin(), image.end() - 1) == again));
  }
}

// Hostile images: every truncation is refused; every flipped byte is refused or gives a record
// whose every string and list can be read (the sanitizers watch) — never a cycle or a wild pointer.
BOOST_AUTO_TEST_CASE(hostile_record_images) {
  std::vector<std::uint8_t> image;
  every_kind().append_image(image);
  for (std::size_t n = 0; n < image.size(); ++n) {
    Record r;
    std::string error;
    BOOST_TEST(Record::from_image(std::span(image.data(), n), r, error) == 0u, "cut at " << n);
    BOOST_TEST(!error.empty());
  }
  std::size_t refused = 0;
  for (std::size_t n = 0; n < image.size(); ++n) {
    for (std::uint8_t flip : {0x01, 0x80, 0xFF}) {
      std::vector<std::uint8_t> bad = image;
      bad[n] ^= flip;
      Record r;
      std::string error;
      if (Record::from_image(bad, r, error) == 0) {
        ++refused;
        continue;
      }
      (void)walk(r);
    }
  }
  BOOST_TEST(refused > 0u);
}
