// `cascade fmt [--check] [--project FILE] [paths…]` and `cascade fmt -`
//
// Files with syntax errors are never rewritten: their errors are reported like `check`
// reports them (text on stderr) and the command fails. Rewrites go through a temporary
// file in the same folder and a rename, so an interrupted run never leaves half a file.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <system_error>

#include "cascade/compiler/driver.hpp"
#include "cascade/compiler/format.hpp"
#include "cascade/compiler/syntax_errors.hpp"
#include "cascade/grammar/parser.hpp"
#include "command.hpp"

namespace cascade::cli {
namespace {

namespace fs = std::filesystem;

struct FmtOptions {
  std::vector<std::string> paths;
  std::string project;
  bool check = false;
  ColorMode color = ColorMode::Auto;
};

constexpr std::string_view kStdinName = "<stdin>";

// Parses and formats one file already in `sources`. nullopt when it has syntax errors
// (they are added to `diags`).
std::optional<std::string> format_one(source::SourceMap& sources, source::FileId id,
                                      diag::Diagnostics& diags) {
  const source::SourceFile& file = sources.file(id);
  if (file.text().size() > driver::kMaxSourceBytes) {
    diags.add(diag::make_unplaced(diag::Code::FileTooLarge, file.path(), file.text().size(),
                                  driver::kMaxSourceBytes));
    return std::nullopt;
  }
  grammar::ParseResult parsed = grammar::parse(sources, id);
  if (!parsed.errors.empty()) {
    diag::add_syntax_errors(parsed.errors, sources, diags);
    return std::nullopt;
  }
  return format::format_file(parsed.file, file);
}

bool write_atomically(const std::string& path, const std::string& text, std::string& error) {
  const fs::path target(path);
  fs::path temp = target;
  temp += ".cascade-fmt.tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) {
      error = fmt::format("cannot create {}", temp.string());
      return false;
    }
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) {
      error = fmt::format("cannot write {}", temp.string());
      std::error_code ignored;
      fs::remove(temp, ignored);
      return false;
    }
  }
  std::error_code ec;
  fs::permissions(temp, fs::status(target, ec).permissions(), fs::perm_options::replace, ec);
  fs::rename(temp, target, ec);
  if (ec) {
    error = ec.message();
    std::error_code ignored;
    fs::remove(temp, ignored);
    return false;
  }
  return true;
}

int run_stdin(const FmtOptions& options) {
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  source::SourceMap sources;
  const source::FileId id = sources.add(std::string(kStdinName), text);
  diag::Diagnostics diags;
  const std::optional<std::string> formatted = format_one(sources, id, diags);
  if (!formatted) {
    emit(diags, sources, Format::Text, use_color(options.color, 2));
    return kExitFailure;
  }
  if (options.check) {
    if (*formatted == text) return kExitOk;
    write_out(fmt::format("{}\n", kStdinName));
    return kExitFailure;
  }
  write_out(*formatted);
  return kExitOk;
}

int run_fmt(const FmtOptions& options) {
  const bool has_stdin = std::find(options.paths.begin(), options.paths.end(), "-") != options.paths.end();
  if (has_stdin && options.paths.size() > 1)
    return usage_error("fmt", "`-` (standard input) cannot be mixed with paths");

  source::SourceMap sources;
  diag::Diagnostics diags;
  bool io_error = false;
  if (!options.project.empty()) {
    // Formatting does not need the project; the option is accepted so the same flags work
    // for check and fmt, and a wrong one is still reported.
    std::string text, error;
    if (!source::read_file(options.project, text, error)) {
      diags.add(diag::make_unplaced(diag::Code::FileUnreadable, options.project, error));
      io_error = true;
    }
  }
  if (has_stdin && !io_error) return run_stdin(options);

  std::vector<std::string> unreadable;
  const std::vector<std::string> files =
      driver::expand_paths(options.paths.empty() ? std::vector<std::string>{"."} : options.paths, unreadable);
  for (const std::string& path : unreadable) {
    std::error_code ec;
    (void)fs::status(path, ec);
    diags.add(diag::make_unplaced(diag::Code::FileUnreadable, path,
                                  ec ? ec.message() : std::string("not a file or folder")));
    io_error = true;
  }

  bool failed = false;
  std::string unformatted;
  for (const std::string& path : files) {
    std::string text, error;
    if (!source::read_file(path, text, error)) {
      diags.add(diag::make_unplaced(diag::Code::FileUnreadable, path, error));
      io_error = true;
      continue;
    }
    const source::FileId id = sources.add(path, text);
    const std::optional<std::string> formatted = format_one(sources, id, diags);
    if (!formatted) {
      failed = true;
      continue;
    }
    if (*formatted == sources.file(id).text()) continue;
    if (options.check) {
      unformatted += path + "\n";
      failed = true;
    } else if (!write_atomically(path, *formatted, error)) {
      write_err(fmt::format("cascade fmt: cannot write {}: {}\n", path, error));
      io_error = true;
    }
  }
  write_out(unformatted);
  diags.sort();
  if (!diags.items().empty()) emit(diags, sources, Format::Text, use_color(options.color, 2));
  if (io_error) return kExitUsage;
  return failed ? kExitFailure : kExitOk;
}

}  // namespace

void add_fmt(CLI::App& app, Run& selected) {
  auto options = std::make_shared<FmtOptions>();
  CLI::App* cmd = app.add_subcommand("fmt", "Format scenarios in the one canonical layout");
  cmd->footer(
      "PATHS are .cascade files or folders (searched recursively); none means the current folder.\n"
      "Files are rewritten in place; `cascade fmt -` formats standard input to standard output.\n"
      "Files with syntax errors are left alone and their errors reported on stderr.\n"
      "Exit status: 0 done (or, with --check, all formatted), 1 syntax errors or (with --check)\n"
      "unformatted files, 2 usage or I/O problem.");
  cmd->add_flag(
      "--check", options->check,
      "Change nothing; list the files that are not formatted on stdout and exit 1 if there are any");
  cmd->add_option("--project", options->project,
                  "Project file (not needed for formatting; accepted like check's)")
      ->type_name("FILE");
  add_color_option(*cmd, options->color);
  cmd->add_option("paths", options->paths, "Files or folders to format, or - for standard input")
      ->type_name("PATHS");
  cmd->callback([options, &selected] { selected = [options] { return run_fmt(*options); }; });
}

}  // namespace cascade::cli
