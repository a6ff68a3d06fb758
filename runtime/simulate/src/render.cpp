// The forecast as text for a terminal and as JSON (format version kReportVersion, documented
// in docs/simulate.md). Money is kept in micro-units until here.
#include <fmt/format.h>

#include <cmath>
#include <vector>

#include "cascade/simulate/simulate.hpp"
#include "cascade/vm/record.hpp"

namespace cascade::simulate {

namespace {

// 1234567 → "1,234,567".
std::string grouped(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// Micro-units → "1,234.56" (rounded to the cent, half away from zero).
std::string money(std::int64_t micros) {
  const bool negative = micros < 0;
  const std::uint64_t m =
      negative ? 0 - static_cast<std::uint64_t>(micros) : static_cast<std::uint64_t>(micros);
  const std::uint64_t cents = (m + 5000) / 10000;
  return fmt::format("{}{}.{:02}", negative ? "-" : "", grouped(cents / 100), cents % 100);
}

std::string percent(std::uint64_t part, std::uint64_t whole) {
  if (whole == 0) return "–";
  return fmt::format("{:.1f} %", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

// 3725 → "1h 2m 5s"; at most the two largest units.
std::string duration(std::int64_t s) {
  if (s <= 0) return "0s";
  const std::int64_t units[] = {86400, 3600, 60, 1};
  const char* names[] = {"d", "h", "m", "s"};
  std::string out;
  int shown = 0;
  for (int i = 0; i < 4 && shown < 2; ++i) {
    const std::int64_t n = s / units[i];
    s %= units[i];
    if (n == 0 && shown == 0) continue;
    if (n > 0) out += fmt::format("{}{}{}", out.empty() ? "" : " ", n, names[i]);
    ++shown;
  }
  return out;
}

std::string counts(const std::map<std::string, std::uint64_t>& m) {
  std::string out;
  for (const auto& [k, v] : m) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", k, grouped(v));
  return out.empty() ? "none" : out;
}

}  // namespace

std::string render_text(const Report& r) {
  std::string o;
  const std::string& cur = r.currency;
  o += fmt::format("Forecast for `{}`: {} recipients, seed {}\n", r.scenario, grouped(r.recipients), r.seed);
  o += fmt::format("  triggers from {} over {}\n\n", vm::format_time_utc(r.start), duration(r.window));
  o += fmt::format("Started        {} ({}): treated {}, control {}\n", grouped(r.started),
                   percent(r.started, r.recipients), grouped(r.treated), grouped(r.control));
  if (!r.not_started.empty()) o += fmt::format("Not started    {}\n", counts(r.not_started));
  o += fmt::format("Reach          delivered {} ({}), opened {} ({}) of all recipients\n",
                   percent(r.reached_delivered, r.recipients), grouped(r.reached_delivered),
                   percent(r.reached_opened, r.recipients), grouped(r.reached_opened));
  if (r.reach_median)
    o += fmt::format("Time to reach  median {}, p90 {} (start → first delivered message)\n",
                     duration(*r.reach_median), duration(*r.reach_p90));
  o += "\n";
  o += fmt::format("{:<10}{:>12}{:>12}{:>12}{:>12}{:>12}{:>16}\n", "channel", "sends", "delivered", "opened",
                   "clicked", "failed", "cost, " + cur);
  for (const ChannelReport& c : r.channels) {
    o += fmt::format("{:<10}{:>12}{:>12}{:>12}{:>12}{:>12}{:>16}\n", c.name, grouped(c.sends),
                     grouped(c.delivered), grouped(c.opened), grouped(c.clicked), grouped(c.failed),
                     money(c.cost_micros));
  }
  o += fmt::format("{:<10}{:>76}\n\n", "total", money(r.cost_micros));
  o += fmt::format("Failures       {}\n", counts(r.failures));
  if (r.has_sms_price)
    o += fmt::format(
        "Saved          {} {} against SMS to everyone started ({} {}, {:.2f} segments per SMS)\n",
        money(r.all_sms_micros - r.cost_micros), cur, money(r.all_sms_micros), cur, r.sms_segments_mean);
  else
    o += "Saved          – against SMS to everyone (the project has no SMS channel)\n";
  o += fmt::format("               {} {} against every reachable channel at once ({} {})\n",
                   money(r.all_channels_micros - r.cost_micros), cur, money(r.all_channels_micros), cur);
  if (r.has_goal)
    o += fmt::format("Conversions    treated {} of {} ({}), control {} of {} ({}) — goal `{}`\n",
                     grouped(r.converted_treated), grouped(r.treated),
                     percent(r.converted_treated, r.treated), grouped(r.converted_control),
                     grouped(r.control), percent(r.converted_control, r.control), r.goal);
  else
    o += "Conversions    – (the scenario has no goal)\n";
  o += fmt::format("Outcomes       {}\n", counts(r.outcomes));
  if (r.still_waiting > 0) o += fmt::format("Still waiting  {}\n", grouped(r.still_waiting));
  return o;
}

namespace {

// A small JSON writer: the report's keys in a fixed order, strings through the engine's
// escaper, and numbers written exactly — money as the trace writes it (0.2, 1234.5, never
// 1.2345E3) and shares with six decimals — which Boost.JSON's serializer cannot do.
class JsonWriter {
 public:
  JsonWriter& open(std::string_view k = {}) { return raw(k, "{"), push(); }
  JsonWriter& close() {
    out_ += '}';
    first_.pop_back();
    return *this;
  }
  JsonWriter& open_array(std::string_view k) { return raw(k, "["), push(); }
  JsonWriter& close_array() {
    out_ += ']';
    first_.pop_back();
    return *this;
  }
  JsonWriter& str(std::string_view k, std::string_view v) {
    raw(k, "");
    vm::append_json_string(out_, v);
    return *this;
  }
  JsonWriter& num(std::string_view k, std::uint64_t v) { return raw(k, std::to_string(v)); }
  JsonWriter& num(std::string_view k, std::int64_t v) { return raw(k, std::to_string(v)); }
  JsonWriter& num(std::string_view k, int v) { return raw(k, std::to_string(v)); }
  JsonWriter& fraction(std::string_view k, double v) { return raw(k, trimmed(fmt::format("{:.6f}", v))); }
  JsonWriter& money(std::string_view k, std::int64_t micros) {
    const bool negative = micros < 0;
    const std::uint64_t m =
        negative ? 0 - static_cast<std::uint64_t>(micros) : static_cast<std::uint64_t>(micros);
    return raw(k, trimmed(fmt::format("{}{}.{:06}", negative ? "-" : "", m / 1000000, m % 1000000)));
  }
  JsonWriter& null(std::string_view k) { return raw(k, "null"); }
  std::string take() { return std::move(out_); }

 private:
  static std::string trimmed(std::string s) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s == "-0" ? "0" : s;
  }
  JsonWriter& push() {
    first_.push_back(true);
    return *this;
  }
  JsonWriter& raw(std::string_view k, std::string_view v) {
    if (!first_.empty()) {
      if (!first_.back()) out_ += ',';
      first_.back() = false;
    }
    if (!k.empty()) {
      vm::append_json_string(out_, k);
      out_ += ':';
    }
    out_ += v;
    return *this;
  }
  std::string out_;
  std::vector<bool> first_;
};

double ratio(std::uint64_t part, std::uint64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

void counts(JsonWriter& w, std::string_view key, const std::map<std::string, std::uint64_t>& m) {
  w.open(key);
  for (const auto& [k, v] : m) w.num(k, v);
  w.close();
}

}  // namespace

std::string render_json(const Report& r) {
  JsonWriter w;
  w.open();
  w.num("version", kReportVersion)
      .str("scenario", r.scenario)
      .num("seed", r.seed)
      .num("recipients", r.recipients);
  w.str("start", vm::format_time_utc(r.start)).num("window_seconds", r.window).str("currency", r.currency);
  w.open("started").num("total", r.started).num("treated", r.treated).num("control", r.control).close();
  counts(w, "not_started", r.not_started);
  w.open("reach");
  w.open("delivered")
      .num("count", r.reached_delivered)
      .fraction("share", ratio(r.reached_delivered, r.recipients))
      .close();
  w.open("opened")
      .num("count", r.reached_opened)
      .fraction("share", ratio(r.reached_opened, r.recipients))
      .close();
  w.close();
  w.open("time_to_reach");
  if (r.reach_median)
    w.num("median_seconds", *r.reach_median).num("p90_seconds", *r.reach_p90);
  else
    w.null("median_seconds").null("p90_seconds");
  w.close();
  w.open_array("channels");
  for (const ChannelReport& c : r.channels) {
    w.open().str("channel", c.name).str("kind", c.kind).num("sends", c.sends).num("delivered", c.delivered);
    w.num("opened", c.opened).num("clicked", c.clicked).num("failed", c.failed).money("cost", c.cost_micros);
    if (c.kind == "sms") w.num("segments", c.segments);
    w.close();
  }
  w.close_array();
  counts(w, "failures", r.failures);
  w.money("cost", r.cost_micros);
  w.open("savings").fraction("sms_segments_mean", r.sms_segments_mean);
  if (r.has_sms_price)
    w.open("all_sms")
        .money("baseline", r.all_sms_micros)
        .money("saved", r.all_sms_micros - r.cost_micros)
        .close();
  else
    w.null("all_sms");
  w.open("all_channels")
      .money("baseline", r.all_channels_micros)
      .money("saved", r.all_channels_micros - r.cost_micros)
      .close();
  w.close();
  if (r.has_goal) {
    w.open("conversions").str("goal", r.goal);
    w.open("treated")
        .num("converted", r.converted_treated)
        .num("started", r.treated)
        .fraction("rate", ratio(r.converted_treated, r.treated))
        .close();
    w.open("control")
        .num("converted", r.converted_control)
        .num("started", r.control)
        .fraction("rate", ratio(r.converted_control, r.control))
        .close();
    w.close();
  } else {
    w.null("conversions");
  }
  counts(w, "outcomes", r.outcomes);
  w.num("still_waiting", r.still_waiting);
  w.close();
  return w.take() + "\n";
}

}  // namespace cascade::simulate
