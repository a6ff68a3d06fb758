// `cascade run FILE|DIR --profiles P.jsonl [--events E.jsonl] [--until T] [--broadcast S[@T]]…
//  [--strict] [--project F] [-o TRACE]`
//
// Compiles (or reads .cbc) programs, loads the profiles, then feeds the events and status
// lines to the engine in file order on a virtual clock, and writes the engine's JSON-lines
// trace. Nothing in the output depends on the wall clock or on memory addresses, so the same
// inputs give the same bytes.
//
// A bad input line (invalid JSON, unknown event or recipient, a field of the wrong type, time
// going backwards) is rejected: it is counted, reported as FILE:LINE at the end, and the run
// exits 1; the other lines still run. --strict stops at the first bad line instead.
//
// Profiles are loaded at the run's first instant: the first input line's time, or the first
// broadcast's if that is earlier. A broadcast without @TIME happens at that first instant.
//
// Two threads: a reader thread reads the files and parses and decodes their lines (JSON, the
// schemas: work that needs no engine state) in batches, ahead of the main thread, which applies
// them to the engine in file order and writes the trace. The trace, the rejections and their
// order are exactly those of reading and applying one line at a time: the reader decodes
// without the recipient check (that reads the engine's recipient table, which the main thread
// is still filling while the reader may already be decoding events), and a line it refused or
// whose recipient the main thread does not know is decoded again on the main thread with every
// check, which gives the one-line-at-a-time message.
#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include "command.hpp"
#include "run_trace.hpp"
#include "session.hpp"

namespace cascade::cli {
namespace {

struct RunOptions {
  std::vector<std::string> paths;
  std::string project;
  std::string profiles;
  std::string events;
  std::string until;
  std::vector<std::string> broadcasts;
  std::string out;
  bool strict = false;
  std::size_t restart_every = 0;  // hidden: snapshot and restore the engine every N input lines
  ColorMode color = ColorMode::Auto;
};

struct Broadcast {
  std::string scenario;
  std::optional<vm::Time> at;  // none: the run's first instant
  std::string spec;            // as given, for messages
};

// Rejected lines are reported at the end; past this many only the count grows.
constexpr std::size_t kMaxReported = 1000;

class Rejections {
 public:
  explicit Rejections(bool strict) : strict_(strict) {}
  // Returns false when the run must stop (--strict).
  bool add(std::string message) {
    ++count_;
    if (strict_) {
      write_err(message + "\n");
      return false;
    }
    if (messages_.size() < kMaxReported) messages_.push_back(std::move(message));
    return true;
  }
  std::size_t count() const { return count_; }
  void report() const {
    std::string text;
    for (const std::string& m : messages_) {
      text += m;
      text += '\n';
    }
    if (count_ > messages_.size()) text += fmt::format("… and {} more rejected lines\n", count_ - messages_.size());
    write_err(text);
  }

 private:
  bool strict_;
  std::size_t count_ = 0;
  std::vector<std::string> messages_;
};

std::string show_time(vm::Time t) {
  return vm::format_time_utc(t);
}

// The reader thread and the batches it hands to the main thread (see the top of the file).
class Prefetch {
 public:
  enum class File : std::uint8_t { Profiles, Events };
  struct Item {
    std::size_t line = 0;   // the line's number in its file
    std::size_t begin = 0;  // the line's text: Batch::text[begin, begin + size)
    std::size_t size = 0;
    bool bad = false;       // the reader's decoder refused it (`error` says why, for profiles)
    session::LineError error;
    std::string id;         // profiles
    vm::Record record;      // profiles
    session::Input input;   // events
  };
  struct Batch {
    File file = File::Profiles;
    std::vector<Item> items;
    std::size_t count = 0;
    std::string text;
    bool last = false;       // the file's last batch (possibly with no items)
    std::string read_error;  // with `last`: the file's read error, if any
    std::string_view line(const Item& it) const { return std::string_view(text).substr(it.begin, it.size); }
  };

  // `events` may be null. The engine is read only for its schemas (never changed after load).
  Prefetch(session::LineReader& profiles, session::LineReader* events, const vm::Engine& engine)
      : profiles_(profiles), events_(events), engine_(engine) {
    for (auto& b : pool_) free_.push_back(&b);
    thread_ = std::thread([this] { read_all(); });
  }
  ~Prefetch() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  Prefetch(const Prefetch&) = delete;
  Prefetch& operator=(const Prefetch&) = delete;

  // The next batch in file order (blocks); null once both files are done.
  Batch* next() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return !ready_.empty() || finished_; });
    if (ready_.empty()) return nullptr;
    Batch* b = ready_.front();
    ready_.erase(ready_.begin());
    return b;
  }
  // Gives a batch from next() back for reuse.
  void recycle(Batch* b) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      free_.push_back(b);
    }
    changed_.notify_all();
  }

 private:
  static constexpr std::size_t kLines = 1024;  // lines per batch
  static constexpr std::size_t kBatches = 8;   // batches in flight

  Batch* take_free() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return !free_.empty() || stop_; });
    if (stop_) return nullptr;
    Batch* b = free_.back();
    free_.pop_back();
    return b;
  }
  void hand_over(Batch* b) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ready_.push_back(b);
    }
    changed_.notify_all();
  }

  // Reads one file into batches; false when the main thread stopped the reader.
  bool read_file(File file, session::LineReader& reader, vm::InputDecoder& decoder) {
    Batch* b = nullptr;
    std::string_view line;
    for (;;) {
      if (!b) {
        if (!(b = take_free())) return false;
        b->file = file;
        b->count = 0;
        b->text.clear();
        b->last = false;
        b->read_error.clear();
        if (b->items.size() < kLines) b->items.resize(kLines);
      }
      if (!reader.next(line)) break;
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      Item& it = b->items[b->count++];
      it.line = reader.line_number();
      it.begin = b->text.size();
      it.size = line.size();
      b->text += line;
      it.bad = false;
      if (file == File::Profiles) {
        if (auto e = decoder.profile(line, it.id, it.record)) {
          it.bad = true;
          it.error = std::move(*e);
        }
      } else {
        it.bad = decoder.input(line, it.input).has_value();
      }
      if (b->count == kLines) {
        hand_over(b);
        b = nullptr;
      }
    }
    b->last = true;
    b->read_error = reader.error();
    hand_over(b);
    return true;
  }

  void read_all() {
    vm::InputDecoder::Options options;
    options.check_recipients = false;  // the main thread's (see the top of the file)
    vm::InputDecoder decoder(engine_, options);
    if (read_file(File::Profiles, profiles_, decoder) && events_) read_file(File::Events, *events_, decoder);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      finished_ = true;
    }
    changed_.notify_all();
  }

  session::LineReader& profiles_;
  session::LineReader* events_;
  const vm::Engine& engine_;
  Batch pool_[kBatches];
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Batch*> free_, ready_;
  bool stop_ = false, finished_ = false;
  std::thread thread_;
};

int run_run(const RunOptions& options) {
  // Options first, so a typo costs no compile.
  std::optional<vm::Time> until;
  if (!options.until.empty()) {
    until = vm::parse_time(options.until);
    if (!until) return usage_error("run", "--until: `" + options.until + "` is not a time (e.g. 2026-03-09T00:00:00Z)");
  }
  std::vector<Broadcast> broadcasts;
  for (const std::string& spec : options.broadcasts) {
    Broadcast b;
    b.spec = spec;
    const auto at = spec.find('@');
    b.scenario = spec.substr(0, at);
    if (b.scenario.empty()) return usage_error("run", "--broadcast: missing the scenario name in `" + spec + "`");
    if (at != std::string::npos) {
      b.at = vm::parse_time(std::string_view(spec).substr(at + 1));
      if (!b.at) return usage_error("run", "--broadcast: `" + spec.substr(at + 1) + "` is not a time");
    }
    broadcasts.push_back(std::move(b));
  }

  session::Programs programs;
  if (const int rc = session::load_programs("run", options.paths, options.project, options.color, programs);
      rc != kExitOk)
    return rc;
  std::unique_ptr<vm::Engine> engine = session::make_engine("run", programs);
  if (!engine) return kExitFailure;
  // The process ends right after the run: freeing a million recipients' profiles one block at
  // a time took 0.3 s of the 1M-recipient run, for nothing. The engine is left to the exit; a
  // static pointer keeps it reachable, so leak checkers (ASan's) do not report it.
  struct LeaveToExit {
    std::unique_ptr<vm::Engine>& engine;
    ~LeaveToExit() {
      static vm::Engine* kept = nullptr;
      delete kept;  // only if run_run ran twice in one process
      kept = engine.release();
    }
  } leave_to_exit{engine};

  session::LineReader profiles, events;
  std::string error;
  if (!profiles.open(options.profiles, error)) {
    write_err(fmt::format("cascade run: error: cannot read {}: {}\n", options.profiles, error));
    return kExitUsage;
  }
  const bool have_events = !options.events.empty();
  if (have_events && !events.open(options.events, error)) {
    write_err(fmt::format("cascade run: error: cannot read {}: {}\n", options.events, error));
    return kExitUsage;
  }

  std::FILE* out = stdout;
  if (!options.out.empty() && options.out != "-") {
    out = std::fopen(options.out.c_str(), "wb");
    if (!out) {
      write_err(fmt::format("cascade run: error: cannot write {}: {}\n", options.out, std::strerror(errno)));
      return kExitUsage;
    }
  }
  struct Closer {
    std::FILE* f;
    ~Closer() {
      if (f != stdout) std::fclose(f);
    }
  } closer{out};
  RunTraceWriter writer(out, programs.project.currency);
  engine->set_sink([&writer](const vm::TraceRecord& r) { writer.add(r); });
  // Inputs go to `live`. With --restart-every it is replaced by a fresh engine restored from the
  // old one's snapshot, as the daemon does on a restart: the trace must not change. The first
  // engine stays, for its schemas.
  vm::Engine* live = engine.get();
  std::unique_ptr<vm::Engine> restarted;
  auto restart = [&]() -> bool {
    const std::string snapshot = live->save();
    std::unique_ptr<vm::Engine> fresh = session::make_engine("run", programs);
    if (!fresh) return false;
    fresh->set_sink([&writer](const vm::TraceRecord& r) { writer.add(r); });
    if (auto e = fresh->restore(snapshot)) {
      write_err(fmt::format("cascade run: error: restoring the engine's snapshot: {}\n", e->message));
      return false;
    }
    restarted = std::move(fresh);
    live = restarted.get();
    return true;
  };

  session::InputDecoder decoder(*engine);
  Rejections rejected(options.strict);

  // The run's first instant: when the profiles become known (ticks of `trigger every` are
  // scheduled from there) and when a broadcast without @TIME happens.
  std::optional<vm::Time> first;
  if (have_events) {
    if (auto line = events.peek_first()) {
      session::LineError ignored;
      if (const boost::json::value* v = decoder.parse(*line, ignored); v && v->is_object()) {
        if (const auto* at = v->get_object().if_contains("at"); at && at->is_string())
          first = vm::parse_time(std::string_view(at->get_string().data(), at->get_string().size()));
      }
    }
  }
  for (const Broadcast& b : broadcasts) {
    if (b.at && (!first || *b.at < *first)) first = b.at;
  }
  if (!first && until) first = until;
  if (!first) {
    for (const Broadcast& b : broadcasts) {
      if (!b.at) return usage_error("run", "--broadcast " + b.spec + ": give a time (SCENARIO@TIME) when there are no input lines");
    }
  }
  const vm::Time start = first.value_or(0);
  for (Broadcast& b : broadcasts) {
    if (!b.at) b.at = start;
  }
  std::stable_sort(broadcasts.begin(), broadcasts.end(),
                   [](const Broadcast& a, const Broadcast& b) { return *a.at < *b.at; });

  std::size_t profile_lines = 0, input_lines = 0;
  bool stopped = false;
  Prefetch prefetch(profiles, have_events ? &events : nullptr, *engine);
  std::string read_error;  // of the file whose last batch came
  // Batches of one file, in order, until its last one (or --strict stops the run).
  auto each_batch = [&](auto&& apply, auto&& ahead) {
    for (;;) {
      Prefetch::Batch* b = prefetch.next();
      if (!b) return;
      for (std::size_t k = 0; k < b->count && !stopped; ++k) {
        ahead(*b, k);
        apply(*b, b->items[k]);
      }
      const bool last = b->last;
      if (last) read_error = b->read_error;
      prefetch.recycle(b);
      if (last || stopped) return;
    }
  };

  each_batch([&](const Prefetch::Batch&, Prefetch::Item& it) {
    ++profile_lines;
    std::optional<session::LineError> e;
    if (it.bad) e = std::move(it.error);
    if (!e && live->has_recipient(it.id)) e = session::LineError{0, fmt::format("duplicate profile id `{}`", it.id)};
    if (e) {
      stopped = !rejected.add(session::located(options.profiles, it.line, *e));
      return;
    }
    live->upsert_profile(it.id, std::move(it.record), start);
  }, [&](const Prefetch::Batch& b, std::size_t k) {
    if (k + 16 < b.count && !b.items[k + 16].bad) live->prefetch_index(b.items[k + 16].id);
  });
  if (!stopped && !read_error.empty()) {
    write_err(fmt::format("cascade run: error: cannot read {}: {}\n", options.profiles, read_error));
    return kExitUsage;
  }
  read_error.clear();

  std::size_t next_broadcast = 0;
  std::size_t broadcast_errors = 0;
  auto run_broadcasts = [&](std::optional<vm::Time> up_to) {
    while (next_broadcast < broadcasts.size() && (!up_to || *broadcasts[next_broadcast].at <= *up_to)) {
      const Broadcast& b = broadcasts[next_broadcast++];
      if (until && *b.at > *until) continue;
      if (auto e = live->broadcast(b.scenario, *b.at)) {
        write_err(fmt::format("cascade run: error: --broadcast {}: {}\n", b.spec, e->message));
        ++broadcast_errors;
      }
    }
  };

  bool past_until = false;
  std::optional<vm::Time> last;
  bool restart_failed = false;
  if (!stopped && have_events) {
    each_batch([&](const Prefetch::Batch& b, Prefetch::Item& it) {
      if (past_until || restart_failed) return;
      session::Input& input = it.input;
      std::optional<session::LineError> e;
      // The reader decoded without the recipient check: a refused line, or one whose recipient
      // is unknown, is decoded again with every check for the one-line-at-a-time message.
      if (it.bad || !engine->has_recipient(input.recipient)) e = decoder.input(b.line(it), input);
      if (!e && last && input.at < *last) {
        e = session::LineError{0, fmt::format("time goes backwards: {} is before the previous line's {}",
                                              show_time(input.at), show_time(*last))};
      }
      if (e) {
        ++input_lines;
        stopped = !rejected.add(session::located(options.events, it.line, *e));
        return;
      }
      if (until && input.at > *until) {
        past_until = true;  // the rest is after --until: not read
        stopped = true;     // (ends the batches; cleared below)
        return;
      }
      ++input_lines;
      run_broadcasts(input.at);
      // Timers due by this instant fire first ("clock first, then input"), so a status can
      // find a message whose send was due just before it.
      std::optional<vm::EngineError> fail = live->advance(input.at);
      if (!fail)
        fail = input.kind == session::Input::Kind::Event
                   ? live->event(input.at, input.recipient, input.event_index, std::move(input.payload))
                   : live->status(input.at, input.recipient, input.message, input.channel, input.status, input.reason);
      if (fail) {
        stopped = !rejected.add(session::located(options.events, it.line, session::LineError{0, fail->message}));
        return;
      }
      last = input.at;
      if (options.restart_every && input_lines % options.restart_every == 0 && !restart()) {
        restart_failed = true;
        stopped = true;
      }
    }, [&](const Prefetch::Batch& b, std::size_t k) {
      // The lines ahead are decoded already: their recipients' entries start loading now (a
      // population of millions misses the cache on nearly every lookup).
      constexpr std::size_t kFar = 16, kNear = 8;
      if (k + kFar < b.count && !b.items[k + kFar].bad) live->prefetch_index(b.items[k + kFar].input.recipient);
      if (k + kNear < b.count && !b.items[k + kNear].bad) live->prefetch_recipient(b.items[k + kNear].input.recipient);
    });
    if (restart_failed) return kExitFailure;
    if (past_until) {
      stopped = false;
      read_error.clear();  // the rest was not read, as far as the run is concerned
    }
  }
  if (!stopped && !read_error.empty()) {
    write_err(fmt::format("cascade run: error: cannot read {}: {}\n", options.events, read_error));
    return kExitUsage;
  }
  if (stopped) {  // --strict: the trace so far is kept, the run is not finished
    writer.flush();
    return kExitFailure;
  }
  run_broadcasts(std::nullopt);
  const std::size_t waiting = live->finish(until);
  if (!writer.flush()) {
    write_err(fmt::format("cascade run: error: cannot write the trace{}\n",
                          options.out.empty() ? std::string() : " to " + options.out));
    return kExitUsage;
  }
  rejected.report();
  std::string summary = fmt::format(
      "cascade run: {} instances started, {} ended, {} waiting; {} profiles, {} input lines read, {} rejected", writer.starts(),
      writer.ends(), waiting, profile_lines, input_lines, rejected.count());
  if (past_until) summary += fmt::format("; stopped at --until {} (later lines not read)", show_time(*until));
  write_err(summary + "\n");
  return rejected.count() > 0 || broadcast_errors > 0 ? kExitFailure : kExitOk;
}

}  // namespace

void add_run(CLI::App& app, Run& selected) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Run scenarios on a virtual clock and print the JSON-lines trace");
  cmd->footer(std::string(
                  "Input lines (--events, in time order):\n"
                  "  {\"at\":\"2026-03-02T10:00:00Z\",\"recipient\":\"u1\",\"event\":\"cart_abandoned\",\"data\":{…}}\n"
                  "  {\"at\":\"2026-03-02T11:00:05Z\",\"recipient\":\"u1\",\"status\":\"opened\",\"channel\":\"email\"}\n"
                  "  (a status names the recipient's latest message on that channel, or \"message\":\"m17\")\n"
                  "Profiles (--profiles): one JSON object per line with an \"id\".\n"
                  "The trace goes to stdout (or -o), one JSON object per action; a summary goes to stderr.\n"
                  "Bad lines (invalid JSON, unknown event or recipient, a field of the wrong type, time\n"
                  "going backwards) are rejected and listed as FILE:LINE at the end, and the exit code is 1;\n"
                  "--strict stops at the first one. Without --until the clock runs on until every instance\n"
                  "has ended; with --until it stops there and counts the instances still waiting.\n") +
              std::string(exit_code_help()));
  cmd->add_option("--profiles", options->profiles, "Profiles, one JSON object per line (- for stdin)")
      ->required()
      ->type_name("P.jsonl");
  cmd->add_option("--events", options->events, "Events and status reports, one JSON object per line (- for stdin)")
      ->type_name("E.jsonl");
  cmd->add_option("--until", options->until, "Stop the clock at this instant (ISO 8601)")->type_name("TIME");
  cmd->add_option("--broadcast", options->broadcasts,
                  "Start a `trigger manual` scenario for everyone, at TIME or at the first input's time")
      ->type_name("SCENARIO[@TIME]");
  cmd->add_flag("--strict", options->strict, "Stop at the first bad input line");
  // Hidden: a check of the daemon's restart path (engine snapshots), used by the tests.
  cmd->add_option("--restart-every", options->restart_every, "Snapshot and restore the engine every N input lines")
      ->group("");
  cmd->add_option("-o,--output", options->out, "Write the trace to this file instead of stdout")->type_name("TRACE");
  cmd->add_option("--project", options->project, "Use this project file instead of searching for cascade.yaml")
      ->type_name("FILE");
  add_color_option(*cmd, options->color);
  cmd->add_option("paths", options->paths, "Scenario files or folders, or compiled .cbc files")->type_name("FILE|DIR");
  cmd->callback([options, &selected] { selected = [options] { return run_run(*options); }; });
}

}  // namespace cascade::cli
