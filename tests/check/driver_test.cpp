// The driver on real files: project discovery, folder expansion, imports, cycles, I/O
// errors, size limit, syntax errors and their follow-ons.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cascade/compiler/driver.hpp"
#include "helpers.hpp"

using namespace cascade;
namespace fs = std::filesystem;
using Codes = std::vector<std::string>;

namespace {

// A fresh folder with a project file, removed at the end of the test.
struct TempProject {
  fs::path root;
  TempProject() {
    static int counter = 0;
    root = fs::temp_directory_path() / ("cascade-check-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(root);
    fs::create_directories(root);
    write("cascade.yaml", std::string(test::kProject));
  }
  ~TempProject() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  void write(const std::string& rel, const std::string& text) const {
    fs::create_directories((root / rel).parent_path());
    std::ofstream(root / rel, std::ios::binary) << text;
  }
  std::string path(const std::string& rel) const { return (root / rel).string(); }
};

Codes codes(const driver::CheckOutcome& o) {
  Codes out;
  for (const auto& d : o.diagnostics.items()) out.emplace_back(diag::info(d.code).code);
  return out;
}

const std::string kScenario = "scenario s \"S\" {\n  trigger cart_abandoned\n  send email template \"t\"\n}\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(driver_)

BOOST_AUTO_TEST_CASE(folders_expand_sorted_and_skip_hidden) {
  TempProject p;
  p.write("b.cascade", "scenario b \"B\" {\n  trigger cart_abandoned\n  send sms \"x\"\n}\n");
  p.write("a/z.cascade", "scenario z \"Z\" {\n  trigger cart_abandoned\n  send sms \"x\"\n}\n");
  p.write("a/notes.txt", "not a scenario");
  p.write(".hidden/x.cascade", "this is not even valid");
  std::vector<std::string> unreadable;
  const auto files = driver::expand_paths({p.root.string()}, unreadable);
  BOOST_TEST(unreadable.empty());
  BOOST_REQUIRE_EQUAL(files.size(), 2u);
  BOOST_TEST(files[0] == p.path("a/z.cascade"));
  BOOST_TEST(files[1] == p.path("b.cascade"));

  const auto o = driver::check({{p.root.string()}, std::nullopt});
  BOOST_TEST(codes(o) == Codes{}, boost::test_tools::per_element());
  BOOST_TEST(o.files_checked == 2u);
  BOOST_TEST(o.project.has_value());
}

BOOST_AUTO_TEST_CASE(project_found_in_a_parent_folder) {
  TempProject p;
  p.write("deep/er/s.cascade", kScenario);
  const auto o = driver::check({{p.path("deep/er/s.cascade")}, std::nullopt});
  BOOST_TEST(codes(o) == Codes{}, boost::test_tools::per_element());
  BOOST_TEST(o.project.has_value());
}

BOOST_AUTO_TEST_CASE(missing_path_is_an_io_error) {
  TempProject p;
  p.write("s.cascade", kScenario);
  const auto o = driver::check({{p.path("s.cascade"), p.path("nope.cascade")}, std::nullopt});
  BOOST_TEST(codes(o) == Codes{"E0900"}, boost::test_tools::per_element());
  BOOST_TEST(o.io_error);
  BOOST_TEST(!o.diagnostics.items()[0].has_span);
}

BOOST_AUTO_TEST_CASE(no_project_file) {
  TempProject p;
  p.write("s.cascade", kScenario);
  const auto o = driver::check({{p.path("s.cascade")}, p.path("missing.yaml")});
  BOOST_TEST(!o.project.has_value());
  BOOST_TEST(o.diagnostics.has_errors());
  BOOST_TEST(o.io_error);  // --project names a file that is not there
}

BOOST_AUTO_TEST_CASE(syntax_errors_are_reported_without_a_project) {
  TempProject p;
  fs::remove(p.root / "cascade.yaml");
  p.write("s.cascade", "scenario s {\n  trigger\n}\n");
  const auto o = driver::check({{p.path("s.cascade")}, p.path("cascade.yaml")});
  const Codes c = codes(o);
  BOOST_TEST(std::count(c.begin(), c.end(), "E0001") >= 1);
}

BOOST_AUTO_TEST_CASE(imports_share_segments_and_parse_once) {
  TempProject p;
  p.write("shared/segments.cascade", "segment buyers = customer.ltv > 0\n");
  p.write("a.cascade", "import \"shared/segments.cascade\"\nscenario a \"A\" {\n  trigger cart_abandoned\n"
                       "  audience buyers\n  send sms \"x\"\n}\n");
  p.write("b.cascade", "import \"shared/segments.cascade\"\nscenario b \"B\" {\n  trigger cart_abandoned\n"
                       "  audience buyers\n  send sms \"x\"\n}\n");
  const auto o = driver::check({{p.path("a.cascade"), p.path("b.cascade")}, std::nullopt});
  BOOST_TEST(codes(o) == Codes{}, boost::test_tools::per_element());
  BOOST_TEST(o.files_checked == 3u);  // the shared file once
  BOOST_TEST(o.checked.files.size() == 3u);
}

BOOST_AUTO_TEST_CASE(missing_import) {
  TempProject p;
  p.write("a.cascade", "import \"nope.cascade\"\n" + kScenario);
  const auto o = driver::check({{p.path("a.cascade")}, std::nullopt});
  BOOST_TEST(codes(o) == Codes{"E0207"}, boost::test_tools::per_element());
  BOOST_TEST(!o.io_error);
  const auto& d = o.diagnostics.items()[0];
  const auto& text = o.sources.file(d.span.file).text();
  BOOST_TEST(text.substr(d.span.begin, d.span.end - d.span.begin).find("nope.cascade") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(import_cycles) {
  TempProject p;
  p.write("a.cascade", "import \"b.cascade\"\n" + kScenario);
  p.write("b.cascade", "import \"c.cascade\"\nsegment x = customer.vip\n");
  p.write("c.cascade", "import \"a.cascade\"\nsegment y = customer.vip\n");
  p.write("self.cascade", "import \"self.cascade\"\nsegment z = customer.vip\n");
  const auto o = driver::check({{p.path("a.cascade"), p.path("self.cascade")}, std::nullopt});
  BOOST_TEST(codes(o) == (Codes{"E0208", "E0208"}), boost::test_tools::per_element());
  std::vector<std::string> messages;
  for (const auto& d : o.diagnostics.items()) messages.push_back(d.message);
  BOOST_TEST(std::count(messages.begin(), messages.end(), "import cycle: a.cascade → b.cascade → c.cascade → a.cascade") == 1);
  BOOST_TEST(std::count(messages.begin(), messages.end(), "import cycle: self.cascade → self.cascade") == 1);
}

BOOST_AUTO_TEST_CASE(syntax_errors_hide_follow_ons_in_that_file_only) {
  TempProject p;
  p.write("broken.cascade", "scenario s \"S\" {\n  trigger cart_abandoned\n  send emial template \"t\"\n  wait 1h +\n}\n");
  p.write("fine.cascade", "scenario f \"F\" {\n  trigger cart_abandoned\n  send emial template \"t\"\n}\n");
  const auto o = driver::check({{p.path("broken.cascade"), p.path("fine.cascade")}, std::nullopt});
  const Codes c = codes(o);
  BOOST_TEST(std::count(c.begin(), c.end(), "E0202") == 1);  // only the one in fine.cascade
  BOOST_TEST(c.size() >= 2u);
  for (const auto& d : o.diagnostics.items()) {
    if (diag::info(d.code).code != "E0202") {
      BOOST_TEST(o.sources.file(d.span.file).path() == p.path("broken.cascade"));
    } else {
      BOOST_TEST(o.sources.file(d.span.file).path() == p.path("fine.cascade"));
    }
  }
}

BOOST_AUTO_TEST_CASE(file_too_large) {
  TempProject p;
  p.write("big.cascade", "");
  fs::resize_file(p.root / "big.cascade", driver::kMaxSourceBytes + 1);  // sparse: costs no disk
  const auto o = driver::check({{p.path("big.cascade")}, std::nullopt});
  BOOST_TEST(codes(o) == Codes{"E0901"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(diagnostics_are_sorted) {
  TempProject p;
  p.write("a.cascade", "scenario a \"A\" {\n  trigger cart_abandond\n  send emial template \"t\"\n}\n");
  p.write("b.cascade", "scenario b \"B\" {\n  trigger cart_abandond\n}\n");
  const auto o = driver::check({{p.root.string()}, std::nullopt});
  const auto& items = o.diagnostics.items();
  for (std::size_t i = 1; i < items.size(); ++i) {
    const bool ordered = items[i - 1].span.file < items[i].span.file ||
                         (items[i - 1].span.file == items[i].span.file && items[i - 1].span.begin <= items[i].span.begin);
    BOOST_TEST(ordered);
  }
}

BOOST_AUTO_TEST_SUITE_END()
