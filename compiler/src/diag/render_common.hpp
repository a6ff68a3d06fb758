// Helpers shared by the diagnostic renderers (text, JSON, SARIF, reference markdown).
//
// Internal to compiler/src/diag. Everything here is total: any byte string, any span
// (even one past the end of its file, or with begin > end) gives a defined answer, so a
// buggy reporter can produce an odd diagnostic but never a crash.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cascade/compiler/diagnostics.hpp"
#include "cascade/grammar/source.hpp"

namespace cascade::diag::detail {

// One code point decoded from UTF-8, or an invalid sequence of `length` bytes.
struct Decoded {
  char32_t code_point = 0;  // U+FFFD when invalid
  std::uint32_t length = 1;
  bool valid = false;
};

// Decodes the code point starting at text[pos] (pos < text.size()). Overlong forms,
// surrogates and values above U+10FFFF are invalid; an invalid sequence consumes one byte.
Decoded decode_utf8(std::string_view text, std::size_t pos);

void append_utf8(std::string& out, char32_t cp);

// The text with every invalid UTF-8 byte replaced by U+FFFD. JSON and SARIF must be valid
// UTF-8, and messages can quote bytes from a file that is not.
std::string valid_utf8(std::string_view text);

// The same, and C0/C1 control characters (other than tab) replaced by U+FFFD too, so a
// source line or message cannot move the cursor or recolour a terminal.
std::string printable(std::string_view text);

// Where a diagnostic points, resolved to lines and columns. Absent when the diagnostic has
// no span or its file id is not in the SourceMap.
struct Location {
  const source::SourceFile* file = nullptr;
  std::uint32_t begin = 0;  // byte offsets, clamped to the file, begin <= end
  std::uint32_t end = 0;
  source::LineCol start;
  source::LineCol stop;  // locate(end): the column one past the last character
};

std::optional<Location> locate(const source::SourceMap& sources, const source::SourceSpan& span);

// The same text with its JSON strings made valid UTF-8 (for `data`, which reporters fill).
boost::json::value sanitized(const boost::json::value& v);

// Two-space indented JSON, keys in insertion order; strings escaped by Boost.JSON.
std::string pretty_json(const boost::json::value& v);

// Replaces {0}, {1}, … in a table template with "…", for places that describe a rule
// rather than one occurrence (SARIF rule descriptions, the reference). `{{` and `}}` are
// fmt's escapes and become `{` and `}`.
std::string describe_template(std::string_view tmpl);

// "type-mismatch" -> "TypeMismatch" (SARIF rule names).
std::string pascal_case(std::string_view kebab);

}  // namespace cascade::diag::detail
