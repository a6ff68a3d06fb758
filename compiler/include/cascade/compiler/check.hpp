// The checker: name resolution, types and the scenario rules of LANGUAGE.md §6, then the
// lints.
//
// It reads the AST and never mutates it. What it learns is kept in side tables keyed by
// (file, node id): the type of every expression. Lowering (the bytecode issue) reads these
// tables instead of re-deriving them.
//
// User mistakes are diagnostics in the result; the checker does not throw.
//
// Decisions the brief left open (docs/language.md repeats them for users):
//  * Segments are global: every segment of every file in `files` (the checked files and
//    everything they import) is visible in every scenario. A name defined twice is E0206
//    with a note at the first definition. Scenario names are global in the same way.
//    A segment that refers to itself, directly or through others, is E0213.
//  * Segments see `customer`, `now`, other segments and builtins; not `trigger` (a segment
//    is shared by scenarios with different triggers) nor `event`.
//  * `let` is block-scoped and visible after its definition; a `let` may not reuse the
//    name of a visible `let`, a segment, or `customer`/`trigger`/`event`/`now`.
//  * `trigger every …` and `trigger manual` give `trigger` the record { at: time }.
//  * `==` and `!=` accept optional operands (an absent value equals nothing); every other
//    operator, condition, argument, interpolation and template value needs a present
//    value (E0301) unless narrowed by `has(x)`: in the then-branch of `if has(x)`, after
//    `has(x) and`, in the then-expression of `if has(x) then … else …`, and in the else
//    branch / after `or` for `not has(x)`.
//  * int / int is int (truncating toward zero); any decimal operand makes it decimal.
//  * Ordered comparisons (< <= > >=) apply to numbers, times, durations, times of day and
//    percentages; == and != to any two values of one type (numbers mix).
//  * Outcome waits refer to the most recent send on every path reaching them; a path
//    with no send is E0501. A `split` branch marked `control` ends its path (control
//    members get nothing more), so statements after a split continue only the treated
//    branches.
//  * W0003 counts a `cascade` as all of its steps (the worst path sends every one).
//  * When a file has syntax errors the driver drops the checker's diagnostics for that
//    file (they would mostly be follow-ons of what the parser had to skip).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "cascade/compiler/diagnostics.hpp"
#include "cascade/compiler/project.hpp"
#include "cascade/grammar/ast.hpp"
#include "cascade/grammar/source.hpp"
#include "cascade/stdlib/types.hpp"

namespace cascade::check {

// A node of one file: (file id << 32) | node id.
using NodeKey = std::uint64_t;
inline NodeKey key(source::FileId file, ast::NodeId node) { return (NodeKey{file} << 32) | node; }

struct Result {
  std::vector<ast::File> files;                         // every parsed file: entry files, then imports
  std::unordered_map<NodeKey, types::Type> expr_types;  // the type of every checked expression
};

// Checks parsed files against the project. Imports must already be parsed and present in
// `files` (the driver does that); their segments are visible to the importing file.
void check(const project::Project& project, const source::SourceMap& sources, Result& program,
           diag::Diagnostics& out);

// Expression nesting the checker follows before giving up with E0006. The parser limits
// brackets, but a chain such as `a + a + … + a` nests one level per operator.
inline constexpr int kMaxExprDepth = 1000;

}  // namespace cascade::check
