// `cascade report TRACE… [--format text|json|html] [-o OUT] [--project DIR|FILE]`
//
// Reads JSON-lines traces written by `cascade run` and prints the campaign's figures
// (runtime/report; docs/report.md). Each file is one trace with its own instance numbers and
// message ids; scenarios are merged by name across files. The project file, when given, says
// which channels are SMS, the SMS price when no SMS was sent, and the currency sign.
//
// A bad line (invalid JSON, a missing key, a wrong type) is counted and reported as FILE:LINE
// at the end, like `cascade run`'s; the report of the good lines is still written and the exit
// code is 1. An unreadable file is exit 2, before anything is written.
#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "cascade/report/report.hpp"
#include "command.hpp"
#include "runtime_config.hpp"
#include "session.hpp"

namespace cascade::cli {
namespace {

struct ReportOptions {
  std::vector<std::string> traces;
  std::string format = "text";
  std::string out;
  std::string project;
  ColorMode color = ColorMode::Auto;
};

constexpr std::size_t kMaxReported = 1000;

// The project's say on SMS and currency. Diagnostics are printed like any command's.
int load_project(const ReportOptions& options, report::Options& out) {
  std::optional<project::Project> loaded;
  if (const int rc = load_project_only("report", options.project, options.color, loaded); rc != kExitOk) return rc;
  out = host::report_options(*loaded);
  return kExitOk;
}

int run_report(const ReportOptions& options) {
  report::Options config;
  if (!options.project.empty()) {
    if (const int rc = load_project(options, config); rc != kExitOk) return rc;
  }
  // Every file must open before any is read: an unreadable one is a usage problem (2).
  std::vector<std::unique_ptr<session::LineReader>> readers;
  for (const std::string& path : options.traces) {
    auto reader = std::make_unique<session::LineReader>();
    std::string error;
    if (!reader->open(path, error)) {
      write_err(fmt::format("cascade report: error: cannot read {}: {}\n", path, error));
      return kExitUsage;
    }
    readers.push_back(std::move(reader));
  }

  report::Builder builder(config);
  std::vector<std::string> messages;
  std::size_t bad = 0;
  for (std::size_t i = 0; i < readers.size(); ++i) {
    session::LineReader& reader = *readers[i];
    builder.begin_trace();
    std::string_view line;
    while (reader.next(line)) {
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      if (auto e = builder.add_line(line)) {
        ++bad;
        if (messages.size() < kMaxReported)
          messages.push_back(session::located(options.traces[i], reader.line_number(), {e->column, e->message}));
      }
    }
    if (!reader.error().empty()) {
      write_err(fmt::format("cascade report: error: cannot read {}: {}\n", options.traces[i], reader.error()));
      return kExitUsage;
    }
  }

  const report::Report figures = builder.finish();
  std::string text = options.format == "json"   ? report::render_json(figures)
                     : options.format == "html" ? report::render_html(figures)
                                                : report::render_text(figures);
  if (options.out.empty() || options.out == "-") {
    write_out(text);
  } else {
    std::FILE* f = std::fopen(options.out.c_str(), "wb");
    bool ok = f && std::fwrite(text.data(), 1, text.size(), f) == text.size();
    if (f && std::fclose(f) != 0) ok = false;
    if (!ok) {
      write_err(fmt::format("cascade report: error: cannot write {}: {}\n", options.out, std::strerror(errno)));
      return kExitUsage;
    }
  }
  if (bad > 0) {
    std::string err;
    for (const std::string& m : messages) err += m + "\n";
    if (bad > messages.size()) err += fmt::format("… and {} more bad lines\n", bad - messages.size());
    err += fmt::format("cascade report: {} bad line{} left out of the report\n", bad, bad == 1 ? "" : "s");
    write_err(err);
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void add_report(CLI::App& app, Run& selected) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* cmd = app.add_subcommand("report", "Campaign figures from run traces: funnels, cost, savings, control");
  cmd->footer(std::string(
                  "Each TRACE is a JSON-lines file written by `cascade run` (- for stdin); several are merged by\n"
                  "scenario, each keeping its own instance numbers. The figures are defined in docs/report.md.\n"
                  "--project gives the currency sign, which channels are SMS and the SMS price for the savings\n"
                  "when the traces sent no SMS. Bad lines are listed as FILE:LINE and left out; the exit code\n"
                  "is then 1.\n") +
              std::string(exit_code_help()));
  cmd->add_option("traces", options->traces, "Trace files written by `cascade run`")->required()->type_name("TRACE");
  cmd->add_option("--format", options->format, "text (default), json or html")
      ->check(CLI::IsMember({"text", "json", "html"}))
      ->type_name("FORMAT");
  cmd->add_option("-o,--output", options->out, "Write the report to this file instead of stdout")->type_name("OUT");
  cmd->add_option("--project", options->project, "The project folder or cascade.yaml (currency, SMS channels and price)")
      ->type_name("DIR");
  add_color_option(*cmd, options->color);
  cmd->callback([options, &selected] { selected = [options] { return run_report(*options); }; });
}

}  // namespace cascade::cli
