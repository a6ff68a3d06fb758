// The lints of LANGUAGE.md §6 that need no flow analysis: SMS segments (W0001), cascade
// cost order (W0002), a scenario that never sends (W0005), a zero wait (W0007), empty
// quiet hours (W0008), control without a goal window (W0009).
//
// The flow-sensitive ones live in the checker's walk, which already has the paths: too
// many messages on a path (W0003), unreachable statements (W0004), `within` on the last
// cascade step (W0006) and unused lets (W0010).
#pragma once

#include <cstdint>
#include <optional>

#include "cascade/compiler/check.hpp"
#include "cascade/compiler/diagnostics.hpp"
#include "cascade/compiler/project.hpp"
#include "cascade/grammar/ast.hpp"
#include "cascade/grammar/source.hpp"
#include "cascade/stdlib/sms.hpp"

namespace cascade::lint {

void run(const project::Project& project, const source::SourceMap& sources, const check::Result& program,
         diag::Diagnostics& out);

// The value in seconds of a duration expression made only of literals (90s, 2 * 1h,
// 1h - 60m, min(…), max(…)), or nullopt when it depends on data or overflows.
std::optional<std::int64_t> constant_seconds(const ast::Expr* e);

// How an SMS text literal is counted before it is sent: its literal parts exactly, each
// link(…) as the daemon's short link, other interpolations as nothing (then `minimum` is set:
// the real count can only be higher). W0001 and `cascade graph` count this way.
struct SmsEstimate {
  sms::Count count;
  bool minimum = false;
};
SmsEstimate sms_estimate(const ast::StringLit& text);

// The W0001 diagnostic for an SMS text, or nullopt when it fits one segment.
std::optional<diag::Diagnostic> sms_segments(const ast::StringLit& text, source::SourceSpan span);

}  // namespace cascade::lint
