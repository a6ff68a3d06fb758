#include "session.hpp"

#include "runtime_config.hpp"

#include <fmt/format.h>

#include <cstring>
#include <filesystem>
#include <set>

#include "cascade/bytecode/io.hpp"
#include "cascade/compiler/driver.hpp"
#include "cascade/compiler/lower.hpp"
#include "cascade/grammar/source.hpp"

namespace cascade::cli::session {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

bool is_bytecode_path(const std::string& path) {
  const std::string ext = fs::path(path).extension().string();
  return ext == ".cbc" || ext == ".cbb";
}

// Reads a .cbc module or bundle; every module is verified by bytecode::load / verify.
int read_bytecode(std::string_view command, const std::string& path, std::vector<bytecode::Module>& out) {
  std::string text, error;
  if (!source::read_file(path, text, error)) {
    write_err(fmt::format("cascade {}: error: cannot read {}: {}\n", command, path, error));
    return kExitUsage;
  }
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  if (bytecode::is_bundle(bytes)) {
    auto r = bytecode::read_bundle(bytes);
    if (!r) {
      write_err(fmt::format("cascade {}: error: {}: at byte {}: {}\n", command, path, r.error().offset,
                            r.error().message));
      return kExitFailure;
    }
    // The bundle reader checks structure only; the engine verifies each module on load.
    for (auto& m : r.value()) out.push_back(std::move(m));
    return kExitOk;
  }
  auto r = bytecode::load(bytes);
  if (!r) {
    write_err(fmt::format("cascade {}: error: {}: at byte {}: {}\n", command, path, r.error().offset,
                          r.error().message));
    return kExitFailure;
  }
  out.push_back(std::move(r.value()));
  return kExitOk;
}

}  // namespace

bool lower_all(const driver::CheckOutcome& outcome, std::vector<bytecode::Module>& modules) {
  std::set<std::string> seen;
  bool failed = false;
  for (const ast::File& file : outcome.checked.files) {
    for (const ast::Decl& decl : file.decls) {
      const auto* sc = std::get_if<ast::Scenario>(&decl.node);
      if (!sc || !seen.insert(sc->name.name).second) continue;
      lower::LowerResult r = lower::lower_scenario(outcome.checked, *outcome.project, outcome.sources, *sc, file.file);
      if (!r.module) {
        write_err(r.error + "\n");
        failed = true;
        continue;
      }
      modules.push_back(std::move(*r.module));
    }
  }
  return !failed;
}

int load_programs(std::string_view command, const std::vector<std::string>& paths, const std::string& project_file,
                  ColorMode color, Programs& out) {
  std::vector<std::string> sources, compiled;
  for (const std::string& p : paths) (is_bytecode_path(p) ? compiled : sources).push_back(p);
  if (sources.empty() && compiled.empty()) sources.push_back(".");

  if (!sources.empty()) {
    driver::CheckRequest request;
    request.paths = sources;
    if (!project_file.empty()) request.project_file = project_file;
    driver::CheckOutcome outcome = driver::check(request);
    outcome.diagnostics.sort();
    emit(outcome.diagnostics, outcome.sources, Format::Text, use_color(color, 2));
    if (is_io_problem(outcome)) return kExitUsage;
    if (outcome.diagnostics.has_errors()) return kExitFailure;
    if (!outcome.project) return kExitUsage;
    if (!lower_all(outcome, out.modules)) return kExitFailure;
    out.project = std::move(*outcome.project);
  } else {
    // Only compiled programs: the project still gives the schemas and channels.
    std::optional<std::string> file;
    if (!project_file.empty()) {
      file = project_file;
    } else {
      const fs::path first = fs::path(compiled.front()).parent_path();
      file = project::find_project_file(first.empty() ? std::string(".") : first.string());
    }
    if (!file) {
      write_err(fmt::format("cascade {}: error: no cascade.yaml found for {} (give one with --project)\n", command,
                            compiled.front()));
      return kExitUsage;
    }
    source::SourceMap map;
    project::LoadResult loaded = project::load(*file, map);
    loaded.diagnostics.sort();
    emit(loaded.diagnostics, map, Format::Text, use_color(color, 2));
    if (!loaded.project) return kExitUsage;
    if (loaded.diagnostics.has_errors()) return kExitFailure;
    out.project = std::move(*loaded.project);
  }
  for (const std::string& p : compiled) {
    if (const int rc = read_bytecode(command, p, out.modules); rc != kExitOk) return rc;
  }
  return kExitOk;
}


std::unique_ptr<vm::Engine> make_engine(std::string_view command, const Programs& programs) {
  auto engine = std::make_unique<vm::Engine>(host::runtime_config(programs.project));
  for (const bytecode::Module& m : programs.modules) {
    if (auto error = engine->load(m)) {
      write_err(fmt::format("cascade {}: error: cannot load a program: {}\n", command, error->message));
      return nullptr;
    }
  }
  return engine;
}

// ---- LineReader ---------------------------------------------------------------------------

namespace {
constexpr std::size_t kChunk = 4u << 20;     // read 4 MiB at a time
constexpr std::size_t kMaxLine = 64u << 20;  // a longer "line" is cut (and fails to parse)
}  // namespace

LineReader::~LineReader() {
  if (file_ && owns_) std::fclose(file_);
}

bool LineReader::open(const std::string& path, std::string& error) {
  if (path == "-") {
    file_ = stdin;
    owns_ = false;
  } else {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      error = "is a folder";
      return false;
    }
    file_ = std::fopen(path.c_str(), "rb");
    if (!file_) {
      error = std::strerror(errno);
      return false;
    }
    owns_ = true;
  }
  buffer_.resize(kChunk);
  return true;
}

bool LineReader::fill() {
  if (eof_ || !file_) return false;
  if (begin_ > 0) {  // keep the partial line, at the front
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buffer_.size()) {
    if (buffer_.size() >= kMaxLine) return false;
    buffer_.resize(buffer_.size() * 2);
  }
  const std::size_t n = std::fread(buffer_.data() + end_, 1, buffer_.size() - end_, file_);
  if (n == 0) {
    eof_ = true;
    if (std::ferror(file_)) error_ = std::strerror(errno);
    return false;
  }
  end_ += n;
  return true;
}

bool LineReader::next(std::string_view& line) {
  if (!file_) return false;
  std::size_t scanned = begin_;
  for (;;) {
    const char* start = buffer_.data() + scanned;
    const void* nl = std::memchr(start, '\n', end_ - scanned);
    if (nl) {
      const std::size_t at = static_cast<std::size_t>(static_cast<const char*>(nl) - buffer_.data());
      std::size_t stop = at;
      if (stop > begin_ && buffer_[stop - 1] == '\r') --stop;
      line = std::string_view(buffer_.data() + begin_, stop - begin_);
      begin_ = at + 1;
      ++line_no_;
      return true;
    }
    const std::size_t pending = end_ - begin_;
    if (!fill()) {
      // The end of the input (or a line longer than kMaxLine): hand out what is left.
      if (end_ == begin_) return false;
      std::size_t stop = end_;
      if (stop > begin_ && buffer_[stop - 1] == '\r') --stop;
      line = std::string_view(buffer_.data() + begin_, stop - begin_);
      begin_ = end_;
      ++line_no_;
      return true;
    }
    scanned = begin_ + pending;  // fill() moved the pending bytes to the front
  }
}

std::optional<std::string_view> LineReader::peek_first() {
  if (!file_) return std::nullopt;
  for (;;) {
    std::size_t pos = begin_;
    while (pos < end_) {
      const char* start = buffer_.data() + pos;
      const void* nl = std::memchr(start, '\n', end_ - pos);
      const std::size_t stop = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - buffer_.data()) : end_;
      if (!nl && !eof_) break;  // an incomplete line: read more first
      std::string_view line(buffer_.data() + pos, stop - pos);
      if (line.find_first_not_of(" \t\r") != std::string_view::npos) return line;
      pos = stop + 1;
    }
    if (!fill()) {
      if (eof_ && end_ > begin_) {
        std::string_view rest(buffer_.data() + begin_, end_ - begin_);
        // The last line without a newline; earlier blank lines were skipped above.
        const std::size_t nl = rest.rfind('\n');
        if (nl != std::string_view::npos) rest.remove_prefix(nl + 1);
        if (rest.find_first_not_of(" \t\r") != std::string_view::npos) return rest;
      }
      return std::nullopt;
    }
  }
}

std::string located(std::string_view file, std::size_t line, const LineError& error) {
  if (error.column > 0) return fmt::format("{}:{}:{}: error: {}", file, line, error.column, error.message);
  return fmt::format("{}:{}: error: {}", file, line, error.message);
}

// ---- TraceWriter --------------------------------------------------------------------------

namespace {
constexpr std::size_t kBlock = 1u << 20;  // a full block is handed to the writer thread
}

TraceWriter::~TraceWriter() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void TraceWriter::add(const vm::TraceRecord& r) {
  if (r.action == vm::Action::Start) ++starts_;
  if (r.action == vm::Action::End) ++ends_;
  vm::append_json(r, currency_, buffer_);
  if (buffer_.size() >= kBlock) hand_over();
}

void TraceWriter::hand_over() {
  if (!thread_.joinable()) thread_ = std::thread([this] { write_loop(); });
  std::string next;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(buffer_));
    if (!spares_.empty()) {
      next = std::move(spares_.back());
      spares_.pop_back();
    }
  }
  changed_.notify_all();
  next.clear();
  buffer_ = std::move(next);
  if (buffer_.capacity() < kBlock + (kBlock >> 2)) buffer_.reserve(kBlock + (kBlock >> 2));
}

void TraceWriter::write_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return !queue_.empty() || stop_; });
    if (queue_.empty()) return;  // stopped, and everything handed over is written
    std::string block = std::move(queue_.front());
    queue_.erase(queue_.begin());
    writing_ = true;
    const bool skip = failed_;
    lock.unlock();
    const bool ok = skip || std::fwrite(block.data(), 1, block.size(), out_) == block.size();
    lock.lock();
    if (!ok) failed_ = true;
    writing_ = false;
    if (spares_.size() < 2) spares_.push_back(std::move(block));
    changed_.notify_all();
  }
}

bool TraceWriter::flush() {
  bool failed = false;
  {
    // Everything handed over is written first, in order; then the rest from here.
    std::unique_lock<std::mutex> lock(mutex_);
    if (thread_.joinable()) changed_.wait(lock, [&] { return queue_.empty() && !writing_; });
    failed = failed_;
  }
  if (!buffer_.empty() && !failed) {
    if (std::fwrite(buffer_.data(), 1, buffer_.size(), out_) != buffer_.size()) failed = true;
  }
  buffer_.clear();
  if (!failed && std::fflush(out_) != 0) failed = true;
  if (failed) {
    std::lock_guard<std::mutex> lock(mutex_);
    failed_ = true;
  }
  return !failed;
}

}  // namespace cascade::cli::session
