// The canonical layout of .cascade source (`cascade fmt`).
//
// One layout, like gofmt: two-space indentation, one setting or statement per line,
// settings before statements in the order they were written, single spaces around binary
// operators, a blank line between top-level declarations, strings re-escaped canonically.
// Comments are kept: each comment is attached to the next node that starts after it (or
// trails the node on its line) and printed in the same place. docs/formatting.md
// ("Canonical layout") is the full description; compiler/src/format/format.cpp says how.
//
// format_file() is idempotent (format(format(x)) == format(x)) and a formatted file parses
// to the same tree (spans aside), so it checks to the same program. It takes only files
// that parsed without syntax errors: the caller (`cascade fmt`) reports those and leaves
// the file alone. It never fails otherwise and does not recurse on expressions.
#pragma once

#include <optional>
#include <string>

#include "cascade/grammar/ast.hpp"
#include "cascade/grammar/source.hpp"

namespace cascade::format {

// The formatted text of a parsed file that had no syntax errors.
std::string format_file(const ast::File& file, const source::SourceFile& source);

}  // namespace cascade::format
