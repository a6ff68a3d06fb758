// The `cascade` binary as a user runs it: options, help, exit codes, streams, colour, fmt.
// Fixtures live in tests/cli/project/; tests that need a folder without a project or files
// to rewrite make a temporary folder.
#define BOOST_TEST_MODULE cli
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "run_process.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using cascade::test::ProcessOptions;
using cascade::test::ProcessResult;

namespace {

const std::string kProject = "tests/cli/project";

// Runs cascade from the repository root with NO_COLOR unset, so colour tests are explicit.
ProcessResult run_cascade(std::vector<std::string> args, ProcessOptions options = {}) {
  args.insert(args.begin(), CASCADE_BINARY);
  if (options.working_dir.empty()) options.working_dir = CASCADE_SOURCE_DIR;
  if (!options.env.count("NO_COLOR")) options.env["NO_COLOR"] = std::nullopt;
  ProcessResult r = cascade::test::run_process(args, options);
  BOOST_TEST_REQUIRE(!r.signaled, "cascade crashed with signal " << r.signal << "\n" << r.err);
  BOOST_TEST_REQUIRE(!r.timed_out);
  return r;
}

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
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "cascade-cli-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::size_t count_lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

// Runs cascade with stderr on a pseudo-terminal and returns what it wrote there; nullopt
// when the machine has no pseudo-terminals to give.
std::optional<std::string> stderr_on_a_terminal(const std::vector<std::string>& args, bool no_color) {
  int master = -1;
  const pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  if (pid < 0) return std::nullopt;
  if (pid == 0) {
    // The child: stdout to /dev/null so only stderr is the terminal.
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    if (::chdir(CASCADE_SOURCE_DIR) != 0) ::_exit(125);
    if (no_color)
      ::setenv("NO_COLOR", "1", 1);
    else
      ::unsetenv("NO_COLOR");
    ::setenv("TERM", "xterm", 1);
    std::vector<std::string> all{CASCADE_BINARY};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  std::string out;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(master, buffer, sizeof buffer);
    if (n <= 0) break;  // EIO once the child has closed the terminal
    out.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(options)

BOOST_AUTO_TEST_CASE(version) {
  const auto r = run_cascade({"--version"});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out == "cascade 0.1.0\n");
  BOOST_TEST(r.err.empty());
}

BOOST_AUTO_TEST_CASE(help_lists_the_commands_but_not_hidden_ones) {
  for (const auto& args : {std::vector<std::string>{"--help"}, std::vector<std::string>{"help"}}) {
    const auto r = run_cascade(args);
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(r.out.find("Usage: cascade") != std::string::npos, r.out);
    BOOST_TEST(r.out.find("check") != std::string::npos);
    BOOST_TEST(r.out.find("fmt") != std::string::npos);
    BOOST_TEST(r.out.find("__gen-docs") == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(every_subcommand_has_help) {
  for (const std::string command : {"check", "fmt", "help"}) {
    const auto r = run_cascade({command, "--help"});
    BOOST_TEST(r.exit_code == 0, command);
    BOOST_TEST(r.out.find("Usage: cascade " + command) != std::string::npos, r.out);
    BOOST_TEST(r.err.empty());
  }
  const auto check = run_cascade({"check", "--help"});
  for (const char* word : {"--format", "--werror", "--project", "--color", "stderr", "Exit status"})
    BOOST_TEST(check.out.find(word) != std::string::npos, word);
  const auto fmt = run_cascade({"fmt", "--help"});
  for (const char* word : {"--check", "--project", "standard input"})
    BOOST_TEST(fmt.out.find(word) != std::string::npos, word);
  // `cascade help check` says the same as `cascade check --help`.
  BOOST_TEST(run_cascade({"help", "check"}).out == check.out);
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2_with_one_line_and_a_hint) {
  struct Case {
    std::vector<std::string> args;
    std::string command;  // whose --help the hint names
  };
  const Case cases[] = {
      {{"check", "--bogus"}, "cascade check"},
      {{"check", "--format", "xml"}, "cascade check"},
      {{"check", "--color", "sometimes"}, "cascade check"},
      {{"fmt", "--nope"}, "cascade fmt"},
      {{"frobnicate"}, "cascade"},
      {{}, "cascade"},
      {{"--bogus"}, "cascade"},
      {{"help", "frobnicate"}, "cascade help"},
  };
  for (const Case& c : cases) {
    const auto r = run_cascade(c.args);
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(r.out.empty());
    BOOST_TEST(count_lines(r.err) == 2u, r.err);
    BOOST_TEST(r.err.rfind(c.command + ": error: ", 0) == 0u, r.err);
    BOOST_TEST(r.err.find("hint: run '" + c.command + " --help' for usage\n") != std::string::npos, r.err);
  }
}

BOOST_AUTO_TEST_CASE(hidden_gen_docs) {
  const auto r = run_cascade({"__gen-docs"});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out.rfind("# Diagnostics reference", 0) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(check)

BOOST_AUTO_TEST_CASE(clean_is_silent_and_exits_0) {
  const auto r = run_cascade({"check", kProject + "/clean"});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.out.empty());
  BOOST_TEST(r.err.empty());
}

BOOST_AUTO_TEST_CASE(warnings_exit_0_unless_werror) {
  const auto r = run_cascade({"check", kProject + "/warn"});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.out.empty());
  BOOST_TEST(
      r.err.find("tests/cli/project/warn/zero_wait.cascade:3:8: warning[W0007]: this wait is zero\n") == 0u,
      r.err);
  BOOST_TEST(r.err.find("\n1 warning generated.\n") != std::string::npos);

  const auto strict = run_cascade({"check", "--werror", kProject + "/warn"});
  BOOST_TEST(strict.exit_code == 1);
  BOOST_TEST(strict.err.find("error[W0007]") != std::string::npos, strict.err);
  BOOST_TEST(strict.err.find("\n1 error generated.\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(errors_exit_1) {
  const auto r = run_cascade({"check", kProject + "/errors"});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.find("tests/cli/project/errors/syntax.cascade:1:") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("tests/cli/project/errors/type.cascade:3:8: error[E0303]") != std::string::npos,
             r.err);
  // A single file works as well as a folder, and --project names the project explicitly.
  BOOST_TEST(run_cascade({"check", kProject + "/errors/type.cascade"}).exit_code == 1);
  BOOST_TEST(run_cascade({"check", "--project", kProject + "/cascade.yaml", kProject + "/clean/cart.cascade"})
                 .exit_code == 0);
}

BOOST_AUTO_TEST_CASE(io_problems_exit_2) {
  const auto missing = run_cascade({"check", kProject + "/no-such-file.cascade"});
  BOOST_TEST(missing.exit_code == 2, missing.err);
  BOOST_TEST(missing.err.find("no-such-file.cascade") != std::string::npos, missing.err);

  const auto bad_project =
      run_cascade({"check", "--project", kProject + "/missing.yaml", kProject + "/clean"});
  BOOST_TEST(bad_project.exit_code == 2, bad_project.err);

  TempDir dir;  // a folder with no cascade.yaml above it
  write(dir.path / "a.cascade", "scenario a {\n  trigger manual\n}\n");
  ProcessOptions in_dir;
  in_dir.working_dir = dir.path.string();
  const auto no_project = run_cascade({"check", "a.cascade"}, in_dir);
  BOOST_TEST(no_project.exit_code == 2, no_project.err);
  BOOST_TEST(no_project.err.find("error[E0100]") != std::string::npos, no_project.err);
}

BOOST_AUTO_TEST_CASE(json_goes_to_stdout) {
  const auto r = run_cascade({"check", "--format", "json", kProject + "/warn"});
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.err.empty());
  const json::value doc = json::parse(r.out);
  BOOST_TEST(doc.at("version").as_int64() == 1);
  BOOST_TEST(doc.at("warnings").as_int64() == 1);
  BOOST_TEST(doc.at("errors").as_int64() == 0);
  const json::object& d = doc.at("diagnostics").at(0).as_object();
  BOOST_TEST(d.at("code") == "W0007");
  BOOST_TEST(d.at("file") == "tests/cli/project/warn/zero_wait.cascade");
  BOOST_TEST(d.at("line").as_int64() == 3);

  const auto clean = run_cascade({"check", "--format=json", kProject + "/clean"});
  BOOST_TEST(clean.exit_code == 0);
  BOOST_TEST(json::parse(clean.out).at("diagnostics").as_array().empty());
}

BOOST_AUTO_TEST_CASE(sarif_goes_to_stdout_with_relative_uris) {
  const auto r =
      run_cascade({"check", "--format", "sarif", "--werror", kProject + "/warn", kProject + "/errors"});
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.empty());
  const json::value doc = json::parse(r.out);
  BOOST_TEST(doc.at("version") == "2.1.0");
  const json::object& run = doc.at("runs").at(0).as_object();
  BOOST_TEST(run.at("tool").at("driver").at("name") == "cascade");
  BOOST_TEST(run.at("tool").at("driver").at("version") == "0.1.0");
  const json::array& results = run.at("results").as_array();
  BOOST_TEST(results.size() >= 3u);
  for (const auto& result : results) {
    BOOST_TEST(result.at("level") == "error");
    const auto& artifact = result.at("locations").at(0).at("physicalLocation").at("artifactLocation");
    const std::string uri(artifact.at("uri").as_string());
    BOOST_TEST(uri.rfind("tests/cli/project/", 0) == 0u, uri);
    BOOST_TEST(artifact.at("uriBaseId") == "%SRCROOT%");
  }
  // %SRCROOT% is where cascade ran: the repository root here.
  const std::string root(run.at("originalUriBaseIds").at("%SRCROOT%").at("uri").as_string());
  BOOST_TEST(root.rfind("file:///", 0) == 0u);
  BOOST_TEST(root.back() == '/');
}

BOOST_AUTO_TEST_CASE(colour) {
  const std::string warn = kProject + "/warn";
  // Not a terminal: no colour unless asked.
  BOOST_TEST(run_cascade({"check", warn}).err.find('\x1b') == std::string::npos);
  BOOST_TEST(run_cascade({"check", "--color", "always", warn}).err.find("\x1b[") != std::string::npos);
  ProcessOptions no_color;
  no_color.env["NO_COLOR"] = "1";
  BOOST_TEST(run_cascade({"check", "--color", "always", warn}, no_color).err.find("\x1b[") !=
             std::string::npos);
  BOOST_TEST(run_cascade({"check", "--color", "never", warn}).err.find('\x1b') == std::string::npos);
  // A terminal: colour, unless NO_COLOR is set or --color never.
  const auto coloured = stderr_on_a_terminal({"check", warn}, false);
  if (!coloured) {
    BOOST_TEST_MESSAGE("no pseudo-terminal available: the terminal half of this test is skipped");
    return;
  }
  BOOST_TEST(coloured->find("\x1b[1;33mwarning[W0007]:") != std::string::npos, *coloured);
  BOOST_TEST(stderr_on_a_terminal({"check", warn}, true).value_or("\x1b").find('\x1b') == std::string::npos);
  BOOST_TEST(stderr_on_a_terminal({"check", "--color", "never", warn}, false).value_or("\x1b").find('\x1b') ==
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(fmt)

const std::string kMessy =
    "scenario cart \"Корзина\" {\ntrigger   cart_abandoned\n      send email template \"cart_1\"\n}\n";

BOOST_AUTO_TEST_CASE(stdin_to_stdout_and_idempotent) {
  ProcessOptions input;
  input.input = kMessy;
  const auto r = run_cascade({"fmt", "-"}, input);
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.err.empty());
  BOOST_TEST(r.out != kMessy);
  BOOST_TEST(r.out.find("  trigger cart_abandoned\n") != std::string::npos, r.out);

  ProcessOptions again;
  again.input = r.out;
  BOOST_TEST(run_cascade({"fmt", "-"}, again).out == r.out);
  BOOST_TEST(run_cascade({"fmt", "--check", "-"}, again).exit_code == 0);
  const auto messy_check = run_cascade({"fmt", "--check", "-"}, input);
  BOOST_TEST(messy_check.exit_code == 1);
  BOOST_TEST(messy_check.out == "<stdin>\n");
}

BOOST_AUTO_TEST_CASE(check_lists_then_rewrite_fixes) {
  TempDir dir;
  write(dir.path / "a.cascade", kMessy);
  write(dir.path / "sub" / "b.cascade", kMessy);
  ProcessOptions in_dir;
  in_dir.working_dir = dir.path.string();

  const auto listed = run_cascade({"fmt", "--check", "."}, in_dir);
  BOOST_TEST(listed.exit_code == 1);
  BOOST_TEST(listed.out.find("a.cascade\n") != std::string::npos, listed.out);
  BOOST_TEST(listed.out.find("sub/b.cascade\n") != std::string::npos, listed.out);
  BOOST_TEST(read(dir.path / "a.cascade") == kMessy);  // --check changes nothing

  const auto rewritten = run_cascade({"fmt", "."}, in_dir);
  BOOST_TEST(rewritten.exit_code == 0, rewritten.err);
  BOOST_TEST(read(dir.path / "a.cascade") != kMessy);
  BOOST_TEST(read(dir.path / "a.cascade") == read(dir.path / "sub" / "b.cascade"));
  const auto clean = run_cascade({"fmt", "--check"}, in_dir);  // no path: the current folder
  BOOST_TEST(clean.exit_code == 0);
  BOOST_TEST(clean.out.empty());
  for (const auto& e : fs::directory_iterator(dir.path))  // no temporary files left behind
    BOOST_TEST(e.path().filename().string().find(".tmp") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(syntax_errors_are_reported_like_check_and_the_file_is_left_alone) {
  TempDir dir;
  const std::string broken = "scenario {\n  trigger cart_abandoned\n}\n";
  write(dir.path / "broken.cascade", broken);
  ProcessOptions in_dir;
  in_dir.working_dir = dir.path.string();
  const auto r = run_cascade({"fmt", "broken.cascade"}, in_dir);
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.err.rfind("broken.cascade:1:10: error[E0001]: ", 0) == 0u, r.err);
  BOOST_TEST(r.err.find("generated.\n") != std::string::npos);
  BOOST_TEST(read(dir.path / "broken.cascade") == broken);

  ProcessOptions input;
  input.input = broken;
  const auto from_stdin = run_cascade({"fmt", "-"}, input);
  BOOST_TEST(from_stdin.exit_code == 1);
  BOOST_TEST(from_stdin.out.empty());
  BOOST_TEST(from_stdin.err.rfind("<stdin>:1:10: error[E0001]: ", 0) == 0u, from_stdin.err);
}

BOOST_AUTO_TEST_CASE(usage_and_io_errors_exit_2) {
  BOOST_TEST(run_cascade({"fmt", "--check", "no/such/dir"}).exit_code == 2);
  BOOST_TEST(run_cascade({"fmt", "-", kProject}).exit_code == 2);
  BOOST_TEST(run_cascade({"fmt", "--check", "--project", "missing.yaml", kProject + "/clean"}).exit_code ==
             2);
}

BOOST_AUTO_TEST_SUITE_END()
