// Expressions: the precedence table, literals, strings with escapes and interpolation.
#include <boost/test/unit_test.hpp>

#include "support.hpp"

using namespace cascade;
using cascade::test::expr;
using cascade::test::parse_text;

namespace {

const ast::Expr& let_value(const test::Parsed& p) {
  const auto& sc = std::get<ast::Scenario>(p.file().decls.at(0).node);
  return *std::get<ast::Let>(sc.body.stmts.at(0).node).value;
}

test::Parsed let(const std::string& e) { return parse_text("scenario s {\n  let x = " + e + "\n}\n"); }

}  // namespace

BOOST_AUTO_TEST_SUITE(precedence)

// Lowest to highest: if-then-else, or, and, not, comparisons/in, ??, + -, * /, unary -,
// postfix calls and member access.
BOOST_AUTO_TEST_CASE(table) {
  BOOST_TEST(expr("a or b and c") == "(or a (and b c))");
  BOOST_TEST(expr("a and b or c") == "(or (and a b) c)");
  BOOST_TEST(expr("not a and b") == "(and (not a) b)");
  BOOST_TEST(expr("not a == b") == "(not (== a b))");
  BOOST_TEST(expr("not a or not b") == "(or (not a) (not b))");
  BOOST_TEST(expr("not not a") == "(not (not a))");
  BOOST_TEST(expr("a == b and c != d") == "(and (== a b) (!= c d))");
  BOOST_TEST(expr("a < b + 1") == "(< a (+ b 1))");
  BOOST_TEST(expr("a in [1, 2] or b") == "(or (in a [1 2]) b)");
  BOOST_TEST(expr("a ?? b == c") == "(== (?? a b) c)");
  BOOST_TEST(expr("a ?? b + c") == "(?? a (+ b c))");
  BOOST_TEST(expr("a + b ?? c") == "(?? (+ a b) c)");
  BOOST_TEST(expr("1 + 2 * 3") == "(+ 1 (* 2 3))");
  BOOST_TEST(expr("1 * 2 + 3") == "(+ (* 1 2) 3)");
  BOOST_TEST(expr("-a * b") == "(* (neg a) b)");
  BOOST_TEST(expr("a * -b") == "(* a (neg b))");
  BOOST_TEST(expr("- -a") == "(neg (neg a))");
  BOOST_TEST(expr("-f(x).y") == "(neg (call f x).y)");
  BOOST_TEST(expr("a - b - c") == "(- (- a b) c)");
  BOOST_TEST(expr("a / b / c") == "(/ (/ a b) c)");
  BOOST_TEST(expr("a ?? b ?? c") == "(?? a (?? b c))");
  BOOST_TEST(expr("a or b or c") == "(or (or a b) c)");
  BOOST_TEST(expr("a and b and c") == "(and (and a b) c)");
  BOOST_TEST(expr("(a + b) * c") == "(* (paren (+ a b)) c)");
  BOOST_TEST(expr("if a then b else c") == "(if a b c)");
  BOOST_TEST(expr("if a or b then 1 + 2 else if c then 3 else 4") == "(if (or a b) (+ 1 2) (if c 3 4))");
  BOOST_TEST(expr("f(if a then 1 else 2, 3)") == "(call f (if a 1 2) 3)");
  BOOST_TEST(expr("a.b.c") == "a.b.c");
  BOOST_TEST(expr("f()") == "(call f)");
}

BOOST_AUTO_TEST_CASE(comparisons_and_in) {
  for (const char* op : {"==", "!=", "<", "<=", ">", ">="}) {
    BOOST_TEST(expr(std::string("a ") + op + " b") == std::string("(") + op + " a b)");
  }
  BOOST_TEST(expr("\"vip\" in customer.tags") == "(in \"vip\" customer.tags)");
}

BOOST_AUTO_TEST_CASE(member_names_may_be_keywords) {
  BOOST_TEST(expr("trigger.at") == "trigger.at");
  BOOST_TEST(expr("event.if.then.opened") == "event.if.then.opened");
  BOOST_TEST(expr("customer.consent.sms") == "customer.consent.sms");
  BOOST_TEST(expr("trigger") == "trigger");
  // Keyword-prefixed identifiers are identifiers.
  BOOST_TEST(expr("android or orange and notice") == "(or android (and orange notice))");
  BOOST_TEST(expr("index in inbox") == "(in index inbox)");
}

BOOST_AUTO_TEST_CASE(spans) {
  const auto p = let("1 + 2 * (3 - x.y)");
  const auto& e = let_value(p);
  BOOST_TEST(p.text(e.span) == "1 + 2 * (3 - x.y)");
  const auto& add = std::get<ast::Binary>(e.node);
  BOOST_TEST(p.text(add.rhs->span) == "2 * (3 - x.y)");
  const auto& mul = std::get<ast::Binary>(add.rhs->node);
  BOOST_TEST(p.text(mul.rhs->span) == "(3 - x.y)");
  const auto& paren = std::get<ast::Paren>(mul.rhs->node);
  const auto& sub = std::get<ast::Binary>(paren.inner->node);
  BOOST_TEST(p.text(sub.rhs->span) == "x.y");
  BOOST_TEST(p.text(std::get<ast::Member>(sub.rhs->node).member.span) == "y");

  const auto q = let("not -f(a, [b])");
  const auto& n = let_value(q);
  BOOST_TEST(q.text(n.span) == "not -f(a, [b])");
  const auto& neg = *std::get<ast::Unary>(n.node).operand;
  BOOST_TEST(q.text(neg.span) == "-f(a, [b])");
  const auto& call = std::get<ast::Call>(std::get<ast::Unary>(neg.node).operand->node);
  BOOST_TEST(q.text(call.callee.span) == "f");
  BOOST_TEST(q.text(call.args.at(1)->span) == "[b]");

  const auto r = let("if a then b else c");
  BOOST_TEST(r.text(let_value(r).span) == "if a then b else c");
}

BOOST_AUTO_TEST_CASE(multi_line_expressions) {
  BOOST_TEST(expr("a and\n    b") == "(and a b)");
  BOOST_TEST(expr("a\n    and b") == "(and a b)");
  BOOST_TEST(expr("f(\n  a,\n  b\n)") == "(call f a b)");
  BOOST_TEST(expr("[\n 1,\n 2\n]") == "[1 2]");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(literals)

BOOST_AUTO_TEST_CASE(integers_and_decimals) {
  BOOST_TEST(expr("0") == "0");
  BOOST_TEST(expr("9223372036854775807") == "9223372036854775807");
  BOOST_TEST(expr("1.77") == "dec:1.77=177e-2");
  BOOST_TEST(expr("0.2") == "dec:0.2=2e-1");
  BOOST_TEST(expr("50000.50") == "dec:50000.50=5000050e-2");
  BOOST_TEST(expr("true and false") == "(and true false)");
  BOOST_TEST(expr("[]") == "[]");
  BOOST_TEST(expr("[1, \"a\", 2.5, 1h]") == "[1 \"a\" dec:2.5=25e-1 dur:1h=3600]");
}

BOOST_AUTO_TEST_CASE(durations) {
  BOOST_TEST(expr("90s") == "dur:90s=90");
  BOOST_TEST(expr("15m") == "dur:15m=900");
  BOOST_TEST(expr("1h30m") == "dur:1h30m=5400");
  BOOST_TEST(expr("7d") == "dur:7d=604800");
  BOOST_TEST(expr("2w") == "dur:2w=1209600");
  BOOST_TEST(expr("1w2d3h4m5s") == "dur:1w2d3h4m5s=788645");
  // Canonical text: units merged and ordered, zero parts dropped.
  BOOST_TEST(expr("30m1h") == "dur:1h30m=5400");
  BOOST_TEST(expr("1h1h") == "dur:2h=7200");
  BOOST_TEST(expr("0h") == "dur:0s=0");
  BOOST_TEST(expr("1h0m") == "dur:1h=3600");
}

BOOST_AUTO_TEST_CASE(clocks_and_percents) {
  BOOST_TEST(expr("00:00") == "clock:0");
  BOOST_TEST(expr("23:59") == "clock:1439");
  BOOST_TEST(expr("09:05") == "clock:545");
  BOOST_TEST(expr("10%") == "pct:1000");
  BOOST_TEST(expr("12.5%") == "pct:1250");
  BOOST_TEST(expr("0.25%") == "pct:25");
  BOOST_TEST(expr("150%") == "pct:15000");
  const auto p = let("12.5%");
  BOOST_TEST(std::get<ast::PercentLit>(let_value(p).node).text == "12.5%");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(strings)

BOOST_AUTO_TEST_CASE(escapes) {
  BOOST_TEST(expr(R"("a\"b\\c\nd\{e\}f")") == R"("a\"b\\c\nd{e}f")");
  const auto p = let(R"("a\"b\\c\nd\{e\}f")");
  const auto& s = std::get<ast::StringLit>(let_value(p).node);
  BOOST_TEST_REQUIRE(s.parts.size() == 1u);
  BOOST_TEST(s.parts[0].text == "a\"b\\c\nd{e}f");
  BOOST_TEST(p.text(s.parts[0].span) == R"(a\"b\\c\nd\{e\}f)");
  BOOST_TEST(!s.interpolated());
  BOOST_TEST(expr("\"\"") == "\"\"");
  BOOST_TEST(std::get<ast::StringLit>(let_value(let("\"\"")).node).parts.empty());
}

BOOST_AUTO_TEST_CASE(interpolation) {
  BOOST_TEST(expr(R"("Hi {customer.first_name ?? "друг"}!")") ==
             R"((str "Hi " {(?? customer.first_name "друг")} "!"))");
  BOOST_TEST(expr(R"("{a}{b}")") == R"((str {a} {b}))");
  BOOST_TEST(expr(R"("x { a + 1 } y")") == R"((str "x " {(+ a 1)} " y"))");
  // Nested strings inside an interpolation, quoted plainly or as \"…\" (LANGUAGE.md §3).
  BOOST_TEST(expr(R"("at {format_time(trigger.at, \"HH:mm\")}")") ==
             R"((str "at " {(call format_time trigger.at "HH:mm")}))");
  BOOST_TEST(expr(R"("at {format_time(trigger.at, "HH:mm")}")") ==
             R"((str "at " {(call format_time trigger.at "HH:mm")}))");
  BOOST_TEST(expr(R"("{if x then \"25\" else \"15\"}%")") == R"((str {(if x "25" "15")} "%"))");
  BOOST_TEST(expr(R"("a {"b {c} d"} e")") == R"((str "a " {(str "b " {c} " d")} " e"))");
  // A lone } is text; \{ is a literal brace.
  BOOST_TEST(expr(R"("a } b \{c}")") == R"("a } b {c}")");

  const auto p = let("\"ab{c}d\"");
  const auto& s = std::get<ast::StringLit>(let_value(p).node);
  BOOST_TEST_REQUIRE(s.parts.size() == 3u);
  BOOST_TEST(p.text(s.parts[0].span) == "ab");
  BOOST_TEST(p.text(s.parts[1].span) == "{c}");
  BOOST_TEST(p.text(s.parts[1].expr->span) == "c");
  BOOST_TEST(p.text(s.parts[2].span) == "d");
  BOOST_TEST(s.interpolated());
}

BOOST_AUTO_TEST_CASE(utf8_text_and_titles) {
  const auto p =
      parse_text("scenario s \"Сгорание баллов 🎁\" {\n  send sms \"Баллы сгорают {trigger.date} — ₽\"\n}");
  BOOST_TEST(p.errors().empty(), p.error_lines());
  const auto& sc = std::get<ast::Scenario>(p.file().decls.at(0).node);
  BOOST_TEST(*sc.title == "Сгорание баллов 🎁");
  const auto& send = std::get<ast::Send>(sc.body.stmts.at(0).node);
  const auto& s = std::get<ast::StringLit>(std::get<ast::ExprPtr>(send.content.value)->node);
  BOOST_TEST(s.parts.at(0).text == "Баллы сгорают ");
  BOOST_TEST(s.parts.at(2).text == " — ₽");
  // Columns count code points.
  const auto lc = p.at(s.parts.at(1).span);
  BOOST_TEST(lc.line == 2u);
  BOOST_TEST(lc.column == 27u);
}

BOOST_AUTO_TEST_SUITE_END()
