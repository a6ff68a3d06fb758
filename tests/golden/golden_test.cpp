// The golden suite for `cascade check`: input files -> expected diagnostics, verbatim.
//
// Cases (the layout of tests/golden/check/README.md):
//   tests/golden/check/X.cascade        expected output in X.expected
//   tests/golden/check/X/main.cascade   expected output in X/main.expected; the folder may
//                                       have its own cascade.yaml and files to import
// Each case runs the real binary from the repository root, as a user would:
//   cascade check --color never tests/golden/check/X.cascade
// (the project file is found the normal way, from the case's folder upwards), and its text
// diagnostics must equal X.expected byte for byte. When X.json.expected exists, the same
// check with --format json must equal it too. A case must not crash, hang or exit with
// anything but 0, 1 or 2, and exits 0 only when it reports no error.
//
// One more test fails listing every code of the table that no case covers; a case covers a
// code when its .expected contains `[CODE]`. Codes that cannot have a file case (they are
// about the command line or the file system) are listed in kNotGolden, with where they
// are tested instead.
//
// CASCADE_REGEN_GOLDEN=1 rewrites every .expected (and existing .json.expected) from the
// current output instead of comparing: scripts/regen-golden.sh. Read the diff afterwards.
#define BOOST_TEST_MODULE golden
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "cascade/compiler/diagnostics.hpp"
#include "run_process.hpp"

namespace fs = std::filesystem;
using cascade::test::run_process;

namespace {

const fs::path kCheckDir = "tests/golden/check";

// Codes that cannot be a golden file case, and where they are covered instead.
const std::map<std::string, std::string> kNotGolden = {
    {"E0100", "no cascade.yaml above the checked path: impossible inside this tree (tests/cli, tests/check)"},
    {"E0900", "an unreadable path on the command line (tests/cli, tests/check)"},
    {"E0901", "a file over the 64 MiB limit (tests/check)"},
};

bool regenerating() {
  const char* v = std::getenv("CASCADE_REGEN_GOLDEN");
  return v != nullptr && *v != '\0' && std::string_view(v) != "0";
}

std::optional<std::string> read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) BOOST_ERROR("cannot write " << p);
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      lines.push_back(text.substr(start) + "\\ (no newline at end)");
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// A unified-style diff (expected -> actual) from the longest common subsequence of lines,
// with two lines of context around each change.
std::string diff(const std::string& expected, const std::string& actual) {
  const auto a = split_lines(expected), b = split_lines(actual);
  if (a.size() * b.size() > 4'000'000) return "(outputs too large to diff)\n";
  std::vector<std::vector<std::uint32_t>> lcs(a.size() + 1, std::vector<std::uint32_t>(b.size() + 1, 0));
  for (std::size_t i = a.size(); i-- > 0;)
    for (std::size_t j = b.size(); j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  struct Line {
    char tag;
    const std::string* text;
  };
  std::vector<Line> script;
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      script.push_back({' ', &a[i]}), ++i, ++j;
    } else if (j < b.size() && (i == a.size() || lcs[i][j + 1] >= lcs[i + 1][j])) {
      script.push_back({'+', &b[j]}), ++j;
    } else {
      script.push_back({'-', &a[i]}), ++i;
    }
  }
  // Show the changed lines and two lines of context around them; "@@" marks a gap.
  constexpr std::size_t kContext = 2;
  std::vector<bool> shown(script.size(), false);
  for (std::size_t k = 0; k < script.size(); ++k) {
    if (script[k].tag == ' ') continue;
    for (std::size_t d = k >= kContext ? k - kContext : 0; d < std::min(script.size(), k + kContext + 1); ++d)
      shown[d] = true;
  }
  std::string out = "--- expected\n+++ actual\n";
  for (std::size_t k = 0; k < script.size(); ++k) {
    if (!shown[k]) continue;
    if (k > 0 && !shown[k - 1]) out += "@@\n";
    out += script[k].tag;
    out += *script[k].text;
    out += '\n';
  }
  return out;
}

struct Case {
  fs::path source;    // relative to the repository root
  fs::path expected;  // X.expected
  fs::path json;      // X.json.expected
};

std::vector<Case> discover(const fs::path& root) {
  std::vector<Case> cases;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root / kCheckDir, ec)) {
    const fs::path rel = kCheckDir / entry.path().filename();
    fs::path source;
    if (entry.is_regular_file() && rel.extension() == ".cascade") source = rel;
    if (entry.is_directory() && fs::is_regular_file(root / rel / "main.cascade"))
      source = rel / "main.cascade";
    if (source.empty()) continue;
    fs::path stem = source;
    stem.replace_extension();
    cases.push_back(
        {source, fs::path(stem.string() + ".expected"), fs::path(stem.string() + ".json.expected")});
  }
  std::sort(cases.begin(), cases.end(), [](const Case& a, const Case& b) { return a.source < b.source; });
  return cases;
}

cascade::test::ProcessResult check(const fs::path& root, const Case& c, bool json) {
  std::vector<std::string> argv{CASCADE_BINARY, "check", "--color", "never"};
  if (json) argv.insert(argv.end(), {"--format", "json"});
  argv.push_back(c.source.generic_string());
  cascade::test::ProcessOptions options;
  options.working_dir = root.string();
  options.env["NO_COLOR"] = "1";
  return run_process(argv, options);
}

void expect_sane_exit(const cascade::test::ProcessResult& r) {
  BOOST_TEST_REQUIRE(!r.timed_out, "cascade check hung");
  BOOST_TEST_REQUIRE(!r.signaled, "cascade check was killed by signal " << r.signal << "\n" << r.err);
  BOOST_TEST((r.exit_code >= 0 && r.exit_code <= 2), "exit code " << r.exit_code);
}

void compare(const fs::path& root, const fs::path& expected_path, const std::string& actual,
             const char* what) {
  if (regenerating()) {
    write(root / expected_path, actual);
    return;
  }
  const std::optional<std::string> expected = read(root / expected_path);
  if (!expected) {
    BOOST_ERROR(expected_path.generic_string()
                << " is missing; create it with scripts/regen-golden.sh. Actual " << what << ":\n"
                << actual);
    return;
  }
  if (*expected != actual)
    BOOST_ERROR(what << " differs from " << expected_path.generic_string() << "\n"
                     << diff(*expected, actual));
}

void run_case(const fs::path& root, const Case& c) {
  const auto text = check(root, c, false);
  expect_sane_exit(text);
  const bool errors = text.err.find("error[") != std::string::npos;
  if (text.exit_code == 0) BOOST_TEST(!errors, "exit 0 with errors reported");
  if (text.exit_code == 1) BOOST_TEST(errors, "exit 1 without an error");
  BOOST_TEST(text.out.empty(), "text diagnostics belong on stderr, stdout had:\n" << text.out);
  compare(root, c.expected, text.err, "text output");

  if (fs::exists(root / c.json)) {
    const auto json = check(root, c, true);
    expect_sane_exit(json);
    BOOST_TEST(json.exit_code == text.exit_code, "the exit code depends on --format");
    compare(root, c.json, json.out, "JSON output");
  }
}

void coverage(const fs::path& root) {
  std::set<std::string> covered;
  for (const Case& c : discover(root)) {
    const std::optional<std::string> text = read(root / c.expected);
    if (!text) continue;
    for (const cascade::diag::Info& i : cascade::diag::table())
      if (text->find("[" + std::string(i.code) + "]") != std::string::npos)
        covered.insert(std::string(i.code));
  }
  std::string missing;
  for (const cascade::diag::Info& i : cascade::diag::table()) {
    const std::string code(i.code);
    if (!covered.count(code) && !kNotGolden.count(code))
      missing += " " + code + " (" + std::string(i.name) + ")";
  }
  BOOST_TEST(missing.empty(), "codes without a golden case in tests/golden/check:" << missing);
  // An exemption that has since gained a case should be removed from the list.
  for (const auto& [code, why] : kNotGolden)
    BOOST_TEST(!covered.count(code), code << " is covered; drop it from kNotGolden");
}

std::string test_name(const fs::path& source) {
  std::string name = source.lexically_relative(kCheckDir).generic_string();
  if (name.ends_with("/main.cascade")) name.resize(name.size() - std::string_view("/main.cascade").size());
  if (name.ends_with(".cascade")) name.resize(name.size() - std::string_view(".cascade").size());
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-') ch = '_';
  return name;
}

// Registers one test case per golden file when the test module starts.
struct Registrar {
  Registrar() {
    namespace ut = boost::unit_test;
    const fs::path root = CASCADE_SOURCE_DIR;
    ut::test_suite* suite = BOOST_TEST_SUITE("check");
    for (const Case& c : discover(root))
      suite->add(
          ut::make_test_case([root, c] { run_case(root, c); }, test_name(c.source), __FILE__, __LINE__));
    ut::framework::master_test_suite().add(suite);
    ut::framework::master_test_suite().add(
        ut::make_test_case([root] { coverage(root); }, "every_code_has_a_golden_case", __FILE__, __LINE__));
  }
};
const Registrar registrar;

}  // namespace
