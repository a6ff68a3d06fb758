// The bridge from cascade.yaml to the runtime: the engine's plain-data Config built from the
// compiler's typed Project. It lives beside the CLI, in a small library (cascade_host) that the
// CLI, the engine tests and the benchmarks share, because it is the one place that links both
// the compiler and the runtime — the runtime itself never links the compiler.
#pragma once

#include "cascade/compiler/project.hpp"
#include "cascade/report/report.hpp"
#include "cascade/vm/engine.hpp"

namespace cascade::host {

vm::Config runtime_config(const project::Project& project);
// The project's say on SMS and currency for a report (`cascade report`, the daemon's report).
report::Options report_options(const project::Project& project);

}  // namespace cascade::host
