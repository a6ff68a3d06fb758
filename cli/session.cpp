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

// ---- InputDecoder -------------------------------------------------------------------------

namespace {


// A required string member; nullptr with `error` set when it is missing or not a string.
const json::string* string_member(const json::object& o, std::string_view key, std::optional<LineError>& error) {
  const json::value* v = o.if_contains(key);
  if (!v) {
    error = LineError{0, fmt::format("missing key `{}`", key)};
    return nullptr;
  }
  if (!v->is_string()) {
    error = LineError{0, fmt::format("/{}: expected a string, got {}", key, vm::json_kind(*v))};
    return nullptr;
  }
  return &v->get_string();
}

// Keeps long values short in messages.
std::string shown(std::string_view s) {
  if (s.size() <= 60) return std::string(s);
  std::size_t cut = 57;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 characters
  return std::string(s.substr(0, cut)) + "…";
}

}  // namespace

namespace {
constexpr std::size_t kBlock = 64 * 1024;
}

InputDecoder::InputDecoder(const vm::Engine& engine)
    : engine_(engine),
      block_(new unsigned char[kBlock]),
      resource_(block_.get(), kBlock),
      scratch_(json::storage_ptr(&resource_)) {}

const json::value* InputDecoder::parse(std::string_view line, LineError& error) {
  scratch_ = nullptr;  // keeps its storage (resource_), so release() below frees nothing in use
  resource_.release();
  parser_.reset(json::storage_ptr(&resource_));
  boost::system::error_code ec;
  const std::size_t n = parser_.write_some(line.data(), line.size(), ec);
  if (!ec) {
    // Anything after the value other than blanks is an error (a second object on the line).
    std::size_t rest = n;
    while (rest < line.size() && (line[rest] == ' ' || line[rest] == '\t' || line[rest] == '\r')) ++rest;
    if (rest < line.size()) {
      error = LineError{rest + 1, "invalid JSON: extra text after the value"};
      parser_.reset();
      return nullptr;
    }
  }
  if (ec) {
    error = LineError{std::min(n, line.size()) + 1, "invalid JSON: " + ec.message()};
    parser_.reset();
    return nullptr;
  }
  scratch_ = parser_.release();  // same storage: a move, not a copy
  return &scratch_;
}

std::optional<LineError> InputDecoder::profile(std::string_view line, std::string& id, vm::Record& record) {
  LineError error;
  if (!parse(line, error)) return error;
  if (!scratch_.is_object()) return LineError{0, fmt::format("expected a JSON object, got {}", vm::json_kind(scratch_))};
  std::optional<LineError> problem;
  const json::string* s = string_member(scratch_.get_object(), "id", problem);
  if (!s) return problem;
  if (s->empty()) return LineError{0, "/id: empty recipient id"};
  id.assign(s->data(), s->size());
  if (auto e = vm::decode(engine_.profile_shape(), scratch_, record)) {
    return LineError{0, e->pointer.empty() ? e->message : e->pointer + ": " + e->message};
  }
  return std::nullopt;
}

std::optional<LineError> InputDecoder::input(std::string_view line, Input& out) {
  LineError error;
  if (!parse(line, error)) return error;
  return input(scratch_, out);
}

std::optional<LineError> InputDecoder::input(const json::value& json, Input& out) {
  if (!json.is_object()) return LineError{0, fmt::format("expected a JSON object, got {}", vm::json_kind(json))};
  const json::object& o = json.get_object();
  std::optional<LineError> problem;
  const json::string* at = string_member(o, "at", problem);
  if (!at) return problem;
  const std::optional<vm::Time> t = vm::parse_time(std::string_view(at->data(), at->size()));
  if (!t) {
    return LineError{0, fmt::format("/at: `{}` is not a time (write it like 2026-03-02T10:00:00Z)",
                                    shown(std::string_view(at->data(), at->size())))};
  }
  out.at = *t;
  const json::string* recipient = string_member(o, "recipient", problem);
  if (!recipient) return problem;
  const std::string_view rid(recipient->data(), recipient->size());

  const json::value* event = o.if_contains("event");
  const json::value* status = o.if_contains("status");
  if (event && status) return LineError{0, "a line is either an event (`event`) or a status (`status`), not both"};
  if (!event && !status) return LineError{0, "missing key `event` or `status`"};

  if (event) {
    if (!event->is_string()) return LineError{0, fmt::format("/event: expected a string, got {}", vm::json_kind(*event))};
    const std::string_view name(event->get_string().data(), event->get_string().size());
    int index = -1;
    const vm::Shape* shape = engine_.event_shape(name, &index);
    if (!shape) return LineError{0, fmt::format("unknown event `{}`", shown(name))};
    if (!engine_.has_recipient(rid)) return LineError{0, fmt::format("unknown recipient `{}`", shown(rid))};
    static const json::value kEmpty = json::object();
    const json::value* data = o.if_contains("data");
    if (!data || data->is_null()) data = &kEmpty;
    if (!data->is_object()) return LineError{0, fmt::format("/data: expected an object, got {}", vm::json_kind(*data))};
    if (auto e = vm::decode(*shape, *data, out.payload)) {
      return LineError{0, "/data" + e->pointer + ": " + e->message};
    }
    out.kind = Input::Kind::Event;
    out.event_index = index;
    out.recipient.assign(rid);
    return std::nullopt;
  }

  if (!status->is_string()) return LineError{0, fmt::format("/status: expected a string, got {}", vm::json_kind(*status))};
  const std::string_view word(status->get_string().data(), status->get_string().size());
  const std::optional<vm::MsgStatus> s = vm::parse_status(word);
  if (!s || *s == vm::MsgStatus::Sent || *s == vm::MsgStatus::None) {
    return LineError{0, fmt::format("/status: unknown status `{}` (expected delivered, opened, clicked or failed)",
                                    shown(word))};
  }
  const json::value* channel = o.if_contains("channel");
  const json::value* message = o.if_contains("message");
  if (!channel && !message) return LineError{0, "missing key `channel` or `message` (which message the status is for)"};
  if (channel && !channel->is_string())
    return LineError{0, fmt::format("/channel: expected a string, got {}", vm::json_kind(*channel))};
  if (message && !message->is_string())
    return LineError{0, fmt::format("/message: expected a string, got {}", vm::json_kind(*message))};
  if (!engine_.has_recipient(rid)) return LineError{0, fmt::format("unknown recipient `{}`", shown(rid))};
  out.kind = Input::Kind::Status;
  out.status = *s;
  out.recipient.assign(rid);
  if (channel)
    out.channel.assign(channel->get_string().data(), channel->get_string().size());
  else
    out.channel.clear();
  if (message)
    out.message.assign(message->get_string().data(), message->get_string().size());
  else
    out.message.clear();
  return std::nullopt;
}

std::string located(std::string_view file, std::size_t line, const LineError& error) {
  if (error.column > 0) return fmt::format("{}:{}:{}: error: {}", file, line, error.column, error.message);
  return fmt::format("{}:{}: error: {}", file, line, error.message);
}

// ---- TraceWriter --------------------------------------------------------------------------

void TraceWriter::add(const vm::TraceRecord& r) {
  if (r.action == vm::Action::Start) ++starts_;
  if (r.action == vm::Action::End) ++ends_;
  vm::append_json(r, currency_, buffer_);
  if (buffer_.size() >= (1u << 20)) flush();
}

bool TraceWriter::flush() {
  if (!buffer_.empty() && !failed_) {
    if (std::fwrite(buffer_.data(), 1, buffer_.size(), out_) != buffer_.size()) failed_ = true;
  }
  buffer_.clear();
  if (!failed_ && std::fflush(out_) != 0) failed_ = true;
  return !failed_;
}

}  // namespace cascade::cli::session
