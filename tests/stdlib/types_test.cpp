// Type values: names as written in cascade.yaml, printing, equality.
#include "cascade/stdlib/types.hpp"

#include <boost/test/unit_test.hpp>
#include <ostream>

namespace cascade::types {
// Lets Boost.Test print a Type when a comparison fails.
std::ostream& operator<<(std::ostream& os, const Type& t) {
  return os << to_string(t);
}
}  // namespace cascade::types

using namespace cascade::types;

BOOST_AUTO_TEST_SUITE(type_values)

BOOST_AUTO_TEST_CASE(parses_every_scalar_name) {
  BOOST_TEST(parse_type_name("bool").value() == Type::of(Kind::Bool));
  BOOST_TEST(parse_type_name("int").value() == Type::of(Kind::Int));
  BOOST_TEST(parse_type_name("decimal").value() == Type::of(Kind::Decimal));
  BOOST_TEST(parse_type_name("string").value() == Type::of(Kind::String));
  BOOST_TEST(parse_type_name("time").value() == Type::of(Kind::Time));
  BOOST_TEST(parse_type_name("duration").value() == Type::of(Kind::Duration));
}

BOOST_AUTO_TEST_CASE(parses_optional_and_lists) {
  BOOST_TEST(parse_type_name("string?").value() == Type::of(Kind::String).as_optional());
  BOOST_TEST(parse_type_name("list<string>").value() == Type::list(Type::of(Kind::String)));
  BOOST_TEST(parse_type_name("list<int>?").value() == Type::list(Type::of(Kind::Int)).as_optional());
  BOOST_TEST(parse_type_name("list<list<int>>").value() == Type::list(Type::list(Type::of(Kind::Int))));
}

BOOST_AUTO_TEST_CASE(tolerates_whitespace) {
  BOOST_TEST(parse_type_name("  int ").value() == Type::of(Kind::Int));
  BOOST_TEST(parse_type_name("string ?").value() == Type::of(Kind::String).as_optional());
  BOOST_TEST(parse_type_name(" list < string > ? ").value() ==
             Type::list(Type::of(Kind::String)).as_optional());
}

BOOST_AUTO_TEST_CASE(rejects_other_names) {
  for (const char* bad : {"",
                          " ",
                          "integer",
                          "Int",
                          "str",
                          "list",
                          "list<>",
                          "list<string",
                          "list string>",
                          "int??",
                          "?",
                          "list<string?>",
                          "clock",
                          "percent",
                          "error",
                          "int int",
                          "string!",
                          "{ a: int }",
                          "list<int>>",
                          "map<string,int>"}) {
    BOOST_TEST_CONTEXT(bad) {
      BOOST_TEST(!parse_type_name(bad).has_value());
    }
  }
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_bounded) {
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "list<";
  deep += "int";
  for (int i = 0; i < 10000; ++i) deep += ">";
  BOOST_TEST(!parse_type_name(deep).has_value());
}

BOOST_AUTO_TEST_CASE(prints_types) {
  BOOST_TEST(to_string(Type::of(Kind::Int)) == "int");
  BOOST_TEST(to_string(Type::of(Kind::String).as_optional()) == "string?");
  BOOST_TEST(to_string(Type::list(Type::of(Kind::String))) == "list<string>");
  BOOST_TEST(to_string(Type::list(Type::of(Kind::Int)).as_optional()) == "list<int>?");
  BOOST_TEST(to_string(Type::of(Kind::Clock)) == "clock");
  BOOST_TEST(to_string(Type::of(Kind::Percent)) == "percent");
  const Type consent = Type::record({{"email", Type::of(Kind::Bool)}, {"sms", Type::of(Kind::Bool)}});
  BOOST_TEST(to_string(consent) == "{ email: bool, sms: bool }");
  BOOST_TEST(to_string(Type::record({})) == "{}");
}

BOOST_AUTO_TEST_CASE(round_trips_through_names) {
  for (const char* name :
       {"int", "string?", "list<string>", "list<int>?", "decimal", "time", "duration", "bool"}) {
    BOOST_TEST(to_string(parse_type_name(name).value()) == name);
  }
}

BOOST_AUTO_TEST_CASE(equality_is_structural) {
  BOOST_TEST(!(Type::of(Kind::Int) == Type::of(Kind::Decimal)));
  BOOST_TEST(!(Type::of(Kind::Int) == Type::of(Kind::Int).as_optional()));
  BOOST_TEST(!(Type::list(Type::of(Kind::Int)) == Type::list(Type::of(Kind::String))));
  const Type a = Type::record({{"email", Type::of(Kind::Bool)}});
  const Type b = Type::record({{"email", Type::of(Kind::Bool)}});
  const Type c = Type::record({{"sms", Type::of(Kind::Bool)}});
  const Type d = Type::record({{"email", Type::of(Kind::Bool)}, {"sms", Type::of(Kind::Bool)}});
  BOOST_TEST(a == b);
  BOOST_TEST(!(a == c));
  BOOST_TEST(!(a == d));
}

BOOST_AUTO_TEST_CASE(optional_round_trip_and_error) {
  const Type s = Type::of(Kind::String);
  BOOST_TEST(s.as_optional().optional);
  BOOST_TEST(s.as_optional().as_required() == s);
  // The error type never becomes optional: it must not trigger "may be absent".
  BOOST_TEST(!Type::error().as_optional().optional);
  BOOST_TEST(Type::error().is_error());
  BOOST_TEST(Type::of(Kind::Decimal).is_numeric());
  BOOST_TEST(!Type::of(Kind::String).is_numeric());
}

BOOST_AUTO_TEST_CASE(record_fields) {
  const Type consent =
      Type::record({{"email", Type::of(Kind::Bool)}, {"sms", Type::of(Kind::Bool).as_optional()}});
  BOOST_REQUIRE(consent.field("sms") != nullptr);
  BOOST_TEST(*consent.field("sms") == Type::of(Kind::Bool).as_optional());
  BOOST_TEST(consent.field("push") == nullptr);
  BOOST_TEST(Type::of(Kind::Int).field("x") == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
