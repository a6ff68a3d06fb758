// From the accumulated counts to the figures: SMS channels and price, savings, the control
// comparison and the branch test. docs/report.md defines each.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "internal.hpp"

namespace cascade::report {

namespace {

// The 97.5 % quantile of the standard normal: the z of a two-sided 95 % interval.
constexpr double kZ95 = 1.959963984540054;

struct Price {
  bool known = false;
  std::string source;
  std::int64_t cost = 0;         // of the send it was read from
  std::uint64_t segments = 1;    // of that send
  double per_segment() const { return static_cast<double>(cost) / static_cast<double>(segments); }
};

Savings savings_of(const Price& price, std::uint64_t treated, std::uint64_t sms_sends, std::uint64_t sms_segments,
                   std::int64_t actual) {
  Savings s;
  s.treated = treated;
  s.actual_micros = actual;
  s.mean_segments = sms_sends ? static_cast<double>(sms_segments) / static_cast<double>(sms_sends) : 1.0;
  if (!price.known) return s;
  s.known = true;
  s.price_source = price.source;
  s.price_micros = price.per_segment();
  // treated × (cost / segments) × (sms segments / sms sends), in long double so the product of
  // a million instances and a price in micros stays exact before the one rounding.
  long double baseline = static_cast<long double>(treated) * price.cost;
  if (sms_sends) baseline = baseline * sms_segments / (static_cast<long double>(price.segments) * sms_sends);
  else baseline /= price.segments;
  s.baseline_micros = static_cast<std::int64_t>(std::llround(static_cast<double>(baseline)));
  s.saved_micros = s.baseline_micros - actual;
  if (s.baseline_micros > 0)
    s.percent = 100.0 * static_cast<double>(s.saved_micros) / static_cast<double>(s.baseline_micros);
  return s;
}

std::vector<Count> sorted(std::vector<Count> counts) {
  std::sort(counts.begin(), counts.end(), [](const Count& a, const Count& b) { return a.name < b.name; });
  return counts;
}

double rate(std::uint64_t k, std::uint64_t n) { return n ? static_cast<double>(k) / static_cast<double>(n) : 0.0; }

}  // namespace

Report compute(const Accumulated& acc, const Options& options) {
  Report report;
  report.traces = acc.traces;
  report.records = acc.records;
  report.currency = options.currency;
  report.orphan_statuses = acc.orphan_statuses;
  report.unstarted_instances = acc.unstarted_instances;

  // Which channels are SMS: the project's word when given, else the trace's (a send with
  // `segments`, or a channel called `sms`).
  std::set<std::string, std::less<>> sms;
  if (!options.sms_channels.empty()) {
    sms.insert(options.sms_channels.begin(), options.sms_channels.end());
  } else {
    for (const ScenarioAcc& sc : acc.scenarios) {
      for (const ChannelAcc& c : sc.channels) {
        if (c.name == "sms" || c.with_segments > 0) sms.insert(c.name);
      }
    }
  }
  // The SMS price per segment: from the first SMS send of the input, else the options.
  Price price;
  std::uint64_t first = 0;
  for (const ScenarioAcc& sc : acc.scenarios) {
    for (const ChannelAcc& c : sc.channels) {
      if (c.sends && sms.count(c.name) && (!price.known || c.first_order < first)) {
        price = Price{true, "trace", c.first_cost, c.first_segments};
        first = c.first_order;
      }
    }
  }
  if (!price.known && options.sms_price_micros) price = Price{true, "project", *options.sms_price_micros, 1};

  std::vector<const ScenarioAcc*> order;
  for (const ScenarioAcc& sc : acc.scenarios) order.push_back(&sc);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->name < b->name; });

  std::vector<ChannelFigures> totals;
  std::uint64_t all_treated = 0, all_sms_sends = 0, all_sms_segments = 0;
  std::int64_t all_baseline = 0;
  bool all_known = !order.empty() && price.known;
  for (const ScenarioAcc* sc : order) {
    ScenarioReport s;
    s.name = sc->name;
    s.started_treated = sc->started_treated;
    s.started_control = sc->started_control;
    s.open = sc->open;
    s.funnel = sc->funnel;
    for (std::size_t i = 0; i < sc->steps.size(); ++i) {
      const StepAcc& a = sc->steps[i];
      if (a.channel.empty()) continue;  // a step no record reached
      StepFigures f;
      f.step = static_cast<std::uint32_t>(i + 1);
      f.channel = a.channel;
      if (a.branch >= 0) f.branch = sc->branch_names[static_cast<std::size_t>(a.branch)];
      f.sent = a.sent;
      f.failed = a.failed;
      f.delivered = a.delivered;
      f.opened = a.opened;
      f.clicked = a.clicked;
      f.bounced = a.bounced;
      f.goal = a.goal;
      f.cost_micros = a.cost_micros;
      s.steps.push_back(std::move(f));
    }
    std::vector<std::pair<std::uint64_t, std::uint64_t>> groups;
    for (std::size_t b = 0; b < sc->branch_names.size(); ++b) {
      BranchFigures f{sc->branch_names[b], sc->branch_funnels[b], 0};
      f.conversion = rate(f.funnel.converted, f.funnel.entered);
      if (f.funnel.entered) groups.emplace_back(f.funnel.converted, f.funnel.entered);
      s.branches.push_back(std::move(f));
    }
    if (groups.size() >= 2) {
      BranchComparison c;
      c.test = groups.size() == 2 ? two_proportion_z(groups[0].first, groups[0].second, groups[1].first, groups[1].second)
                                  : chi_square(groups);
      c.significant = c.test.p_value < 0.05;
      s.branch_test = c;
    }
    s.failures = sorted(sc->failures);
    s.deferrals = sorted(sc->deferrals);
    s.refused = sorted(sc->refused);
    for (std::size_t o = 0; o < kOutcomes.size(); ++o) s.ends.push_back(Count{std::string(kOutcomes[o]), sc->ends[o]});

    std::uint64_t sms_sends = 0, sms_segments = 0;
    for (const ChannelAcc& c : sc->channels) {
      ChannelFigures f{c.name, sms.count(c.name) > 0, c.sends, c.segments, c.cost_micros};
      if (f.sms) {
        sms_sends += c.sends;
        sms_segments += c.segments;
      }
      auto it = std::find_if(totals.begin(), totals.end(), [&](const ChannelFigures& t) { return t.channel == c.name; });
      if (it == totals.end()) {
        totals.push_back(f);
      } else {
        it->sends += f.sends;
        it->segments += f.segments;
        it->cost_micros += f.cost_micros;
      }
      s.channels.push_back(std::move(f));
    }
    s.cost_micros = sc->cost_micros;
    s.savings = savings_of(price, sc->started_treated, sms_sends, sms_segments, sc->cost_micros);
    all_treated += sc->started_treated;
    all_sms_sends += sms_sends;
    all_sms_segments += sms_segments;
    all_baseline += s.savings.baseline_micros;
    report.cost_micros += sc->cost_micros;

    if (sc->started_treated > 0 && sc->started_control > 0) {
      Conversion c;
      c.treated = sc->started_treated;
      c.treated_converted = sc->funnel.converted;
      c.control = sc->started_control;
      c.control_converted = sc->control_converted;
      c.treated_rate = rate(c.treated_converted, c.treated);
      c.control_rate = rate(c.control_converted, c.control);
      c.difference = c.treated_rate - c.control_rate;
      c.ci = newcombe(c.treated_converted, c.treated, c.control_converted, c.control, kZ95);
      c.test = two_proportion_z(c.treated_converted, c.treated, c.control_converted, c.control);
      c.significant = c.test.p_value < 0.05;
      s.conversion = c;
    }
    report.scenarios.push_back(std::move(s));
  }
  std::sort(totals.begin(), totals.end(), [](const auto& a, const auto& b) { return a.channel < b.channel; });
  report.channels = std::move(totals);

  // All scenarios together: the sum of the per-scenario baselines (each with its own mean
  // segments), so the total saving is the sum of the savings.
  Savings& t = report.savings;
  t.treated = all_treated;
  t.actual_micros = report.cost_micros;
  t.mean_segments = all_sms_sends ? static_cast<double>(all_sms_segments) / static_cast<double>(all_sms_sends) : 1.0;
  if (all_known) {
    t.known = true;
    t.price_source = price.source;
    t.price_micros = price.per_segment();
    t.baseline_micros = all_baseline;
    t.saved_micros = all_baseline - report.cost_micros;
    if (all_baseline > 0) t.percent = 100.0 * static_cast<double>(t.saved_micros) / static_cast<double>(all_baseline);
  }
  return report;
}

// ---- text helpers shared by the renderers ---------------------------------------------------

std::string number_text(std::uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string money_text(std::int64_t micros, std::string_view currency) {
  // Two decimals, rounded half away from zero, with thousands separated.
  const bool negative = micros < 0;
  const std::uint64_t m = negative ? 0 - static_cast<std::uint64_t>(micros) : static_cast<std::uint64_t>(micros);
  const std::uint64_t cents = (m + 5000) / 10000;
  std::string out = (negative && cents > 0 ? "-" : "") + number_text(cents / 100) + fmt::format(".{:02}", cents % 100);
  if (!currency.empty()) {
    out += ' ';
    out += currency;
  }
  return out;
}

std::string percent_text(double fraction, int decimals) {
  return fmt::format("{:.{}f} %", fraction * 100, decimals);
}

std::string significance_text(const TestResult& test, bool significant) {
  std::string statistic = test.test == "chi-square" ? fmt::format("χ² = {:.2f}, {} df", test.statistic, test.dof)
                                                    : fmt::format("z = {:.2f}", test.statistic);
  const std::string p = test.p_value < 0.001 ? "p < 0.001" : fmt::format("p = {:.3f}", test.p_value);
  return fmt::format("{} at 95 % ({} test: {}, {}){}", significant ? "significant" : "not significant", test.test,
                     statistic, p,
                     test.small_counts ? "; few conversions, the test is only a rough guide" : "");
}

}  // namespace cascade::report
