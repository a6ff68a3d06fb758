// The `cascade` command line: one file per subcommand, and what they share.
//
// The CLI is argument parsing and nothing else: every subcommand turns its options into a
// call into compiler/ (driver::check, format::format_file, …) and renders what comes
// back. Adding a subcommand means writing cli/<name>_command.cpp with an `add_<name>`
// function and listing it in registry.cpp.
//
// Streams and exit codes, the same for every subcommand:
// - text diagnostics go to stderr (like a compiler's); a command's product (JSON, SARIF,
//   formatted source, the list of unformatted files) goes to stdout;
// - 0 success, 1 the input has errors (or `fmt --check` found unformatted files),
//   2 usage or I/O problems (an unknown option, an unreadable path, no project file).
//   Usage errors print one line and a hint to `--help` on stderr.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "cascade/compiler/diagnostics.hpp"
#include "cascade/grammar/source.hpp"

#include "cascade/compiler/driver.hpp"
#include "cascade/compiler/project.hpp"

namespace cascade::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;  // also I/O

inline constexpr std::string_view kVersion = CASCADE_VERSION;

// What parsing leaves behind: the selected subcommand, ready to run.
using Run = std::function<int()>;

struct Command {
  std::string_view name;
  // Adds the subcommand to `app`. When the user selects it, its parse callback stores its
  // runner (with the parsed options bound) in `selected`.
  void (*add)(CLI::App& app, Run& selected);
};

// Every subcommand, in the order `cascade --help` lists them.
std::span<const Command> commands();

void add_check(CLI::App& app, Run& selected);
void add_compile(CLI::App& app, Run& selected);
void add_deploy(CLI::App& app, Run& selected);
void add_disasm(CLI::App& app, Run& selected);
void add_fmt(CLI::App& app, Run& selected);
void add_graph(CLI::App& app, Run& selected);
void add_help(CLI::App& app, Run& selected);
void add_report(CLI::App& app, Run& selected);
void add_run(CLI::App& app, Run& selected);
void add_serve(CLI::App& app, Run& selected);
void add_simulate(CLI::App& app, Run& selected);
void add_test(CLI::App& app, Run& selected);
void add_gen_docs(CLI::App& app, Run& selected);

// --color auto|always|never. auto: colour when the stream is a terminal, NO_COLOR is unset
// or empty, and TERM is not "dumb".
enum class ColorMode { Auto, Always, Never };
void add_color_option(CLI::App& command, ColorMode& mode);
bool use_color(ColorMode mode, int fd);

enum class Format { Text, Json, Sarif };

// Writes to stdout / stderr, unbuffered by iostreams so the order of the two streams is
// the order of the calls.
void write_out(std::string_view text);
void write_err(std::string_view text);

// Prints `cascade <command>: error: <message>` and a hint to `--help` on stderr; returns 2.
int usage_error(std::string_view command, std::string_view message);

// Renders diagnostics: text to stderr, JSON and SARIF to stdout.
void emit(const diag::Diagnostics& diags, const source::SourceMap& sources, Format format, bool color);

// Loads a project file (`path` may be its folder) for commands that need only the project, not
// the scenarios (report, serve): prints its diagnostics, and returns kExitOk with `out` set, 1
// when it has errors, or 2 when it cannot be read.
int load_project_only(std::string_view command, const std::string& path, ColorMode color,
                      std::optional<project::Project>& out);

// The help text shared by every subcommand's footer.
std::string_view exit_code_help();

// Whether a check stopped before looking at the input at all (exit 2, not 1).
bool is_io_problem(const driver::CheckOutcome& outcome);

}  // namespace cascade::cli
