// The checker: name resolution, types and the scenario rules of LANGUAGE.md §6, then the
// lints.
//
// It reads the AST and never mutates it. What it learns is kept in side tables keyed by
// (file, node id): the type of every expression, what every name refers to. Lowering (the
// bytecode issue) reads these tables instead of re-deriving them.
//
// User mistakes are diagnostics in the result; the checker does not throw.
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

}  // namespace cascade::check
