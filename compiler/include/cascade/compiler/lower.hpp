// Lowering: one checked scenario (AST + the checker's side tables) into a bytecode Module.
//
// Lowering runs only on programs the checker accepted, so user mistakes are not its concern;
// what it reports instead are constructs it does not lower yet ("not yet supported by the
// compiler: …") and internal errors (a module the bytecode verifier rejects is a compiler bug).
// Both come back as a value, never as an exception or a crash.
//
// Sugar becomes core instructions here (docs/bytecode.md): `cascade until` is one SEND plus a
// WAIT_OUTCOME / WAIT_EVENT per step, `if not … within` a WAIT_OUTCOME / WAIT_EVENT whose
// success target is the else block, `split` a SPLIT, `and`/`or` short-circuit with DUP, string
// interpolation CONCAT, `let` a local, segments are inlined at each use.
#pragma once

#include <optional>
#include <string>

#include "cascade/bytecode/module.hpp"
#include "cascade/compiler/check.hpp"
#include "cascade/compiler/project.hpp"
#include "cascade/grammar/ast.hpp"
#include "cascade/grammar/source.hpp"

namespace cascade::lower {

struct LowerResult {
  std::optional<bytecode::Module> module;  // set on success (verified)
  std::string error;                       // otherwise: what went wrong, with a source location
  bool internal = false;                   // the error is a compiler bug (e.g. verifier rejection)
};

// `scenario` must be a scenario of one of checked.files (the checker's node keys use its file).
LowerResult lower_scenario(const check::Result& checked, const project::Project& project,
                           const source::SourceMap& sources, const ast::Scenario& scenario,
                           source::FileId file);

}  // namespace cascade::lower
