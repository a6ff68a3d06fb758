// Syntax errors as diagnostics.
//
// grammar/ reports SyntaxErrors as plain values and knows nothing of the diagnostics
// table; this is the one place that maps each SyntaxErrorKind to its E00xx code, so that
// `cascade check` (through the driver) and `cascade fmt` (which refuses files with syntax
// errors) report them identically.
#pragma once

#include <vector>

#include "cascade/compiler/diagnostics.hpp"
#include "cascade/grammar/parser.hpp"
#include "cascade/grammar/source.hpp"

namespace cascade::diag {

// The diagnostic for one syntax error. Literal-shaped errors (bad escape, clock, duration,
// percentage, number, unexpected character) quote the source text under the span, falling
// back to the error's `found` when the span is empty; invalid UTF-8 names the first bad byte.
Diagnostic from_syntax_error(const grammar::SyntaxError& error, const source::SourceMap& sources);

void add_syntax_errors(const std::vector<grammar::SyntaxError>& errors, const source::SourceMap& sources,
                       Diagnostics& out);

}  // namespace cascade::diag
