// Syntax errors: what was expected and what was found, in words, at the exact token;
// recovery at setting, statement and declaration boundaries keeps the rest of the file
// (several errors per file, no follow-on junk, the statements that parsed are kept).
#include <boost/test/unit_test.hpp>

#include "support.hpp"

using namespace cascade;
using cascade::test::parse_text;
using Kind = grammar::SyntaxErrorKind;

namespace {

// "line:col: expected X, found Y" lines for a file.
std::string errors_of(const std::string& text) { return parse_text(text).error_lines(); }

const ast::Scenario& scenario(const test::Parsed& p, std::size_t i = 0) {
  return std::get<ast::Scenario>(p.file().decls.at(i).node);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(expected_and_found)

BOOST_AUTO_TEST_CASE(missing_arguments_at_end_of_line) {
  BOOST_TEST(errors_of("scenario a {\n  wait\n  stop\n}") == "2:7: expected a duration like 24h, found a newline\n");
  BOOST_TEST(errors_of("scenario a {\n  send\n}") == "2:7: expected a channel name, found a newline\n");
  BOOST_TEST(errors_of("scenario a {\n  send email\n}") ==
             "2:13: expected a message: a string or template \"name\", found a newline\n");
  BOOST_TEST(errors_of("scenario a {\n  trigger every\n}") == "2:16: expected a duration like 24h, found a newline\n");
  BOOST_TEST(errors_of("scenario a {\n  goal order_placed within\n}") ==
             "2:27: expected a duration like 24h, found a newline\n");
  BOOST_TEST(errors_of("scenario a {\n  wait until\n}") ==
             "2:13: expected a time, like trigger.at - 1h, found a newline\n");
  BOOST_TEST(errors_of("scenario a\n{\n}") == "1:11: expected '{', found a newline\n");
}

BOOST_AUTO_TEST_CASE(wrong_tokens) {
  BOOST_TEST(errors_of("scenario a {\n  wait foo bar\n}") ==
             "2:12: expected a statement or '}', found 'bar'\n");
  BOOST_TEST(errors_of("scenario a { send 42 \"x\" }") == "1:19: expected a channel name, found '42'\n");
  BOOST_TEST(errors_of("scenario a { send sms 123 }") ==
             "1:23: expected a message: a string or template \"name\", found '123'\n");
  BOOST_TEST(errors_of("scenario a { quiet hours 22:00-09:00 }") == "1:31: expected '..', found '-'\n");
  BOOST_TEST(errors_of("scenario a { quiet 22:00..09:00 }") == "1:20: expected 'hours', found '22:00'\n");
  BOOST_TEST(errors_of("scenario a { limit 1.5 per 1d }") == "1:20: expected a whole number, found '1.5'\n");
  BOOST_TEST(errors_of("scenario a { limit 1 per 10 }") == "1:26: expected a duration like 24h, found '10'\n");
  BOOST_TEST(errors_of("scenario a { control 50 }") == "1:22: expected a percentage like 10%, found '50'\n");
  BOOST_TEST(errors_of("scenario a { reentry sometimes }") ==
             "1:22: expected 'never', 'parallel' or 'after', found 'sometimes'\n");
  BOOST_TEST(errors_of("scenario a { trigger }") == "1:22: expected an event name, 'every' or 'manual', found '}'\n");
  BOOST_TEST(errors_of("scenario a { if not opened { } }") == "1:28: expected 'within', found '{'\n");
  BOOST_TEST(errors_of("scenario a { if a = b { } }") == "1:19: expected '{', found '='\n");
  BOOST_TEST(errors_of("scenario a { cascade until { sms \"x\" } }") ==
             "1:28: expected an outcome: delivered, opened, clicked or an event, found '{'\n");
  BOOST_TEST(errors_of("scenario a { cascade { sms \"x\" } }") == "1:22: expected 'until', found '{'\n");
  BOOST_TEST(errors_of("scenario a { split { 50 b { } } }") == "1:22: expected a percentage like 10%, found '50'\n");
  BOOST_TEST(errors_of("scenario a { let x = f(a b) }") == "1:26: expected ',' or ')', found 'b'\n");
  BOOST_TEST(errors_of("scenario a { let x = [1 2] }") == "1:25: expected ',' or ']', found '2'\n");
  BOOST_TEST(errors_of("scenario a { let x = (1 }") == "1:25: expected ')', found '}'\n");
  BOOST_TEST(errors_of("scenario a { let x = a. }") == "1:25: expected a field name, found '}'\n");
  BOOST_TEST(errors_of("scenario a { let x = 1 + }") == "1:26: expected an expression, found '}'\n");
  BOOST_TEST(errors_of("scenario a { let x = if a then b }") == "1:34: expected 'else', found '}'\n");
  BOOST_TEST(errors_of("scenario a { let x = a.b(c) }") ==
             "1:25: expected an operator (only a function name can be called, as in f(x)), found '('\n");
  BOOST_TEST(errors_of("scenario a { send email template \"t\" with { a 1 } }") ==
             "1:47: expected ':', found '1'\n");
  BOOST_TEST(errors_of("scenario a { send email template \"t\" with { a: 1 b: 2 } }") ==
             "1:50: expected ',' or '}', found 'b'\n");
  BOOST_TEST(errors_of("scenario a { send email template x }") ==
             "1:34: expected a template name in quotes, found 'x'\n");
  BOOST_TEST(errors_of("scenario a { send sms \"x\" as }") == "1:30: expected a name for the message, found '}'\n");
  BOOST_TEST(errors_of("segment = 1") == "1:9: expected a segment name, found '='\n");
  BOOST_TEST(errors_of("segment x 1") == "1:11: expected '=', found '1'\n");
  BOOST_TEST(errors_of("scenario {\n}") == "1:10: expected a scenario name, found '{'\n");
  BOOST_TEST(errors_of("import common") == "1:8: expected a file name in quotes, found 'common'\n");
  BOOST_TEST(errors_of("}") == "1:1: expected 'import', 'segment' or 'scenario', found '}'\n");
  BOOST_TEST(errors_of("scenario a {") == "1:13: expected '}', found end of file\n");
}

BOOST_AUTO_TEST_CASE(long_tokens_are_cut_in_messages) {
  const std::string word(5000, 'w');
  const auto p = parse_text("scenario a { send sms " + word + " }");
  BOOST_TEST_REQUIRE(p.errors().size() == 1u);
  BOOST_TEST(p.errors()[0].found == "'" + std::string(48, 'w') + "…'");
  BOOST_TEST(p.errors()[0].span.end - p.errors()[0].span.begin == 5000u);
  const auto q = parse_text("scenario a { let x = " + std::string(3000, '9') + " }");
  BOOST_TEST_REQUIRE(q.errors().size() == 1u);
  BOOST_TEST(q.errors()[0].found == std::string(48, '9') + "…");
}

BOOST_AUTO_TEST_CASE(reserved_words_are_not_names) {
  BOOST_TEST(errors_of("scenario a { let if = 1 }") == "1:18: expected a name, found 'if'\n");
  BOOST_TEST(errors_of("segment send = 1") == "1:9: expected a segment name, found 'send'\n");
  BOOST_TEST(errors_of("scenario within { }") == "1:10: expected a scenario name, found 'within'\n");
  BOOST_TEST(errors_of("scenario a { send template \"x\" }") == "1:19: expected a channel name, found 'template'\n");
  BOOST_TEST(errors_of("scenario a { let x = opened }") == "1:22: expected an expression, found 'opened'\n");
  // Contextual words are names.
  BOOST_TEST(errors_of("scenario a { let at = after + per + hours + on + never + parallel + for }") == "");
}

BOOST_AUTO_TEST_CASE(settings_come_before_statements) {
  const auto p = parse_text("scenario a {\n  trigger e\n  send sms \"x\"\n  goal order_placed\n  stop\n}");
  BOOST_TEST(p.error_lines() ==
             "4:3: expected a statement (settings must come before the first statement), found the setting 'goal'\n");
  BOOST_TEST(test::dump(p.file()) == "(scenario a (trigger e) {(send sms \"x\") (stop)})\n");
  BOOST_TEST(errors_of("scenario a {\n  stop\n  stop on unsubscribed\n}") ==
             "3:3: expected a statement (settings must come before the first statement), found the setting 'stop'\n");
}

BOOST_AUTO_TEST_CASE(unexpected_characters) {
  const auto p = parse_text("scenario a { let x = @ }");
  BOOST_TEST_REQUIRE(p.errors().size() == 1u);
  BOOST_TEST((p.errors()[0].kind == Kind::UnexpectedCharacter));
  BOOST_TEST(p.errors()[0].found == "'@'");
  BOOST_TEST(p.text(p.errors()[0].span) == "@");
  BOOST_TEST(errors_of("scenario a { send sms \"x\"; }") == "1:26: expected a statement or '}', found ';'\n");
  BOOST_TEST(errors_of("scenario a { let x = \x01 }") == "1:22: expected an expression, found a control character 0x01\n");
  BOOST_TEST(errors_of("scenario a { let x = ё }") == "1:22: expected an expression, found 'ё'\n");
}

BOOST_AUTO_TEST_CASE(comparisons_do_not_chain) {
  const auto p = parse_text("scenario a { let x = a < b < c }");
  BOOST_TEST(p.error_lines() ==
             "1:28: expected 'and' or 'or' between two comparisons (comparisons do not chain), found '<'\n");
  BOOST_TEST(errors_of("scenario a { let x = a == b != c }") ==
             "1:29: expected 'and' or 'or' between two comparisons (comparisons do not chain), found '!='\n");
  BOOST_TEST(errors_of("scenario a { let x = a in b in c }") ==
             "1:29: expected 'and' or 'or' between two comparisons (comparisons do not chain), found 'in'\n");
  BOOST_TEST(errors_of("scenario a { let x = (a < b) == c and a < b }") == "");
}

BOOST_AUTO_TEST_CASE(plain_strings_where_no_interpolation_is_allowed) {
  BOOST_TEST(errors_of("scenario a \"x {y}\" { }") == "1:15: expected a title without {…}, found an interpolation {…}\n");
  BOOST_TEST(errors_of("scenario a { send email template \"t_{x}\" }") ==
             "1:37: expected a template name without {…}, found an interpolation {…}\n");
  BOOST_TEST(errors_of("import \"{x}.cascade\"") == "1:9: expected a file name without {…}, found an interpolation {…}\n");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(lexical_errors)

BOOST_AUTO_TEST_CASE(unterminated_string) {
  const auto p = parse_text("scenario a {\n  send sms \"Привет\n  stop\n}");
  BOOST_TEST_REQUIRE(p.errors().size() == 1u, p.error_lines());
  const auto& e = p.errors()[0];
  BOOST_TEST((e.kind == Kind::UnterminatedString));
  BOOST_TEST(p.text(e.span) == "\"Привет");
  BOOST_TEST(e.found == "a newline");
  // Recovery: the next statement is kept.
  BOOST_TEST(test::dump(p.file()) == "(scenario a {(stop)})\n");
  const auto q = parse_text("scenario a { send sms \"abc");
  BOOST_TEST_REQUIRE(q.errors().size() == 2u, q.error_lines());
  BOOST_TEST((q.errors()[0].kind == Kind::UnterminatedString));
  BOOST_TEST(q.errors()[0].found == "end of file");
  BOOST_TEST(q.errors()[1].expected == "'}'");
}

BOOST_AUTO_TEST_CASE(bad_escape_keeps_parsing) {
  const auto p = parse_text("scenario a { send sms \"a\\qb\\tc\" }");
  BOOST_TEST_REQUIRE(p.errors().size() == 2u, p.error_lines());
  BOOST_TEST((p.errors()[0].kind == Kind::BadEscape));
  BOOST_TEST(p.errors()[0].found == "\\q");
  BOOST_TEST(p.text(p.errors()[0].span) == "\\q");
  BOOST_TEST(p.errors()[1].found == "\\t");
  BOOST_TEST(test::dump(p.file()) == "(scenario a {(send sms \"a\\\\qb\\\\tc\")})\n");
  const auto q = parse_text("scenario a { send sms \"a\\ё\" }");
  BOOST_TEST_REQUIRE(q.errors().size() == 1u);
  BOOST_TEST(q.errors()[0].found == "\\ё");
}

BOOST_AUTO_TEST_CASE(unterminated_comment) {
  const auto p = parse_text("scenario a {\n  stop\n/* never closed\n}\n");
  BOOST_TEST_REQUIRE(p.errors().size() == 1u, p.error_lines());
  BOOST_TEST((p.errors()[0].kind == Kind::UnterminatedComment));
  BOOST_TEST(p.text(p.errors()[0].span) == "/*");
  BOOST_TEST(p.file().comments.at(0).text == "/* never closed\n}\n");
  BOOST_TEST(test::dump(p.file()) == "(scenario a {(stop)})\n");
}

BOOST_AUTO_TEST_CASE(numbers_out_of_range_and_malformed) {
  struct Case {
    const char* expr;
    Kind kind;
    const char* found;
  };
  const Case cases[] = {
      {"99999999999999999999", Kind::NumberOutOfRange, "99999999999999999999"},
      {"9223372036854775808", Kind::NumberOutOfRange, "9223372036854775808"},
      {"99999999999999999999d", Kind::NumberOutOfRange, "99999999999999999999d"},
      {"9999999999999999d", Kind::BadDuration, "9999999999999999d"},
      {"1x", Kind::BadDuration, "1x"},
      {"1h30", Kind::BadDuration, "1h30"},
      {"1.5h", Kind::BadDuration, "1.5h"},
      {"25:00", Kind::BadClock, "25:00"},
      {"12:60", Kind::BadClock, "12:60"},
      {"9:00", Kind::BadClock, "9:00"},
      {"1.2.3%", Kind::BadPercent, "1.2.3%"},
      {"12.345%", Kind::BadPercent, "12.345%"},
      {"1.0000000000000000000", Kind::NumberOutOfRange, "1.0000000000000000000"},
      {"99999999999999999%", Kind::NumberOutOfRange, "99999999999999999%"},
  };
  for (const auto& c : cases) {
    const auto p = parse_text(std::string("scenario a {\n  let x = ") + c.expr + "\n  stop\n}");
    BOOST_TEST_REQUIRE(p.errors().size() == 1u, c.expr << ": " << p.error_lines());
    BOOST_TEST((p.errors()[0].kind == c.kind), c.expr);
    BOOST_TEST(p.errors()[0].found == c.found);
    BOOST_TEST(p.text(p.errors()[0].span) == c.found);
    // A bad literal does not stop the parse.
    BOOST_TEST(scenario(p).body.stmts.size() == 2u);
  }
  BOOST_TEST(errors_of("scenario a { trigger every 1d at 24:00 }").find("1:34") == 0u);
  BOOST_TEST(errors_of("scenario a { quiet hours 22:00..25:00 }").find("1:33") == 0u);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_at_the_exact_byte) {
  const std::string text = "scenario a {\n  send sms \"ok \xD0\x90 \xFF bad\"\n}\n";
  const auto p = parse_text(text);
  BOOST_TEST_REQUIRE(p.errors().size() == 1u, p.error_lines());
  const auto& e = p.errors()[0];
  BOOST_TEST((e.kind == Kind::InvalidUtf8));
  BOOST_TEST(e.span.begin == text.find('\xFF'));
  BOOST_TEST(e.span.end == e.span.begin + 1);
  BOOST_TEST(e.found == "FF");
  // Overlong encodings, surrogates, truncated sequences and stray continuation bytes.
  for (const std::string bad : {"\xC0\xAF", "\xED\xA0\x80", "\xE2\x82", "\x80", "\xF5\x80\x80\x80", "\xF0\x8F\xBF\xBF"}) {
    const std::string t = "// c\nscenario a { send sms \"" + bad + "\" }\n";
    const auto q = parse_text(t);
    BOOST_TEST_REQUIRE(!q.errors().empty());
    BOOST_TEST((q.errors()[0].kind == Kind::InvalidUtf8));
    BOOST_TEST(q.errors()[0].span.begin == t.find(bad));
  }
  // In code and in comments too.
  const auto c = parse_text("// \xFE\nscenario a { }");
  BOOST_TEST_REQUIRE(c.errors().size() == 1u);
  BOOST_TEST(c.errors()[0].span.begin == 3u);
  const auto d = parse_text("scenario a { let x = \xFE }");
  BOOST_TEST_REQUIRE(d.errors().size() == 1u, d.error_lines());
  BOOST_TEST((d.errors()[0].kind == Kind::InvalidUtf8));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(recovery)

BOOST_AUTO_TEST_CASE(several_errors_in_one_file) {
  const auto p = parse_text(
      "segment vip = customer.ltv >\n"                 // 1: missing operand
      "scenario a \"A\" {\n"                          // 2
      "  trigger cart_abandoned\n"                    // 3
      "  limit 1 per\n"                               // 4: missing duration
      "  urgent\n"                                    // 5
      "  wait 1h\n"                                   // 6
      "  send email\n"                                // 7: missing content
      "  send push template \"x\"\n"                  // 8
      "  if not opened within 24h {\n"                // 9
      "    send sms 42\n"                             // 10: bad content
      "    send sms \"ok\"\n"                         // 11
      "  }\n"                                         // 12
      "  let x = (1 + \n"                             // 13: unclosed paren
      "  stop\n"                                      // 14
      "}\n"                                           // 15
      "scenario b { trigger e\n send sms \"fine\" }\n");  // 16-17
  BOOST_TEST(p.error_lines() ==
             "2:1: expected an expression, found 'scenario'\n"
             "4:14: expected a duration like 24h, found a newline\n"
             "7:13: expected a message: a string or template \"name\", found a newline\n"
             "10:14: expected a message: a string or template \"name\", found '42'\n"
             "14:3: expected an expression, found 'stop'\n");
  // Everything that parsed is kept.
  BOOST_TEST(test::dump(p.file()) ==
             "(scenario a \"A\" (trigger cart_abandoned) (urgent) {(wait dur:1h=3600) (send push (template \"x\")) "
             "(if-not opened dur:24h=86400 {(send sms \"ok\")}) (stop)})\n"
             "(scenario b (trigger e) {(send sms \"fine\")})\n");
}

BOOST_AUTO_TEST_CASE(missing_close_brace_is_one_error) {
  const auto p = parse_text(
      "scenario a {\n"
      "  if x {\n"
      "    send sms \"a\"\n"
      "  stop\n"
      "}\n"
      "scenario b { stop }\n");
  BOOST_TEST(p.error_lines() == "6:1: expected '}', found 'scenario'\n");
  BOOST_TEST(test::dump(p.file()) == "(scenario a {(if x {(send sms \"a\") (stop)})})\n(scenario b {(stop)})\n");
}

BOOST_AUTO_TEST_CASE(error_inside_nested_block_resumes_inside_it) {
  const auto p = parse_text(
      "scenario a {\n"
      "  split {\n"
      "    50% x {\n"
      "      wait\n"
      "      send sms \"in x\"\n"
      "    }\n"
      "    50% y control\n"
      "  }\n"
      "  send sms \"after\"\n"
      "}\n");
  BOOST_TEST(p.error_lines() == "4:11: expected a duration like 24h, found a newline\n");
  BOOST_TEST(test::dump(p.file()) ==
             "(scenario a {(split (50% x {(send sms \"in x\")}) (50% y control)) (send sms \"after\")})\n");
}

BOOST_AUTO_TEST_CASE(cascade_step_errors) {
  const auto p = parse_text(
      "scenario a {\n"
      "  cascade until opened {\n"
      "    push template \"x\" within\n"
      "    email template \"y\" within 1h\n"
      "    42 \"z\"\n"
      "    sms \"last\"\n"
      "  }\n"
      "  stop\n"
      "}\n");
  BOOST_TEST(p.error_lines() ==
             "3:29: expected a duration like 24h, found a newline\n"
             "5:5: expected a cascade step (a channel and its message) or '}', found '42'\n");
  BOOST_TEST(test::dump(p.file()) ==
             "(scenario a {(cascade opened (email (template \"y\") dur:1h=3600) (sms \"last\")) (stop)})\n");
}

BOOST_AUTO_TEST_CASE(setting_errors_resume_at_the_next_setting) {
  const auto p = parse_text(
      "scenario a {\n"
      "  trigger every 1q\n"
      "  quiet hours 22:00 09:00\n"
      "  control 10%\n"
      "  stop\n"
      "}\n");
  BOOST_TEST(p.error_lines() ==
             "2:17: expected , found 1q\n"
             "3:21: expected '..', found '09:00'\n");
  BOOST_TEST((p.errors()[0].kind == Kind::BadDuration));
  BOOST_TEST(test::dump(p.file()) == "(scenario a (every 0s) (control 10%) {(stop)})\n");
}

BOOST_AUTO_TEST_CASE(missing_open_brace_is_one_error) {
  // The would-be block's `}` (in the statement's column) must not close the scenario.
  const auto p = parse_text(
      "scenario a {\n"
      "  if x\n"
      "    send sms \"a\"\n"
      "  }\n"
      "  stop\n"
      "}\n"
      "scenario b { }\n");
  BOOST_TEST(p.error_lines() == "2:7: expected '{', found a newline\n");
  BOOST_TEST(test::dump(p.file()) == "(scenario a {(stop)})\n(scenario b {})\n");
  const auto q = parse_text(
      "scenario a {\n"
      "  if x {\n"
      "    send sms \"a\"\n"
      "  } else\n"
      "    stop\n"
      "  }\n"
      "  cascade until opened\n"
      "    sms \"x\"\n"
      "  }\n"
      "  send sms \"kept\"\n"
      "}\n");
  BOOST_TEST(q.error_lines() ==
             "4:9: expected '{', found a newline\n"
             "7:23: expected '{', found a newline\n");
  BOOST_TEST(test::dump(q.file()) == "(scenario a {(send sms \"kept\")})\n");
  // Unindented code: the `}` in column 1 is the scenario's.
  const auto r = parse_text("scenario a {\nif x\n  send sms \"a\"\n}\nscenario b { }\n");
  BOOST_TEST(r.error_lines() == "2:5: expected '{', found a newline\n");
  BOOST_TEST(test::dump(r.file()) == "(scenario a {(send sms \"a\")})\n(scenario b {})\n");
}

BOOST_AUTO_TEST_CASE(garbage_between_declarations) {
  const auto p = parse_text("segment a = 1\nthis is not cascade\n{ nor } this\nsegment b = 2\n");
  BOOST_TEST(p.error_lines() == "2:1: expected 'import', 'segment' or 'scenario', found 'this'\n");
  BOOST_TEST(test::dump(p.file()) == "(segment a 1)\n(segment b 2)\n");
}

BOOST_AUTO_TEST_CASE(extra_close_brace) {
  const auto p = parse_text("scenario a { stop } }\nscenario b { }\n");
  BOOST_TEST(p.error_lines() == "1:21: expected 'import', 'segment' or 'scenario', found '}'\n");
  BOOST_TEST(p.file().decls.size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
