// The type rules: every expression form, the arithmetic table, optionals and has()
// narrowing, and the codes for each kind of mistake.
#include <boost/test/unit_test.hpp>

#include "helpers.hpp"

using namespace cascade;
using test::check_text;

namespace {

struct Typed {
  std::string type;                // the type of the let's value, "" when it was not recorded
  std::vector<std::string> codes;  // every diagnostic but W0010 (the let is unused)
  test::Checked checked;
};

// Checks `let x = EXPR` in a scenario with the given trigger and returns EXPR's type.
Typed type_of(std::string_view expr, std::string_view trigger = "cart_abandoned") {
  Typed t;
  const std::string text = "scenario s \"S\" {\n  trigger " + std::string(trigger) + "\n  let x = " + std::string(expr) +
                           "\n  send email template \"t\"\n}\n";
  t.checked = check_text(text);
  BOOST_REQUIRE_MESSAGE(t.checked.syntax.empty(), "syntax error in: " << expr);
  const auto& file = t.checked.result.files.at(0);
  const auto& sc = std::get<ast::Scenario>(file.decls.at(0).node);
  const auto& let = std::get<ast::Let>(sc.body.stmts.at(0).node);
  auto it = t.checked.result.expr_types.find(check::key(file.file, let.value->id));
  if (it != t.checked.result.expr_types.end()) t.type = types::to_string(it->second);
  for (auto& c : t.checked.codes())
    if (c != "W0010") t.codes.push_back(c);
  return t;
}

using Codes = std::vector<std::string>;

void expect_type(std::string_view expr, std::string_view type, std::string_view trigger = "cart_abandoned") {
  const Typed t = type_of(expr, trigger);
  BOOST_TEST_CONTEXT(expr) {
    BOOST_TEST(t.type == type);
    BOOST_TEST(t.codes == Codes{}, boost::test_tools::per_element());
  }
}

void expect_code(std::string_view expr, std::string_view code, std::string_view trigger = "cart_abandoned") {
  const Typed t = type_of(expr, trigger);
  BOOST_TEST_CONTEXT(expr) { BOOST_TEST(t.codes == Codes{std::string(code)}, boost::test_tools::per_element()); }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(types)

BOOST_AUTO_TEST_CASE(literals) {
  expect_type("true", "bool");
  expect_type("42", "int");
  expect_type("1.77", "decimal");
  expect_type("1h30m", "duration");
  expect_type("10:00", "clock");
  expect_type("10%", "percent");
  expect_type("\"text {trigger.total}\"", "string");
  expect_type("[1, 2]", "list<int>");
  expect_type("[1, 2.5]", "list<decimal>");
  expect_type("now", "time");
}

BOOST_AUTO_TEST_CASE(arithmetic_table) {
  expect_type("1 + 2", "int");
  expect_type("1 + 2.5", "decimal");
  expect_type("trigger.total * 2", "decimal");
  expect_type("7 / 2", "int");
  expect_type("7 / 2.0", "decimal");
  expect_type("1h + 30m", "duration");
  expect_type("now - 1d", "time");
  expect_type("1d + now", "time");
  expect_type("now - now", "duration");
  expect_type("2 * 1h", "duration");
  expect_type("1h * 1.5", "duration");
  expect_type("1h / 2", "duration");
  expect_type("\"a\" + \"b\"", "string");
  expect_type("-1h", "duration");
  expect_type("-trigger.total", "decimal");
  expect_type("trigger.at - 1d", "time", "appointment_booked");
}

BOOST_AUTO_TEST_CASE(arithmetic_mistakes) {
  const Typed t = type_of("trigger.at + 5", "appointment_booked");
  BOOST_TEST(t.codes == Codes{"E0305"}, boost::test_tools::per_element());
  const auto* d = t.checked.find("E0305");
  BOOST_REQUIRE(d);
  BOOST_TEST(d->message == "`+` cannot be applied to `time` and `int`");
  BOOST_TEST(d->hint.find("add a duration like 5m") != std::string::npos);
  BOOST_TEST(t.checked.at(*d) == "trigger.at + 5");

  expect_code("customer.tags + 1", "E0305");
  expect_code("now + now", "E0305");
  expect_code("1h + 5", "E0305");
  expect_code("\"a\" + 1", "E0305");
  expect_code("now * 2", "E0305");
  expect_code("10% * 2", "E0305");
  expect_code("-\"a\"", "E0300");
}

BOOST_AUTO_TEST_CASE(comparisons) {
  expect_type("customer.points > 3", "bool");
  expect_type("customer.points > 2.5", "bool");
  expect_type("10:00 < 11:00", "bool");
  expect_type("now - 1d < now", "bool");
  expect_type("trigger.cart_id == \"c\"", "bool");
  expect_type("customer.tags == [\"a\"]", "bool");
  // Equality takes an optional operand: absent equals nothing.
  expect_type("customer.age == 3", "bool");
  expect_type("customer.first_name != \"Ann\"", "bool");

  const Typed t = type_of("customer.age > \"45\"");
  BOOST_TEST(t.codes == Codes{"E0300"}, boost::test_tools::per_element());
  const auto* d = t.checked.find("E0300");
  BOOST_REQUIRE(d);
  BOOST_TEST(d->message == "cannot compare `int?` with `string`");
  BOOST_TEST(d->hint == "`\"45\"` is a text; write the number without quotes: 45");

  expect_code("\"a\" < \"b\"", "E0305");
  expect_code("customer.vip < true", "E0305");
  expect_code("1h > 5", "E0300");
  expect_code("now == 10:00", "E0300");
  expect_code("customer.age > 3", "E0301");
}

BOOST_AUTO_TEST_CASE(membership) {
  expect_type("\"vip\" in customer.tags", "bool");
  expect_type("\"b\" in \"abc\"", "bool");
  expect_type("2 in [1, 2.5]", "bool");
  expect_code("1 in customer.tags", "E0305");
  expect_code("1 in \"abc\"", "E0305");
  expect_code("customer.first_name in customer.tags", "E0301");
}

BOOST_AUTO_TEST_CASE(coalesce) {
  expect_type("customer.age ?? 0", "int");
  expect_type("customer.age ?? 1.5", "decimal");
  expect_type("customer.first_name ?? \"друг\"", "string");
  expect_type("customer.median_open_delay ?? 8h", "duration");
  expect_type("customer.age ?? customer.age", "int?");
  const Typed t = type_of("customer.age ?? \"нет\"");
  BOOST_TEST(t.codes == Codes{"E0305"}, boost::test_tools::per_element());
  BOOST_TEST(t.checked.find("E0305")->hint == "the default after `??` must be a `int`");
}

BOOST_AUTO_TEST_CASE(conditional_expression) {
  expect_type("if customer.vip then 1 else 2.5", "decimal");
  expect_type("if customer.vip then \"25\" else \"15\"", "string");
  expect_type("if customer.vip then customer.age else 0", "int?");
  expect_code("if customer.vip then 1 else \"a\"", "E0300");
  expect_code("if 1 then 1 else 2", "E0302");
}

BOOST_AUTO_TEST_CASE(optionals_and_has) {
  expect_type("customer.age", "int?");
  expect_type("has(customer.age)", "bool");
  expect_type("has(customer.age) and customer.age > 3", "bool");
  expect_type("not has(customer.age) or customer.age > 3", "bool");
  expect_type("if has(customer.age) then customer.age else 0", "int");
  expect_type("if not has(customer.age) then 0 else customer.age", "int");
  expect_type("has(customer.age) and has(customer.first_name) and customer.age > len(customer.first_name)", "bool");
  // Narrowing applies to the right of `and` only.
  expect_code("customer.age > 3 and has(customer.age)", "E0301");
  expect_code("has(customer.age) or customer.age > 3", "E0301");

  const Typed t = type_of("has(customer.ltv)");
  BOOST_TEST(t.codes == Codes{"E0307"}, boost::test_tools::per_element());
  BOOST_TEST(t.checked.find("E0307")->message == "`has()` needs an optional field, but `customer.ltv` is always present");

  const Typed o = type_of("customer.age * 2");
  BOOST_TEST(o.codes == Codes{"E0301"}, boost::test_tools::per_element());
  const auto* d = o.checked.find("E0301");
  BOOST_TEST(d->message == "`customer.age` may be absent (it is `int?`)");
  BOOST_TEST(d->hint == "give a default with `customer.age ?? …`, or guard with `if has(customer.age) { … }`");
  BOOST_TEST(o.checked.at(*d) == "customer.age");
}

BOOST_AUTO_TEST_CASE(builtins) {
  expect_type("max(4h, 3 * (customer.median_open_delay ?? 8h))", "duration");
  expect_type("days_since(customer.last_purchase_at ?? now)", "int");
  expect_type("link(trigger.cart_url)", "string");
  expect_type("len(customer.tags)", "int");
  expect_type("contains(customer.tags, \"vip\")", "bool");
  expect_type("format_time(now, \"HH:mm\")", "string");
  expect_type("round(trigger.total, 0)", "decimal");
  expect_type("hours(2)", "duration");

  const Typed a = type_of("days_since(now, 1)");
  BOOST_TEST(a.codes == Codes{"E0205"}, boost::test_tools::per_element());
  BOOST_TEST(a.checked.find("E0205")->message == "`days_since` takes 1 argument, not 2");

  const Typed b = type_of("format_time(trigger.total, \"HH:mm\")");
  BOOST_TEST(b.codes == Codes{"E0306"}, boost::test_tools::per_element());
  BOOST_TEST(b.checked.find("E0306")->message == "no form of `format_time` takes (decimal, string)");
  BOOST_TEST(b.checked.find("E0306")->hint == "`format_time` takes (time, string)");

  const Typed c = type_of("days_sinse(now)");
  BOOST_TEST(c.codes == Codes{"E0204"}, boost::test_tools::per_element());
  BOOST_TEST(c.checked.find("E0204")->hint == "did you mean `days_since`?");
  BOOST_TEST(c.checked.at(*c.checked.find("E0204")) == "days_sinse");

  const Typed n = type_of("now()");
  BOOST_TEST(n.checked.find("E0204")->hint == "`now` is a value, not a function: write `now`");

  expect_code("days_since(customer.last_purchase_at)", "E0301");
  expect_code("len(customer.ltv)", "E0306");
}

BOOST_AUTO_TEST_CASE(names_and_fields) {
  expect_type("customer.consent.email", "bool");
  expect_type("trigger.cart_url", "string");

  const Typed f = type_of("customer.agee");
  BOOST_TEST(f.codes == Codes{"E0201"}, boost::test_tools::per_element());
  BOOST_TEST(f.checked.find("E0201")->message == "`customer` has no field `agee`");
  BOOST_TEST(f.checked.find("E0201")->hint == "did you mean `age`?");
  BOOST_TEST(f.checked.at(*f.checked.find("E0201")) == "agee");

  const Typed g = type_of("trigger.cart_link");
  BOOST_TEST(g.checked.find("E0201")->message == "`cart_abandoned` has no field `cart_link`");
  BOOST_TEST(g.checked.find("E0201")->hint == "the fields of `cart_abandoned` are cart_id, cart_url, total");

  const Typed h = type_of("customer.consent.telegram");
  BOOST_TEST(h.checked.find("E0201")->message == "`customer.consent` has no field `telegram`");

  expect_code("customer.ltv.cents", "E0201");

  const Typed u = type_of("totl");
  BOOST_TEST(u.codes == Codes{"E0203"}, boost::test_tools::per_element());
  const Typed v = type_of("age");
  BOOST_TEST(v.checked.find("E0203")->hint == "did you mean `customer.age`?");

  const Typed e = type_of("event.total");
  BOOST_TEST(e.codes == Codes{"E0209"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(interpolation) {
  expect_type("\"{trigger.total} {now} {1h} {customer.vip} {10:00}\"", "string");
  expect_code("\"{customer.tags}\"", "E0308");
  expect_code("\"{customer.consent}\"", "E0308");
  expect_code("\"{customer.first_name}\"", "E0301");
  expect_type("\"{customer.first_name ?? \\\"друг\\\"}\"", "string");
}

BOOST_AUTO_TEST_CASE(lists) {
  expect_type("[\"a\", \"b\"]", "list<string>");
  expect_code("[\"a\", 1]", "E0300");
  expect_code("[customer.age]", "E0301");
}

BOOST_AUTO_TEST_CASE(conditions_must_be_bool) {
  const auto c = check_text(test::scenario("if customer.points { send email template \"t\" }", "  audience customer.ltv"));
  BOOST_TEST(c.codes() == (Codes{"E0302", "E0302"}), boost::test_tools::per_element());
  BOOST_TEST(c.diags.items()[0].message == "the audience must be a bool, but this is `decimal`");
  BOOST_TEST(c.diags.items()[0].hint == "compare it, like `customer.ltv > 0`");
  BOOST_TEST(c.diags.items()[1].message == "the condition of `if` must be a bool, but this is `int`");
}

BOOST_AUTO_TEST_CASE(every_expression_is_typed) {
  const auto c = check_text(test::scenario("send sms \"{trigger.total + 1} {customer.ltv}\""));
  BOOST_TEST(c.diags.items().empty());
  // trigger, trigger.total, 1, the sum, customer, customer.ltv, the string.
  BOOST_TEST(c.result.expr_types.size() >= 7u);
}

BOOST_AUTO_TEST_CASE(deep_chain_does_not_overflow) {
  std::string expr = "1";
  for (int i = 0; i < 5000; ++i) expr += " + 1";
  // The parser limits nesting itself; the checker has its own limit behind it. Either
  // way: one diagnostic, no stack overflow.
  const auto c = check_text(test::scenario("let x = " + expr + "\nsend sms \"{x}\""));
  BOOST_TEST((!c.syntax.empty() || c.count("E0006") == 1u));
}

BOOST_AUTO_TEST_SUITE_END()
