// The parse state's error reporting, and the token scanners the X3 primitives call
// (kept out of rule.cpp so the grammar's translation unit holds only the grammar).
#include <limits>

#include "config.hpp"
#include "primitives.hpp"

namespace cascade::grammar::parser {

void parse_state::report(SyntaxError error) {
  if (error.span.begin >= comment_cut_ && error.kind != SyntaxErrorKind::UnterminatedComment) return;
  if (!reported_at_.insert(error.span.begin).second) return;
  errors_.push_back(std::move(error));
}

const char* parse_state::report_found(const char* p, std::string expected) {
  const char* token_end = p;
  std::string found = lex::describe_token(base_, p, end_, token_end);
  const auto kind =
      lex::is_unexpected_character(p, end_) ? SyntaxErrorKind::UnexpectedCharacter : SyntaxErrorKind::Expected;
  report(SyntaxError{kind, span(p, token_end), std::move(expected), std::move(found)});
  return p;
}

const char* parse_state::report_expected(const char* where, std::string_view which) {
  // Every expectation in rule_def.hpp is named for humans; should one ever fall back to
  // X3's default (a mangled C++ type name), say something true rather than print that.
  if (which.find("boost") != std::string_view::npos) which = "valid syntax";
  if (!which.empty() && which.front() == '\x01') {
    which.remove_prefix(1);
    bool crossed = false;
    const char* p = lex::skip_space_same_line(where, end_, crossed);
    if (crossed) {
      report(SyntaxError{SyntaxErrorKind::Expected, span(p, p + 1), std::string(which), "a newline"});
      return p;
    }
    return report_found(p, std::string(which));
  }
  return report_found(lex::skip_space(where, end_), std::string(which));
}

void report_unparsed(parse_state& state, lex::Resume what, const char* at) {
  switch (what) {
    case lex::Resume::Statement:
      if (lex::starts_setting(at, state.end())) {
        const auto word = lex::word_at(at, state.end());
        state.report(SyntaxError{SyntaxErrorKind::Expected, state.span(at, at + word.size()),
                                 "a statement (settings must come before the first statement)",
                                 "the setting '" + std::string(word) + "'"});
        return;
      }
      state.report_found(at, "a statement or '}'");
      return;
    case lex::Resume::Setting:
      state.report_found(at, "a setting");
      return;
    case lex::Resume::Step:
      state.report_found(at, "a cascade step (a channel and its message) or '}'");
      return;
    case lex::Resume::Branch:
      state.report_found(at, "a split branch like 50% name { … } or '}'");
      return;
    case lex::Resume::Declaration:
      state.report_found(at, "'import', 'segment' or 'scenario'");
      return;
  }
}

void unterminated_string(parse_state& state, const char* open, const char* at) {
  state.report(SyntaxError{SyntaxErrorKind::UnterminatedString, state.span(open, at), "'\"'",
                           at == state.end() ? "end of file" : "a newline"});
  throw parse_abort{at};
}

void bad_escape(parse_state& state, const char* at, const char* last) {
  const char* e = at + 1;
  if (e < last && *e != '\n' && *e != '\r') {
    ++e;
    while (e < last && (static_cast<unsigned char>(*e) & 0xC0) == 0x80) ++e;  // the whole UTF-8 character
  }
  state.report(SyntaxError{SyntaxErrorKind::BadEscape, state.span(at, e), "an escape: \\\" \\\\ \\n \\{ or \\}",
                           std::string(at, e)});
}

namespace {

// Reads decimal digits at q into v; false when the value does not fit in int64 (the
// digits are consumed either way).
bool read_digits(const char*& q, const char* last, std::int64_t& v) {
  v = 0;
  bool ok = true;
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  while (q < last && lex::is_digit(*q)) {
    const int d = *q - '0';
    if (ok && v > (kMax - d) / 10) ok = false;
    if (ok) v = v * 10 + d;
    ++q;
  }
  return ok;
}

const char* word_end(const char* q, const char* last) {
  while (q < last && lex::is_ident_char(*q)) ++q;
  return q;
}

std::int64_t unit_seconds(char u) {
  switch (u) {
    case 's': return 1;
    case 'm': return 60;
    case 'h': return 3600;
    case 'd': return 86400;
    case 'w': return 604800;
    default: return 0;
  }
}

}  // namespace

x3ast::number scan_number(const char*& p, const char* last, parse_state& state, bool report) {
  using K = x3ast::number_kind;
  const char* const start = p;
  x3ast::number n;
  n.begin = state.off(start);
  auto finish = [&](const char* e, K kind, std::int64_t value, std::uint8_t scale = 0) {
    p = e;
    n.end = state.off(e);
    n.kind = kind;
    n.value = value;
    n.scale = scale;
    return n;
  };
  auto fail = [&](SyntaxErrorKind error, const char* e, K kind) {
    if (report)
      state.report(SyntaxError{error, state.span(start, e), "",
                               lex::clip(std::string_view(start, static_cast<std::size_t>(e - start)))});
    return finish(e, kind, 0);
  };

  const char* q = start;
  std::int64_t whole = 0;
  const bool whole_ok = read_digits(q, last, whole);

  // CLOCK: HH:MM
  if (q < last && *q == ':' && q + 1 < last && lex::is_digit(q[1])) {
    const char* r = q + 1;
    std::int64_t minutes = 0;
    read_digits(r, last, minutes);
    const char* e = word_end(r, last);
    if (e != r || q - start != 2 || r - (q + 1) != 2 || whole > 23 || minutes > 59)
      return fail(SyntaxErrorKind::BadClock, e, K::clock);
    return finish(r, K::clock, whole * 60 + minutes);
  }

  // DECIMAL, or a decimal PERCENT
  if (q < last && *q == '.' && q + 1 < last && lex::is_digit(q[1])) {
    const char* r = q + 1;
    const char* const frac_begin = r;
    while (r < last && lex::is_digit(*r)) ++r;
    const auto scale = static_cast<std::size_t>(r - frac_begin);
    // 1.2.3% : a malformed percentage.
    const char* r2 = r;
    while (r2 < last && (lex::is_digit(*r2) || (*r2 == '.' && r2 + 1 < last && lex::is_digit(r2[1])))) ++r2;
    if (r2 != r && r2 < last && *r2 == '%') return fail(SyntaxErrorKind::BadPercent, r2 + 1, K::percent);

    if (r < last && *r == '%') {
      if (scale > 2) return fail(SyntaxErrorKind::BadPercent, r + 1, K::percent);
      std::int64_t frac = 0;
      const char* f = frac_begin;
      read_digits(f, r, frac);
      if (scale == 1) frac *= 10;
      std::int64_t bp = 0;
      if (!whole_ok || __builtin_mul_overflow(whole, 100, &bp) || __builtin_add_overflow(bp, frac, &bp))
        return fail(SyntaxErrorKind::NumberOutOfRange, r + 1, K::percent);
      return finish(r + 1, K::percent, bp);
    }
    const char* e = word_end(r, last);
    if (e != r) return fail(SyntaxErrorKind::BadDuration, e, K::duration);  // 1.5h
    if (scale > 18) return fail(SyntaxErrorKind::NumberOutOfRange, r, K::decimal);
    std::int64_t units = whole;
    bool ok = whole_ok;
    for (const char* f = frac_begin; f < r && ok; ++f) {
      ok = !__builtin_mul_overflow(units, 10, &units) && !__builtin_add_overflow(units, *f - '0', &units);
    }
    if (!ok) return fail(SyntaxErrorKind::NumberOutOfRange, r, K::decimal);
    return finish(r, K::decimal, units, static_cast<std::uint8_t>(scale));
  }

  // An integer PERCENT
  if (q < last && *q == '%') {
    std::int64_t bp = 0;
    if (!whole_ok || __builtin_mul_overflow(whole, 100, &bp))
      return fail(SyntaxErrorKind::NumberOutOfRange, q + 1, K::percent);
    return finish(q + 1, K::percent, bp);
  }

  // DURATION: INT unit { INT unit }
  if (q < last && lex::is_ident_start(*q)) {
    const char* const e = word_end(q, last);
    std::int64_t total = 0;
    bool out_of_range = false;
    bool malformed = false;
    const char* c = start;
    while (c < e) {
      if (!lex::is_digit(*c)) {
        malformed = true;
        break;
      }
      std::int64_t amount = 0;
      if (!read_digits(c, e, amount)) out_of_range = true;
      if (c == e) {  // digits without a unit: 1h30
        malformed = true;
        break;
      }
      const std::int64_t unit = unit_seconds(*c);
      if (unit == 0) {
        malformed = true;
        break;
      }
      ++c;
      std::int64_t seconds = 0;
      if (!out_of_range && (__builtin_mul_overflow(amount, unit, &seconds) || __builtin_add_overflow(total, seconds, &total)))
        return fail(SyntaxErrorKind::BadDuration, e, K::duration);
    }
    if (malformed) return fail(SyntaxErrorKind::BadDuration, e, K::duration);
    if (out_of_range) return fail(SyntaxErrorKind::NumberOutOfRange, e, K::duration);
    return finish(e, K::duration, total);
  }

  if (!whole_ok) return fail(SyntaxErrorKind::NumberOutOfRange, q, K::integer);
  return finish(q, K::integer, whole);
}

}  // namespace cascade::grammar::parser
