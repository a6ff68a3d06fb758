// Parsing a .cascade file into the AST.
//
// The parser never throws and never crashes on any input: random bytes, invalid UTF-8,
// deep nesting and huge files all come back as a File (possibly partial) plus a list of
// SyntaxErrors. It recovers at statement, setting and declaration boundaries, so one
// mistake does not hide the next; a construct with an error is left out of the File,
// everything around it is kept. Time and memory are linear in the size of the file.
//
// The grammar (LANGUAGE.md §4, §8) is Spirit X3, in grammar/src/rule_def.hpp; the
// reserved words are listed in grammar/src/lexical.hpp.
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

// The limit on the height of one expression tree. Long operator chains (`a + b + … `)
// and `else if` chains build deep trees without nesting brackets; later passes walk
// the tree recursively, so the parser refuses (NestingTooDeep) anything deeper.
inline constexpr int kMaxExprDepth = 1024;

// What `expected` and `found` hold, by kind:
//   Expected, UnexpectedCharacter: expected = words for a human ("a duration like 24h",
//     "'}'"); found = the token that was there ("'foo'", "end of file", "a newline",
//     "'{'", "a byte 0xFF"); the span is that token (a newline: the line break). Long
//     tokens are cut to 48 bytes and "…" in `found`, never in the span.
//   UnterminatedString: expected "'\"'", found "a newline" or "end of file"; the span
//     runs from the opening quote to the end of the line.
//   UnterminatedComment: the span is the opening /*.
//   BadEscape: found = the escape as written ("\\q").
//   InvalidUtf8: found = the first bad byte as two hex digits ("FF"); only the first
//     bad byte of a file is reported.
//   NestingTooDeep: expected = "at most 256 levels of nesting" (or the expression limit).
//   NumberOutOfRange, BadClock, BadDuration, BadPercent: found = the token as written
//     (cut like the above); the parse goes on (the literal's value is 0).
// Errors come sorted by position, at most one per offset.
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

// Parses one file of the map. Reentrant: several threads may parse at once. A file
// nested more than a few dozen levels deep is parsed on a helper thread with a large
// stack, so the caller's stack size does not matter.
ParseResult parse(const source::SourceMap& sources, source::FileId file);

}  // namespace cascade::grammar
