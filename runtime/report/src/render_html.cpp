// The HTML form: one page that opens anywhere, offline. The styles are one inline <style>,
// the charts inline SVG drawn here (funnel bars, cost per channel, treated vs. control with the
// confidence interval as an error bar); there is no script and nothing is fetched. Every
// piece of text from the trace (scenario, branch, channel and reason names) is escaped.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "internal.hpp"

namespace cascade::report {

namespace {

std::string esc(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string n(std::uint64_t v) { return number_text(v); }

constexpr const char* kStyle = R"(
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f6f7f9;margin:0}
main{max-width:1040px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:0 0 12px}h3{font-size:15px;margin:18px 0 6px;color:#4a5263}
.meta{color:#6b7280;margin:0 0 20px}
section{background:#fff;border:1px solid #e3e6eb;border-radius:8px;padding:18px 22px;margin:0 0 20px}
table{border-collapse:collapse;margin:4px 0 8px}
th,td{padding:3px 10px;border-bottom:1px solid #eceef2;text-align:right;white-space:nowrap}
th{font-weight:600;color:#4a5263}
td.l,th.l{text-align:left}
.grid{display:flex;flex-wrap:wrap;gap:8px 36px}
.kv{margin:2px 0}.kv b{display:inline-block;min-width:110px;color:#4a5263;font-weight:600}
.sig{font-weight:600}.sig.yes{color:#137333}.sig.no{color:#8a5a00}
svg text{font:12px system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;fill:#1d2330}
)";

// Horizontal bars: a label, a bar scaled to the largest value, the value as text.
struct Bar {
  std::string label;
  double value;
  std::string text;
  const char* colour;
};

std::string bars_svg(const std::vector<Bar>& bars, std::string_view title) {
  const int label_w = 150, bar_w = 320, row = 26, width = label_w + bar_w + 150;
  const int height = static_cast<int>(bars.size()) * row + 8;
  double max = 0;
  for (const Bar& b : bars) max = std::max(max, b.value);
  std::string out = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" role="img" aria-label="{}">)",
                                width, height, esc(title));
  out += fmt::format("<title>{}</title>", esc(title));
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    const int y = static_cast<int>(i) * row + 4;
    const double w = max > 0 ? std::max(b.value > 0 ? 1.0 : 0.0, b.value / max * bar_w) : 0;
    out += fmt::format(R"(<text x="{}" y="{}" text-anchor="end">{}</text>)", label_w - 8, y + 15, esc(b.label));
    out += fmt::format(R"(<rect x="{}" y="{}" width="{:.1f}" height="{}" rx="3" fill="{}"/>)", label_w, y, w, row - 8,
                       b.colour);
    out += fmt::format(R"(<text x="{:.1f}" y="{}">{}</text>)", label_w + w + 6, y + 15, esc(b.text));
  }
  out += "</svg>";
  return out;
}

std::string funnel_svg(const InstanceFunnel& f, std::string_view what) {
  const std::uint64_t base = f.entered;
  auto text = [base](std::uint64_t v) {
    return base ? fmt::format("{} ({:.1f} %)", number_text(v), 100.0 * static_cast<double>(v) / static_cast<double>(base))
                : number_text(v);
  };
  std::vector<Bar> bars = {
      {"entered", static_cast<double>(f.entered), text(f.entered), "#3b6fd8"},
      {"sent", static_cast<double>(f.sent), text(f.sent), "#4f86e8"},
      {"delivered", static_cast<double>(f.delivered), text(f.delivered), "#6b9bef"},
      {"opened", static_cast<double>(f.opened), text(f.opened), "#88b0f3"},
      {"clicked", static_cast<double>(f.clicked), text(f.clicked), "#a6c4f6"},
      {"goal", static_cast<double>(f.converted), text(f.converted), "#1e9e5a"},
  };
  return bars_svg(bars, fmt::format("Funnel of {}", what));
}

std::string cost_svg(const std::vector<ChannelFigures>& channels, std::string_view currency) {
  std::vector<Bar> bars;
  for (const ChannelFigures& c : channels) {
    bars.push_back({c.channel, static_cast<double>(c.cost_micros),
                    fmt::format("{} · {} sends", money_text(c.cost_micros, currency), number_text(c.sends)),
                    c.sms ? "#d9822b" : "#7a5cc2"});
  }
  return bars_svg(bars, "Cost per channel");
}

// Conversion of both groups as bars, and below them the difference on an axis through zero
// with the 95 % interval drawn as an error bar.
std::string control_svg(const Conversion& c) {
  std::string out = bars_svg({{"treated", c.treated_rate, percent_text(c.treated_rate), "#3b6fd8"},
                              {"control", c.control_rate, percent_text(c.control_rate), "#9aa3b2"}},
                             "Conversion, treated vs. control");
  const int width = 620, height = 64, left = 150, span = 320;
  const double low = std::min({c.ci.low, 0.0, c.difference}), high = std::max({c.ci.high, 0.0, c.difference});
  const double range = high - low > 0 ? high - low : 1;
  auto x = [&](double v) { return left + (v - low) / range * span; };
  out += fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" role="img" aria-label="Uplift with 95 % confidence interval">)",
                     width, height);
  out += "<title>Uplift with 95 % confidence interval</title>";
  out += fmt::format(R"(<text x="{}" y="30" text-anchor="end">uplift, 95 % CI</text>)", left - 8);
  out += fmt::format(R"(<line x1="{}" y1="26" x2="{}" y2="26" stroke="#c4c9d2"/>)", left, left + span);
  out += fmt::format(R"(<line x1="{0:.1f}" y1="10" x2="{0:.1f}" y2="42" stroke="#6b7280" stroke-dasharray="3 3"/>)", x(0));
  out += fmt::format(R"(<text x="{:.1f}" y="56" text-anchor="middle">0</text>)", x(0));
  const char* colour = c.significant ? "#137333" : "#8a5a00";
  out += fmt::format(R"(<line x1="{0:.1f}" y1="26" x2="{1:.1f}" y2="26" stroke="{2}" stroke-width="3"/>)", x(c.ci.low),
                     x(c.ci.high), colour);
  for (const double v : {c.ci.low, c.ci.high})
    out += fmt::format(R"(<line x1="{0:.1f}" y1="18" x2="{0:.1f}" y2="34" stroke="{1}" stroke-width="2"/>)", x(v), colour);
  out += fmt::format(R"(<circle cx="{:.1f}" cy="26" r="5" fill="{}"/>)", x(c.difference), colour);
  out += fmt::format(R"(<text x="{}" y="30">{:+.1f} pp [{:+.1f}, {:+.1f}]</text>)", left + span + 12, c.difference * 100,
                     c.ci.low * 100, c.ci.high * 100);
  out += "</svg>";
  return out;
}

std::string counts_html(const std::vector<Count>& counts) {
  if (counts.empty()) return "none";
  std::string out;
  for (const Count& c : counts) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} {}", esc(c.name), n(c.count));
  }
  return out;
}

std::string sig_html(const TestResult& t, bool significant) {
  return fmt::format(R"(<p class="sig {}">{}</p>)", significant ? "yes" : "no", esc(significance_text(t, significant)));
}

std::string savings_html(const Savings& s, std::string_view cur) {
  if (!s.known)
    return R"(<p class="kv"><b>Savings</b>unknown: no SMS send in the trace and no SMS price given (--project)</p>)";
  return fmt::format(
      R"(<p class="kv"><b>Savings</b>{}{} against an SMS to everyone</p>)"
      R"(<p class="kv"><b>Baseline</b>{} = {} treated × {} a segment ({}) × {:.2f} segments; spent {}</p>)",
      esc(money_text(s.saved_micros, cur)), s.percent ? fmt::format(" ({:.1f} %)", *s.percent) : "",
      esc(money_text(s.baseline_micros, cur)), n(s.treated), esc(money_text(std::llround(s.price_micros), cur)),
      esc(s.price_source), s.mean_segments, esc(money_text(s.actual_micros, cur)));
}

void scenario_html(std::string& out, const ScenarioReport& s, std::string_view cur) {
  out += fmt::format("<section><h2>{}</h2>", esc(s.name));
  out += fmt::format(R"(<p class="kv"><b>Started</b>{} treated, {} control; {} still open</p>)", n(s.started_treated),
                     n(s.started_control), n(s.open));
  out += "<h3>Funnel (treated instances)</h3>" + funnel_svg(s.funnel, s.name);
  if (!s.steps.empty()) {
    out += "<h3>Steps (messages)</h3><table><tr><th>step</th><th class=\"l\">channel</th><th class=\"l\">branch</th>"
           "<th>sent</th><th>failed</th><th>delivered</th><th>opened</th><th>clicked</th><th>bounced</th><th>goal</th>"
           "<th>cost</th></tr>";
    for (const StepFigures& st : s.steps) {
      out += fmt::format(
          R"(<tr><td>{}</td><td class="l">{}</td><td class="l">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>)",
          st.step, esc(st.channel), esc(st.branch), n(st.sent), n(st.failed), n(st.delivered), n(st.opened),
          n(st.clicked), n(st.bounced), n(st.goal), esc(money_text(st.cost_micros, cur)));
    }
    out += "</table>";
  }
  if (!s.branches.empty()) {
    out += "<h3>Split branches (instances)</h3><table><tr><th class=\"l\">branch</th><th>entered</th><th>sent</th>"
           "<th>delivered</th><th>opened</th><th>clicked</th><th>goal</th><th>conversion</th></tr>";
    std::vector<Bar> bars;
    for (const BranchFigures& b : s.branches) {
      out += fmt::format(
          R"(<tr><td class="l">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>)",
          esc(b.name), n(b.funnel.entered), n(b.funnel.sent), n(b.funnel.delivered), n(b.funnel.opened),
          n(b.funnel.clicked), n(b.funnel.converted), esc(percent_text(b.conversion)));
      bars.push_back({b.name, b.conversion, percent_text(b.conversion), "#3b6fd8"});
    }
    out += "</table>" + bars_svg(bars, "Conversion per branch");
    if (s.branch_test) out += sig_html(s.branch_test->test, s.branch_test->significant);
  }
  out += "<h3>Failures, deferrals, refusals, ends</h3>";
  out += fmt::format(R"(<p class="kv"><b>Failed</b>{}</p>)", counts_html(s.failures));
  out += fmt::format(R"(<p class="kv"><b>Deferred</b>{}</p>)", counts_html(s.deferrals));
  out += fmt::format(R"(<p class="kv"><b>Refused</b>{}</p>)", counts_html(s.refused));
  out += fmt::format(R"(<p class="kv"><b>Ended</b>{}; {} still open</p>)", counts_html(s.ends), n(s.open));
  if (!s.channels.empty()) {
    out += "<h3>Cost per channel</h3>" + cost_svg(s.channels, cur);
    out += fmt::format(R"(<p class="kv"><b>Total</b>{}</p>)", esc(money_text(s.cost_micros, cur)));
  }
  out += savings_html(s.savings, cur);
  if (s.conversion) {
    const Conversion& c = *s.conversion;
    out += "<h3>Treated vs. control</h3>" + control_svg(c);
    out += fmt::format(
        R"(<p class="kv"><b>Treated</b>{} of {} converted ({})</p><p class="kv"><b>Control</b>{} of {} converted ({})</p>)",
        n(c.treated_converted), n(c.treated), esc(percent_text(c.treated_rate)), n(c.control_converted), n(c.control),
        esc(percent_text(c.control_rate)));
    out += fmt::format(R"(<p class="kv"><b>Uplift</b>{:+.1f} pp, 95 % CI [{:+.1f}, {:+.1f}] pp</p>)", c.difference * 100,
                       c.ci.low * 100, c.ci.high * 100);
    out += sig_html(c.test, c.significant);
  }
  out += "</section>\n";
}

}  // namespace

std::string render_html(const Report& report) {
  const std::string& cur = report.currency;
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                    "<title>Campaign report</title><style>";
  out += kStyle;
  out += "</style></head><body><main>\n<h1>Campaign report</h1>";
  out += fmt::format(R"(<p class="meta">{} trace{}, {} records, {} scenario{}</p>)", n(report.traces),
                     report.traces == 1 ? "" : "s", n(report.records), n(report.scenarios.size()),
                     report.scenarios.size() == 1 ? "" : "s");
  out += '\n';
  for (const ScenarioReport& s : report.scenarios) scenario_html(out, s, cur);
  if (report.scenarios.size() > 1) {
    out += "<section><h2>All scenarios</h2>";
    if (!report.channels.empty()) {
      out += cost_svg(report.channels, cur);
      out += fmt::format(R"(<p class="kv"><b>Total</b>{}</p>)", esc(money_text(report.cost_micros, cur)));
    }
    out += savings_html(report.savings, cur);
    out += "</section>\n";
  }
  if (report.orphan_statuses || report.unstarted_instances) {
    out += fmt::format(R"(<p class="meta">Note: {} status reports for messages not sent in the trace and {} instances whose start is not in it were left out of the funnels.</p>)",
                       n(report.orphan_statuses), n(report.unstarted_instances));
  }
  out += "</main></body></html>\n";
  return out;
}

}  // namespace cascade::report
