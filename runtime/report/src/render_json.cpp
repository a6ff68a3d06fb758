// The JSON form, {"version":1,…}: what the daemon will serve and scripts read. Keys are
// inserted in one fixed order, money is in exact millionths, and fractions are rounded to nine
// decimals so the bytes do not depend on the last bit of a libm function. docs/report.md
// lists every key.
#include <boost/json/serialize.hpp>
#include <cmath>

#include "internal.hpp"

namespace cascade::report {

namespace json = boost::json;

namespace {

double fraction(double d) { return std::round(d * 1e9) / 1e9; }

json::object counts(const std::vector<Count>& list) {
  json::object o;
  for (const Count& c : list) o[c.name] = c.count;
  return o;
}

json::object funnel(const InstanceFunnel& f) {
  return {{"entered", f.entered}, {"sent", f.sent},       {"delivered", f.delivered},
          {"opened", f.opened},   {"clicked", f.clicked}, {"goal", f.converted}};
}

json::object test(const TestResult& t, bool significant) {
  json::object o{{"test", t.test}, {"statistic", fraction(t.statistic)}};
  if (t.test == "chi-square") o["dof"] = t.dof;
  o["p_value"] = fraction(t.p_value);
  o["significant"] = significant;
  o["small_counts"] = t.small_counts;
  return o;
}

json::array channels(const std::vector<ChannelFigures>& list) {
  json::array a;
  for (const ChannelFigures& c : list) {
    json::object o{{"channel", c.channel}, {"sms", c.sms}, {"sends", c.sends}};
    if (c.sms) o["segments"] = c.segments;
    o["cost_micros"] = c.cost_micros;
    a.push_back(std::move(o));
  }
  return a;
}

json::value savings(const Savings& s) {
  json::object o{{"known", s.known}, {"treated", s.treated}, {"mean_segments", fraction(s.mean_segments)}};
  if (s.known) {
    o["price_source"] = s.price_source;
    o["price_micros"] = fraction(s.price_micros);
    o["baseline_micros"] = s.baseline_micros;
  }
  o["actual_micros"] = s.actual_micros;
  if (s.known) {
    o["saved_micros"] = s.saved_micros;
    o["saved_percent"] = s.percent ? json::value(fraction(*s.percent)) : json::value(nullptr);
  }
  return o;
}

json::object scenario(const ScenarioReport& s) {
  json::object o;
  o["name"] = s.name;
  o["started"] = {{"treated", s.started_treated}, {"control", s.started_control}};
  o["open"] = s.open;
  o["funnel"] = funnel(s.funnel);
  json::array steps;
  for (const StepFigures& st : s.steps) {
    json::object x{{"step", st.step}, {"channel", st.channel}};
    x["branch"] = st.branch.empty() ? json::value(nullptr) : json::value(st.branch);
    x["sent"] = st.sent;
    x["failed"] = st.failed;
    x["delivered"] = st.delivered;
    x["opened"] = st.opened;
    x["clicked"] = st.clicked;
    x["bounced"] = st.bounced;
    x["goal"] = st.goal;
    x["cost_micros"] = st.cost_micros;
    steps.push_back(std::move(x));
  }
  o["steps"] = std::move(steps);
  json::array branches;
  for (const BranchFigures& b : s.branches) {
    json::object x{{"name", b.name}};
    x["funnel"] = funnel(b.funnel);
    x["conversion"] = fraction(b.conversion);
    branches.push_back(std::move(x));
  }
  o["branches"] = std::move(branches);
  o["branch_test"] = s.branch_test ? json::value(test(s.branch_test->test, s.branch_test->significant)) : nullptr;
  o["failed"] = counts(s.failures);
  o["deferred"] = counts(s.deferrals);
  o["refused"] = counts(s.refused);
  o["ended"] = counts(s.ends);
  o["channels"] = channels(s.channels);
  o["cost_micros"] = s.cost_micros;
  o["savings"] = savings(s.savings);
  if (s.conversion) {
    const Conversion& c = *s.conversion;
    json::object x;
    x["treated"] = {{"started", c.treated}, {"converted", c.treated_converted}, {"rate", fraction(c.treated_rate)}};
    x["control"] = {{"started", c.control}, {"converted", c.control_converted}, {"rate", fraction(c.control_rate)}};
    x["difference"] = fraction(c.difference);
    x["ci95"] = {{"low", fraction(c.ci.low)}, {"high", fraction(c.ci.high)}, {"method", "newcombe-wilson"}};
    x["test"] = test(c.test, c.significant);
    o["conversion"] = std::move(x);
  } else {
    o["conversion"] = nullptr;
  }
  return o;
}

}  // namespace

json::value to_json(const Report& report) {
  json::object o;
  o["version"] = kJsonVersion;
  o["traces"] = report.traces;
  o["records"] = report.records;
  o["currency"] = report.currency;
  json::array list;
  for (const ScenarioReport& s : report.scenarios) list.push_back(scenario(s));
  o["scenarios"] = std::move(list);
  json::object total;
  total["channels"] = channels(report.channels);
  total["cost_micros"] = report.cost_micros;
  total["savings"] = savings(report.savings);
  o["total"] = std::move(total);
  o["orphan_statuses"] = report.orphan_statuses;
  o["unstarted_instances"] = report.unstarted_instances;
  return o;
}

std::string render_json(const Report& report) {
  std::string out = json::serialize(to_json(report));
  out += '\n';
  return out;
}

}  // namespace cascade::report
