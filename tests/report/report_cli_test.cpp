// `cascade report` through the built binary: the golden text and JSON report of the examples'
// trace (tests/golden/run/examples.trace.jsonl; CASCADE_REGEN_GOLDEN=1 rewrites the expected
// files), bad lines as FILE:LINE with exit 1, unreadable files with exit 2, and the HTML page
// opened in headless Chromium: no console error (with a negative control proving the check
// sees one) and a screenshot that is a real picture.
#define BOOST_TEST_MODULE report_cli
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "run_process.hpp"

namespace fs = std::filesystem;
using cascade::test::ProcessOptions;
using cascade::test::ProcessResult;

namespace {

ProcessResult run(std::vector<std::string> args, int timeout = 60) {
  ProcessOptions options;
  options.working_dir = CASCADE_SOURCE_DIR;
  options.env["NO_COLOR"] = "1";
  options.timeout_seconds = timeout;
  ProcessResult r = cascade::test::run_process(args, options);
  BOOST_TEST_REQUIRE(!r.signaled, args[0] << " crashed with signal " << r.signal << "\n" << r.err);
  BOOST_TEST_REQUIRE(!r.timed_out, args[0] << " timed out");
  return r;
}

ProcessResult cascade_cmd(std::vector<std::string> args) {
  args.insert(args.begin(), CASCADE_BINARY);
  return run(std::move(args));
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "cascade-report-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void check_golden(const std::string& actual, const std::string& golden) {
  const fs::path path = fs::path(CASCADE_SOURCE_DIR) / golden;
  if (const char* regen = std::getenv("CASCADE_REGEN_GOLDEN"); regen && std::string(regen) == "1") {
    write(path, actual);
    return;
  }
  BOOST_TEST_REQUIRE(fs::exists(path), golden << " is missing (CASCADE_REGEN_GOLDEN=1 writes it)");
  BOOST_TEST(actual == read(path), "differs from " << golden << " (CASCADE_REGEN_GOLDEN=1 rewrites it)");
}

const std::string kTrace = "tests/golden/run/examples.trace.jsonl";

}  // namespace

BOOST_AUTO_TEST_CASE(golden_text_and_json_of_the_examples_trace) {
  const ProcessResult text = cascade_cmd({"report", kTrace, "--project", "examples"});
  BOOST_TEST(text.exit_code == 0, text.err);
  check_golden(text.out, "tests/golden/report/examples.txt");
  // The currency comes from the project file.
  BOOST_TEST(text.out.find("₽") != std::string::npos);

  const ProcessResult json = cascade_cmd({"report", kTrace, "--project", "examples", "--format", "json"});
  BOOST_TEST(json.exit_code == 0, json.err);
  check_golden(json.out, "tests/golden/report/examples.json");
  const boost::json::value v = boost::json::parse(json.out);
  BOOST_TEST(v.at("version").as_int64() == 1);
  BOOST_TEST(v.at("records").as_int64() == 205);
  // Without --project: no currency sign, the figures are the same.
  const ProcessResult bare = cascade_cmd({"report", kTrace, "--format", "json"});
  BOOST_TEST(bare.exit_code == 0);
  const boost::json::value b = boost::json::parse(bare.out);
  BOOST_TEST(b.at("currency").as_string() == "");
  BOOST_TEST(b.at("total") == v.at("total"));
}

BOOST_AUTO_TEST_CASE(bad_lines_are_listed_with_file_and_line_and_exit_1) {
  const ProcessResult r = cascade_cmd({"report", "tests/golden/report/bad.trace.jsonl", "--format", "json"});
  BOOST_TEST(r.exit_code == 1);
  const std::string f = "tests/golden/report/bad.trace.jsonl:";
  for (const std::string& expected : {
           f + "2:47: error: invalid JSON: ",
           f + "3: error: /channel: missing key\n",
           f + "4: error: /step: expected an integer, got a string\n",
           f + "5: error: /status: unknown status `read` (expected delivered, opened, clicked or failed)\n",
           f + "6: error: expected a JSON object, got an array\n",
           f + "8: error: /cost: expected a number, got a string\n",
           std::string("cascade report: 6 bad lines left out of the report\n"),
       }) {
    BOOST_TEST(r.err.find(expected) != std::string::npos, "missing: " << expected << "\nin:\n" << r.err);
  }
  // The good lines still make a report: line 1 started an instance, line 7 ended it (blank
  // line 9 is not an error).
  BOOST_TEST(r.err.find(f + "9:") == std::string::npos);
  const boost::json::value v = boost::json::parse(r.out);
  BOOST_TEST(v.at("records").as_int64() == 2);
  BOOST_TEST(v.at("scenarios").at(0).at("ended").at("completed").as_int64() == 1);
}

BOOST_AUTO_TEST_CASE(unreadable_files_and_bad_options_exit_2) {
  ProcessResult r = cascade_cmd({"report", kTrace, "tests/golden/report/no-such.trace.jsonl"});
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("cannot read tests/golden/report/no-such.trace.jsonl") != std::string::npos, r.err);
  BOOST_TEST(r.out.empty());
  r = cascade_cmd({"report", kTrace, "--format", "pdf"});
  BOOST_TEST(r.exit_code == 2);
  r = cascade_cmd({"report", kTrace, "--project", "tests/golden/report/no-such-dir"});
  BOOST_TEST(r.exit_code == 2);
}

BOOST_AUTO_TEST_CASE(two_traces_are_merged_by_scenario) {
  TempDir dir;
  const fs::path out = dir.path / "r.json";
  const ProcessResult r = cascade_cmd({"report", "tests/golden/report/small.trace.jsonl",
                                       "tests/golden/report/small.trace.jsonl", "--format", "json", "-o", out.string()});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out.empty());
  const boost::json::value v = boost::json::parse(read(out));
  BOOST_TEST(v.at("traces").as_int64() == 2);
  BOOST_TEST(v.at("scenarios").at(0).at("started").at("treated").as_int64() == 12);
}

// Chromium logs every console message (an uncaught exception too) on stderr as
// "INFO:CONSOLE(...)" with --enable-logging=stderr --v=0.
namespace {
const std::string kChromium = "/usr/bin/chromium";

std::vector<std::string> chromium(const fs::path& profile, std::vector<std::string> extra) {
  std::vector<std::string> args = {kChromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                                   "--enable-logging=stderr", "--v=0", "--no-first-run",
                                   "--user-data-dir=" + profile.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::vector<std::string> console_lines(const std::string& err) {
  std::vector<std::string> lines;
  std::istringstream in(err);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(":CONSOLE") != std::string::npos) lines.push_back(line);
  }
  return lines;
}
}  // namespace

BOOST_AUTO_TEST_CASE(html_opens_in_headless_chromium_without_console_errors) {
  BOOST_TEST_REQUIRE(fs::exists(kChromium),
                     kChromium << " is missing: the HTML report test needs Chromium (scripts/setup.sh installs "
                                  "the Debian `chromium` package)");
  TempDir dir;
  const fs::path page = dir.path / "report.html";
  const ProcessResult r = cascade_cmd({"report", "tests/golden/report/small.trace.jsonl", kTrace, "--project",
                                       "examples", "--format", "html", "-o", page.string()});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
  const std::string html = read(page);
  // Self-contained: nothing to fetch, no script.
  BOOST_TEST(html.find("<script") == std::string::npos);
  BOOST_TEST(html.find("src=") == std::string::npos);
  BOOST_TEST(html.find("<link") == std::string::npos);
  BOOST_TEST(html.find("https://") == std::string::npos);

  const std::string url = "file://" + page.string();
  const ProcessResult dom = run(chromium(dir.path / "profile", {"--dump-dom", url}), 120);
  BOOST_TEST(dom.exit_code == 0, dom.err);
  BOOST_TEST(console_lines(dom.err).empty(), "console output:\n" << dom.err);
  // The page was parsed and laid out as a report: the charts are in the DOM.
  BOOST_TEST(dom.out.find("<h1>Campaign report</h1>") != std::string::npos);
  BOOST_TEST(dom.out.find("<svg") != std::string::npos);
  BOOST_TEST(dom.out.find("Uplift with 95 % confidence interval") != std::string::npos);

  // Negative control: the same page with a script that throws is caught by the same check.
  std::string broken = html;
  broken.insert(broken.find("</main>"), "<script>throw new Error('injected failure')</script>");
  const fs::path bad = dir.path / "broken.html";
  write(bad, broken);
  const ProcessResult neg = run(chromium(dir.path / "profile2", {"--dump-dom", "file://" + bad.string()}), 120);
  const std::vector<std::string> lines = console_lines(neg.err);
  BOOST_TEST_REQUIRE(lines.size() == 1u, "the injected error was not seen:\n" << neg.err);
  BOOST_TEST(lines[0].find("injected failure") != std::string::npos, lines[0]);

  // A screenshot: a PNG of the requested size, big enough to hold more than a blank page.
  const fs::path png = dir.path / "report.png";
  const ProcessResult shot = run(
      chromium(dir.path / "profile3", {"--hide-scrollbars", "--window-size=1100,1400", "--screenshot=" + png.string(), url}),
      120);
  BOOST_TEST(shot.exit_code == 0, shot.err);
  BOOST_TEST(console_lines(shot.err).empty(), shot.err);
  BOOST_TEST_REQUIRE(fs::exists(png), "no screenshot written:\n" << shot.err);
  const std::string bytes = read(png);
  BOOST_TEST_REQUIRE(bytes.size() > 24u);
  BOOST_TEST(bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  auto be32 = [&](std::size_t at) {
    return (static_cast<unsigned>(static_cast<unsigned char>(bytes[at])) << 24) |
           (static_cast<unsigned>(static_cast<unsigned char>(bytes[at + 1])) << 16) |
           (static_cast<unsigned>(static_cast<unsigned char>(bytes[at + 2])) << 8) |
           static_cast<unsigned>(static_cast<unsigned char>(bytes[at + 3]));
  };
  BOOST_TEST(be32(16) == 1100u);  // IHDR width
  BOOST_TEST(be32(20) == 1400u);  // IHDR height
  // A blank 1100 × 1400 page compresses to a few kilobytes; text and charts do not.
  BOOST_TEST(bytes.size() > 40000u, "screenshot is only " << bytes.size() << " bytes");
}
