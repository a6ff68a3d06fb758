// The Monte-Carlo forecast behind `cascade simulate`: one scenario, run by the real engine
// (cascade::vm::Engine) on synthetic recipients whose providers and people answer at random.
//
// This module owns three things:
//   * the inputs — an audience (a JSON-lines profile sample, or a YAML/JSON file of shares and
//     field values) and the rates (per channel: delivery, opening, clicking, the goal, and the
//     delays), read and checked against the project's schema, with errors located at
//     file:line:col;
//   * the loop — a priority queue of future inputs (trigger events, status reports, goal
//     events and the engine's own wake-ups, ordered by (time, sequence)) interleaved with the
//     engine in time order. A sink on the engine turns each `send` into sampled status reports
//     and goal events; so every decision (audience, quiet hours, caps, waits, the goal) is the
//     engine's, exactly as under `cascade run`;
//   * the report — counts taken from the engine's trace records, rendered as text or as
//     versioned JSON (docs/simulate.md).
//
// Determinism: each recipient has its own splitmix64 stream seeded from (seed, recipient
// number), and every distribution is computed here (no std:: distributions, whose algorithms
// differ between standard libraries), so the same seed and inputs give the same bytes of
// output. Recipients never interact in the engine (caps and reentry are per person), so the
// simulation runs them in batches, each on a fresh engine: memory stays flat in N.
//
// It links the runtime only; the CLI compiles the scenario and builds the vm::Config.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cascade/bytecode/module.hpp"
#include "cascade/vm/engine.hpp"

namespace cascade::simulate {

// A problem with an input file: "FILE:LINE:COL: error: MESSAGE" (line/column 0 when unknown).
struct Error {
  std::string file;
  std::size_t line = 0, column = 0;
  std::string message;
  bool io = false;  // the file could not be read at all (exit 2, not 1)
  std::string text() const;
};

// A delay in seconds, drawn per event.
struct Delay {
  enum class Kind : std::uint8_t { Fixed, LogNormal, Exponential } kind = Kind::Fixed;
  double a = 0;  // Fixed: seconds; LogNormal: mu of ln(seconds); Exponential: mean seconds
  double b = 0;  // LogNormal: sigma
};

// How one profile or payload field is filled.
struct FieldSpec {
  std::string path;  // dotted leaf path ("consent.email", "total")
  enum class Kind : std::uint8_t { Fixed, Range, OneOf, Share } kind = Kind::Fixed;
  boost::json::value fixed;                // Fixed: the JSON value decode() accepts
  double min = 0, max = 0;                 // Range: numbers, seconds or Unix seconds
  std::vector<boost::json::value> values;  // OneOf
  std::vector<double> cumulative;          // OneOf: cumulative weights, last = 1
  double share = 0;                        // Share (bool): chance of true
  types::Kind type = types::Kind::String;  // the leaf's type
};

struct ChannelRates {
  bool given = false;  // the rates file has an entry for this channel
  double delivered = 1, opened = 0, clicked = 0;
  double goal_opened = 0, goal_clicked = 0;  // the goal, given opened (not clicked) / clicked
  Delay delivery, open, click, goal;         // after the send / delivery / opening / the open or click
};

struct Rates {
  std::string file;
  std::vector<ChannelRates> channels;  // indexed like vm::Config::channels
  double goal_base = 0;                // the goal without any message (what the control sees)
  Delay goal_base_delay;               // from the start
  std::optional<vm::Time> start;
  std::optional<std::int64_t> window;  // seconds
  std::vector<FieldSpec> trigger, goal_event;
};

struct Audience {
  std::string file;
  bool is_sample = false;
  std::vector<boost::json::value> sample;  // profile sample: one object per line
  // Shares: one draw per address field and per consent field.
  struct Share {
    std::string field;
    double share = 0;
  };
  std::vector<Share> addresses, consents;
  std::vector<FieldSpec> fields;
  std::vector<FieldSpec> trigger;  // the audience file may also give trigger values
};

// The scenario's trigger event and goal event, or "" (not event-triggered / no goal).
std::string_view trigger_event_name(const bytecode::Module& module);
std::string_view goal_event_name(const bytecode::Module& module);

// Reads and checks an audience file: `.jsonl` (or `.ndjson`) is a profile sample, anything
// else a YAML (or JSON) shares file. `module` is the scenario (its trigger event's payload is
// what a `trigger:` section fills). nullopt on success.
std::optional<Error> load_audience(const std::string& path, const vm::Config& config,
                                   const bytecode::Module& module, Audience& out);
// Reads and checks a rates file (YAML or JSON) against the config's channels and schemas and
// the scenario (every channel it sends on needs rates).
std::optional<Error> load_rates(const std::string& path, const vm::Config& config,
                                const bytecode::Module& module, Rates& out);

struct Options {
  std::uint64_t recipients = 10000;
  std::uint64_t seed = 1;
  std::optional<vm::Time> start;       // overrides the rates file
  std::optional<std::int64_t> window;  // overrides the rates file
  std::uint32_t batch = 8192;          // recipients per engine (small: the queue stays in cache)
  vm::Engine::Sink trace;              // when set, also receives every trace record
};

inline constexpr vm::Time kDefaultStart = 1772409600;  // 2026-03-02T00:00:00Z, a Monday
inline constexpr std::int64_t kDefaultWindow = 86400;  // one day
inline constexpr int kReportVersion = 1;

struct ChannelReport {
  std::string name, kind;
  std::uint64_t sends = 0, delivered = 0, opened = 0, clicked = 0, failed = 0;
  std::int64_t cost_micros = 0;
  std::uint64_t segments = 0;  // SMS
};

struct Report {
  std::string scenario, currency;
  std::uint64_t seed = 0;
  vm::Time start = 0;
  std::int64_t window = 0;
  std::uint64_t recipients = 0;
  std::uint64_t started = 0, treated = 0, control = 0;
  std::map<std::string, std::uint64_t> not_started;  // refused starts by reason
  std::uint64_t reached_delivered = 0, reached_opened = 0;
  std::vector<ChannelReport> channels;            // the scenario's channels, in project order
  std::map<std::string, std::uint64_t> failures;  // no_address, no_consent, …, failed
  std::int64_t cost_micros = 0;
  bool has_sms_price = false;
  double sms_segments_mean = 1;
  std::int64_t all_sms_micros = 0, all_channels_micros = 0;
  std::optional<std::int64_t> reach_median, reach_p90;  // seconds, start → first delivered
  bool has_goal = false;
  std::string goal;
  std::uint64_t converted_treated = 0, converted_control = 0;
  std::map<std::string, std::uint64_t> outcomes;  // completed, converted, … (treated and control)
  std::uint64_t still_waiting = 0;
};

// Runs the simulation of `module` (a verified module of `config`'s project). Fails when the
// engine refuses the module or the scenario's trigger cannot be simulated.
std::optional<Error> run(const vm::Config& config, const bytecode::Module& module, const Audience& audience,
                         const Rates& rates, const Options& options, Report& out);

std::string render_text(const Report& report);
std::string render_json(const Report& report);

}  // namespace cascade::simulate
