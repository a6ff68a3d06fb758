// The builtin table: every builtin resolves its documented forms and rejects others.
#include "cascade/stdlib/builtins.hpp"

#include <boost/test/unit_test.hpp>
#include <vector>

using namespace cascade;
using types::Kind;
using types::Type;

namespace {

const Type kInt = Type::of(Kind::Int);
const Type kDec = Type::of(Kind::Decimal);
const Type kStr = Type::of(Kind::String);
const Type kBool = Type::of(Kind::Bool);
const Type kTime = Type::of(Kind::Time);
const Type kDur = Type::of(Kind::Duration);
const Type kErr = Type::error();

// "int", or "none" when the call does not resolve.
std::string call(std::string_view name, std::vector<Type> args) {
  const builtins::Builtin* b = builtins::find(name);
  BOOST_REQUIRE_MESSAGE(b != nullptr, "no builtin " << name);
  auto r = builtins::resolve(*b, args);
  return r ? types::to_string(*r) : std::string("none");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(builtin_table)

BOOST_AUTO_TEST_CASE(table_lists_every_builtin_once) {
  const char* names[] = {"days_since", "hours_since", "format_time", "has", "len", "lower",
                         "upper",      "contains",    "starts_with", "min", "max", "round",
                         "str",        "link",        "hours",       "days"};
  BOOST_TEST(builtins::all().size() == std::size(names));
  for (const char* n : names) {
    const auto* b = builtins::find(n);
    BOOST_REQUIRE_MESSAGE(b != nullptr, n);
    BOOST_TEST(b->name == n);
    BOOST_TEST(!b->doc.empty());
    BOOST_TEST(!b->overloads.empty());
  }
  BOOST_TEST(builtins::find("now") == nullptr);
  BOOST_TEST(builtins::find("sqrt") == nullptr);
}

BOOST_AUTO_TEST_CASE(time_functions) {
  BOOST_TEST(call("days_since", {kTime}) == "int");
  BOOST_TEST(call("hours_since", {kTime}) == "int");
  BOOST_TEST(call("days_since", {kTime.as_optional()}) == "none");
  BOOST_TEST(call("days_since", {kStr}) == "none");
  BOOST_TEST(call("format_time", {kTime, kStr}) == "string");
  BOOST_TEST(call("format_time", {kStr, kStr}) == "none");
  BOOST_TEST(call("format_time", {kTime}) == "none");
}

BOOST_AUTO_TEST_CASE(has_takes_only_optionals) {
  BOOST_TEST(call("has", {kStr.as_optional()}) == "bool");
  BOOST_TEST(call("has", {Type::list(kStr).as_optional()}) == "bool");
  BOOST_TEST(call("has", {kStr}) == "none");
  BOOST_TEST(call("has", {}) == "none");
}

BOOST_AUTO_TEST_CASE(len_of_strings_and_lists) {
  BOOST_TEST(call("len", {kStr}) == "int");
  BOOST_TEST(call("len", {Type::list(kStr)}) == "int");
  BOOST_TEST(call("len", {Type::list(kInt)}) == "int");
  BOOST_TEST(call("len", {kInt}) == "none");
  BOOST_TEST(call("len", {kStr.as_optional()}) == "none");
}

BOOST_AUTO_TEST_CASE(string_functions) {
  BOOST_TEST(call("lower", {kStr}) == "string");
  BOOST_TEST(call("upper", {kStr}) == "string");
  BOOST_TEST(call("upper", {kInt}) == "none");
  BOOST_TEST(call("starts_with", {kStr, kStr}) == "bool");
  BOOST_TEST(call("starts_with", {kStr, kInt}) == "none");
  BOOST_TEST(call("link", {kStr}) == "string");
  BOOST_TEST(call("link", {kStr.as_optional()}) == "none");
}

BOOST_AUTO_TEST_CASE(contains_strings_and_lists) {
  BOOST_TEST(call("contains", {kStr, kStr}) == "bool");
  BOOST_TEST(call("contains", {Type::list(kStr), kStr}) == "bool");
  BOOST_TEST(call("contains", {Type::list(kInt), kInt}) == "bool");
  BOOST_TEST(call("contains", {Type::list(kInt), kStr}) == "none");
  BOOST_TEST(call("contains", {Type::list(kStr), kStr.as_optional()}) == "none");
  BOOST_TEST(call("contains", {kStr, Type::list(kStr)}) == "none");
  BOOST_TEST(call("contains", {Type::list(kStr).as_optional(), kStr}) == "none");
  BOOST_TEST(builtins::find("contains")->generic);
  BOOST_TEST(builtins::find("len")->generic);
  BOOST_TEST(!builtins::find("min")->generic);
}

BOOST_AUTO_TEST_CASE(min_and_max) {
  for (const char* f : {"min", "max"}) {
    BOOST_TEST_CONTEXT(f) {
      BOOST_TEST(call(f, {kInt, kInt}) == "int");
      BOOST_TEST(call(f, {kDec, kDec}) == "decimal");
      BOOST_TEST(call(f, {kInt, kDec}) == "decimal");
      BOOST_TEST(call(f, {kDec, kInt}) == "decimal");
      BOOST_TEST(call(f, {kDur, kDur}) == "duration");
      BOOST_TEST(call(f, {kTime, kTime}) == "time");
      BOOST_TEST(call(f, {kDur, kInt}) == "none");
      BOOST_TEST(call(f, {kStr, kStr}) == "none");
      BOOST_TEST(call(f, {kDur.as_optional(), kDur}) == "none");
      BOOST_TEST(call(f, {kInt}) == "none");
    }
  }
}

BOOST_AUTO_TEST_CASE(round_str_hours_days) {
  BOOST_TEST(call("round", {kDec, kInt}) == "decimal");
  BOOST_TEST(call("round", {kInt, kInt}) == "none");
  BOOST_TEST(call("str", {kInt}) == "string");
  BOOST_TEST(call("str", {kDec}) == "string");
  BOOST_TEST(call("str", {kTime}) == "string");
  BOOST_TEST(call("str", {kBool}) == "string");
  BOOST_TEST(call("str", {Type::list(kStr)}) == "none");
  BOOST_TEST(call("str", {Type::record({{"a", kInt}})}) == "none");
  BOOST_TEST(call("str", {kStr.as_optional()}) == "none");
  BOOST_TEST(call("hours", {kInt}) == "duration");
  BOOST_TEST(call("hours", {kDec}) == "duration");
  BOOST_TEST(call("hours", {kStr}) == "none");
  BOOST_TEST(call("days", {kInt}) == "duration");
  BOOST_TEST(call("days", {kDec}) == "none");
}

BOOST_AUTO_TEST_CASE(error_arguments_never_cascade) {
  // An argument that already has a diagnostic resolves to the best guess, never to none.
  BOOST_TEST(call("days_since", {kErr}) == "int");
  BOOST_TEST(call("min", {kErr, kErr}) == "int");
  BOOST_TEST(call("min", {kErr, kDec}) == "decimal");
  BOOST_TEST(call("max", {kDur, kErr}) == "duration");
  BOOST_TEST(call("max", {kStr, kErr}) == "int");  // fits nothing: the first form's result
  BOOST_TEST(call("contains", {kErr, kInt}) == "bool");
  BOOST_TEST(call("contains", {Type::list(kErr), kInt}) == "bool");
  BOOST_TEST(call("len", {kErr}) == "int");
  BOOST_TEST(call("has", {kErr}) == "bool");
  BOOST_TEST(call("str", {kErr}) == "string");
  BOOST_TEST(call("format_time", {kErr, kStr}) == "string");
}

BOOST_AUTO_TEST_CASE(arity_and_forms) {
  BOOST_TEST(builtins::arity(*builtins::find("format_time")) == 2u);
  BOOST_TEST(builtins::arity(*builtins::find("has")) == 1u);
  BOOST_TEST(builtins::arity(*builtins::find("min")) == 2u);
  BOOST_TEST(builtins::forms(*builtins::find("len")) == "(string) or (list<T>)");
  BOOST_TEST(builtins::forms(*builtins::find("hours")) == "(int) or (decimal)");
  BOOST_TEST(builtins::forms(*builtins::find("contains")) == "(string, string) or (list<T>, T)");
  BOOST_TEST(
      builtins::forms(*builtins::find("min")) ==
      "(int, int), (decimal, decimal), (int, decimal), (decimal, int), (duration, duration) or (time, time)");
  BOOST_TEST(builtins::forms(*builtins::find("has")) == "(an optional field)");
}

BOOST_AUTO_TEST_CASE(builtin_values) {
  BOOST_TEST(types::to_string(builtins::value_type("now").value()) == "time");
  BOOST_TEST(!builtins::value_type("today").has_value());
  BOOST_TEST(!builtins::value_type("len").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
