// Character-level helpers shared by the X3 grammar and the parse driver.
//
// The grammar itself is Spirit X3 (rule_def.hpp). What lives here is the plain C++ the
// grammar leans on and that must be linear and allocation-free on hot paths: the one
// table of reserved words, the whitespace/comment skipper's scanning loop, the pre-scan
// (UTF-8 validation and comment collection), the words used to describe "what was
// found" in an error, and the brace-aware scan that finds where to resume after an
// error. None of it depends on X3.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cascade/grammar/ast.hpp"
#include "cascade/grammar/parser.hpp"

namespace cascade::grammar::lex {

inline bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
inline bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// Reserved words. A reserved word is never an identifier: it cannot name a segment, a
// scenario, a channel, an event, a `let`, a split branch, a function, or stand alone as
// a name in an expression. Two exceptions: after `.` (`trigger.at`, `customer.opened`)
// and as a key in `template "x" with { key: … }` any word is accepted. `trigger` is also
// accepted as a name inside expressions (`trigger.cart_id`), where it means the event
// that started the instance.
//
// Reserved: the words that start a declaration, a setting or a statement, the operators
// spelled as words, the literals, the clause words that may follow an expression
// (`where`, `within`, `then`, `else`, `as`, `with`, `until`), the outcome words, and
// `every` and `manual` (which follow `trigger` where an event name could). Everything
// else that appears in the grammar — `at`, `on`, `hours`, `for`, `per`, `never`,
// `parallel`, `after` — is a contextual word, recognised only where the grammar expects
// it, so a profile field, event or `let` may be called `at` or `after`.
bool is_reserved(std::string_view word);

// A setting keyword (`trigger`, `audience`, `goal`, `quiet`, `limit`, `reentry`,
// `control`, `urgent`; `stop` only when followed by `on`).
bool starts_setting(const char* p, const char* end);
// A statement keyword (`send`, `wait`, `if`, `cascade`, `split`, `let`, `stop`).
bool starts_statement(const char* p, const char* end);
// A declaration keyword (`import`, `segment`, `scenario`).
bool starts_declaration(const char* p, const char* end);

// The word starting at p (empty when p does not start an identifier).
std::string_view word_at(const char* p, const char* end);

// Skips spaces, newlines and comments. An unterminated block comment runs to the end.
const char* skip_space(const char* p, const char* end);
// Like skip_space, but stops at a newline (also one inside a block comment) and returns
// true through crossed when one was found before the next token.
const char* skip_space_same_line(const char* p, const char* end, bool& crossed);

// At most 48 bytes of text (whole characters), with "…" when cut: for messages.
std::string clip(std::string_view text);

// Describes the token at p for "found …": 'word', '1h30m', a string, end of file,
// a newline, '{' … and returns its extent through token_end.
std::string describe_token(const char* base, const char* p, const char* end, const char*& token_end);
// True when the byte at p cannot start any token (so the error is UnexpectedCharacter).
bool is_unexpected_character(const char* p, const char* end);

// The pre-scan: validates UTF-8, collects every comment, and finds unterminated block
// comments. It mirrors the grammar's view of strings (so `//` inside "http://x" is not a
// comment), including `{…}` interpolations with nested strings.
struct PreScan {
  std::vector<ast::Comment> comments;
  std::vector<SyntaxError> errors;          // InvalidUtf8 (the first bad byte), UnterminatedComment
  std::uint32_t unterminated_comment = UINT32_MAX;  // offset of an unterminated /*, if any
  std::uint32_t bom = 0;                    // 3 when the file starts with a UTF-8 byte order mark
  // An upper bound on how deep the grammar can recurse: the deepest nesting of (), [],
  // {} and interpolations, plus every `then` (conditional expressions nest without
  // brackets). Used to decide whether to parse on a larger stack.
  std::uint32_t recursion_estimate = 0;
};
PreScan prescan(std::string_view text, source::FileId file);

// Where to resume after an error. The scan starts at `from` (the first token of the
// construct that failed) with brace depth 0, skips strings and comments, and returns
// the first position after `not_before` that is either
//   * a `}` at depth 0 (it closes the enclosing block: the caller must not consume it),
//   * the first token of a line, at depth 0, that `resume_here` accepts,
//   * the end of the text.
// Parentheses and brackets are ignored: an unclosed `(` must not swallow the file.
enum class Resume : std::uint8_t { Setting, Statement, Step, Branch, Declaration };
const char* resume_point(Resume what, const char* from, const char* not_before, const char* end);

// A compound statement (`if`, `cascade`, `split`) whose `{` is missing, as in
//     if x            <- error: expected '{'
//       send sms "a"
//     }
// still has its `}`, at the statement's own indentation. When the error is on a line
// with no `{` and, further down, the first line indented no deeper than the statement
// is a `}` in the statement's column (not column 1: unindented code gives no clue),
// returns the position just after that `}` (the
// whole would-be block is skipped, so its `}` does not close the enclosing block);
// otherwise returns nullptr. `start` is the statement's first token. Each byte looked
// at costs one unit of `budget` (nullptr once it is spent), which keeps a whole parse
// linear however many statements fail.
const char* after_headless_block(const char* base, const char* start, const char* error_at, const char* end,
                                 std::size_t& budget);

// The canonical spelling of a well-formed duration token: units merged and ordered
// w d h m s, zero components dropped ("0s" when all are zero).
std::string canonical_duration(std::string_view token);

}  // namespace cascade::grammar::lex
