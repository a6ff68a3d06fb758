// The driver: paths → project → files → parse → imports → check → sorted diagnostics.
//
// Files are parsed once each, keyed by their canonical path, whether they were named on
// the command line, found in a folder or imported. Imports are followed with an explicit
// stack (no recursion), so a long import chain cannot exhaust the C++ stack.
#include "cascade/compiler/driver.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <system_error>
#include <unordered_map>
#include <unordered_set>

#include "cascade/compiler/syntax_errors.hpp"
#include "cascade/grammar/parser.hpp"

namespace cascade::driver {
namespace {

namespace fs = std::filesystem;
using diag::Code;

// A stable identity for a path: canonical when it exists, else lexically normal.
std::string identity(const fs::path& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(p, ec);
  if (ec) c = fs::absolute(p, ec).lexically_normal();
  return c.string();
}

class Driver {
 public:
  explicit Driver(CheckOutcome& out) : out_(out) {}

  void run(const CheckRequest& request);

 private:
  // Reads and parses one file; returns its index in parsed_ or -1 (diagnostic reported).
  long load(const std::string& display_path, const std::optional<source::SourceSpan>& import_site,
            std::string_view import_text);
  void follow_imports(std::size_t root);

  CheckOutcome& out_;
  std::vector<ast::File> parsed_;
  std::vector<std::string> parsed_paths_;            // display path of each parsed file
  std::vector<bool> syntax_errors_;                  // per parsed file
  std::unordered_map<std::string, std::size_t> by_identity_;
  std::vector<std::uint8_t> import_state_;           // 0 not visited, 1 on the stack, 2 done
  std::unordered_set<source::FileId> broken_files_;  // files with syntax errors
};

long Driver::load(const std::string& path, const std::optional<source::SourceSpan>& import_site,
                  std::string_view import_text) {
  const std::string id = identity(path);
  if (auto it = by_identity_.find(id); it != by_identity_.end()) return static_cast<long>(it->second);

  auto unreadable = [&](const std::string& why) -> long {
    if (import_site) {
      out_.diagnostics.add(diag::make(Code::ImportNotFound, *import_site, std::string(import_text), why));
    } else {
      out_.diagnostics.add(diag::make_unplaced(Code::FileUnreadable, path, why));
      out_.io_error = true;
    }
    return -1;
  };

  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) return unreadable("no such file");
  if (fs::is_directory(status)) return unreadable("it is a folder");
  const auto size = fs::file_size(path, ec);
  if (!ec && size > kMaxSourceBytes) {
    auto d = import_site ? diag::make(Code::FileTooLarge, *import_site, path, size, kMaxSourceBytes)
                         : diag::make_unplaced(Code::FileTooLarge, path, size, kMaxSourceBytes);
    out_.diagnostics.add(std::move(d));
    return -1;
  }
  std::string text, error;
  if (!source::read_file(path, text, error)) return unreadable(error);
  if (text.size() > kMaxSourceBytes) {  // grew between stat and read, or a special file
    out_.diagnostics.add(diag::make_unplaced(Code::FileTooLarge, path, text.size(), kMaxSourceBytes));
    return -1;
  }

  const source::FileId fid = out_.sources.add(path, std::move(text));
  grammar::ParseResult parsed = grammar::parse(out_.sources, fid);
  diag::add_syntax_errors(parsed.errors, out_.sources, out_.diagnostics);
  if (!parsed.errors.empty()) broken_files_.insert(fid);
  parsed.file.file = fid;

  const std::size_t index = parsed_.size();
  parsed_.push_back(std::move(parsed.file));
  parsed_paths_.push_back(path);
  import_state_.push_back(0);
  by_identity_.emplace(id, index);
  return static_cast<long>(index);
}

void Driver::follow_imports(std::size_t root) {
  if (import_state_[root] != 0) return;
  // Frames: (file index, next decl to look at).
  std::vector<std::pair<std::size_t, std::size_t>> stack{{root, 0}};
  import_state_[root] = 1;
  while (!stack.empty()) {
    const std::size_t file = stack.back().first;
    std::size_t& next = stack.back().second;
    if (next >= parsed_[file].decls.size()) {
      import_state_[file] = 2;
      stack.pop_back();
      continue;
    }
    const ast::Decl& decl = parsed_[file].decls[next++];
    const auto* imp = std::get_if<ast::Import>(&decl.node);
    if (!imp) continue;
    const std::string path = (fs::path(parsed_paths_[file]).parent_path() / imp->path).lexically_normal().string();
    // Copy what we need from imp: load() may grow parsed_ and move the decls.
    const source::SourceSpan site = imp->path_span;
    const std::string written = imp->path;
    const long target = load(path, site, written);
    if (target < 0) continue;
    const auto t = static_cast<std::size_t>(target);
    if (import_state_[t] == 1) {
      std::string cycle;
      bool on = false;
      for (const auto& [f, unused] : stack) {
        if (f == t) on = true;
        if (!on) continue;
        cycle += fs::path(parsed_paths_[f]).filename().string();
        cycle += " → ";
      }
      cycle += fs::path(parsed_paths_[t]).filename().string();
      out_.diagnostics.add(diag::make(Code::ImportCycle, site, cycle));
      continue;
    }
    if (import_state_[t] == 0) {
      import_state_[t] = 1;
      stack.push_back({t, 0});
    }
  }
}

void Driver::run(const CheckRequest& request) {
  std::vector<std::string> paths = request.paths;
  if (paths.empty()) paths.push_back(".");

  // The project file.
  std::optional<std::string> project_path = request.project_file;
  if (!project_path) {
    std::error_code ec;
    fs::path first(paths.front());
    fs::path dir = fs::is_directory(first, ec) ? first : first.parent_path();
    if (dir.empty()) dir = ".";
    project_path = project::find_project_file(dir.string());
    if (!project_path) {
      out_.diagnostics.add(diag::make_unplaced(Code::ProjectNotFound, dir.string()));
    } else if (dir.is_relative()) {
      // Paths in diagnostics read the way the user wrote theirs: relative stays relative.
      const fs::path rel = fs::proximate(*project_path, ec);
      if (!ec && !rel.empty()) project_path = rel.string();
    }
  }
  if (project_path) {
    project::LoadResult loaded = project::load(*project_path, out_.sources);
    // A project file that cannot be read at all is an I/O problem (exit 2), like a
    // missing path; one with mistakes in it is an ordinary error.
    if (!loaded.project)
      for (const auto& d : loaded.diagnostics.items())
        if (d.code == Code::FileUnreadable) out_.io_error = true;
    out_.diagnostics.append(std::move(loaded.diagnostics));
    out_.project = std::move(loaded.project);
  }

  // The files.
  std::vector<std::string> unreadable;
  const std::vector<std::string> files = expand_paths(paths, unreadable);
  for (const auto& u : unreadable) {
    out_.diagnostics.add(diag::make_unplaced(Code::FileUnreadable, u, "no such file or folder"));
    out_.io_error = true;
  }
  std::vector<std::size_t> entries;
  for (const auto& f : files) {
    const long i = load(f, std::nullopt, {});
    if (i >= 0) entries.push_back(static_cast<std::size_t>(i));
  }
  for (std::size_t e : entries) follow_imports(e);
  out_.files_checked = parsed_.size();

  // Entry files first, then imports, in the order they were found; parsed_ is already
  // in that order because entries were loaded before any import was followed.
  out_.checked.files = std::move(parsed_);

  if (out_.project) {
    diag::Diagnostics found;
    check::check(*out_.project, out_.sources, out_.checked, found);
    for (auto& d : found.items()) {
      // A file the parser had to skip parts of would mostly produce follow-on noise.
      if (d.has_span && broken_files_.count(d.span.file)) continue;
      out_.diagnostics.add(std::move(d));
    }
  }
  out_.diagnostics.sort();
}

}  // namespace

std::vector<std::string> expand_paths(const std::vector<std::string>& paths, std::vector<std::string>& unreadable) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  auto add = [&](const fs::path& p) {
    if (seen.insert(identity(p)).second) out.push_back(p.string());
  };
  for (const auto& raw : paths) {
    const fs::path p(raw);
    std::error_code ec;
    const fs::file_status st = fs::status(p, ec);
    if (ec || !fs::exists(st)) {
      unreadable.push_back(raw);
      continue;
    }
    if (!fs::is_directory(st)) {
      add(p);
      continue;
    }
    std::vector<fs::path> found;
    fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      const fs::path& entry = it->path();
      const std::string name = entry.filename().string();
      std::error_code sec;
      if (it->is_directory(sec)) {
        // Hidden folders (.git, .cache) hold no scenarios of the project.
        if (!name.empty() && name.front() == '.') it.disable_recursion_pending();
        continue;
      }
      if (entry.extension() == ".cascade" && it->is_regular_file(sec)) found.push_back(entry);
    }
    if (ec) unreadable.push_back(raw);
    std::sort(found.begin(), found.end());
    for (const auto& f : found) add(f);
  }
  return out;
}

CheckOutcome check(const CheckRequest& request) {
  CheckOutcome out;
  Driver(out).run(request);
  return out;
}

}  // namespace cascade::driver
