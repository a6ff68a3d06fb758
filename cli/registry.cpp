#include "command.hpp"

namespace cascade::cli {

namespace {
// Later subcommands (graph, simulate, report, serve) go here.
constexpr Command kCommands[] = {
    {"check", add_check},
    {"compile", add_compile},
    {"deploy", add_deploy},
    {"disasm", add_disasm},
    {"fmt", add_fmt},
    {"graph", add_graph},
    {"report", add_report},
    {"run", add_run},
    {"serve", add_serve},
    {"simulate", add_simulate},
    {"test", add_test},
    {"help", add_help},
    {"__gen-docs", add_gen_docs},  // hidden: regenerates docs/diagnostics.md
};
}  // namespace

std::span<const Command> commands() {
  return kCommands;
}

}  // namespace cascade::cli
