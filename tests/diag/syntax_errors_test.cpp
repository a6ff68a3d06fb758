// The mapping from the parser's SyntaxErrors to diagnostics (shared by check and fmt).
#include "cascade/compiler/syntax_errors.hpp"

#include <boost/test/unit_test.hpp>

#include "helpers.hpp"

using namespace cascade;
using cascade::test::span_of;
using grammar::SyntaxErrorKind;

BOOST_AUTO_TEST_SUITE(syntax_errors)

BOOST_AUTO_TEST_CASE(every_kind_has_its_code_and_words) {
  source::SourceMap sources;
  const auto id =
      sources.add("s.cascade", std::string("wait 25:00 1x \"\\q\" 1.2.3% 99999999999999999999 @ \xff"));
  struct Row {
    SyntaxErrorKind kind;
    std::string_view text;  // the span
    diag::Code code;
    std::string message;
  };
  const Row rows[] = {
      {SyntaxErrorKind::BadClock, "25:00", diag::Code::BadClock, "`25:00` is not a time of day"},
      {SyntaxErrorKind::BadDuration, "1x", diag::Code::BadDuration, "`1x` is not a duration"},
      {SyntaxErrorKind::BadEscape, "\\q", diag::Code::BadEscape, "unknown escape sequence `\\q` in a string"},
      {SyntaxErrorKind::BadPercent, "1.2.3%", diag::Code::BadPercent, "`1.2.3%` is not a percentage"},
      {SyntaxErrorKind::NumberOutOfRange, "99999999999999999999", diag::Code::NumberOutOfRange,
       "number `99999999999999999999` is out of range"},
      {SyntaxErrorKind::UnexpectedCharacter, "@", diag::Code::UnexpectedCharacter,
       "unexpected character `@`"},
      {SyntaxErrorKind::InvalidUtf8, "\xff", diag::Code::InvalidUtf8,
       "the file is not valid UTF-8 (bad byte 0xFF)"},
      {SyntaxErrorKind::NestingTooDeep, "wait", diag::Code::NestingTooDeep, 
       "nesting too deep: expected at most 256 levels of nesting, found deeper nesting"},
      {SyntaxErrorKind::UnterminatedString, "\"", diag::Code::UnterminatedString,
       "unterminated string literal"},
      {SyntaxErrorKind::UnterminatedComment, "wait", diag::Code::UnterminatedComment,
       "unterminated block comment"},
  };
  for (const Row& row : rows) {
    const grammar::SyntaxError e{row.kind, span_of(sources, id, row.text), "", ""};
    const diag::Diagnostic d = diag::from_syntax_error(e, sources);
    BOOST_TEST((d.code == row.code), row.message);
    BOOST_TEST(d.message == row.message);
    BOOST_TEST((d.span == e.span));
    BOOST_TEST(d.has_span);
  }
  const grammar::SyntaxError expected{
      SyntaxErrorKind::Expected, {id, 0, 4}, "a duration like 24h", "`25:00`"};
  const diag::Diagnostic d = diag::from_syntax_error(expected, sources);
  BOOST_TEST((d.code == diag::Code::SyntaxExpected));
  BOOST_TEST(d.message == "expected a duration like 24h, found `25:00`");
}

BOOST_AUTO_TEST_CASE(empty_spans_fall_back_to_found_and_bad_spans_do_not_crash) {
  source::SourceMap sources;
  const auto id = sources.add("s.cascade", "abc");
  const grammar::SyntaxError empty{SyntaxErrorKind::UnexpectedCharacter, {id, 1, 1}, "", "\x01"};
  BOOST_TEST(diag::from_syntax_error(empty, sources).message == "unexpected character `\uFFFD`");
  const grammar::SyntaxError outside{SyntaxErrorKind::InvalidUtf8, {9, 100, 200}, "", ""};
  BOOST_TEST(diag::from_syntax_error(outside, sources).message ==
             "the file is not valid UTF-8 (bad byte 0x?)");
  diag::Diagnostics all;
  diag::add_syntax_errors({empty, outside}, sources, all);
  BOOST_TEST(all.items().size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
