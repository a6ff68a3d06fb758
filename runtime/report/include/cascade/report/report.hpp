// cascade_report: the figures of a campaign, computed from its trace records.
//
// A `Builder` is fed trace records one at a time (the JSON-lines objects `cascade run` writes,
// docs/runtime.md "The trace") and keeps only running counts: a few bytes per instance and one
// byte per message, never the records themselves, so a trace of millions of lines is read in a
// stream. `finish()` turns the counts into a `Report`: per scenario the funnel per step and per
// split branch, failures, deferrals and refused starts by reason, cost per channel, the money
// saved against sending everyone an SMS, treated vs. control conversion with a 95 % confidence
// interval, the split branches compared by a significance test, and ends by outcome. The
// renderers turn a `Report` into text (a terminal table), JSON (`{"version":1,…}`, stable) and
// one self-contained HTML page with inline SVG charts. docs/report.md defines every figure.
//
// The module knows nothing of files, the command line or the project file: `cascade report`
// reads trace files and the daemon (later) reads its store, and both pass what they know of the
// project (SMS channels, the SMS price, the currency sign) in `Options`. It depends on Boost.JSON
// and fmt only. A bad record is an error value naming the JSON pointer; it leaves no trace in
// the figures.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cascade::report {

// The version of the JSON form; bumped when a key changes meaning or goes away.
inline constexpr int kJsonVersion = 1;

struct Options {
  // Channel names that are SMS (billed per segment). Empty: a channel is SMS when its name is
  // `sms` or one of its sends carries `segments`.
  std::vector<std::string> sms_channels;
  // The SMS price of one segment in millionths, used for the savings baseline when the trace
  // has no SMS send to read it from (the project's sms channel cost).
  std::optional<std::int64_t> sms_price_micros;
  // The sign or code the text and HTML forms print after amounts ("₽"); empty: none.
  std::string currency;
};

// A problem with one record. `column` is 1-based for JSON syntax errors, else 0; `message`
// starts with the JSON pointer when the problem is in one member ("/step: expected …").
struct RecordError {
  std::size_t column = 0;
  std::string message;
};

// ---- statistics (public so tests can check them against hand computations) ---------------

struct Interval {
  double low = 0, high = 0;
};

// The Wilson score interval of k successes in n trials (n > 0) at the normal quantile z.
Interval wilson(std::uint64_t k, std::uint64_t n, double z);

// Newcombe's hybrid score interval (his method 10) for p1 − p2, from the Wilson intervals of
// each proportion; both n > 0.
Interval newcombe(std::uint64_t k1, std::uint64_t n1, std::uint64_t k2, std::uint64_t n2, double z);

struct TestResult {
  std::string test;     // "two-proportion z" or "chi-square"
  double statistic = 0;  // z (signed, first minus second) or χ²
  int dof = 0;           // chi-square only
  double p_value = 1;
  bool small_counts = false;  // an expected cell below 5: the approximation is rough
};

// Two-proportion z-test with the pooled variance; p-value two-sided. When every trial
// succeeded or none did, there is no difference to test: z = 0, p = 1.
TestResult two_proportion_z(std::uint64_t k1, std::uint64_t n1, std::uint64_t k2, std::uint64_t n2);

// Pearson's chi-square test of independence on a k × 2 table (successes, failures) of
// (successes, trials) pairs; dof = groups − 1. Groups with no trials are left out.
TestResult chi_square(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& groups);

// ---- the figures ---------------------------------------------------------------------------

// Status levels of the funnel, lowest first. A message counts once per level it reached, and
// reaching a level implies the ones below it (clicked ⇒ opened ⇒ delivered).
struct StepFigures {
  std::uint32_t step = 0;
  std::string channel;  // of the step's first send or failed send
  std::string branch;   // the split branch the step is in, or empty
  std::uint64_t sent = 0, failed = 0, delivered = 0, opened = 0, clicked = 0;
  std::uint64_t bounced = 0;  // reported `failed` and never delivered afterwards
  std::uint64_t goal = 0;     // instances that converted with this as their last step sent
  std::int64_t cost_micros = 0;
};

// Instances, not messages: an instance counts at a level when any of its messages reached it.
struct InstanceFunnel {
  std::uint64_t entered = 0, sent = 0, delivered = 0, opened = 0, clicked = 0, converted = 0;
};

struct BranchFigures {
  std::string name;
  InstanceFunnel funnel;
  double conversion = 0;  // converted / entered
};

struct ChannelFigures {
  std::string channel;
  bool sms = false;
  std::uint64_t sends = 0;
  std::uint64_t segments = 0;  // SMS: sum of segments (a send without `segments` counts 1)
  std::int64_t cost_micros = 0;
};

struct Savings {
  bool known = false;               // false: no SMS price in the trace nor in the options
  std::string price_source;         // "trace" or "project" (empty when unknown)
  double price_micros = 0;          // per segment
  double mean_segments = 1;         // of the scenario's SMS sends; 1 when it sent none
  std::uint64_t treated = 0;        // treated instances started
  std::int64_t baseline_micros = 0;  // treated × price × mean segments, rounded to a micro
  std::int64_t actual_micros = 0;   // what every channel cost
  std::int64_t saved_micros = 0;    // baseline − actual
  std::optional<double> percent;    // saved / baseline × 100; none when the baseline is 0
};

struct Conversion {
  std::uint64_t treated = 0, treated_converted = 0;
  std::uint64_t control = 0, control_converted = 0;
  double treated_rate = 0, control_rate = 0;
  double difference = 0;  // treated_rate − control_rate
  Interval ci;            // 95 %, Newcombe's hybrid score
  TestResult test;        // two-proportion z
  bool significant = false;
};

struct BranchComparison {
  TestResult test;
  bool significant = false;
};

struct Count {
  std::string name;
  std::uint64_t count = 0;
};

struct ScenarioReport {
  std::string name;
  std::uint64_t started_treated = 0, started_control = 0;
  std::uint64_t open = 0;  // started here and not ended in the trace
  InstanceFunnel funnel;   // treated instances
  std::vector<StepFigures> steps;
  std::vector<BranchFigures> branches;            // in order of first appearance
  std::optional<BranchComparison> branch_test;    // when ≥ 2 branches have instances
  std::vector<Count> failures;                    // failed sends by reason
  std::vector<Count> deferrals;                   // deferred sends by reason
  std::vector<Count> refused;                     // refused starts by reason
  std::vector<Count> ends;                        // by outcome, fixed order, zeros included
  std::vector<ChannelFigures> channels;           // in order of first send
  std::int64_t cost_micros = 0;
  Savings savings;
  std::optional<Conversion> conversion;  // when both groups have instances
};

struct Report {
  std::uint64_t traces = 0;
  std::uint64_t records = 0;
  std::string currency;
  std::vector<ScenarioReport> scenarios;  // by name
  std::vector<ChannelFigures> channels;   // all scenarios, by name
  std::int64_t cost_micros = 0;
  // All scenarios: the sum of the known baselines and savings; `known` only when every
  // scenario's savings are.
  Savings savings;
  // Records that could not be placed: statuses of messages whose send is not in the trace,
  // records of instances whose start is not (a trace cut at the front).
  std::uint64_t orphan_statuses = 0;
  std::uint64_t unstarted_instances = 0;
};

// ---- building -------------------------------------------------------------------------------

class Builder {
 public:
  explicit Builder(Options options = {});
  ~Builder();
  Builder(const Builder&) = delete;
  Builder& operator=(const Builder&) = delete;

  // Starts the next trace. Instance numbers and message ids are those of one `cascade run`,
  // so each trace has its own: instance 5 of one trace is not instance 5 of the next.
  // Scenarios, steps, branches and channels are merged by name.
  void begin_trace();

  // One trace record as JSON text (one line, without the newline). On error nothing of the
  // record is counted.
  std::optional<RecordError> add_line(std::string_view line);
  // The same for a record already parsed.
  std::optional<RecordError> add(const boost::json::value& record);

  // The figures so far (the builder can go on receiving records afterwards).
  Report finish() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---- rendering ------------------------------------------------------------------------------

std::string render_text(const Report& report);
// {"version":1,…} and a newline; docs/report.md lists the keys. Money is in millionths of the
// currency unit (integers, exact), rates and p-values are numbers.
std::string render_json(const Report& report);
boost::json::value to_json(const Report& report);
// One self-contained page: inline CSS and SVG, no script, nothing fetched.
std::string render_html(const Report& report);

}  // namespace cascade::report
