// cascade_report against figures computed by hand: the small trace of tests/golden/report/
// (a split, a control group, an SMS billed as two segments, a status reported twice and after a
// higher one, a bounce undone by a delivery, failures, a deferral, refused starts, an instance
// still open), the statistics on their own, savings with the price from the project, merged
// traces, and bad records.
#define BOOST_TEST_MODULE report
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <fstream>
#include <string>

#include "cascade/report/report.hpp"

namespace r = cascade::report;

namespace {

constexpr double kZ = 1.959963984540054;

void feed(r::Builder& b, const std::string& path) {
  std::ifstream in(path);
  BOOST_TEST_REQUIRE(in.good(), "cannot read " << path);
  b.begin_trace();
  std::string line;
  while (std::getline(in, line)) {
    auto e = b.add_line(line);
    BOOST_TEST_REQUIRE(!e, path << ": " << e->message);
  }
}

const r::Count& count(const std::vector<r::Count>& list, const std::string& name) {
  for (const r::Count& c : list) {
    if (c.name == name) return c;
  }
  BOOST_FAIL("no count named " << name);
  return list.front();
}

r::Report small() {
  r::Builder b;
  feed(b, "tests/golden/report/small.trace.jsonl");
  return b.finish();
}

}  // namespace

BOOST_AUTO_TEST_CASE(funnel_per_step_dedupes_statuses_and_attributes_the_goal) {
  const r::Report rep = small();
  BOOST_TEST_REQUIRE(rep.scenarios.size() == 1u);
  const r::ScenarioReport& s = rep.scenarios[0];
  BOOST_TEST(s.name == "promo");
  BOOST_TEST(s.started_treated == 6u);
  BOOST_TEST(s.started_control == 4u);
  BOOST_TEST(s.open == 1u);  // u6: deferred, then capped, never ended
  BOOST_TEST_REQUIRE(s.steps.size() == 2u);
  // Step 1 (email, branch a): m1 and m4 sent, u3 failed (no_consent). m1 was reported
  // delivered three times, then opened, clicked: counted once per level. m4 bounced and was
  // then delivered: the delivery wins, no bounce left. u1 converted with step 1 last.
  const r::StepFigures& e = s.steps[0];
  BOOST_TEST(e.channel == "email");
  BOOST_TEST(e.branch == "a");
  BOOST_TEST(e.sent == 2u);
  BOOST_TEST(e.failed == 1u);
  BOOST_TEST(e.delivered == 2u);
  BOOST_TEST(e.opened == 1u);
  BOOST_TEST(e.clicked == 1u);
  BOOST_TEST(e.bounced == 0u);
  BOOST_TEST(e.goal == 1u);
  BOOST_TEST(e.cost_micros == 400000);
  // Step 2 (sms, branch b): m2 (2 segments, 4.00) delivered, m3 (1 segment, 2.00) failed,
  // u6 capped; u2 converted with step 2 last.
  const r::StepFigures& m = s.steps[1];
  BOOST_TEST(m.channel == "sms");
  BOOST_TEST(m.branch == "b");
  BOOST_TEST(m.sent == 2u);
  BOOST_TEST(m.failed == 1u);
  BOOST_TEST(m.delivered == 1u);
  BOOST_TEST(m.opened == 0u);
  BOOST_TEST(m.bounced == 1u);
  BOOST_TEST(m.goal == 1u);
  BOOST_TEST(m.cost_micros == 6000000);
  // Treated instances: 6 entered; u1, u2, u4, u5 got a message; u1, u2, u5 a delivery; u1
  // opened and clicked; u1 and u2 converted.
  BOOST_TEST(s.funnel.entered == 6u);
  BOOST_TEST(s.funnel.sent == 4u);
  BOOST_TEST(s.funnel.delivered == 3u);
  BOOST_TEST(s.funnel.opened == 1u);
  BOOST_TEST(s.funnel.clicked == 1u);
  BOOST_TEST(s.funnel.converted == 2u);
}

BOOST_AUTO_TEST_CASE(failures_deferrals_refusals_and_ends_by_reason) {
  const r::ScenarioReport s = small().scenarios[0];
  BOOST_TEST(count(s.failures, "no_consent").count == 1u);
  BOOST_TEST(count(s.failures, "capped").count == 1u);
  BOOST_TEST(s.failures.size() == 2u);
  BOOST_TEST(count(s.deferrals, "quiet_hours").count == 1u);
  BOOST_TEST(count(s.refused, "audience").count == 1u);
  BOOST_TEST(count(s.refused, "reentry").count == 1u);
  BOOST_TEST(count(s.ends, "completed").count == 2u);
  BOOST_TEST(count(s.ends, "converted").count == 3u);  // u1, u2 treated; u7 control
  BOOST_TEST(count(s.ends, "expired").count == 3u);
  BOOST_TEST(count(s.ends, "stopped").count == 1u);
  BOOST_TEST(count(s.ends, "exited").count == 0u);
}

BOOST_AUTO_TEST_CASE(sms_cost_is_price_times_segments_and_savings_use_the_mean_segments) {
  const r::ScenarioReport s = small().scenarios[0];
  BOOST_TEST_REQUIRE(s.channels.size() == 2u);
  const r::ChannelFigures& sms = s.channels[1];
  BOOST_TEST(sms.channel == "sms");
  BOOST_TEST(sms.sms);
  BOOST_TEST(sms.sends == 2u);
  BOOST_TEST(sms.segments == 3u);
  BOOST_TEST(sms.cost_micros == 6000000);  // 2.00 × 2 segments + 2.00 × 1
  BOOST_TEST(!s.channels[0].sms);
  BOOST_TEST(s.cost_micros == 6400000);
  // Price per segment from the first SMS send: 4.00 / 2 = 2.00. Mean segments 3 / 2 = 1.5.
  // Baseline 6 treated × 2.00 × 1.5 = 18.00; saved 18.00 − 6.40 = 11.60 = 64.44 %.
  BOOST_TEST(s.savings.known);
  BOOST_TEST(s.savings.price_source == "trace");
  BOOST_TEST(s.savings.price_micros == 2000000.0);
  BOOST_TEST(s.savings.mean_segments == 1.5);
  BOOST_TEST(s.savings.baseline_micros == 18000000);
  BOOST_TEST(s.savings.saved_micros == 11600000);
  BOOST_TEST_REQUIRE(s.savings.percent.has_value());
  BOOST_TEST(std::fabs(*s.savings.percent - 64.4444444) < 1e-6);
}

BOOST_AUTO_TEST_CASE(control_group_ci_computed_by_hand) {
  const r::ScenarioReport s = small().scenarios[0];
  BOOST_TEST_REQUIRE(s.conversion.has_value());
  const r::Conversion& c = *s.conversion;
  BOOST_TEST(c.treated == 6u);
  BOOST_TEST(c.treated_converted == 2u);
  BOOST_TEST(c.control == 4u);
  BOOST_TEST(c.control_converted == 1u);
  // p1 = 2/6 = 0.333333, p2 = 1/4 = 0.25, d = 0.083333. z = 1.959964, z² = 3.841459.
  // Wilson 2/6: denom = 1 + z²/6 = 1.640243; centre = (0.333333 + z²/12) / denom
  //   = 0.653455 / 1.640243 = 0.398389; half = z·sqrt(p(1−p)/6 + z²/144) / denom
  //   = 1.959964 · sqrt(0.037037 + 0.026677) / 1.640243 = 0.301618 → [0.096771, 0.700007].
  // Wilson 1/4: denom = 1.960365; centre = (0.25 + z²/8) / denom = 0.372473;
  //   half = 1.959964 · sqrt(0.046875 + 0.060023) / 1.960365 = 0.326886 → [0.045587, 0.699359].
  // (Hand figures to 6 decimals, so the interval is checked to 1e-5.)
  // Newcombe: low = d − sqrt((p1 − l1)² + (u2 − p2)²) = 0.083333 − sqrt(0.236562² + 0.449359²)
  //   = 0.083333 − 0.507825 = −0.424492;
  //   high = d + sqrt((u1 − p1)² + (p2 − l2)²) = 0.083333 + sqrt(0.366674² + 0.204413²)
  //   = 0.083333 + 0.419804 = 0.503137.
  // z-test: pooled 3/10 = 0.3; se = sqrt(0.3 · 0.7 · (1/6 + 1/4)) = sqrt(0.0875) = 0.295804;
  //   z = 0.083333 / 0.295804 = 0.281718; p = erfc(z/√2) = erfc(0.199205) = 0.778159.
  BOOST_TEST(std::fabs(c.difference - 0.0833333) < 1e-6);
  BOOST_TEST(std::fabs(c.ci.low - -0.424492) < 1e-5);
  BOOST_TEST(std::fabs(c.ci.high - 0.503137) < 1e-5);
  BOOST_TEST(std::fabs(c.test.statistic - 0.281718) < 2e-6);
  BOOST_TEST(std::fabs(c.test.p_value - 0.778159) < 1e-5);
  BOOST_TEST(!c.significant);
  BOOST_TEST(c.test.small_counts);
}

BOOST_AUTO_TEST_CASE(split_branches_compared) {
  const r::ScenarioReport s = small().scenarios[0];
  BOOST_TEST_REQUIRE(s.branches.size() == 2u);
  // a: u1, u5 (sends) and u3 (failed at step 1, a step of branch a); b: u2, u4, and u6 (capped
  // at step 2 of branch b). One conversion each: 1/3 vs 1/3, z = 0, p = 1.
  BOOST_TEST(s.branches[0].name == "a");
  BOOST_TEST(s.branches[0].funnel.entered == 3u);
  BOOST_TEST(s.branches[0].funnel.sent == 2u);
  BOOST_TEST(s.branches[0].funnel.delivered == 2u);
  BOOST_TEST(s.branches[0].funnel.clicked == 1u);
  BOOST_TEST(s.branches[0].funnel.converted == 1u);
  BOOST_TEST(s.branches[1].name == "b");
  BOOST_TEST(s.branches[1].funnel.entered == 3u);
  BOOST_TEST(s.branches[1].funnel.delivered == 1u);
  BOOST_TEST(s.branches[1].funnel.converted == 1u);
  BOOST_TEST_REQUIRE(s.branch_test.has_value());
  BOOST_TEST(s.branch_test->test.test == "two-proportion z");
  BOOST_TEST(s.branch_test->test.statistic == 0.0);
  BOOST_TEST(s.branch_test->test.p_value == 1.0);
  BOOST_TEST(!s.branch_test->significant);
}

BOOST_AUTO_TEST_CASE(statistics_by_hand) {
  // Wilson 0/10: centre = (z²/20) / (1 + z²/10) = 0.192073 / 1.384146 = 0.138767; half equal
  // to the centre when p = 0 → [0, 0.277533].
  const r::Interval w = r::wilson(0, 10, kZ);
  BOOST_TEST(w.low == 0.0);
  BOOST_TEST(std::fabs(w.high - 0.277533) < 1e-6);
  // 3 branches: (10/50, 20/50, 30/50), pooled 0.4, expected 20 successes and 30 failures each:
  // χ² = 100/20 + 100/30 + 0 + 0 + 100/20 + 100/30 = 16.666667, 2 df, p = e^(−χ²/2) = 0.000240.
  const r::TestResult t = r::chi_square({{10, 50}, {20, 50}, {30, 50}});
  BOOST_TEST(t.dof == 2);
  BOOST_TEST(std::fabs(t.statistic - 16.666667) < 1e-5);
  BOOST_TEST(std::fabs(t.p_value - std::exp(-16.666667 / 2)) < 1e-8);
  BOOST_TEST(!t.small_counts);
  // 40/100 vs 20/100: pooled 0.3, se = sqrt(0.21 · 0.02) = 0.064807, z = 0.2 / se = 3.086067,
  // p = erfc(3.086067/√2) = 0.002028: significant.
  const r::TestResult z = r::two_proportion_z(40, 100, 20, 100);
  BOOST_TEST(std::fabs(z.statistic - 3.086067) < 1e-6);
  BOOST_TEST(std::fabs(z.p_value - 0.002028) < 1e-6);
  // Nothing converted anywhere: no difference to test.
  BOOST_TEST(r::two_proportion_z(0, 10, 0, 20).p_value == 1.0);
}

BOOST_AUTO_TEST_CASE(savings_take_the_project_price_when_the_trace_sent_no_sms_and_are_unknown_without) {
  const std::string trace =
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","scenario":"s","instance":1,"action":"start","trigger":"e","group":"treated"}
{"at":"2026-03-02T10:00:00Z","recipient":"u1","scenario":"s","instance":1,"action":"send","channel":"push","message":"m1","step":1,"text":"hi","cost":0}
{"at":"2026-03-02T10:00:00Z","recipient":"u2","scenario":"s","instance":2,"action":"start","trigger":"e","group":"treated"}
{"at":"2026-03-02T10:00:00Z","recipient":"u2","scenario":"s","instance":2,"action":"send","channel":"email","message":"m2","step":1,"text":"hi","cost":0.25})";
  auto run = [&](r::Options o) {
    r::Builder b(std::move(o));
    std::size_t pos = 0;
    while (pos < trace.size()) {
      std::size_t end = trace.find('\n', pos);
      if (end == std::string::npos) end = trace.size();
      auto e = b.add_line(std::string_view(trace).substr(pos, end - pos));
      BOOST_TEST_REQUIRE(!e, e->message);
      pos = end + 1;
    }
    return b.finish();
  };
  const r::Report unknown = run({});
  BOOST_TEST(!unknown.scenarios[0].savings.known);
  BOOST_TEST(unknown.scenarios[0].savings.actual_micros == 250000);
  BOOST_TEST(!unknown.savings.known);
  r::Options o;
  o.sms_price_micros = 3500000;  // 3.50 a segment; no SMS sent, so S = 1
  const r::Report known = run(o);
  BOOST_TEST(known.scenarios[0].savings.known);
  BOOST_TEST(known.scenarios[0].savings.price_source == "project");
  BOOST_TEST(known.scenarios[0].savings.baseline_micros == 7000000);
  BOOST_TEST(known.scenarios[0].savings.saved_micros == 6750000);
  BOOST_TEST(known.savings.saved_micros == 6750000);
}

BOOST_AUTO_TEST_CASE(two_traces_keep_their_own_instance_numbers) {
  // The same trace twice: instance 1 of the second is another instance, not a second start.
  r::Builder b;
  feed(b, "tests/golden/report/small.trace.jsonl");
  feed(b, "tests/golden/report/small.trace.jsonl");
  const r::Report rep = b.finish();
  BOOST_TEST(rep.traces == 2u);
  const r::ScenarioReport& s = rep.scenarios[0];
  BOOST_TEST(s.started_treated == 12u);
  BOOST_TEST(s.funnel.delivered == 6u);
  BOOST_TEST(s.steps[0].delivered == 4u);
  BOOST_TEST(s.open == 2u);
  BOOST_TEST(s.savings.baseline_micros == 36000000);
  // Within one trace a second start of the same number is an error.
  r::Builder one;
  const std::string start =
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","scenario":"s","instance":1,"action":"start","trigger":"e","group":"treated"})";
  BOOST_TEST(!one.add_line(start));
  auto e = one.add_line(start);
  BOOST_TEST_REQUIRE(e.has_value());
  BOOST_TEST(e->message == "/instance: instance 1 has already appeared in this trace");
}

BOOST_AUTO_TEST_CASE(bad_records_name_the_member_and_count_nothing) {
  r::Builder b;
  struct Case {
    std::string line, message;
    std::size_t column;
  };
  const std::string head = R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","scenario":"s",)";
  const Case cases[] = {
      {"{\"at\":", "invalid JSON: ", 7},
      {"[1,2]", "expected a JSON object, got an array", 0},
      {head + R"("instance":1,"action":"send","message":"m1","step":1,"cost":1})", "/channel: missing key", 0},
      {head + R"("instance":1,"action":"send","channel":"sms","message":"m1","step":"1","cost":1})",
       "/step: expected an integer, got a string", 0},
      {head + R"("instance":1,"action":"send","channel":"sms","message":"m1","step":1,"cost":-1})",
       "/cost: expected an amount from 0 to 10^12, got -1", 0},
      {head + R"("instance":1,"action":"status","channel":"sms","message":"m1","step":1,"status":"read"})",
       "/status: unknown status `read` (expected delivered, opened, clicked or failed)", 0},
      {head + R"("instance":1,"action":"start","trigger":"e","group":"maybe"})",
       "/group: expected `treated` or `control`, got `maybe`", 0},
      {head + R"("instance":0,"action":"end","outcome":"completed"})", "/instance: expected an integer from 1 to", 0},
      {head + R"("instance":1,"action":"end","outcome":"won"})", "/outcome: unknown outcome `won`", 0},
      {head + R"("instance":1,"action":"fly"})", "/action: unknown action `fly`", 0},
      {R"({"at":"x","recipient":"u1","scenario":7,"action":"end"})", "/scenario: expected a string, got an integer", 0},
      {head + R"("instance":1,"action":"send","channel":"sms","message":"m1","step":1,"cost":1,"segments":0})",
       "/segments: expected an integer from 1 to 1000, got 0", 0},
      {head + R"("action":"start"} trailing)", "invalid JSON: extra text after the value", 80},
  };
  for (const Case& c : cases) {
    auto e = b.add_line(c.line);
    BOOST_TEST_REQUIRE(e.has_value(), c.line);
    BOOST_TEST(e->message.rfind(c.message, 0) == 0u, e->message << " does not start with " << c.message);
    BOOST_TEST(e->column == c.column, c.line << ": column " << e->column);
  }
  const r::Report rep = b.finish();
  BOOST_TEST(rep.records == 0u);
  BOOST_TEST(rep.scenarios.empty());
}

BOOST_AUTO_TEST_CASE(json_form_is_versioned_and_html_escapes_names) {
  r::Builder b;
  const std::string line =
      R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","scenario":"<script>alert(1)</script>","instance":1,"action":"start","trigger":"e","group":"treated"})";
  BOOST_TEST(!b.add_line(line));
  const r::Report rep = b.finish();
  const boost::json::value v = boost::json::parse(r::render_json(rep));
  BOOST_TEST(v.at("version").as_int64() == 1);
  BOOST_TEST(v.at("scenarios").at(0).at("name").as_string() == "<script>alert(1)</script>");
  BOOST_TEST(v.at("scenarios").at(0).at("savings").at("known").as_bool() == false);
  const std::string html = r::render_html(rep);
  BOOST_TEST(html.find("<script>") == std::string::npos);
  BOOST_TEST(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  BOOST_TEST((html.find("http://") == std::string::npos || html.find("http://www.w3.org/2000/svg") != std::string::npos));
  BOOST_TEST(html.find("https://") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(truncated_and_retyped_records_are_errors_not_crashes) {
  // Every prefix of every record of the small trace, and every record with each member's value
  // replaced by a value of another type: each is either accepted or an error, never a crash
  // (this case is what the ASan+UBSan run exercises).
  std::ifstream in("tests/golden/report/small.trace.jsonl");
  std::string line;
  std::size_t errors = 0, lines = 0;
  const char* replacements[] = {"null", "-1", "1e300", "\"\"", "[]", "{}", "18446744073709551615", "true"};
  while (std::getline(in, line)) {
    ++lines;
    r::Builder b;
    for (std::size_t n = 0; n < line.size(); ++n) errors += b.add_line(line.substr(0, n)).has_value();
    const boost::json::object o = boost::json::parse(line).as_object();
    for (const auto& member : o) {
      for (const char* value : replacements) {
        boost::json::object copy = o;
        copy[member.key()] = boost::json::parse(value);
        r::Builder fresh;
        (void)fresh.add(copy);
        (void)fresh.finish();
      }
    }
    (void)r::render_html(b.finish());
  }
  BOOST_TEST(lines == 39u);
  BOOST_TEST(errors > 1000u);  // all the strict prefixes are invalid JSON
}
