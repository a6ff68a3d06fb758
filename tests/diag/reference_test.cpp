// docs/diagnostics.md: generated from the table and the golden cases, and kept in sync.
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cascade/compiler/render.hpp"

using namespace cascade;
namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("cascade-reference-" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(reference)

BOOST_AUTO_TEST_CASE(a_section_for_every_code_with_its_golden_example) {
  TempDir dir;
  const fs::path golden = dir.path / "check";
  const fs::path source = golden / "E0303-wait-string.cascade";
  write(source, "scenario a {\n  trigger manual\n  wait \"1h\"\n}\n");
  write(golden / "E0303-wait-string.expected",
        source.generic_string() +
            ":3:8: error[E0303]: `wait` needs a duration, but this is `string`\n"
            "  3 |   wait \"1h\"\n"
            "    |        ^~~~\n"
            "hint: write a duration like 24h or 1h30m\n"
            "\n"
            "1 error generated.\n");
  // A case not named after W0007 but whose output reports it covers it too.
  const fs::path other = golden / "misc.cascade";
  write(other, "wait 0s\n");
  write(golden / "misc.expected", other.generic_string() +
                                      ":1:1: warning[W0007]: this wait is zero\n"
                                      "  1 | wait 0s\n"
                                      "    | ^~~~~~~\n"
                                      "hint: remove it, or give it a length\n"
                                      "\n"
                                      "1 warning generated.\n");

  // A folder case whose diagnostic points into its own cascade.yaml shows that file.
  const fs::path yaml = golden / "E0105-kind" / "cascade.yaml";
  write(yaml, "channels:\n  fax: { kind: fax }\n");
  write(golden / "E0105-kind" / "main.cascade", "segment a = true\n");
  write(golden / "E0105-kind" / "lib.cascade", "segment b = true\n");  // an import, not a case
  write(golden / "E0105-kind" / "main.expected",
        yaml.generic_string() +
            ":2:17: error[E0105]: unknown channel kind `fax`\n"
            "  2 |   fax: { kind: fax }\n"
            "    |                 ^~~\n"
            "hint: the kinds are email, sms\n\n1 error generated.\n");
  // Files below a case folder other than main.cascade, or in deeper folders, are not cases.
  write(golden / "deeper" / "E0400.cascade", "scenario a {}\n");
  write(golden / "deeper" / "E0400.expected", "x:1:1: error[E0400]: scenario `a` has no trigger\n");

  const std::string md = diag::render_reference_markdown(golden);
  BOOST_TEST(md.find("Example (`" + yaml.generic_string() +
                     "`):\n\n```yaml\nchannels:\n  fax: { kind: fax }\n```") != std::string::npos);
  for (const diag::Info& i : diag::table()) {
    BOOST_TEST(
        md.find("\n### " + std::string(i.code) + " " + std::string(i.name) + "\n") != std::string::npos,
        i.code);
    BOOST_TEST(md.find("#" + std::string(1, static_cast<char>(std::tolower(i.code[0]))) +
                       std::string(i.code.substr(1)) + "-" + std::string(i.name) + ")") != std::string::npos);
  }
  const std::string e0303 =
      "### E0303 not-duration\n\n"
      "**Severity:** error  \n"
      "**Message:** … needs a duration, but this is `…`  \n"
      "**Hint:** write a duration like 24h or 1h30m\n\n"
      "Example (`" +
      source.generic_string() +
      "`):\n\n"
      "```cascade\nscenario a {\n  trigger manual\n  wait \"1h\"\n}\n```\n\n"
      "```text\n" +
      source.generic_string() +
      ":3:8: error[E0303]: `wait` needs a duration, but this is `string`\n"
      "  3 |   wait \"1h\"\n"
      "    |        ^~~~\n"
      "hint: write a duration like 24h or 1h30m\n```\n";
  BOOST_TEST(md.find(e0303) != std::string::npos, md.substr(md.find("### E0303"), 600));
  BOOST_TEST(md.find("Example (`" + other.generic_string() + "`)") != std::string::npos);
  // Codes with no case say so rather than invent output.
  const auto e0400 = md.find("### E0400 no-trigger");
  BOOST_TEST(md.find("No example in the golden suite.", e0400) < md.find("### E0401", e0400));
  BOOST_TEST(md.find("**Message:** this SMS is … segments (…, … characters)") != std::string::npos);
  // Markdown-special characters in the table text are escaped outside code spans.
  BOOST_TEST(md.find(R"(**Hint:** the escapes are \\" \\\\ \\n and \\{)") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(long_sources_are_excerpted_around_the_line) {
  TempDir dir;
  const fs::path golden = dir.path / "check";
  const fs::path source = golden / "E0203.cascade";
  std::string text;
  for (int i = 1; i <= 60; ++i) text += "// line " + std::to_string(i) + "\n";
  write(source, text);
  write(golden / "E0203.expected",
        source.generic_string() + ":40:1: error[E0203]: unknown name `x`\n  40 | x\n     | ^\n\n");
  const std::string md = diag::render_reference_markdown(golden);
  BOOST_TEST(md.find("Example (`" + source.generic_string() + "`, lines 32–48):") != std::string::npos);
  BOOST_TEST(md.find("// line 31\n") == std::string::npos);
  BOOST_TEST(md.find("// line 32\n") != std::string::npos);
  BOOST_TEST(md.find("// line 48\n") != std::string::npos);
  BOOST_TEST(md.find("// line 49\n") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(missing_golden_dir_still_lists_every_code) {
  const std::string md = diag::render_reference_markdown("/nonexistent/golden");
  BOOST_TEST(md.find("# Diagnostics reference") == 0u);
  for (const diag::Info& i : diag::table())
    BOOST_TEST(md.find("### " + std::string(i.code) + " ") != std::string::npos);
}

// docs/diagnostics.md must be exactly what scripts/gen-docs.sh would write.
BOOST_AUTO_TEST_CASE(docs_diagnostics_md_is_up_to_date) {
  fs::current_path(CASCADE_SOURCE_DIR);
  const std::string generated = diag::render_reference_markdown();
  const std::string committed = read("docs/diagnostics.md");
  BOOST_TEST((committed == generated),
             "docs/diagnostics.md is stale: run scripts/gen-docs.sh (it regenerates the file from "
             "diagnostics.def and tests/golden/check/)");
}

BOOST_AUTO_TEST_SUITE_END()
