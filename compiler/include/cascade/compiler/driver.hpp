// The driver: from command-line paths to checked files and their diagnostics.
//
// It finds the project file (in the first path's folder or its parents, unless one is
// given), expands folders into their *.cascade files recursively (sorted, so output order
// is stable), reads and parses every file, follows imports, and runs the checker and the
// lints. It owns no policy about output: the CLI renders what comes back.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cascade/compiler/check.hpp"
#include "cascade/compiler/diagnostics.hpp"
#include "cascade/compiler/project.hpp"
#include "cascade/grammar/source.hpp"

namespace cascade::driver {

// Files larger than this are rejected with E0901 before parsing.
inline constexpr std::size_t kMaxSourceBytes = 64u << 20;

struct CheckRequest {
  std::vector<std::string> paths;            // files or folders; empty means "."
  std::optional<std::string> project_file;   // --project
};

struct CheckOutcome {
  source::SourceMap sources;
  std::optional<project::Project> project;
  check::Result checked;                   // the parsed files and the checker's facts
  diag::Diagnostics diagnostics;           // everything, project + syntax + checker + lints
  std::size_t files_checked = 0;
  bool io_error = false;                   // a path could not be read at all (exit 2)
};

CheckOutcome check(const CheckRequest& request);

// The *.cascade files below the given paths (files are kept as given), sorted.
std::vector<std::string> expand_paths(const std::vector<std::string>& paths, std::vector<std::string>& unreadable);

}  // namespace cascade::driver
