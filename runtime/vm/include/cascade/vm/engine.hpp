// The engine: the host of every instance of every loaded program, for one process.
//
// It owns what the step function (machine.hpp) must not: the recipients and their profiles,
// the instance store, the one timer wheel, the indexes recipient → instances and message id →
// (instance, slot), send history for caps and limits, and the trace. Inputs — profiles,
// events, status reports, the clock, broadcasts — go in through its methods; every action
// comes out as a TraceRecord, in time order, through the sink the host installs.
//
// The engine knows nothing of files, JSON lines or HTTP: `cascade run`, `cascade test`,
// `cascade simulate` and `cascade serve` are hosts that feed it. It never links the compiler:
// a Config is plain data (the CLI builds it from cascade.yaml).
//
// Time: every input carries its instant and instants must not go backwards (the engine
// refuses such input with an error value). Timers due at or before an input's instant fire
// before the input is applied, so equal instants order as "clock first, then input".
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cascade/bytecode/module.hpp"
#include "cascade/vm/record.hpp"
#include "cascade/vm/value.hpp"

namespace cascade::vm {

struct Program;   // machine.hpp
struct Instance;  // machine.hpp
struct Env;       // machine.hpp

// ---- configuration (from cascade.yaml) --------------------------------------------------

struct ChannelConfig {
  std::string name;           // "email"
  std::string kind;           // stdlib kind: "email", "sms", …
  std::string address_field;  // profile path; empty: the channel needs no address
  std::string consent_field;  // profile path; empty: no consent needed
  bool has_provider = true;
  std::int64_t cost_micros = 0;  // per message (per segment for SMS)
};

struct CapConfig {
  std::string channel;  // empty: across all channels
  std::uint32_t count = 0;
  std::int64_t per_seconds = 0;
};

struct EventConfig {
  std::string name;
  types::Type fields;  // a Record type
};

struct Config {
  types::Type profile;  // a Record type
  std::vector<EventConfig> events;
  std::vector<ChannelConfig> channels;
  std::vector<CapConfig> caps;
  std::string timezone = "UTC";  // for recipients whose profile names none (or an unknown one)
  std::string currency = "₽";
};

// ---- the trace ---------------------------------------------------------------------------

enum class Action : std::uint8_t { Start, Skip, Send, Defer, Wait, Status, Event, End };
std::string_view action_name(Action a);

enum class Outcome : std::uint8_t { Completed, Stopped, Converted, Exited, Expired, Open };
std::string_view outcome_name(Outcome o);

enum class MsgStatus : std::uint8_t { None, Sent, Delivered, Opened, Clicked, Failed };
std::string_view status_name(MsgStatus s);
std::optional<MsgStatus> parse_status(std::string_view s);  // delivered|opened|clicked|failed|sent

// One action. Which fields are set depends on the action (docs/runtime.md lists them); the
// string views point into engine-owned storage valid until the sink returns.
struct TraceRecord {
  Time at = 0;
  Action action = Action::Start;
  std::string_view recipient;
  std::string_view scenario;
  std::uint32_t instance = 0;  // the instance's number (0: none, e.g. a refused start)
  std::string_view channel;
  std::string_view message;    // "m17"
  std::uint16_t step = 0;      // 1-based send step in the scenario (0: none)
  std::string_view branch;     // split branch of the step, if any
  std::string_view template_name;
  bool has_text = false;
  std::string_view text;
  std::string_view vars_json;  // template arguments as a JSON object, or empty
  std::int64_t cost_micros = -1;
  int segments = 0;            // SMS only
  std::string_view address;    // send: the recipient's address on the channel (never in the JSON)
  std::string_view reason;     // skip / defer: "no_address", "quiet_hours", "audience", …
  Time until = 0;              // defer, wait
  std::string_view wait_for;   // wait: "time", "opened", an event name, "goal"
  std::string_view status;     // status: as reported
  std::string_view event;      // event: its name
  std::string_view group;      // start: "treated" / "control"
  std::string_view trigger_name;  // start: the trigger event, "tick" or "broadcast"
  Outcome outcome = Outcome::Open;  // end
};

// Appends `s` as a JSON string literal (quotes included, RFC 8259 escapes).
void append_json_string(std::string& out, std::string_view s);

// Appends the record as one JSON object and a newline (keys in a fixed order).
void append_json(const TraceRecord& r, std::string_view currency, std::string& out);

// ---- the engine --------------------------------------------------------------------------

// The snapshot format this build writes (Engine::save), and the format of a snapshot's bytes
// (nothing when they are not an engine snapshot). A host that finds another format cannot
// restore it, but can start without it and replay its whole log (the daemon does, after an
// upgrade).
std::uint32_t snapshot_format();
std::optional<std::uint32_t> snapshot_format_of(std::string_view bytes);
// The checksum a snapshot's last 8 bytes hold (little-endian) for the bytes before them.
std::uint64_t snapshot_checksum(std::span<const std::uint8_t> body);

struct EngineError {
  std::string message;  // "unknown recipient `u9`", "time goes backwards (… < …)", …
};

class Engine {
 public:
  using Sink = std::function<void(const TraceRecord&)>;

  explicit Engine(Config config);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  void set_sink(Sink sink);

  // Verifies and loads a module. Fails when the verifier rejects it, or it names an event,
  // channel or field this Config does not have. A second module with the same scenario name
  // is a new version: new instances start on it, running ones finish on theirs.
  std::optional<EngineError> load(bytecode::Module module);

  // Schema access for hosts that decode JSON.
  const Shape& profile_shape() const;
  // The event's index and payload shape, or nullptr when the Config has no such event.
  const Shape* event_shape(std::string_view name, int* index = nullptr) const;

  // Adds or replaces a recipient's profile (scheduling their ticks of `trigger every`).
  void upsert_profile(std::string_view id, Record profile, Time at);
  bool has_recipient(std::string_view id) const;
  // Hints for hosts that know their next inputs (`cascade run` decodes ahead): they start
  // loading what an input for this recipient will look up, so that applying it later waits
  // less on memory. Call prefetch_index() some inputs ahead and prefetch_recipient() a few
  // inputs ahead. Neither changes anything; both are cheap when the id is unknown.
  void prefetch_index(std::string_view id) const;
  void prefetch_recipient(std::string_view id) const;
  // The recipient's profile, or nullptr; valid until the next input.
  const Record* profile_of(std::string_view id) const;

  // Fires every timer due at or before `now` and moves the clock there.
  std::optional<EngineError> advance(Time now);
  // An event for a recipient: resumes the instances waiting for it (goal, stop on, event
  // waits), then starts the programs it triggers.
  std::optional<EngineError> event(Time at, std::string_view recipient, int event_index, Record payload);
  // A status report for a message, by id ("m17") or by the recipient's latest on a channel.
  // With a message id the recipient may be empty: the message's owner is used (the daemon's
  // pixel, redirect and provider reports know only the message).
  // `reason` (optional) says why a `failed` came ("provider_error", "undelivered"); it goes into
  // the status record of the trace.
  std::optional<EngineError> status(Time at, std::string_view recipient, std::string_view message,
                                    std::string_view channel, MsgStatus status, std::string_view reason = {});
  // Starts a `trigger manual` scenario for every recipient (in profile order) at `at`.
  std::optional<EngineError> broadcast(std::string_view scenario, Time at);

  // Runs the clock on after the last input: until every instance has ended (ticks of
  // `trigger every` stop at the last input's instant), or up to `until` when given (ticks
  // included). Returns the instances still waiting.
  std::size_t finish(std::optional<Time> until);

  // Snapshots, for the daemon's restarts: the whole state — recipients and their profiles,
  // instances, messages, trigger payloads, timers, send and reentry history, the clock — as
  // bytes (little-endian, versioned; docs/runtime.md). restore() takes an engine made with the
  // same Config and the same modules loaded in the same order, before any other input, and
  // leaves it as the saved one was: the same inputs then give the same trace. Bytes that are
  // not such a snapshot (truncated, corrupted, from other programs) are an error naming the
  // byte offset, and leave the engine unusable only in the sense that it must be discarded.
  std::string save() const;
  // The same bytes into `out` (replacing what it held), sized once up front: at 10 M recipients
  // the snapshot is gigabytes, and a copy or a doubling buffer is gigabytes more.
  void save_into(std::vector<std::uint8_t>& out) const;
  std::optional<EngineError> restore(std::string_view bytes);
  // The same, for bytes that `keep` keeps alive (the daemon's mapped snapshot file): the engine
  // holds `keep` as long as it lives and leaves profiles in `bytes` — each checked now, copied
  // out only when first read — so a restart does not copy gigabytes of profiles up front.
  std::optional<EngineError> restore(std::string_view bytes, std::shared_ptr<const void> keep);
  // Where the last restore() spent its time, for the daemon's `restored` log line: the
  // checksum, the sections' decode (two threads; time zones included), then, at the same time,
  // the id table and cross-checks on one thread and the timer wheel on another.
  struct RestoreTimings {
    double checksum_seconds = 0, decode_seconds = 0, index_seconds = 0, timers_seconds = 0;
  };
  RestoreTimings restore_timings() const;

  Time now() const;
  std::size_t live_instances() const;
  std::size_t recipient_count() const;
  // The earliest pending wake-up (a timer or a tick of `trigger every`), or nothing. A host on
  // the real clock sleeps until then.
  std::optional<Time> next_wakeup() const;

  // Inspection, for the daemon's API. Views are valid until the next input.
  struct InstanceView {
    std::string_view scenario;
    std::uint32_t version = 0;  // 1-based: the order of the scenario's loaded modules
    std::uint32_t number = 0;   // the instance's number, as in the trace
    std::string_view state;     // "waiting", "deferred"…: see docs/runtime.md
    std::string_view waiting_for;  // "time", "delivered", "opened", "clicked", an event name, "goal"
    std::optional<Time> until;  // when the current wait times out
    std::uint16_t last_step = 0;
    bool control = false;
  };
  std::vector<InstanceView> instances_of(std::string_view recipient) const;
  // Live instances per scenario version and the step they last sent (0: none yet).
  struct LiveCount {
    std::string_view scenario;
    std::uint32_t version = 0;
    std::uint16_t step = 0;
    std::size_t count = 0;
  };
  std::vector<LiveCount> live_counts() const;
  // Memory held by instances and their indexes (not profiles and payloads), for benchmarks.
  struct Memory {
    std::size_t instances = 0, timers = 0, messages = 0, recipients_index = 0, payloads = 0;
  };
  Memory memory() const;

  // For benchmarks and tests of the step function alone (bench_engine's vm-step phase), not for
  // hosts: what Machine::step needs to run the instance at `index` of the instance table (in
  // start order while none has ended) — its program, header, locals and slot block — and the
  // Env the engine would pass it now. Nothing when no live instance is there. Pointers are
  // valid until the next input. A step run through them bypasses the engine's messages,
  // timers and trace: use an engine made for the purpose.
  struct StepParts {
    const Program* program = nullptr;
    Instance* instance = nullptr;
    Value* locals = nullptr;  // null when the program has no locals
    std::uint32_t* slots = nullptr;
  };
  std::optional<StepParts> step_parts(std::uint32_t index);
  void step_env(const StepParts& parts, Env& out) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cascade::vm
