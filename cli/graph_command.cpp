// `cascade graph FILE [--scenario S] [--format dot|svg|mermaid] [-o OUT]`
//
// Runs the same check as `cascade check` on FILE (a .cascade file or a project folder);
// on errors it prints them like check does and draws nothing (exit 1). Otherwise it draws
// the chosen scenario, or every scenario of FILE as one picture, and writes DOT, SVG
// (rendered in-process by Graphviz) or Mermaid to OUT or standard output.
#include <cstdio>
#include <memory>
#include <vector>

#include "cascade/compiler/driver.hpp"
#include "cascade/compiler/graph.hpp"
#include "command.hpp"
#include "graph_svg.hpp"

namespace cascade::cli {
namespace {

struct GraphOptions {
  std::string path;
  std::string scenario;
  std::string format = "dot";
  std::string out;
  std::string project;
  ColorMode color = ColorMode::Auto;
};

bool write_file(const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  return std::fclose(f) == 0 && ok;
}

int run_graph(const GraphOptions& options) {
  driver::CheckRequest request;
  request.paths = {options.path};
  if (!options.project.empty()) request.project_file = options.project;
  driver::CheckOutcome outcome = driver::check(request);
  outcome.diagnostics.sort();
  emit(outcome.diagnostics, outcome.sources, Format::Text, use_color(options.color, 2));
  if (is_io_problem(outcome)) return kExitUsage;
  if (outcome.diagnostics.has_errors()) return kExitFailure;
  if (!outcome.project) return kExitUsage;

  std::vector<const ast::Scenario*> all = graph::scenarios(outcome.checked);
  if (all.empty()) {
    write_err("cascade graph: error: no scenario in " + options.path + "\n");
    return kExitFailure;
  }
  std::vector<graph::Graph> graphs;
  if (!options.scenario.empty()) {
    for (const ast::Scenario* s : all)
      if (s->name.name == options.scenario) graphs.push_back(graph::build(*outcome.project, *s));
    if (graphs.empty()) {
      std::string names;
      for (const ast::Scenario* s : all) names += (names.empty() ? "" : ", ") + s->name.name;
      return usage_error("graph", "no scenario `" + options.scenario + "` in " + options.path + " (it has: " + names + ")");
    }
  } else {
    for (const ast::Scenario* s : all) graphs.push_back(graph::build(*outcome.project, *s));
  }

  std::string text;
  if (options.format == "mermaid") {
    text = graph::to_mermaid(graphs);
  } else if (options.format == "svg") {
    std::string error;
    std::optional<std::string> svg = render_svg(graph::to_dot(graphs), error);
    if (!svg) {
      write_err("cascade graph: error: Graphviz failed: " + error + "\n");
      return kExitFailure;
    }
    text = std::move(*svg);
  } else {
    text = graph::to_dot(graphs);
  }

  if (options.out.empty() || options.out == "-") {
    write_out(text);
    return kExitOk;
  }
  if (!write_file(options.out, text)) {
    write_err("cascade graph: error: cannot write " + options.out + "\n");
    return kExitUsage;
  }
  return kExitOk;
}

}  // namespace

void add_graph(CLI::App& app, Run& selected) {
  auto options = std::make_shared<GraphOptions>();
  CLI::App* cmd = app.add_subcommand("graph", "Draw a scenario as a flowchart (DOT, SVG or Mermaid)");
  cmd->footer(std::string("Runs the same check as `cascade check`; on errors nothing is drawn.\n"
                          "Without --scenario every scenario of FILE is drawn, one cluster (DOT, SVG) or\n"
                          "subgraph (Mermaid) each. docs/graph.md explains the shapes.\n") +
              std::string(exit_code_help()));
  cmd->add_option("--scenario", options->scenario, "Draw only this scenario")->type_name("NAME");
  cmd->add_option("--format", options->format, "Output format: dot, svg or mermaid")
      ->check(CLI::IsMember({"dot", "svg", "mermaid"}))
      ->option_text("dot|svg|mermaid");
  cmd->add_option("-o,--output", options->out, "Write to this file instead of standard output")->type_name("OUT");
  cmd->add_option("--project", options->project,
                  "Use this project file instead of searching for cascade.yaml")
      ->type_name("FILE");
  add_color_option(*cmd, options->color);
  cmd->add_option("file", options->path, "A .cascade file or a project folder")->required()->type_name("FILE");
  cmd->callback([options, &selected] { selected = [options] { return run_graph(*options); }; });
}

}  // namespace cascade::cli
