// `cascade graph`: golden DOT and Mermaid for every example, Mermaid's own parser on every
// Mermaid output, SVG that is well-formed XML with a node per send, what a message costs,
// label escaping, and the command's usage errors and exit codes.
//
// Golden files live in tests/golden/graph/NAME.dot and NAME.mmd (NAME: the example file's
// stem); CASCADE_REGEN_GOLDEN=1 rewrites them. The Mermaid check runs
// tests/graph/mermaid/check.mjs under node with the packages pinned by the package-lock.json
// beside it (installed there by `npm ci` on first use).
#define BOOST_TEST_MODULE graph
#include "cascade/compiler/graph.hpp"

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "cascade/compiler/driver.hpp"
#include "run_process.hpp"
#include "test_files.hpp"

namespace fs = std::filesystem;
using namespace cascade;

namespace {

using test::slurp;

test::ProcessResult cascade_cli(std::vector<std::string> args) {
  args.insert(args.begin(), CASCADE_BINARY);
  test::ProcessOptions o;
  o.timeout_seconds = 60;
  return test::run_process(args, o);
}

fs::path temp_dir(const std::string& name) { return test::temp_dir("graph", name); }

// Every example file that holds a scenario, by stem.
std::vector<std::string> example_stems() {
  std::vector<std::string> stems;
  for (const auto& e : fs::directory_iterator("examples")) {
    if (e.path().extension() != ".cascade") continue;
    const std::string text = slurp(e.path());
    if (!text.starts_with("scenario ") && text.find("\nscenario ") == std::string::npos) continue;
    stems.push_back(e.path().stem().string());
  }
  std::sort(stems.begin(), stems.end());
  return stems;
}

// The graphs of a file, built in-process (the CLI's output is compared against these).
std::vector<graph::Graph> build(const std::string& path, const std::string& project = "examples/cascade.yaml") {
  driver::CheckRequest req;
  req.paths = {path};
  req.project_file = project;
  driver::CheckOutcome out = driver::check(req);
  BOOST_REQUIRE(out.project);
  BOOST_REQUIRE_MESSAGE(!out.diagnostics.has_errors(), path);
  std::vector<graph::Graph> graphs;
  for (const ast::Scenario* s : graph::scenarios(out.checked)) graphs.push_back(graph::build(*out.project, *s));
  return graphs;
}

const graph::Node* find_node(const graph::Graph& g, graph::NodeKind kind, const std::string& first_line) {
  for (const graph::Node& n : g.nodes)
    if (n.kind == kind && !n.lines.empty() && n.lines.front() == first_line) return &n;
  return nullptr;
}

bool has_line(const graph::Node& n, const std::string& line) {
  return std::find(n.lines.begin(), n.lines.end(), line) != n.lines.end();
}

// A node's label as one line (wrapping aside).
std::string joined(const graph::Node& n) {
  std::string out;
  for (const auto& l : n.lines) out += (out.empty() ? "" : " ") + l;
  return out;
}

bool has_edge(const graph::Graph& g, const std::string& label) {
  for (const graph::Edge& e : g.edges)
    if (e.label == label) return true;
  return false;
}

// Installs the pinned Mermaid checker once (npm ci), then parses the files with it.
test::ProcessResult mermaid_check(const std::vector<std::string>& files) {
  const fs::path dir = "tests/graph/mermaid";
  const fs::path installed = dir / "node_modules" / ".package-lock.json";
  std::error_code ec;
  if (!fs::exists(installed) || fs::last_write_time(installed, ec) < fs::last_write_time(dir / "package-lock.json", ec)) {
    test::ProcessOptions o;
    o.working_dir = dir.string();
    o.timeout_seconds = 300;
    const auto npm = test::run_process({"/bin/sh", "-c", "exec npm ci --no-audit --no-fund"}, o);
    BOOST_TEST_REQUIRE(npm.exit_code == 0, "npm ci failed: " << npm.err);
  }
  std::vector<std::string> args{"/bin/sh", "-c", "exec node tests/graph/mermaid/check.mjs \"$@\"", "check"};
  for (const auto& f : files) args.push_back(f);
  test::ProcessOptions o;
  o.timeout_seconds = 120;
  return test::run_process(args, o);
}

bool regen() {
  const char* v = std::getenv("CASCADE_REGEN_GOLDEN");
  return v && std::string(v) == "1";
}

}  // namespace

BOOST_AUTO_TEST_CASE(golden_dot_and_mermaid_for_every_example) {
  const std::vector<std::string> stems = example_stems();
  BOOST_TEST_REQUIRE(stems.size() >= 10u);
  for (const std::string& stem : stems) {
    for (const auto& [format, ext] : {std::pair{"dot", ".dot"}, std::pair{"mermaid", ".mmd"}}) {
      BOOST_TEST_CONTEXT(stem << " " << format) {
        const auto r = cascade_cli({"graph", "examples/" + stem + ".cascade", "--format", format});
        BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
        BOOST_TEST(r.err.empty(), r.err);
        const fs::path expected = fs::path("tests/golden/graph") / (stem + ext);
        if (regen()) {
          std::ofstream(expected, std::ios::binary) << r.out;
          continue;
        }
        BOOST_TEST(r.out == slurp(expected), "differs from " << expected.string()
                                                              << " (CASCADE_REGEN_GOLDEN=1 rewrites it)");
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(output_is_deterministic) {
  const auto a = cascade_cli({"graph", "examples", "--format", "mermaid"});
  const auto b = cascade_cli({"graph", "examples", "--format", "mermaid"});
  BOOST_TEST_REQUIRE(a.exit_code == 0, a.err);
  BOOST_TEST(a.out == b.out);
  const auto c = cascade_cli({"graph", "examples", "--format", "dot"});
  const auto d = cascade_cli({"graph", "examples", "--format", "dot"});
  BOOST_TEST(c.out == d.out);
  // A folder draws every scenario of the project, one cluster each.
  std::size_t clusters = 0;
  for (std::size_t at = 0; (at = c.out.find("subgraph cluster_", at)) != std::string::npos; ++at) ++clusters;
  BOOST_TEST(clusters == 12u);
}

BOOST_AUTO_TEST_CASE(mermaid_parser_accepts_every_output) {
  const fs::path dir = temp_dir("mermaid");
  std::vector<std::string> files;
  std::vector<std::string> inputs;
  for (const std::string& stem : example_stems()) inputs.push_back("examples/" + stem + ".cascade");
  inputs.push_back("examples");  // every scenario at once: one subgraph each
  inputs.push_back("tests/graph/cases/escaping.cascade");
  inputs.push_back("tests/graph/cases/costs.cascade");
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    std::vector<std::string> args{"graph", inputs[i], "--format", "mermaid", "-o", (dir / (std::to_string(i) + ".mmd")).string()};
    if (inputs[i].starts_with("tests/")) args.insert(args.end(), {"--project", "examples/cascade.yaml"});
    const auto r = cascade_cli(args);
    BOOST_TEST_REQUIRE(r.exit_code == 0, inputs[i] << ": " << r.err);
    BOOST_TEST(r.out.empty());
    files.push_back(args[5]);
  }
  const auto r = mermaid_check(files);
  BOOST_TEST(r.exit_code == 0, r.out << r.err);
  std::size_t ok = 0;
  for (std::size_t at = 0; (at = r.out.find("ok ", at)) != std::string::npos; ++at) ++ok;
  BOOST_TEST(ok == files.size(), r.out);

  // The checker is not a rubber stamp: it rejects what Mermaid cannot parse.
  std::ofstream(dir / "bad.mmd") << "flowchart TD\n  n0[\"a\"] -->|\"x\"| n1[\"b\"\n";
  const auto bad = mermaid_check({(dir / "bad.mmd").string()});
  BOOST_TEST(bad.exit_code == 1, bad.out);
  fs::remove_all(dir);
}

// Every scenario the other test suites check without errors (lint cases, lowering cases) draws:
// odd shapes (unreachable statements, zero waits, nested cascades, empty splits) included,
// and Mermaid's parser accepts all of them.
BOOST_AUTO_TEST_CASE(every_checked_test_scenario_draws) {
  const fs::path dir = temp_dir("corpus");
  std::vector<std::string> files;
  std::size_t drawn = 0;
  for (const char* root : {"tests/golden/check", "tests/lower/cases"}) {
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (e.path().extension() != ".cascade") continue;
      driver::CheckRequest req;
      req.paths = {e.path().string()};
      driver::CheckOutcome out = driver::check(req);
      if (!out.project) {
        req.project_file = "examples/cascade.yaml";
        out = driver::check(req);
      }
      if (!out.project || out.diagnostics.has_errors()) continue;
      std::vector<graph::Graph> graphs;
      for (const ast::Scenario* sc : graph::scenarios(out.checked)) graphs.push_back(graph::build(*out.project, *sc));
      if (graphs.empty()) continue;
      BOOST_TEST_CONTEXT(e.path().string()) {
        for (const graph::Graph& g : graphs) {
          BOOST_TEST_REQUIRE(!g.nodes.empty());
          BOOST_TEST((g.nodes.front().kind == graph::NodeKind::Entry));
          for (const graph::Edge& edge : g.edges) BOOST_TEST((edge.from < g.nodes.size() && edge.to < g.nodes.size()));
        }
        const std::string dot = graph::to_dot(graphs);
        BOOST_TEST(dot.starts_with("digraph cascade {\n"));
        BOOST_TEST(dot.ends_with("}\n"));
        const fs::path mmd = dir / (std::to_string(files.size()) + ".mmd");
        std::ofstream(mmd, std::ios::binary) << graph::to_mermaid(graphs);
        files.push_back(mmd.string());
        ++drawn;
      }
    }
  }
  BOOST_TEST(drawn >= 12u);
  const auto r = mermaid_check(files);
  BOOST_TEST(r.exit_code == 0, r.out << r.err);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(svg_is_well_formed_with_a_node_per_send) {
  const fs::path dir = temp_dir("svg");
  for (const std::string stem : {"abandoned_cart", "webinar"}) {
    BOOST_TEST_CONTEXT(stem) {
      const fs::path out = dir / (stem + ".svg");
      const auto r = cascade_cli({"graph", "examples/" + stem + ".cascade", "--format", "svg", "-o", out.string()});
      BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
      BOOST_TEST(r.err.empty(), r.err);
      const std::string svg = slurp(out);
      BOOST_TEST(svg.find("<svg") != std::string::npos);

      namespace pt = boost::property_tree;
      pt::ptree tree;
      std::istringstream in(svg);
      BOOST_REQUIRE_NO_THROW(pt::read_xml(in, tree));  // well-formed XML

      // Graphviz draws each node as <g class="node"><title>ID</title>…</g>, somewhere below
      // the root <g> (inside a cluster's <g> when there are several scenarios).
      std::set<std::string> drawn;
      std::vector<const pt::ptree*> stack{&tree.get_child("svg")};
      while (!stack.empty()) {
        const pt::ptree* t = stack.back();
        stack.pop_back();
        for (const auto& [name, child] : *t) {
          if (name != "g") continue;
          if (child.get<std::string>("<xmlattr>.class", "") == "node") drawn.insert(child.get<std::string>("title", ""));
          stack.push_back(&child);
        }
      }
      const std::vector<graph::Graph> graphs = build("examples/" + stem + ".cascade");
      std::size_t sends = 0;
      for (std::size_t gi = 0; gi < graphs.size(); ++gi)
        for (std::size_t n = 0; n < graphs[gi].nodes.size(); ++n) {
          const std::string id = (graphs.size() > 1 ? "s" + std::to_string(gi) + "_" : std::string()) + "n" +
                                 std::to_string(n);
          BOOST_TEST(drawn.count(id) == 1u, "node " << id << " not drawn");
          if (graphs[gi].nodes[n].kind == graph::NodeKind::Send) ++sends;
        }
      BOOST_TEST(sends == (stem == "webinar" ? 6u : 3u));
      BOOST_TEST(drawn.size() == [&] {
        std::size_t all = 0;
        for (const auto& g : graphs) all += g.nodes.size();
        return all;
      }());
    }
  }
  // To standard output as well.
  const auto r = cascade_cli({"graph", "examples/card_transaction.cascade", "--format", "svg"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out.find("</svg>") != std::string::npos);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(sends_show_channel_content_and_cost) {
  const auto graphs = build("tests/graph/cases/costs.cascade");
  BOOST_TEST_REQUIRE(graphs.size() == 1u);
  const graph::Graph& g = graphs.front();

  // An SMS of 103 Cyrillic characters: UCS-2, two segments of 67, billed 2 × 2 ₽.
  const graph::Node* two = nullptr;
  for (const auto& n : g.nodes)
    if (n.kind == graph::NodeKind::Send && n.channel_kind == "sms" && n.lines.size() > 1 &&
        n.lines[1].starts_with("«Это длинное"))
      two = &n;
  BOOST_TEST_REQUIRE(two);
  BOOST_TEST(two->lines.back() == "4 ₽ (2 UCS-2 segments × 2 ₽)");
  BOOST_TEST(two->lines.size() == 5u);  // channel, three lines of text, cost
  BOOST_TEST(two->lines[3] == "сегмент SMS и потому стоит дважды.»");

  const graph::Node* gsm = nullptr;
  for (const auto& n : g.nodes)
    if (n.kind == graph::NodeKind::Send && n.lines.size() > 1 && n.lines[1] == "«Short GSM text»") gsm = &n;
  BOOST_TEST_REQUIRE(gsm);
  BOOST_TEST(gsm->lines.back() == "2 ₽ (1 GSM-7 segment × 2 ₽)");

  const graph::Node* email = find_node(g, graph::NodeKind::Send, "email (first)");
  BOOST_TEST_REQUIRE(email);
  BOOST_TEST(email->lines.at(1) == "template hello");
  BOOST_TEST(email->lines.back() == "0.20 ₽ per message");
  const graph::Node* viber = find_node(g, graph::NodeKind::Send, "viber");
  BOOST_TEST_REQUIRE(viber);
  BOOST_TEST(viber->lines.back() == "1.77 ₽ per message");
  const graph::Node* push = find_node(g, graph::NodeKind::Send, "push");
  BOOST_TEST_REQUIRE(push);
  BOOST_TEST(push->lines.back() == "free");
  bool template_sms = false;
  for (const auto& n : g.nodes)
    if (n.kind == graph::NodeKind::Send && has_line(n, "template sms_tpl")) template_sms = has_line(n, "2 ₽ per segment");
  BOOST_TEST(template_sms);

  // Entry, control, goal, stop on, the branches and the exits.
  const graph::Node& entry = g.nodes.front();
  BOOST_TEST((entry.kind == graph::NodeKind::Entry));
  BOOST_TEST(has_line(entry, "Стоимость (costs)"));
  BOOST_TEST(has_line(entry, "every 1d at 10:00 local time"));
  BOOST_TEST(has_line(entry, "audience: customer.ltv > 0"));
  BOOST_TEST(has_line(entry, "at most 2 per 1d for sms"));
  BOOST_TEST(has_line(entry, "quiet hours 22:00..09:00 (project)"));
  BOOST_TEST(find_node(g, graph::NodeKind::Control, "control group 10%"));
  BOOST_TEST(has_edge(g, "90%"));
  const graph::Node* goal = find_node(g, graph::NodeKind::Goal, "goal: order_placed");
  BOOST_TEST_REQUIRE(goal);
  BOOST_TEST(has_line(*goal, "within 21d"));
  BOOST_TEST(find_node(g, graph::NodeKind::Exit, "stop on unsubscribed"));
  BOOST_TEST(find_node(g, graph::NodeKind::Split, "split"));
  BOOST_TEST(find_node(g, graph::NodeKind::Control, "control branch holdout"));
  BOOST_TEST(find_node(g, graph::NodeKind::Stop, "stop"));
  BOOST_TEST(find_node(g, graph::NodeKind::Decision, "customer.vip?"));
  BOOST_TEST(has_edge(g, "email (first) not opened in 1d"));
  BOOST_TEST(has_edge(g, "email (first) opened"));
  BOOST_TEST(has_edge(g, "30% short"));
  BOOST_TEST(has_edge(g, "no, after 2d, then until 12:00 local time"));
  BOOST_TEST(has_edge(g, "no order_placed in 3d"));
  BOOST_TEST(has_edge(g, "order_placed"));
}

BOOST_AUTO_TEST_CASE(examples_read_as_the_brief_says) {
  const auto cart = build("examples/abandoned_cart.cascade");
  BOOST_TEST_REQUIRE(cart.size() == 1u);
  BOOST_TEST(has_edge(cart[0], "after 1h"));
  BOOST_TEST(has_edge(cart[0], "not opened in 24h"));
  BOOST_TEST(has_edge(cart[0], "not opened in 4h"));
  BOOST_TEST(has_edge(cart[0], "opened"));
  // {name} is not known before sending: the price is a lower bound.
  bool sms = false;
  for (const auto& n : cart[0].nodes)
    if (n.channel_kind == "sms") sms = n.lines.back() == "from 2 ₽ (1+ UCS-2 segments × 2 ₽)";
  BOOST_TEST(sms);

  const auto points = build("examples/points_expiring.cascade");
  BOOST_TEST(has_edge(points[0], "not delivered in 1h"));
  BOOST_TEST(has_edge(points[0], "delivered"));
  BOOST_TEST(joined(points[0].nodes.front()).find("urgent: project quiet hours do not apply") != std::string::npos);
  BOOST_TEST(joined(points[0].nodes.front()).find("quiet hours 23:00..08:00 for viber, sms") != std::string::npos);

  const auto card = build("examples/card_transaction.cascade");
  BOOST_TEST(has_edge(card[0], "not delivered in 1m"));
  const auto vip = build("examples/vip_sale.cascade");
  BOOST_TEST(has_line(vip[0].nodes.front(), "started by a broadcast (manual)"));
  BOOST_TEST(has_edge(vip[0], "95%"));
  BOOST_TEST(has_edge(vip[0], "not clicked in 1d"));
  const auto webinar = build("examples/webinar.cascade");
  BOOST_TEST_REQUIRE(webinar.size() == 2u);
  BOOST_TEST(webinar[1].scenario == "webinar_live");
  BOOST_TEST(has_edge(webinar[1], "no webinar_attended in 2h"));
}

BOOST_AUTO_TEST_CASE(labels_are_escaped) {
  const auto dot = cascade_cli({"graph", "tests/graph/cases/escaping.cascade", "--project", "examples/cascade.yaml"});
  BOOST_TEST_REQUIRE(dot.exit_code == 0, dot.err);
  // DOT: quotes and backslashes escaped, lines joined with \n.
  BOOST_TEST(dot.out.find(R"(Кавычки \"так\", {скобки} и #1 <b>)") != std::string::npos, dot.out);
  BOOST_TEST(dot.out.find(R"(\\ end)") != std::string::npos, dot.out);
  BOOST_TEST(dot.out.find(R"(\{не)") == std::string::npos);  // the escape is decoded, not kept

  const auto mmd = cascade_cli(
      {"graph", "tests/graph/cases/escaping.cascade", "--project", "examples/cascade.yaml", "--format", "mermaid"});
  BOOST_TEST_REQUIRE(mmd.exit_code == 0, mmd.err);
  BOOST_TEST(mmd.out.find("Кавычки #quot;так#quot;, {скобки} и #35;1 #lt;b#gt;") != std::string::npos, mmd.out);
  BOOST_TEST(mmd.out.find("<b>") == std::string::npos);
  BOOST_TEST(mmd.out.find("#96;x#96;") != std::string::npos);
  // Every quote in the output opens or closes a label: no raw quote inside one.
  for (std::size_t line_start = 0; line_start < mmd.out.size();) {
    const std::size_t end = mmd.out.find('\n', line_start);
    const std::string line = mmd.out.substr(line_start, end - line_start);
    BOOST_TEST(std::count(line.begin(), line.end(), '"') % 2 == 0, line);
    line_start = end == std::string::npos ? mmd.out.size() : end + 1;
  }
}

BOOST_AUTO_TEST_CASE(usage_errors_and_exit_codes) {
  // A file with several scenarios: --scenario picks one, an unknown one names the others.
  const auto one = cascade_cli({"graph", "tests/graph/cases/two.cascade", "--project", "examples/cascade.yaml",
                                "--scenario", "second_one"});
  BOOST_TEST(one.exit_code == 0, one.err);
  BOOST_TEST(one.out.find("second_one") != std::string::npos);
  BOOST_TEST(one.out.find("first_one") == std::string::npos);
  BOOST_TEST(one.out.find("cluster") == std::string::npos);

  const auto both = cascade_cli({"graph", "tests/graph/cases/two.cascade", "--project", "examples/cascade.yaml"});
  BOOST_TEST(both.exit_code == 0, both.err);
  BOOST_TEST(both.out.find("subgraph cluster_0") != std::string::npos);
  BOOST_TEST(both.out.find("subgraph cluster_1") != std::string::npos);

  const auto unknown = cascade_cli(
      {"graph", "tests/graph/cases/two.cascade", "--project", "examples/cascade.yaml", "--scenario", "third"});
  BOOST_TEST(unknown.exit_code == 2);
  BOOST_TEST(unknown.out.empty());
  BOOST_TEST(unknown.err.find("no scenario `third`") != std::string::npos, unknown.err);
  BOOST_TEST(unknown.err.find("first_one, second_one") != std::string::npos, unknown.err);

  const auto format = cascade_cli({"graph", "examples/feedback.cascade", "--format", "png"});
  BOOST_TEST(format.exit_code == 2);
  BOOST_TEST(format.out.empty());
  BOOST_TEST(!format.err.empty());

  const auto none = cascade_cli({"graph"});
  BOOST_TEST(none.exit_code == 2);
  BOOST_TEST(!none.err.empty());

  const auto missing = cascade_cli({"graph", "examples/no_such.cascade"});
  BOOST_TEST(missing.exit_code == 2);
  BOOST_TEST(missing.out.empty());

  const auto no_scenario = cascade_cli({"graph", "examples/segments.cascade"});
  BOOST_TEST(no_scenario.exit_code == 1);
  BOOST_TEST(no_scenario.err.find("no scenario") != std::string::npos, no_scenario.err);

  const auto unwritable = cascade_cli({"graph", "examples/feedback.cascade", "-o", "/nonexistent-dir/x.dot"});
  BOOST_TEST(unwritable.exit_code == 2);
  BOOST_TEST(unwritable.err.find("cannot write") != std::string::npos, unwritable.err);
}

BOOST_AUTO_TEST_CASE(a_scenario_with_errors_prints_them_and_draws_nothing) {
  for (const std::string format : {"dot", "svg", "mermaid"}) {
    const auto r = cascade_cli({"graph", "tests/graph/cases/broken.cascade", "--project", "examples/cascade.yaml",
                                "--format", format, "--color", "never"});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(r.out.empty());
    // The same diagnostics `cascade check` prints.
    const auto check = cascade_cli(
        {"check", "tests/graph/cases/broken.cascade", "--project", "examples/cascade.yaml", "--color", "never"});
    BOOST_TEST(check.exit_code == 1);
    BOOST_TEST(r.err == check.err);
    BOOST_TEST(r.err.find("broken.cascade:4:") != std::string::npos, r.err);
  }
}
