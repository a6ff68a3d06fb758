// The text of expressions and literals in canonical form, for the formatter.
//
// Expressions are printed token by token in source order with canonical spacing: the
// formatter never adds or removes parentheses (the parser keeps the author's as
// ast::Paren), so the printed tokens reparse to the same tree. Literals are printed in
// their canonical spelling (durations and percents from the parser's canonical text,
// decimals as written, clocks as HH:MM, strings re-escaped).
//
// The printer walks the tree with an explicit work stack, not recursion: a 100,000-term
// chain `1 + 1 + …` is a 100,000-deep left spine, and it must not exhaust the C++ stack.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "cascade/grammar/ast.hpp"

namespace cascade::format::detail {

std::string expr_text(const ast::Expr& expr);

// A string literal with no interpolation ("cart_1", an import path, a title), quoted and
// escaped.
std::string quoted(std::string_view raw);

std::string clock_text(const ast::ClockLit& clock);
std::string duration_text(const ast::DurationLit& duration);
std::string percent_text(const ast::PercentLit& percent);

// The display width of UTF-8 text in code points (what a reader counts as columns).
std::size_t width(std::string_view text);

}  // namespace cascade::format::detail
