// `cascade compile [--project FILE] [--bundle] PATHS… -o OUT`
//
// Runs the same check as `cascade check`; when it finds errors they are printed like check
// prints them and nothing is written. Otherwise every scenario is lowered and verified, and
// written as OUT/<scenario>.cbc (OUT a folder), as OUT itself (OUT ends in .cbc, one
// scenario), or as one bundle file OUT (--bundle, or OUT ends in .cbc with several scenarios).
#include <filesystem>
#include <fstream>
#include <memory>

#include "cascade/bytecode/io.hpp"
#include "cascade/compiler/driver.hpp"
#include "command.hpp"
#include "session.hpp"

namespace cascade::cli {
namespace {

struct CompileOptions {
  std::vector<std::string> paths;
  std::string project;
  std::string out;
  bool bundle = false;
  ColorMode color = ColorMode::Auto;
};


bool write_bytes(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return false;
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

int run_compile(const CompileOptions& options) {
  driver::CheckRequest request;
  request.paths = options.paths;
  if (!options.project.empty()) request.project_file = options.project;
  driver::CheckOutcome outcome = driver::check(request);
  outcome.diagnostics.sort();
  emit(outcome.diagnostics, outcome.sources, Format::Text, use_color(options.color, 2));
  if (is_io_problem(outcome)) return kExitUsage;
  if (outcome.diagnostics.has_errors()) return kExitFailure;
  if (!outcome.project) return kExitUsage;

  std::vector<bytecode::Module> modules;
  if (!session::lower_all(outcome, modules)) return kExitFailure;
  std::vector<std::string> names;
  for (const bytecode::Module& m : modules) names.emplace_back(m.str(m.scenario.name));

  namespace fs = std::filesystem;
  const fs::path out(options.out);
  const bool out_is_file = out.extension() == ".cbc";
  std::error_code ec;
  if (options.bundle || (out_is_file && modules.size() > 1)) {
    if (out.has_parent_path()) fs::create_directories(out.parent_path(), ec);
    if (!write_bytes(out, bytecode::write_bundle(modules))) {
      write_err("cascade compile: error: cannot write " + out.string() + "\n");
      return kExitUsage;
    }
    return kExitOk;
  }
  if (out_is_file) {
    if (modules.empty()) return kExitOk;
    if (out.has_parent_path()) fs::create_directories(out.parent_path(), ec);
    if (!write_bytes(out, bytecode::write(modules.front()))) {
      write_err("cascade compile: error: cannot write " + out.string() + "\n");
      return kExitUsage;
    }
    return kExitOk;
  }
  fs::create_directories(out, ec);
  if (ec || !fs::is_directory(out)) {
    write_err("cascade compile: error: cannot create folder " + out.string() + "\n");
    return kExitUsage;
  }
  for (std::size_t i = 0; i < modules.size(); ++i) {
    const fs::path file = out / (names[i] + ".cbc");
    if (!write_bytes(file, bytecode::write(modules[i]))) {
      write_err("cascade compile: error: cannot write " + file.string() + "\n");
      return kExitUsage;
    }
  }
  return kExitOk;
}

}  // namespace

void add_compile(CLI::App& app, Run& selected) {
  auto options = std::make_shared<CompileOptions>();
  CLI::App* cmd = app.add_subcommand("compile", "Check scenarios and compile them to bytecode (.cbc)");
  cmd->footer(std::string("Runs the same check as `cascade check`; on errors nothing is written.\n"
                          "OUT is a folder (one SCENARIO.cbc per scenario) or a .cbc file; with --bundle,\n"
                          "or a .cbc OUT and several scenarios, all scenarios go into one bundle file.\n") +
              std::string(exit_code_help()));
  cmd->add_option("-o,--output", options->out, "Output folder or file")->required()->type_name("OUT");
  cmd->add_flag("--bundle", options->bundle, "Write one bundle file with every scenario");
  cmd->add_option("--project", options->project,
                  "Use this project file instead of searching for cascade.yaml")
      ->type_name("FILE");
  add_color_option(*cmd, options->color);
  cmd->add_option("paths", options->paths, "Files or folders to compile")->type_name("PATHS");
  cmd->callback([options, &selected] { selected = [options] { return run_compile(*options); }; });
}

}  // namespace cascade::cli
