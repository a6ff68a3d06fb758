// `cascade simulate FILE [--scenario S] --audience A --rates R [--recipients N] [--seed K]
//  [--start T] [--window D] [--format text|json] [--trace T.jsonl] [-o OUT]`
//
// A Monte-Carlo forecast of one scenario: compiles it like `cascade run`, builds the engine's
// Config from cascade.yaml, reads the audience and the rates, and hands everything to
// runtime/simulate, which runs the real engine on synthetic recipients. The forecast goes to
// stdout (or -o); errors in the audience or rates files are reported as FILE:LINE:COL.
#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "cascade/simulate/simulate.hpp"
#include "cascade/stdlib/units.hpp"
#include "command.hpp"
#include "runtime_config.hpp"
#include "session.hpp"

namespace cascade::cli {
namespace {

struct SimulateOptions {
  std::vector<std::string> paths;
  std::string project;
  std::string scenario;
  std::string audience;
  std::string rates;
  std::uint64_t recipients = 10000;
  std::uint64_t seed = 1;
  std::string start;
  std::string window;
  std::string format = "text";
  std::string trace;
  std::string out;
  ColorMode color = ColorMode::Auto;
};

struct File {
  std::FILE* f = nullptr;
  ~File() {
    if (f && f != stdout) std::fclose(f);
  }
};

bool open_output(const std::string& path, File& file) {
  if (path.empty() || path == "-") {
    file.f = stdout;
    return true;
  }
  file.f = std::fopen(path.c_str(), "wb");
  if (!file.f)
    write_err(fmt::format("cascade simulate: error: cannot write {}: {}\n", path, std::strerror(errno)));
  return file.f != nullptr;
}

int run_simulate(const SimulateOptions& options) {
  // Options first, so a typo costs no compile.
  if (options.format != "text" && options.format != "json")
    return usage_error("simulate", "--format: expected text or json, got `" + options.format + "`");
  if (options.recipients == 0) return usage_error("simulate", "--recipients must be at least 1");
  simulate::Options sim;
  sim.recipients = options.recipients;
  sim.seed = options.seed;
  if (!options.start.empty()) {
    sim.start = vm::parse_time(options.start);
    if (!sim.start)
      return usage_error("simulate",
                         "--start: `" + options.start + "` is not a time (e.g. 2026-03-02T00:00:00Z)");
  }
  if (!options.window.empty()) {
    sim.window = units::parse_duration(options.window);
    if (!sim.window)
      return usage_error("simulate", "--window: `" + options.window + "` is not a duration (e.g. 24h)");
  }

  session::Programs programs;
  if (const int rc =
          session::load_programs("simulate", options.paths, options.project, options.color, programs);
      rc != kExitOk)
    return rc;
  const bytecode::Module* module = nullptr;
  std::string names;
  for (const bytecode::Module& m : programs.modules) {
    const std::string_view name = m.str(m.scenario.name);
    names += fmt::format("{}`{}`", names.empty() ? "" : ", ", name);
    if (options.scenario.empty() ? programs.modules.size() == 1 : name == options.scenario) module = &m;
  }
  if (!module) {
    if (programs.modules.empty()) {
      write_err("cascade simulate: error: no scenario found\n");
      return kExitFailure;
    }
    if (options.scenario.empty())
      return usage_error("simulate",
                         fmt::format("several scenarios ({}): choose one with --scenario", names));
    return usage_error("simulate", fmt::format("no scenario `{}` (found {})", options.scenario, names));
  }
  const vm::Config config = host::runtime_config(programs.project);

  auto report_error = [](const simulate::Error& e) {
    write_err("cascade simulate: " + e.text() + "\n");
    return e.io ? kExitUsage : kExitFailure;
  };
  simulate::Audience audience;
  if (auto e = simulate::load_audience(options.audience, config, *module, audience)) return report_error(*e);
  simulate::Rates rates;
  if (auto e = simulate::load_rates(options.rates, config, *module, rates)) return report_error(*e);

  File out, trace;
  if (!open_output(options.out, out)) return kExitUsage;
  std::unique_ptr<session::TraceWriter> writer;
  if (!options.trace.empty()) {
    if (!open_output(options.trace, trace)) return kExitUsage;
    writer = std::make_unique<session::TraceWriter>(trace.f, programs.project.currency);
    sim.trace = [w = writer.get()](const vm::TraceRecord& r) { w->add(r); };
  }

  simulate::Report report;
  if (auto e = simulate::run(config, *module, audience, rates, sim, report)) {
    write_err("cascade simulate: error: " + (e->file.empty() ? e->message : e->text()) + "\n");
    return kExitFailure;
  }
  if (writer && !writer->flush()) {
    write_err(fmt::format("cascade simulate: error: cannot write the trace to {}\n", options.trace));
    return kExitUsage;
  }
  const std::string text =
      options.format == "json" ? simulate::render_json(report) : simulate::render_text(report);
  if (std::fwrite(text.data(), 1, text.size(), out.f) != text.size() || std::fflush(out.f) != 0) {
    write_err(fmt::format("cascade simulate: error: cannot write {}\n",
                          options.out.empty() ? "the forecast" : options.out));
    return kExitUsage;
  }
  return kExitOk;
}

}  // namespace

void add_simulate(CLI::App& app, Run& selected) {
  auto options = std::make_shared<SimulateOptions>();
  CLI::App* cmd = app.add_subcommand(
      "simulate", "Forecast reach, cost and conversions of a scenario on synthetic recipients");
  cmd->footer(
      std::string("The real engine runs the scenario; providers and people answer at random with the rates'\n"
                  "chances and delays. The audience is a profile sample (.jsonl, like run --profiles) or a\n"
                  "YAML/JSON file of channel and consent shares and field values. The same seed and inputs\n"
                  "give the same output. Formats and every figure: docs/simulate.md.\n") +
      std::string(exit_code_help()));
  cmd->add_option("--audience", options->audience, "Profile sample (.jsonl) or shares file (.yaml/.json)")
      ->required()
      ->type_name("A");
  cmd->add_option("--rates", options->rates, "Chances and delays per channel (.yaml/.json)")
      ->required()
      ->type_name("R");
  cmd->add_option("--scenario", options->scenario, "The scenario to simulate (needed when FILE has several)")
      ->type_name("S");
  cmd->add_option("--recipients", options->recipients, "How many synthetic recipients (default 10000)")
      ->type_name("N");
  cmd->add_option("--seed", options->seed, "Seed of the random draws (default 1)")->type_name("K");
  cmd->add_option("--start", options->start,
                  "First trigger instant (default: the rates file's, else 2026-03-02T00:00:00Z)")
      ->type_name("TIME");
  cmd->add_option("--window", options->window,
                  "Spread the triggers over this long (default: the rates file's, else 1d)")
      ->type_name("D");
  cmd->add_option("--format", options->format, "text (default) or json")->type_name("text|json");
  cmd->add_option("--trace", options->trace,
                  "Also write the engine's JSON-lines trace of the simulation here")
      ->type_name("T.jsonl");
  cmd->add_option("-o,--output", options->out, "Write the forecast to this file instead of stdout")
      ->type_name("OUT");
  cmd->add_option("--project", options->project,
                  "Use this project file instead of searching for cascade.yaml")
      ->type_name("FILE");
  add_color_option(*cmd, options->color);
  cmd->add_option("paths", options->paths, "Scenario files or folders, or compiled .cbc files")
      ->type_name("FILE|DIR");
  cmd->callback([options, &selected] { selected = [options] { return run_simulate(*options); }; });
}

}  // namespace cascade::cli
