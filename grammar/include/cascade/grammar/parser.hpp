// Parsing a .cascade file into the AST.
//
// The parser never throws and never crashes on any input: random bytes, invalid UTF-8,
// deep nesting and huge files all come back as a File (possibly partial) plus a list of
// SyntaxErrors. It recovers at statement, setting and declaration boundaries, so one
// mistake does not hide the next.
//
// Syntax errors are plain values here; the compiler maps each kind to a diagnostic code
// (grammar/ does not know about the diagnostics table, which lives in compiler/).
#pragma once

#include <string>
#include <vector>

#include "cascade/grammar/ast.hpp"
#include "cascade/grammar/source.hpp"

namespace cascade::grammar {

enum class SyntaxErrorKind : std::uint8_t {
  Expected,            // expected <what> but found <found>
  UnterminatedString,  // a string literal runs to the end of the line/file
  UnterminatedComment, // /* without */
  BadEscape,           // \q inside a string
  InvalidUtf8,         // bytes that are not UTF-8
  NestingTooDeep,      // more than kMaxNesting levels of (), [], {}, blocks
  NumberOutOfRange,    // an integer literal that does not fit in 64 bits
  BadClock,            // 25:00, 12:60
  BadDuration,         // 1x, a duration that overflows
  BadPercent,          // 150% is a valid literal; this is for malformed ones like 1.2.3%
  UnexpectedCharacter, // a byte that cannot start any token
};

// The explicit limit on nesting depth (parentheses, lists, blocks, interpolations
// together). Deeper input is rejected with NestingTooDeep instead of exhausting the stack.
inline constexpr int kMaxNesting = 256;

struct SyntaxError {
  SyntaxErrorKind kind = SyntaxErrorKind::Expected;
  source::SourceSpan span;
  std::string expected;  // for Expected: words for a human, "a duration like 24h", "'}'"
  std::string found;     // what was there instead: "'foo'", "end of file", "'{'"
};

struct ParseResult {
  ast::File file;
  std::vector<SyntaxError> errors;
};

// Parses one file of the map.
ParseResult parse(const source::SourceMap& sources, source::FileId file);

}  // namespace cascade::grammar
