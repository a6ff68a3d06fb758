#include "cascade/compiler/syntax_errors.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "render_common.hpp"

namespace cascade::diag {
namespace {

// The source text under the span (at most a line's worth), or `fallback` when the span is
// empty or outside the map.
std::string quoted(const grammar::SyntaxError& e, const source::SourceMap& sources) {
  constexpr std::size_t kMax = 40;
  if (e.span.file < sources.size() && e.span.end > e.span.begin) {
    const std::string& text = sources.file(e.span.file).text();
    if (e.span.begin < text.size()) {
      std::string_view s =
          std::string_view(text).substr(e.span.begin, std::min<std::size_t>(e.span.end - e.span.begin, kMax));
      s = s.substr(0, s.find('\n'));
      if (!s.empty()) return detail::printable(s);
    }
  }
  return detail::printable(e.found);
}

std::string bad_byte(const grammar::SyntaxError& e, const source::SourceMap& sources) {
  if (e.span.file < sources.size()) {
    const std::string& text = sources.file(e.span.file).text();
    if (e.span.begin < text.size())
      return fmt::format("{:02X}", static_cast<unsigned char>(text[e.span.begin]));
  }
  return "?";
}

}  // namespace

Diagnostic from_syntax_error(const grammar::SyntaxError& e, const source::SourceMap& sources) {
  using grammar::SyntaxErrorKind;
  switch (e.kind) {
    case SyntaxErrorKind::Expected:
      return make(Code::SyntaxExpected, e.span, detail::printable(e.expected), detail::printable(e.found));
    case SyntaxErrorKind::UnterminatedString:
      return make(Code::UnterminatedString, e.span);
    case SyntaxErrorKind::UnterminatedComment:
      return make(Code::UnterminatedComment, e.span);
    case SyntaxErrorKind::BadEscape:
      return make(Code::BadEscape, e.span, quoted(e, sources));
    case SyntaxErrorKind::InvalidUtf8:
      return make(Code::InvalidUtf8, e.span, bad_byte(e, sources));
    case SyntaxErrorKind::NestingTooDeep:
      // The grammar says which limit was hit (brackets or an expression's height).
      return make(Code::NestingTooDeep, e.span,
                  e.expected.empty() ? fmt::format("at most {} levels of nesting", grammar::kMaxNesting) : e.expected,
                  e.found.empty() ? std::string("deeper nesting") : e.found);
    case SyntaxErrorKind::NumberOutOfRange:
      return make(Code::NumberOutOfRange, e.span, quoted(e, sources));
    case SyntaxErrorKind::BadClock:
      return make(Code::BadClock, e.span, quoted(e, sources));
    case SyntaxErrorKind::BadDuration:
      return make(Code::BadDuration, e.span, quoted(e, sources));
    case SyntaxErrorKind::BadPercent:
      return make(Code::BadPercent, e.span, quoted(e, sources));
    case SyntaxErrorKind::UnexpectedCharacter:
      return make(Code::UnexpectedCharacter, e.span, quoted(e, sources));
  }
  return make(Code::SyntaxExpected, e.span, detail::printable(e.expected), detail::printable(e.found));
}

void add_syntax_errors(const std::vector<grammar::SyntaxError>& errors, const source::SourceMap& sources,
                       Diagnostics& out) {
  for (const grammar::SyntaxError& e : errors) out.add(from_syntax_error(e, sources));
}

}  // namespace cascade::diag
