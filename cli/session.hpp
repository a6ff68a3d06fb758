// What `cascade run`, `cascade test` (and later `cascade simulate`) share: from paths to a
// loaded engine, and from JSON lines to engine inputs.
//
// - load_programs(): finds and loads the project, compiles .cascade files and folders into
//   verified modules (printing check diagnostics exactly like `cascade compile`), and also
//   accepts already compiled .cbc modules and bundles.
// - LineReader: reads a file (or stdin) in large chunks and hands out lines as views into its
//   buffer, with their numbers — no per-line allocation, no getline.
// - InputDecoder (cascade/vm/input_json.hpp, shared with the daemon): one JSON line → a
//   profile, an event or a status, checked against the engine's schemas, or a located error.
//
// The engine itself knows nothing of files or JSON (runtime/vm/include/cascade/vm/engine.hpp).
#pragma once

#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "cascade/bytecode/module.hpp"
#include "cascade/compiler/project.hpp"
#include "cascade/vm/engine.hpp"
#include "cascade/vm/input_json.hpp"
#include "cascade/vm/record.hpp"
#include "command.hpp"

namespace cascade::cli::session {

struct Programs {
  project::Project project;
  std::vector<bytecode::Module> modules;  // verified, one per scenario, in file order
};

// Lowers every scenario of a checked outcome (which must have a project and no errors), in file
// order, the first of each name. Prints lowering errors to stderr; false when there was one.
bool lower_all(const driver::CheckOutcome& outcome, std::vector<bytecode::Module>& modules);

// Loads the project and compiles or reads every program under `paths` (empty: "."). Prints
// diagnostics and errors to stderr prefixed with `cascade <command>:` where they are not
// compiler diagnostics. Returns kExitOk and fills `out`, or the exit code to stop with
// (1: the sources or a .cbc file have errors; 2: usage or I/O, e.g. no project file).
int load_programs(std::string_view command, const std::vector<std::string>& paths, const std::string& project_file,
                  ColorMode color, Programs& out);

// Makes an engine from the config and loads every module into it; prints the first load
// error and returns nullptr on failure.
std::unique_ptr<vm::Engine> make_engine(std::string_view command, const Programs& programs);

// ---- JSON lines -----------------------------------------------------------------------

class LineReader {
 public:
  LineReader() = default;
  ~LineReader();
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // Opens `path` ("-" is standard input). On failure returns false and sets `error`.
  bool open(const std::string& path, std::string& error);
  // The next line (without its "\n" or "\r\n"), or false at the end of the input. The view is
  // valid until the next call. Blank lines are returned too (callers skip them).
  bool next(std::string_view& line);
  // The number of the line last returned (1-based).
  std::size_t line_number() const { return line_no_; }
  // A read error (not the end of the file), if any happened.
  const std::string& error() const { return error_; }
  // Looks ahead at the first non-blank line without consuming it (for the run's start time).
  std::optional<std::string_view> peek_first();

 private:
  bool fill();

  std::FILE* file_ = nullptr;
  bool owns_ = false;
  std::vector<char> buffer_;
  std::size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  std::size_t line_no_ = 0;
  std::string error_;
};

// The decoder of input lines lives in the runtime (the daemon decodes the same shapes).
using vm::Input;
using vm::InputDecoder;
using vm::LineError;

// "FILE:LINE: error: MESSAGE" or "FILE:LINE:COL: error: MESSAGE".
std::string located(std::string_view file, std::size_t line, const LineError& error);

// The trace sink of a command-line host: appends each record as JSON to a buffer; every full
// MiB is handed to a writer thread (started on the first one), which writes the blocks in
// order, so the host's thread does not wait on the file system. flush() writes the rest and
// waits for it all.
class TraceWriter {
 public:
  TraceWriter(std::FILE* out, std::string currency) : out_(out), currency_(std::move(currency)) {}
  ~TraceWriter();  // writes the blocks already handed over, then stops the thread
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;
  void add(const vm::TraceRecord& r);
  // Writes what is buffered; false when the stream failed.
  bool flush();
  std::size_t starts() const { return starts_; }
  std::size_t ends() const { return ends_; }

 private:
  void hand_over();  // buffer_ → the writer thread's queue
  void write_loop();

  std::FILE* out_;
  std::string currency_;
  std::string buffer_;
  std::size_t starts_ = 0, ends_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> queue_;   // blocks to write, oldest first
  std::vector<std::string> spares_;  // written blocks, for reuse
  bool writing_ = false, stop_ = false;
  bool failed_ = false;  // under mutex_ while the thread runs
};

}  // namespace cascade::cli::session
