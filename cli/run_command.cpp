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
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>

#include "command.hpp"
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
  session::TraceWriter writer(out, programs.project.currency);
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
  std::string_view line;
  std::string id;
  bool stopped = false;
  while (!stopped && profiles.next(line)) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    ++profile_lines;
    vm::Record record;
    std::optional<session::LineError> e = decoder.profile(line, id, record);
    if (!e && live->has_recipient(id)) e = session::LineError{0, fmt::format("duplicate profile id `{}`", id)};
    if (e) {
      stopped = !rejected.add(session::located(options.profiles, profiles.line_number(), *e));
      continue;
    }
    live->upsert_profile(id, std::move(record), start);
  }
  if (!profiles.error().empty()) {
    write_err(fmt::format("cascade run: error: cannot read {}: {}\n", options.profiles, profiles.error()));
    return kExitUsage;
  }

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
  session::Input input;
  while (!stopped && have_events && events.next(line)) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    std::optional<session::LineError> e = decoder.input(line, input);
    if (!e && last && input.at < *last) {
      e = session::LineError{0, fmt::format("time goes backwards: {} is before the previous line's {}",
                                            show_time(input.at), show_time(*last))};
    }
    if (e) {
      ++input_lines;
      stopped = !rejected.add(session::located(options.events, events.line_number(), *e));
      continue;
    }
    if (until && input.at > *until) {
      past_until = true;  // the rest is after --until: not read
      break;
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
      stopped = !rejected.add(session::located(options.events, events.line_number(), session::LineError{0, fail->message}));
      continue;
    }
    last = input.at;
    if (options.restart_every && input_lines % options.restart_every == 0 && !restart()) return kExitFailure;
  }
  if (!events.error().empty()) {
    write_err(fmt::format("cascade run: error: cannot read {}: {}\n", options.events, events.error()));
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
