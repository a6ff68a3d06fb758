// `cascade run` and `cascade test` through the built binary: every kind of bad input line and
// its exact FILE:LINE message, --strict, --until, determinism, the golden trace of examples/,
// and `cascade test` on good and broken test files.
#define BOOST_TEST_MODULE run
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "run_cascade.hpp"

namespace fs = std::filesystem;
using cascade::test::ProcessResult;
using cascade::test::cascade_cmd;

namespace {


std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "cascade-run-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

const std::string kCart = "examples/abandoned_cart.cascade";
const std::string kProfiles = "tests/run/data/profiles.jsonl";

std::vector<std::string> examples_run() {
  return {"run", "examples", "--profiles", "examples/profiles.jsonl", "--events", "examples/events.jsonl"};
}

}  // namespace

BOOST_AUTO_TEST_CASE(bad_lines_are_rejected_with_their_file_and_line) {
  const ProcessResult r = cascade_cmd({"run", kCart, "--profiles", kProfiles, "--events", "tests/run/data/bad_events.jsonl"});
  BOOST_TEST(r.exit_code == 1);
  const std::string f = "tests/run/data/bad_events.jsonl:";
  for (const std::string& expected : {
           f + "2:47: error: invalid JSON: ",
           f + "3: error: unknown event `cart_abandonned`\n",
           f + "4: error: /data/total: expected decimal, got string\n",
           f + "5: error: unknown recipient `u9`\n",
           f + "6: error: time goes backwards: 2026-03-02T09:00:00Z is before the previous line's 2026-03-02T10:00:00Z\n",
           f + "7: error: missing key `at`\n",
           f + "8: error: /status: unknown status `bounced` (expected delivered, opened, clicked or failed)\n",
           f + "9: error: missing key `channel` or `message` (which message the status is for)\n",
           f + "10: error: /at: `yesterday` is not a time (write it like 2026-03-02T10:00:00Z)\n",
           f + "11: error: expected a JSON object, got array\n",
       }) {
    BOOST_TEST(r.err.find(expected) != std::string::npos, "missing: " << expected << "\nin:\n" << r.err);
  }
  // Blank line 12 is not an error; line 13 (a good status after the bad ones) still runs.
  BOOST_TEST(r.err.find(f + "12:") == std::string::npos);
  BOOST_TEST(r.err.find("10 rejected") != std::string::npos, r.err);
  BOOST_TEST(r.out.find("\"status\":\"opened\"") != std::string::npos, r.out);
}

BOOST_AUTO_TEST_CASE(bad_profiles_are_rejected_too) {
  const ProcessResult r = cascade_cmd({"run", kCart, "--profiles", "tests/run/data/bad_profiles.jsonl"});
  BOOST_TEST(r.exit_code == 1);
  const std::string f = "tests/run/data/bad_profiles.jsonl:";
  BOOST_TEST(r.err.find(f + "2: error: missing key `id`\n") != std::string::npos, r.err);
  BOOST_TEST(r.err.find(f + "3: error: /ltv: expected decimal, got string\n") != std::string::npos, r.err);
  BOOST_TEST(r.err.find(f + "4: error: duplicate profile id `u1`\n") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(strict_stops_at_the_first_bad_line) {
  const ProcessResult r = cascade_cmd(
      {"run", kCart, "--profiles", kProfiles, "--events", "tests/run/data/bad_events.jsonl", "--strict"});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("bad_events.jsonl:2:47: error: invalid JSON") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("bad_events.jsonl:3:") == std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(usage_and_io_errors_exit_2) {
  BOOST_TEST(cascade_cmd({"run", kCart, "--profiles", "no/such/file.jsonl"}).exit_code == 2);
  BOOST_TEST(cascade_cmd({"run", kCart, "--profiles", kProfiles, "--until", "soon"}).exit_code == 2);
  BOOST_TEST(cascade_cmd({"run", kCart}).exit_code == 2);  // --profiles is required
}

BOOST_AUTO_TEST_CASE(until_stops_the_clock_and_counts_the_waiting) {
  const ProcessResult r = cascade_cmd({"run", "examples", "--profiles", "examples/profiles.jsonl", "--events",
                                       "examples/events.jsonl", "--until", "2026-03-03T00:00:00Z"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.err.find(" waiting;") != std::string::npos, r.err);
  BOOST_TEST(r.err.find(" 0 waiting;") == std::string::npos, r.err);
  BOOST_TEST(r.err.find("stopped at --until 2026-03-03T00:00:00Z") != std::string::npos, r.err);
  BOOST_TEST(r.out.find("\"at\":\"2026-03-03T01") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(two_runs_give_the_same_bytes) {
  const ProcessResult a = cascade_cmd(examples_run());
  const ProcessResult b = cascade_cmd(examples_run());
  BOOST_TEST(a.exit_code == 0, a.err);
  BOOST_TEST(!a.out.empty());
  BOOST_TEST(a.out == b.out);
  BOOST_TEST(a.err == b.err);
}

BOOST_AUTO_TEST_CASE(trace_to_a_file_equals_stdout) {
  TempDir dir;
  const fs::path out = dir.path / "trace.jsonl";
  std::vector<std::string> args = examples_run();
  args.push_back("-o");
  args.push_back(out.string());
  const ProcessResult r = cascade_cmd(args);
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out.empty());
  BOOST_TEST(read(out) == cascade_cmd(examples_run()).out);
}

// The examples' trace, byte for byte. CASCADE_REGEN_GOLDEN=1 rewrites it (scripts/regen-golden.sh).
BOOST_AUTO_TEST_CASE(golden_trace_of_the_examples) {
  const ProcessResult r = cascade_cmd(examples_run());
  BOOST_TEST(r.exit_code == 0, r.err);
  const fs::path golden = fs::path(CASCADE_SOURCE_DIR) / "tests/golden/run/examples.trace.jsonl";
  const char* regen = std::getenv("CASCADE_REGEN_GOLDEN");
  if (regen && std::string(regen) == "1") {
    fs::create_directories(golden.parent_path());
    std::ofstream(golden, std::ios::binary) << r.out;
    return;
  }
  const std::string expected = read(golden);
  if (expected != r.out) {
    // Point at the first differing line rather than printing two large files.
    std::istringstream e(expected), g(r.out);
    std::string le, lg;
    int line = 0;
    while (true) {
      ++line;
      const bool he = static_cast<bool>(std::getline(e, le)), hg = static_cast<bool>(std::getline(g, lg));
      if (!he && !hg) break;
      if (le != lg || he != hg) {
        BOOST_ERROR("trace differs from " << golden << " at line " << line << "\n expected: " << le
                                          << "\n      got: " << lg
                                          << "\n(run scripts/regen-golden.sh if the change is intended)");
        break;
      }
    }
  }
}

// The daemon's restart path end to end: the engine snapshotted and restored into a new one
// after every input line (and every 5th) leaves the examples' trace byte for byte unchanged.
BOOST_AUTO_TEST_CASE(restarts_from_snapshots_do_not_change_the_trace) {
  const std::string expected = read(fs::path(CASCADE_SOURCE_DIR) / "tests/golden/run/examples.trace.jsonl");
  for (const char* every : {"1", "5"}) {
    std::vector<std::string> args = examples_run();
    args.push_back("--restart-every");
    args.push_back(every);
    const ProcessResult r = cascade_cmd(args);
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST((r.out == expected), "the trace with --restart-every " << every << " differs from the golden one");
  }
}

BOOST_AUTO_TEST_CASE(test_reports_a_failing_case_with_the_trace) {
  TempDir dir;
  const fs::path file = dir.path / "cart.test.yaml";
  const std::string scenario = (fs::path(CASCADE_SOURCE_DIR) / "examples/abandoned_cart.cascade").string();
  std::ofstream(file) << "scenario: " << scenario << "\n"
                      << "profiles:\n"
                         "  u1: { email: a@b.c, ltv: 100, orders_count: 1, tags: [], vip: false, has_app: false,\n"
                         "        points: 0, registered_at: 2024-01-01T00:00:00Z,\n"
                         "        consent: { email: true, sms: false, push: false, viber: false } }\n"
                         "tests:\n"
                         "  - name: sends the email\n"
                         "    events:\n"
                         "      - { event: cart_abandoned, data: { cart_id: c, cart_url: u, total: 900, items: 1 } }\n"
                         "    expect:\n"
                         "      - { at: +1h, send: email, template: cart_1 }\n"
                         "  - name: wrongly expects an SMS\n"
                         "    events:\n"
                         "      - { event: cart_abandoned, data: { cart_id: c, cart_url: u, total: 900, items: 1 } }\n"
                         "    expect:\n"
                         "      - { send: sms }\n";
  const fs::path junit = dir.path / "junit.xml";
  const ProcessResult r = cascade_cmd({"test", "--junit", junit.string(), file.string()});
  BOOST_TEST(r.exit_code == 1, r.out << r.err);
  BOOST_TEST(r.out.find("ok   cart: sends the email\n") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("FAIL cart: wrongly expects an SMS") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("MISSING {send: sms}") != std::string::npos, r.out);
  BOOST_TEST(r.out.find("1 passed, 1 failed\n") != std::string::npos, r.out);
  const std::string xml = read(junit);
  BOOST_TEST(xml.find("<testsuites name=\"cascade test\" tests=\"2\" failures=\"1\">") != std::string::npos, xml);
  BOOST_TEST(xml.find("<failure") != std::string::npos, xml);
}

BOOST_AUTO_TEST_CASE(test_file_mistakes_are_located) {
  TempDir dir;
  const fs::path file = dir.path / "bad.test.yaml";
  const std::string scenario = (fs::path(CASCADE_SOURCE_DIR) / "examples/abandoned_cart.cascade").string();
  std::ofstream(file) << "scenario: " << scenario << "\n"
                      << "profiles:\n"
                         "  u1: { ltv: 100, orders_count: 1, tags: [], vip: false, has_app: false,\n"
                         "        points: 0, registered_at: 2024-01-01T00:00:00Z,\n"
                         "        consent: { email: true, sms: false, push: false, viber: false } }\n"
                         "tests:\n"
                         "  - name: a wrong total\n"
                         "    events:\n"
                         "      - { event: cart_abandoned, data: { cart_id: c, cart_url: u, total: abc, items: 1 } }\n"
                         "    ends: completed\n"
                         "  - name: a typo in a key\n"
                         "    expct:\n"
                         "      - { send: sms }\n";
  const ProcessResult r = cascade_cmd({"test", file.string()});
  BOOST_TEST(r.exit_code == 1);
  // The typo is found while reading the file: the whole file is reported, at the key.
  BOOST_TEST(r.out.find(file.string() + ":12:5: error: unknown key `expct` in a test case") != std::string::npos, r.out);

  std::ofstream(file) << "scenario: " << scenario << "\n"
                      << "profiles:\n"
                         "  u1: { ltv: 100, orders_count: 1, tags: [], vip: false, has_app: false,\n"
                         "        points: 0, registered_at: 2024-01-01T00:00:00Z,\n"
                         "        consent: { email: true, sms: false, push: false, viber: false } }\n"
                         "tests:\n"
                         "  - name: a wrong total\n"
                         "    events:\n"
                         "      - { event: cart_abandoned, data: { cart_id: c, cart_url: u, total: abc, items: 1 } }\n"
                         "    ends: completed\n";
  const ProcessResult r2 = cascade_cmd({"test", file.string()});
  BOOST_TEST(r2.exit_code == 1);
  BOOST_TEST(r2.out.find(file.string() + ":9:74: error: `total` must be a number, got `abc`") != std::string::npos, r2.out);

  std::ofstream(file) << "tests: [\n";
  const ProcessResult r3 = cascade_cmd({"test", file.string()});
  BOOST_TEST(r3.exit_code == 1);
  BOOST_TEST(r3.out.find(file.string() + ":2:1: error: ") != std::string::npos, r3.out);
}

BOOST_AUTO_TEST_CASE(the_example_tests_pass) {
  const ProcessResult r = cascade_cmd({"test", "examples"});
  BOOST_TEST(r.exit_code == 0, r.out << r.err);
  BOOST_TEST(r.out.find(" 0 failed") != std::string::npos, r.out);
}

// `cascade run` decodes lines on a reader thread in batches of 1,024 while the main thread
// applies them; a line the reader refused, or whose recipient the main thread does not know, is
// decoded again with every check. The messages, their order and precedence (an unknown recipient
// before a bad field) and --strict must be those of one line at a time, across batch edges.
BOOST_AUTO_TEST_CASE(rejections_across_the_reader_threads_batches) {
  TempDir dir;
  const fs::path events = dir.path / "events.jsonl";
  {
    std::ofstream out(events);
    out << R"({"at":"2026-03-02T10:00:00Z","recipient":"u1","event":"cart_abandoned","data":{"cart_id":"c-1","cart_url":"https://shop.example/cart/c-1","total":5490.0,"items":2}})" << '\n';
    for (int line = 2; line <= 3000; ++line) {
      if (line == 1024) {
        out << R"({"at":"2026-03-02T10:00:01Z","recipient":"u1",)" << '\n';  // invalid JSON at a batch's end
      } else if (line == 1025 || line == 2049) {
        // Unknown recipient and a field of the wrong type: the recipient is reported.
        out << R"({"at":"2026-03-02T10:00:01Z","recipient":"u9","event":"order_placed","data":{"order_id":"o","total":"much"}})" << '\n';
      } else if (line == 2500) {
        out << R"({"at":"2026-03-02T10:00:01Z","recipient":"u2","event":"order_placed","data":{"order_id":"o","total":"much"}})" << '\n';
      } else if (line == 2600) {
        out << '\n';  // blank: not a line to reject
      } else {
        out << R"({"at":"2026-03-02T10:00:01Z","recipient":"u2","event":"order_placed","data":{"order_id":"o","total":1.0}})" << '\n';
      }
    }
  }
  const ProcessResult r = cascade_cmd({"run", kCart, "--profiles", kProfiles, "--events", events.string()});
  BOOST_TEST(r.exit_code == 1);
  const std::string f = events.string() + ":";
  const std::string expected = f + "1024:47: error: invalid JSON: ";
  BOOST_TEST(r.err.find(expected) == 0, r.err);
  const std::size_t second = r.err.find('\n') + 1;
  BOOST_TEST(r.err.substr(second, r.err.find("cascade run:") - second) ==
                 f + "1025: error: unknown recipient `u9`\n" + f + "2049: error: unknown recipient `u9`\n" + f +
                     "2500: error: /data/total: expected decimal, got string\n",
             r.err);
  BOOST_TEST(r.err.find("2999 input lines read, 4 rejected") != std::string::npos, r.err);
  BOOST_TEST(r.out.find("\"recipient\":\"u1\"") != std::string::npos, r.out);

  const ProcessResult strict =
      cascade_cmd({"run", kCart, "--profiles", kProfiles, "--events", events.string(), "--strict"});
  BOOST_TEST(strict.exit_code == 1);
  BOOST_TEST(strict.err.find(expected) == 0, strict.err);
  BOOST_TEST(strict.err.find(f + "1025:") == std::string::npos, strict.err);
}
