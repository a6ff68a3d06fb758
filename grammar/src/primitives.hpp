// The grammar's own X3 parsers and directives (used only by rule_def.hpp).
//
// Tokens are recognised by small hand-written X3 primitives instead of compositions of
// char parsers: a keyword must be a whole word (`sender` is an identifier, not `send`
// and `er`), a number token is classified once (INT, DECIMAL, DURATION, CLOCK, PERCENT)
// with its value checked, and a string is scanned in runs, not character by character.
// The directives carry the error handling: `named` gives an expectation its words,
// `same_line` makes a clause's argument start on the keyword's line, `guard` enforces
// kMaxNesting before X3 recurses, `close_brace` reports a missing `}` without giving up
// the block, and `recover` turns a failed setting, statement, step, branch or
// declaration into a reported error and a placeholder, resuming at the next line that
// can start one.
#pragma once

#include <boost/spirit/home/x3.hpp>
#include <string>
#include <string_view>

#include "cascade/grammar/ast.hpp"
#include "config.hpp"
#include "lexical.hpp"
#include "x3_ast.hpp"

namespace cascade::grammar::parser {

// The state of this parse, from any context the grammar passes around.
template <typename Context>
parse_state& state_of(Context const& context) {
  return x3::get<state_tag>(context);
}

// Position tagging: rules whose ID derives from annotate record the byte offsets of
// what they matched (first is after the leading whitespace).
struct annotate {
  template <typename Iterator, typename Attribute, typename Context>
  void on_success(Iterator const& first, Iterator const& last, Attribute& attr, Context const& context) const {
    if constexpr (std::is_base_of_v<x3ast::tagged, Attribute>) {
      const auto& state = state_of(context);
      attr.begin = state.off(first);
      attr.end = state.off(last);
    }
  }
};

// ---------------------------------------------------------------------------------------
// Words

// Whether the whole word `word` is at p: "send" is at "send x" but not at "sender".
inline bool word_is(const char* p, const char* last, std::string_view word) {
  const auto n = word.size();
  if (static_cast<std::size_t>(last - p) < n || *p != word.front()) return false;
  if (std::char_traits<char>::compare(p, word.data(), n) != 0) return false;
  return p + n == last || !lex::is_ident_char(p[n]);
}

// A whole word: `kw("send")` matches "send" but not the start of "sender".
struct keyword_parser : x3::parser<keyword_parser> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  std::string_view word;

  template <typename Iterator, typename Context, typename RContext, typename Attribute>
  bool parse(Iterator& first, Iterator const& last, Context const& context, RContext&, Attribute&) const {
    x3::skip_over(first, last, context);
    if (first == last || !word_is(first, last, word)) return false;
    first += word.size();
    return true;
  }
};
inline keyword_parser kw(std::string_view word) { return keyword_parser{{}, word}; }

// A whole word, with its position as the attribute.
struct keyword_pos_parser : x3::parser<keyword_pos_parser> {
  using attribute_type = x3ast::tagged;
  static bool const has_attribute = true;
  std::string_view word;

  template <typename Iterator, typename Context, typename RContext, typename Attribute>
  bool parse(Iterator& first, Iterator const& last, Context const& context, RContext&, Attribute& attr) const {
    x3::skip_over(first, last, context);
    if (first == last || !word_is(first, last, word)) return false;
    const auto& state = state_of(context);
    x3::traits::move_to(x3ast::tagged{state.off(first), state.off(first + word.size())}, attr);
    first += word.size();
    return true;
  }
};
inline keyword_pos_parser kwp(std::string_view word) { return keyword_pos_parser{{}, word}; }

// An identifier. Reserved words are refused unless `any_word` (member names after `.`
// and keys in `with { }`); `trigger` is accepted where `allow_trigger` (expressions).
struct ident_parser : x3::parser<ident_parser> {
  using attribute_type = x3ast::ident;
  static bool const has_attribute = true;
  bool any_word = false;
  bool allow_trigger = false;

  template <typename Iterator, typename Context, typename RContext, typename Attribute>
  bool parse(Iterator& first, Iterator const& last, Context const& context, RContext&, Attribute& attr) const {
    x3::skip_over(first, last, context);
    const auto word = lex::word_at(first, last);
    if (word.empty()) return false;
    if (!any_word && lex::is_reserved(word) && !(allow_trigger && word == "trigger")) return false;
    const auto& state = state_of(context);
    x3ast::ident id;
    id.begin = state.off(first);
    id.end = state.off(first + word.size());
    id.name.assign(word);
    x3::traits::move_to(std::move(id), attr);
    first += word.size();
    return true;
  }
};

// One punctuation character, with its position as the attribute: the `{` of a block.
struct punct_parser : x3::parser<punct_parser> {
  using attribute_type = x3ast::tagged;
  static bool const has_attribute = true;
  char ch;

  template <typename Iterator, typename Context, typename RContext, typename Attribute>
  bool parse(Iterator& first, Iterator const& last, Context const& context, RContext&, Attribute& attr) const {
    x3::skip_over(first, last, context);
    if (first == last || *first != ch) return false;
    const auto& state = state_of(context);
    x3::traits::move_to(x3ast::tagged{state.off(first), state.off(first + 1)}, attr);
    ++first;
    return true;
  }
};
inline punct_parser punct(char c) { return punct_parser{{}, c}; }

// The `}` that closes a block. When it is missing the error is reported once ("expected
// '}'") and the parse goes on as if it were there, so everything parsed inside the block
// is kept and the enclosing blocks do not report it again.
struct close_brace_parser : x3::parser<close_brace_parser> {
  using attribute_type = x3ast::tagged;
  static bool const has_attribute = true;

  template <typename Iterator, typename Context, typename RContext, typename Attribute>
  bool parse(Iterator& first, Iterator const& last, Context const& context, RContext&, Attribute& attr) const {
    x3::skip_over(first, last, context);
    auto& state = state_of(context);
    if (first != last && *first == '}') {
      x3::traits::move_to(x3ast::tagged{state.off(first), state.off(first + 1)}, attr);
      ++first;
      return true;
    }
    state.report_found(first, "'}'");
    x3::traits::move_to(x3ast::tagged{state.off(first), state.off(first)}, attr);
    return true;
  }
};
inline constexpr close_brace_parser close_brace{};

// ---------------------------------------------------------------------------------------
// Operators

// `not` or unary `-`.
struct prefix_parser : x3::parser<prefix_parser> {
  using attribute_type = x3ast::prefix;
  static bool const has_attribute = true;

  template <typename Iterator, typename Context, typename RContext, typename Attribute>
  bool parse(Iterator& first, Iterator const& last, Context const& context, RContext&, Attribute& attr) const {
    x3::skip_over(first, last, context);
    std::size_t n = 0;
    char op = 0;
    if (first != last && *first == '-') {
      n = 1;
      op = '-';
    } else if (first != last && word_is(first, last, "not")) {
      n = 3;
      op = 'n';
    } else {
      return false;
    }
    const auto& state = state_of(context);
    x3ast::prefix p;
    p.begin = state.off(first);
    p.end = state.off(first + n);
    p.op = op;
    x3::traits::move_to(p, attr);
    first += static_cast<std::ptrdiff_t>(n);
    return true;
  }
};

// The binary operators spelled with punctuation; `and`, `or`, `in` are words.
// clang-format off
inline const x3::symbols<std::uint8_t> punct_binary_ops({
    {"==", static_cast<std::uint8_t>(ast::BinaryOp::Eq)},  {"!=", static_cast<std::uint8_t>(ast::BinaryOp::Ne)},
    {"<",  static_cast<std::uint8_t>(ast::BinaryOp::Lt)},  {"<=", static_cast<std::uint8_t>(ast::BinaryOp::Le)},
    {">",  static_cast<std::uint8_t>(ast::BinaryOp::Gt)},  {">=", static_cast<std::uint8_t>(ast::BinaryOp::Ge)},
    {"??", static_cast<std::uint8_t>(ast::BinaryOp::Coalesce)},
    {"+",  static_cast<std::uint8_t>(ast::BinaryOp::Add)}, {"-",  static_cast<std::uint8_t>(ast::BinaryOp::Sub)},
    {"*",  static_cast<std::uint8_t>(ast::BinaryOp::Mul)}, {"/",  static_cast<std::uint8_t>(ast::BinaryOp::Div)},
}, "a binary operator");
inline const x3::symbols<std::uint8_t> word_binary_ops({
    {"and", static_cast<std::uint8_t>(ast::BinaryOp::And)}, {"or", static_cast<std::uint8_t>(ast::BinaryOp::Or)},
    {"in",  static_cast<std::uint8_t>(ast::BinaryOp::In)},
}, "a binary operator");
// clang-format on

struct binop_parser : x3::parser<binop_parser> {
  using attribute_type = x3ast::binop;
  static bool const has_attribute = true;

  template <typename Iterator, typename Context, typename RContext, typename Attribute>
  bool parse(Iterator& first, Iterator const& last, Context const& context, RContext&, Attribute& attr) const {
    x3::skip_over(first, last, context);
    const char* p = first;
    std::uint8_t op = 0;
    const auto word = lex::word_at(p, last);
    if (!word.empty()) {
      // A whole word only: `android` is not `and`.
      const char* q = p;
      if (!word_binary_ops.parse(q, p + word.size(), x3::unused, x3::unused, op) || q != p + word.size()) return false;
      p = q;
    } else if (!punct_binary_ops.parse(p, last, x3::unused, x3::unused, op)) {
      return false;
    }
    const auto& state = state_of(context);
    x3ast::binop b;
    b.begin = state.off(first);
    b.end = state.off(p);
    b.op = op;
    x3::traits::move_to(b, attr);
    first = p;
    return true;
  }
};

// ---------------------------------------------------------------------------------------
// Literals

struct bool_parser : x3::parser<bool_parser> {
  using attribute_type = x3ast::bool_lit;
  static bool const has_attribute = true;

  template <typename Iterator, typename Context, typename RContext, typename Attribute>
  bool parse(Iterator& first, Iterator const& last, Context const& context, RContext&, Attribute& attr) const {
    x3::skip_over(first, last, context);
    const auto word = lex::word_at(first, last);
    if (word != "true" && word != "false") return false;
    const auto& state = state_of(context);
    x3ast::bool_lit b;
    b.begin = state.off(first);
    b.end = state.off(first + word.size());
    b.value = word == "true";
    x3::traits::move_to(b, attr);
    first += word.size();
    return true;
  }
};

// Scans and classifies the number token at p (a digit). Reports malformed or
// out-of-range values (a value error does not stop the parse: the token is consumed with
// value 0). Defined in rule.cpp.
x3ast::number scan_number(const char*& p, const char* last, parse_state& state, bool report);

// A number token; `want` restricts it to one kind (the parser fails without consuming
// anything when the token is of another kind, so the expectation names what was wanted).
struct number_parser : x3::parser<number_parser> {
  using attribute_type = x3ast::number;
  static bool const has_attribute = true;
  bool any = true;
  x3ast::number_kind want = x3ast::number_kind::integer;

  template <typename Iterator, typename Context, typename RContext, typename Attribute>
  bool parse(Iterator& first, Iterator const& last, Context const& context, RContext&, Attribute& attr) const {
    x3::skip_over(first, last, context);
    if (first == last || !lex::is_digit(*first)) return false;
    auto& state = state_of(context);
    const char* p = first;
    if (!any) {
      // Classify without reporting: a token of the wrong kind is an expectation error.
      const char* probe = first;
      if (scan_number(probe, last, state, false).kind != want) return false;
    }
    x3::traits::move_to(scan_number(p, last, state, true), attr);
    first = p;
    return true;
  }
};
inline number_parser number_of(x3ast::number_kind k) { return number_parser{{}, false, k}; }

// Unterminated strings are reported from here; defined in rule.cpp.
[[noreturn]] void unterminated_string(parse_state& state, const char* open, const char* at);
void bad_escape(parse_state& state, const char* at, const char* last);

// A string literal "…" with escapes and {expr} interpolation. Inside an interpolation a
// nested string may also be written \"…\" (as in "{format_time(t, \"HH:mm\")}").
// ExprRule is the grammar's expression rule, called for each interpolation.
template <typename ExprRule>
struct string_parser : x3::parser<string_parser<ExprRule>> {
  using attribute_type = x3ast::string_lit;
  static bool const has_attribute = true;
  ExprRule expr_rule;

  template <typename Iterator, typename Context, typename RContext, typename Attribute>
  bool parse(Iterator& first, Iterator const& last, Context const& context, RContext& rcontext,
             Attribute& attr) const {
    x3::skip_over(first, last, context);
    auto& state = state_of(context);
    const char* const open = first;
    const char* p = first;
    bool escaped_quotes = false;
    if (p != last && *p == '"') {
      ++p;
    } else if (state.interpolation > 0 && last - p >= 2 && p[0] == '\\' && p[1] == '"') {
      p += 2;
      escaped_quotes = true;
    } else {
      return false;
    }
    x3ast::string_lit lit;
    lit.begin = state.off(open);
    x3ast::string_piece text;
    text.begin = state.off(p);
    auto flush_text = [&](const char* at) {
      if (!text.text.empty()) {
        text.end = state.off(at);
        lit.pieces.push_back(std::move(text));
      }
      text = x3ast::string_piece{};
    };
    for (;;) {
      if (p == last || *p == '\n' || (*p == '\r' && last - p >= 2 && p[1] == '\n'))
        unterminated_string(state, open, p);
      const char c = *p;
      if (c == '"' && !escaped_quotes) {
        ++p;
        break;
      }
      if (c == '\\') {
        if (last - p < 2 || p[1] == '\n') {
          bad_escape(state, p, last);
          ++p;
          continue;
        }
        const char e = p[1];
        if (e == '"' && escaped_quotes) {
          p += 2;
          break;
        }
        char decoded = 0;
        switch (e) {
          case '"': decoded = '"'; break;
          case '\\': decoded = '\\'; break;
          case 'n': decoded = '\n'; break;
          case '{': decoded = '{'; break;
          case '}': decoded = '}'; break;
          default: break;
        }
        if (decoded == 0) {
          // Keep the text as written and go on: one bad escape is one error.
          bad_escape(state, p, last);
          text.text += '\\';
          ++p;
          continue;
        }
        if (text.text.empty()) text.begin = state.off(p);
        text.text += decoded;
        p += 2;
        continue;
      }
      if (c == '{') {
        flush_text(p);
        const char* const brace = p;
        const char* i = p + 1;
        x3ast::expr e;
        ++state.interpolation;
        struct restore {
          parse_state& s;
          ~restore() { --s.interpolation; }
        } restore_interpolation{state};
        if (!expr_rule.parse(i, last, context, rcontext, e))
          boost::throw_exception(x3::expectation_failure<Iterator>(i, "an expression inside {…}"));
        x3::skip_over(i, last, context);
        if (i == last || *i != '}') {
          // The usual culprit is the string's closing quote: name it as such.
          if (i != last && *i == '"') {
            state.report(SyntaxError{SyntaxErrorKind::Expected, state.span(i, i + 1),
                                     "'}' to end the {…} inside the string", "the closing '\"'"});
            throw parse_abort{i};
          }
          boost::throw_exception(x3::expectation_failure<Iterator>(i, "'}' to end the {…} inside the string"));
        }
        ++i;
        x3ast::string_piece piece;
        piece.begin = state.off(brace);
        piece.end = state.off(i);
        piece.expr = static_cast<int>(lit.exprs.size());
        lit.exprs.push_back(std::move(e));
        lit.pieces.push_back(std::move(piece));
        p = i;
        text.begin = state.off(p);
        continue;
      }
      // A run of plain text.
      const char* r = p;
      while (r != last && *r != '"' && *r != '\\' && *r != '{' && *r != '\n' && *r != '\r') ++r;
      if (r == p) {  // a lone \r
        ++r;
      }
      if (text.text.empty()) text.begin = state.off(p);
      text.text.append(p, r);
      p = r;
    }
    flush_text(escaped_quotes ? p - 2 : p - 1);
    lit.end = state.off(p);
    x3::traits::move_to(std::move(lit), attr);
    first = p;
    return true;
  }
};

// ---------------------------------------------------------------------------------------
// Directives

// Gives a parser the words an expectation failure uses: "a duration like 24h".
template <typename Subject>
struct named_directive : x3::unary_parser<Subject, named_directive<Subject>> {
  using base_type = x3::unary_parser<Subject, named_directive<Subject>>;
  static bool const is_pass_through_unary = true;
  const char* name;
  named_directive(Subject const& subject, const char* n) : base_type(subject), name(n) {}

  template <typename Iterator, typename Context, typename RContext, typename Attribute>
  bool parse(Iterator& first, Iterator const& last, Context const& context, RContext& rcontext,
             Attribute& attr) const {
    return this->subject.parse(first, last, context, rcontext, attr);
  }
};
template <typename Subject>
auto named(Subject const& subject, const char* name) {
  return named_directive<typename x3::extension::as_parser<Subject>::value_type>(x3::as_parser(subject), name);
}

// The argument of a clause starts on the clause keyword's line: `wait` at the end of a
// line is "expected a duration like 24h, found a newline", not a wait for whatever the
// next line holds.
template <typename Subject>
struct same_line_directive : x3::unary_parser<Subject, same_line_directive<Subject>> {
  using base_type = x3::unary_parser<Subject, same_line_directive<Subject>>;
  static bool const is_pass_through_unary = true;
  using base_type::base_type;

  template <typename Iterator, typename Context, typename RContext, typename Attribute>
  bool parse(Iterator& first, Iterator const& last, Context const& context, RContext& rcontext,
             Attribute& attr) const {
    bool crossed = false;
    lex::skip_space_same_line(first, last, crossed);
    if (crossed) return false;
    return this->subject.parse(first, last, context, rcontext, attr);
  }
};
struct same_line_gen {
  template <typename Subject>
  auto operator[](Subject const& subject) const {
    return same_line_directive<typename x3::extension::as_parser<Subject>::value_type>(x3::as_parser(subject));
  }
};
inline constexpr same_line_gen same_line{};

// Counts nesting (expressions and blocks) and stops at kMaxNesting, before X3 recurses
// any deeper: 10,000 nested parentheses are one NestingTooDeep error, not a crash.
template <typename Subject>
struct guard_directive : x3::unary_parser<Subject, guard_directive<Subject>> {
  using base_type = x3::unary_parser<Subject, guard_directive<Subject>>;
  static bool const is_pass_through_unary = true;
  using base_type::base_type;

  template <typename Iterator, typename Context, typename RContext, typename Attribute>
  bool parse(Iterator& first, Iterator const& last, Context const& context, RContext& rcontext,
             Attribute& attr) const {
    auto& state = state_of(context);
    struct depth_scope {
      parse_state& s;
      explicit depth_scope(parse_state& st) : s(st) { ++s.depth; }
      ~depth_scope() { --s.depth; }
    } scope{state};
    if (state.depth > kMaxNesting) {
      const char* at = lex::skip_space(first, last);
      const char* token_end = at;
      auto found = lex::describe_token(state.base(), at, last, token_end);
      state.report(SyntaxError{SyntaxErrorKind::NestingTooDeep, state.span(at, token_end),
                               "at most " + std::to_string(kMaxNesting) + " levels of nesting", std::move(found)});
      throw parse_abort{at};
    }
    return this->subject.parse(first, last, context, rcontext, attr);
  }
};
struct guard_gen {
  template <typename Subject>
  auto operator[](Subject const& subject) const {
    return guard_directive<typename x3::extension::as_parser<Subject>::value_type>(x3::as_parser(subject));
  }
};
inline constexpr guard_gen guard{};

// Marks a placeholder for a construct that failed (recover directive).
inline void mark_failed(x3ast::stmt& s, std::uint32_t b, std::uint32_t e) { s = x3ast::bad{{b, e}}; }
inline void mark_failed(x3ast::setting& s, std::uint32_t b, std::uint32_t e) { s = x3ast::bad{{b, e}}; }
inline void mark_failed(x3ast::decl& d, std::uint32_t b, std::uint32_t e) { d = x3ast::bad{{b, e}}; }
inline void mark_failed(x3ast::cascade_step& s, std::uint32_t b, std::uint32_t e) {
  s = x3ast::cascade_step{};
  s.begin = b;
  s.end = e;
  s.failed = true;
}
inline void mark_failed(x3ast::split_branch& s, std::uint32_t b, std::uint32_t e) {
  s = x3ast::split_branch{};
  s.begin = b;
  s.end = e;
  s.failed = true;
}

// Whether the token at p can begin an element of the list `what` (else the list ends).
inline bool may_begin(lex::Resume what, const char* p, const char* last) {
  if (p == last) return false;
  switch (what) {
    case lex::Resume::Declaration:
      return true;
    case lex::Resume::Setting:
      return lex::starts_setting(p, last);
    case lex::Resume::Statement:
      return *p != '}' && !lex::starts_declaration(p, last);
    case lex::Resume::Step:
    case lex::Resume::Branch:
      return *p != '}' && !lex::starts_declaration(p, last) && !lex::starts_statement(p, last);
  }
  return false;
}

// Reports an element that did not parse at all (its first token is wrong).
void report_unparsed(parse_state& state, lex::Resume what, const char* at);

// Parses one element of a list (a setting, statement, cascade step, split branch or
// declaration). When it fails, the error is reported, the element becomes a failed
// placeholder and the parse resumes at the next line that can begin an element (or at
// the `}` that closes the enclosing block), so one mistake is one error and the rest of
// the file is still checked. Returns false only when the list ends (`}`, end of file,
// or a token that cannot begin an element of this list).
template <typename Subject>
struct recover_directive : x3::unary_parser<Subject, recover_directive<Subject>> {
  using base_type = x3::unary_parser<Subject, recover_directive<Subject>>;
  static bool const is_pass_through_unary = true;
  lex::Resume what;
  recover_directive(Subject const& subject, lex::Resume w) : base_type(subject), what(w) {}

  template <typename Iterator, typename Context, typename RContext, typename Attribute>
  bool parse(Iterator& first, Iterator const& last, Context const& context, RContext& rcontext,
             Attribute& attr) const {
    auto& state = state_of(context);
    const char* const start = lex::skip_space(first, last);
    if (!may_begin(what, start, last)) return false;
    const char* error_at = start;
    try {
      Iterator i = first;
      if (this->subject.parse(i, last, context, rcontext, attr)) {
        first = i;
        return true;
      }
      report_unparsed(state, what, start);
    } catch (x3::expectation_failure<Iterator> const& failure) {
      error_at = state.report_expected(failure.where(), failure.which());
    } catch (parse_abort const& abort) {
      error_at = abort.where;
    }
    const char* resume = nullptr;
    if (what == lex::Resume::Statement) {
      if (const char* after = lex::after_headless_block(state.base(), start, error_at, last, state.headless_budget))
        resume = lex::resume_point(what, after, after, last);
    }
    if (resume == nullptr) resume = lex::resume_point(what, start, error_at, last);
    mark_failed(attr, state.off(start), state.off(resume));
    first = resume;
    return true;
  }
};
struct recover_gen {
  lex::Resume what;
  template <typename Subject>
  auto operator[](Subject const& subject) const {
    return recover_directive<typename x3::extension::as_parser<Subject>::value_type>(x3::as_parser(subject), what);
  }
};

}  // namespace cascade::grammar::parser

// What expectation failures call each parser.
namespace boost::spirit::x3 {
template <>
struct get_info<cascade::grammar::parser::keyword_parser> {
  using result_type = std::string;
  std::string operator()(cascade::grammar::parser::keyword_parser const& p) const {
    return "'" + std::string(p.word) + "'";
  }
};
template <>
struct get_info<cascade::grammar::parser::keyword_pos_parser> {
  using result_type = std::string;
  std::string operator()(cascade::grammar::parser::keyword_pos_parser const& p) const {
    return "'" + std::string(p.word) + "'";
  }
};
template <>
struct get_info<cascade::grammar::parser::punct_parser> {
  using result_type = std::string;
  std::string operator()(cascade::grammar::parser::punct_parser const& p) const {
    return std::string("'") + p.ch + "'";
  }
};
template <>
struct get_info<cascade::grammar::parser::ident_parser> {
  using result_type = std::string;
  std::string operator()(cascade::grammar::parser::ident_parser const&) const { return "a name"; }
};
template <>
struct get_info<cascade::grammar::parser::number_parser> {
  using result_type = std::string;
  std::string operator()(cascade::grammar::parser::number_parser const& p) const {
    using cascade::grammar::x3ast::number_kind;
    if (p.any) return "a number";
    switch (p.want) {
      case number_kind::integer: return "a whole number";
      case number_kind::decimal: return "a decimal number";
      case number_kind::duration: return "a duration like 24h";
      case number_kind::clock: return "a time of day like 09:00";
      case number_kind::percent: return "a percentage like 10%";
    }
    return "a number";
  }
};
template <typename Subject>
struct get_info<cascade::grammar::parser::named_directive<Subject>> {
  using result_type = std::string;
  std::string operator()(cascade::grammar::parser::named_directive<Subject> const& p) const { return p.name; }
};
template <typename Subject>
struct get_info<cascade::grammar::parser::same_line_directive<Subject>> {
  using result_type = std::string;
  std::string operator()(cascade::grammar::parser::same_line_directive<Subject> const& p) const {
    return "\x01" + what(p.subject);
  }
};
}  // namespace boost::spirit::x3
