// `cascade check [--format text|json|sarif] [--werror] [--project FILE] [paths…]`
#include <memory>

#include "cascade/compiler/driver.hpp"
#include "command.hpp"

namespace cascade::cli {
namespace {

struct CheckOptions {
  std::vector<std::string> paths;
  std::string project;
  std::string format_name = "text";
  bool werror = false;
  ColorMode color = ColorMode::Auto;
};


int run_check(const CheckOptions& options) {
  driver::CheckRequest request;
  request.paths = options.paths;
  if (!options.project.empty()) request.project_file = options.project;
  driver::CheckOutcome outcome = driver::check(request);
  if (options.werror) outcome.diagnostics.promote_warnings();
  outcome.diagnostics.sort();
  const Format format = options.format_name == "json"    ? Format::Json
                        : options.format_name == "sarif" ? Format::Sarif
                                                         : Format::Text;
  emit(outcome.diagnostics, outcome.sources, format, use_color(options.color, 2));
  if (is_io_problem(outcome)) return kExitUsage;
  return outcome.diagnostics.has_errors() ? kExitFailure : kExitOk;
}

}  // namespace

void add_check(CLI::App& app, Run& selected) {
  auto options = std::make_shared<CheckOptions>();
  CLI::App* cmd = app.add_subcommand("check", "Parse, type-check and lint scenarios");
  cmd->footer(
      std::string(
          "PATHS are .cascade files or folders (searched recursively); none means the current folder.\n"
          "The project file is cascade.yaml in the first path's folder or a folder above it.\n"
          "A clean check prints nothing. Warnings do not fail the check unless --werror is given.\n") +
      std::string(exit_code_help()));
  cmd->add_option("--format", options->format_name, "Output format: text (stderr), json or sarif (stdout)")
      ->check(CLI::IsMember({"text", "json", "sarif"}))
      ->option_text("text|json|sarif");
  cmd->add_flag("--werror", options->werror, "Treat warnings as errors");
  cmd->add_option("--project", options->project,
                  "Use this project file instead of searching for cascade.yaml")
      ->type_name("FILE");
  add_color_option(*cmd, options->color);
  cmd->add_option("paths", options->paths, "Files or folders to check")->type_name("PATHS");
  cmd->callback([options, &selected] { selected = [options] { return run_check(*options); }; });
}

}  // namespace cascade::cli
