// The trace sink of `cascade run`: the engine's thread only copies each record into a compact
// binary form (its fixed fields and the bytes of its strings) in a block; full blocks go to a
// writer thread, which formats them as JSON lines (vm::append_json) and writes them, in order.
//
// Formatting a record is pure — its bytes depend on the record alone, and on the last instants
// formatted by the same thread, which only saves work — so it can move to another thread as
// long as the blocks are formatted in the order they were filled. A copy of a record's
// strings costs a fraction of formatting them (no escaping, no number or time printing), and
// the engine's thread is the run's bottleneck. The output is byte for byte that of
// session::TraceWriter.
#pragma once

#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cascade/vm/engine.hpp"

namespace cascade::cli {

class RunTraceWriter {
 public:
  RunTraceWriter(std::FILE* out, std::string currency) : out_(out), currency_(std::move(currency)) {}
  ~RunTraceWriter();  // writes the blocks already handed over, then stops the thread
  RunTraceWriter(const RunTraceWriter&) = delete;
  RunTraceWriter& operator=(const RunTraceWriter&) = delete;

  void add(const vm::TraceRecord& r);
  // Formats and writes everything added so far and waits for it; false when the stream failed.
  bool flush();
  std::size_t starts() const { return starts_; }
  std::size_t ends() const { return ends_; }

  // The binary form, exposed for the round-trip test: appends r to `block`, and reads the
  // record at `block[pos]` back into `r` (its views point into `block`), returning the position
  // after it.
  static void encode(const vm::TraceRecord& r, std::string& block);
  static std::size_t decode(const std::string& block, std::size_t pos, vm::TraceRecord& r);
  // Formats a whole block of encoded records as JSON lines, appended to `out`.
  static void format(const std::string& block, std::string_view currency, std::string& out);

 private:
  void hand_over();  // block_ → the writer thread's queue
  void write_loop();

  std::FILE* out_;
  std::string currency_;
  std::string block_;  // encoded records not handed over yet
  std::size_t starts_ = 0, ends_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> queue_;   // blocks to format and write, oldest first
  std::vector<std::string> spares_;  // written blocks, for reuse
  bool writing_ = false, stop_ = false;
  bool failed_ = false;  // under mutex_ while the thread runs
};

}  // namespace cascade::cli
