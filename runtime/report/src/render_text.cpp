// The text form: for a marketer at a terminal. One block per scenario, tables aligned by
// display width (names and the currency sign may be Cyrillic or ₽), then the totals.
#include <fmt/format.h>

#include "internal.hpp"

namespace cascade::report {

namespace {

// Columns line up by code points, not bytes: every character this prints is one cell wide.
std::size_t width(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

class Table {
 public:
  // `right`: which columns are numbers (right-aligned).
  Table(std::vector<std::string> header, std::vector<bool> right) : right_(std::move(right)) {
    rows_.push_back(std::move(header));
  }
  void row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  void render(std::string& out, std::string_view indent) const {
    std::vector<std::size_t> widths(rows_.front().size(), 0);
    for (const auto& r : rows_) {
      for (std::size_t i = 0; i < r.size(); ++i) widths[i] = std::max(widths[i], width(r[i]));
    }
    for (const auto& r : rows_) {
      std::string line(indent);
      for (std::size_t i = 0; i < r.size(); ++i) {
        const std::string pad(widths[i] - width(r[i]), ' ');
        if (i > 0) line += "  ";
        line += right_[i] ? pad + r[i] : r[i] + pad;
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line;
      out += '\n';
    }
  }

 private:
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

std::string counts_text(const std::vector<Count>& counts) {
  if (counts.empty()) return "none";
  std::string out;
  for (const Count& c : counts) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} {}", c.name, number_text(c.count));
  }
  return out;
}

std::string n(std::uint64_t v) { return number_text(v); }

std::string points(double d) { return fmt::format("{:+.1f} pp", d * 100); }

void savings_lines(std::string& out, const Savings& s, std::string_view currency, std::string_view indent) {
  if (!s.known) {
    out += fmt::format("{}Savings     unknown: no SMS send in the trace and no SMS price given (--project)\n", indent);
    return;
  }
  out += fmt::format("{}Savings     {} saved against an SMS to everyone{}\n", indent,
                     money_text(s.saved_micros, currency), s.percent ? fmt::format(" ({:.1f} %)", *s.percent) : "");
  out += fmt::format("{}            all-SMS baseline {} = {} treated × {} a segment ({}) × {:.2f} segments; spent {}\n",
                     indent, money_text(s.baseline_micros, currency), n(s.treated),
                     money_text(std::llround(s.price_micros), currency), s.price_source, s.mean_segments,
                     money_text(s.actual_micros, currency));
}

void channel_table(std::string& out, const std::vector<ChannelFigures>& channels, std::int64_t total,
                   std::string_view currency, std::string_view indent) {
  Table t({"channel", "sends", "segments", "cost"}, {false, true, true, true});
  for (const ChannelFigures& c : channels)
    t.row({c.channel, n(c.sends), c.sms ? n(c.segments) : "", money_text(c.cost_micros, currency)});
  t.row({"total", "", "", money_text(total, currency)});
  t.render(out, indent);
}

void scenario_text(std::string& out, const ScenarioReport& s, std::string_view currency) {
  out += fmt::format("Scenario {}\n", s.name);
  out += fmt::format("  Started     {} treated, {} control; {} still open\n", n(s.started_treated), n(s.started_control),
                     n(s.open));
  const InstanceFunnel& f = s.funnel;
  out += fmt::format("  Funnel      entered {} → sent {} → delivered {} → opened {} → clicked {} → goal {}  (treated instances)\n",
                     n(f.entered), n(f.sent), n(f.delivered), n(f.opened), n(f.clicked), n(f.converted));
  if (!s.steps.empty()) {
    out += "  Steps (messages)\n";
    bool branches = false;
    for (const StepFigures& st : s.steps) branches = branches || !st.branch.empty();
    std::vector<std::string> header = {"step", "channel"};
    if (branches) header.push_back("branch");
    for (const char* h : {"sent", "failed", "delivered", "opened", "clicked", "bounced", "goal", "cost"}) header.push_back(h);
    std::vector<bool> right(header.size(), true);
    right[1] = false;
    if (branches) right[2] = false;
    Table t(header, right);
    for (const StepFigures& st : s.steps) {
      std::vector<std::string> row = {n(st.step), st.channel};
      if (branches) row.push_back(st.branch);
      for (std::uint64_t v : {st.sent, st.failed, st.delivered, st.opened, st.clicked, st.bounced, st.goal})
        row.push_back(n(v));
      row.push_back(money_text(st.cost_micros, currency));
      t.row(std::move(row));
    }
    t.render(out, "    ");
  }
  if (!s.branches.empty()) {
    out += "  Branches (instances)\n";
    Table t({"branch", "entered", "sent", "delivered", "opened", "clicked", "goal", "conversion"},
            {false, true, true, true, true, true, true, true});
    for (const BranchFigures& b : s.branches) {
      t.row({b.name, n(b.funnel.entered), n(b.funnel.sent), n(b.funnel.delivered), n(b.funnel.opened),
             n(b.funnel.clicked), n(b.funnel.converted), percent_text(b.conversion)});
    }
    t.render(out, "    ");
    if (s.branch_test) out += fmt::format("    {}\n", significance_text(s.branch_test->test, s.branch_test->significant));
  }
  out += fmt::format("  Failed      {}\n", counts_text(s.failures));
  out += fmt::format("  Deferred    {}\n", counts_text(s.deferrals));
  out += fmt::format("  Refused     {}\n", counts_text(s.refused));
  out += fmt::format("  Ended       {}; {} still open\n", counts_text(s.ends), n(s.open));
  if (!s.channels.empty()) {
    out += "  Cost per channel\n";
    channel_table(out, s.channels, s.cost_micros, currency, "    ");
  }
  savings_lines(out, s.savings, currency, "  ");
  if (s.conversion) {
    const Conversion& c = *s.conversion;
    out += fmt::format("  Control     treated {} of {} converted ({}), control {} of {} ({})\n", n(c.treated_converted),
                       n(c.treated), percent_text(c.treated_rate), n(c.control_converted), n(c.control),
                       percent_text(c.control_rate));
    out += fmt::format("              uplift {}, 95 % CI [{}, {}]; {}\n", points(c.difference), points(c.ci.low),
                       points(c.ci.high), significance_text(c.test, c.significant));
  } else {
    out += "  Control     no comparison: the trace has no instances in the control group or none treated\n";
  }
  out += '\n';
}

}  // namespace

std::string render_text(const Report& report) {
  std::string out;
  out += fmt::format("Campaign report: {} trace{}, {} records, {} scenario{}\n\n", n(report.traces),
                     report.traces == 1 ? "" : "s", n(report.records), n(report.scenarios.size()),
                     report.scenarios.size() == 1 ? "" : "s");
  for (const ScenarioReport& s : report.scenarios) scenario_text(out, s, report.currency);
  if (report.scenarios.size() > 1) {
    out += "All scenarios\n";
    if (!report.channels.empty()) {
      out += "  Cost per channel\n";
      channel_table(out, report.channels, report.cost_micros, report.currency, "    ");
    }
    savings_lines(out, report.savings, report.currency, "  ");
    out += '\n';
  }
  if (report.orphan_statuses || report.unstarted_instances) {
    out += fmt::format("Note: {} status reports for messages not sent in the trace and {} instances whose start "
                       "is not in it were left out of the funnels.\n",
                       n(report.orphan_statuses), n(report.unstarted_instances));
  }
  return out;
}

}  // namespace cascade::report
