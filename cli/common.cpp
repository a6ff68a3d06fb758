#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "cascade/compiler/render.hpp"
#include "command.hpp"

#include <filesystem>

namespace cascade::cli {
namespace {

void write_fd(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // a closed pipe or a full disk: nothing useful left to report to
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

void add_color_option(CLI::App& command, ColorMode& mode) {
  // CLI11's transformer would print its internal mapping in --help; a string option with a
  // member check reads better, and the callback turns it into the enum.
  command
      .add_option_function<std::string>(
          "--color",
          [&mode](const std::string& when) {
            mode = when == "always"  ? ColorMode::Always
                   : when == "never" ? ColorMode::Never
                                     : ColorMode::Auto;
          },
          "Colour text diagnostics: auto (when stderr is a terminal and NO_COLOR is not set), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->option_text("auto|always|never");
}

bool use_color(ColorMode mode, int fd) {
  switch (mode) {
    case ColorMode::Always:
      return true;
    case ColorMode::Never:
      return false;
    case ColorMode::Auto:
      break;
  }
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string_view(term) == "dumb") return false;
  return ::isatty(fd) == 1;
}

void write_out(std::string_view text) {
  write_fd(STDOUT_FILENO, text);
}
void write_err(std::string_view text) {
  write_fd(STDERR_FILENO, text);
}

int usage_error(std::string_view command, std::string_view message) {
  const std::string who = command.empty() ? std::string("cascade") : fmt::format("cascade {}", command);
  write_err(fmt::format("{}: error: {}\nhint: run '{} --help' for usage\n", who, message, who));
  return kExitUsage;
}

void emit(const diag::Diagnostics& diags, const source::SourceMap& sources, Format format, bool color) {
  switch (format) {
    case Format::Text:
      write_err(diag::render_text(diags, sources, diag::TextOptions{color}));
      break;
    case Format::Json:
      write_out(diag::render_json(diags, sources));
      break;
    case Format::Sarif:
      write_out(diag::render_sarif(diags, sources, diag::SarifOptions{std::string(kVersion), {}, true}));
      break;
  }
}

std::string_view exit_code_help() {
  return "Exit status: 0 no errors, 1 errors found, 2 usage or I/O problem.\n"
         "Text diagnostics are written to stderr; JSON and SARIF to stdout.";
}

// A problem that stopped the check from looking at the input at all is exit 2, not 1:
// the driver says so with io_error, and "no project file" / "cannot read PATH" are such
// problems even if a driver forgot to set the flag.
bool is_io_problem(const driver::CheckOutcome& outcome) {
  if (outcome.io_error) return true;
  for (const diag::Diagnostic& d : outcome.diagnostics.items()) {
    if (d.has_span) continue;
    if (d.code == diag::Code::ProjectNotFound || d.code == diag::Code::FileUnreadable) return true;
  }
  return false;
}

int load_project_only(std::string_view command, const std::string& path, ColorMode color,
                      std::optional<project::Project>& out) {
  std::string file = path;
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) file = (std::filesystem::path(file) / "cascade.yaml").string();
  if (!std::filesystem::exists(file, ec)) {
    write_err(fmt::format("cascade {}: error: cannot read {}: no such file\n", command, file));
    return kExitUsage;
  }
  source::SourceMap map;
  project::LoadResult loaded = project::load(file, map);
  loaded.diagnostics.sort();
  emit(loaded.diagnostics, map, Format::Text, use_color(color, 2));
  if (!loaded.project) return kExitUsage;
  if (loaded.diagnostics.has_errors()) return kExitFailure;
  out = std::move(loaded.project);
  return kExitOk;
}

}  // namespace cascade::cli
