// The daemon's documents checked by real tools:
// - docs/openapi.yaml by swagger-parser (the OpenAPI 3 JSON Schema, $refs, the spec's rules) and
//   every example in it by Ajv against its schema — tests/openapi/checker/check.mjs under node with
//   the packages pinned by the package-lock.json beside it (installed there by `npm ci` on first
//   use); deliberately broken copies must be rejected, so the checker is not a rubber stamp;
// - that the real daemon answers as the file says: `cascade serve` on a random loopback port (the
//   example project, deployed with `cascade deploy`, on a virtual clock, --dry-run) gets every
//   request example of the file plus the error cases, and checker/conformance.mjs checks each
//   status and JSON answer against the file;
// - that the OpenAPI file and docs/daemon.md's endpoint table list the same endpoints with the
//   same auth, and that path parameters are declared (yaml-cpp, no node needed);
// - docs/cascade.service by `systemd-analyze verify` (with ExecStart pointed at the built binary,
//   since /usr/local/bin/cascade is not installed here), plus a broken copy that it complains of.
// The node and systemd checks are skipped, with a message, on a machine without node/npm or
// systemd-analyze.
#define BOOST_TEST_MODULE daemon_docs
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <yaml-cpp/yaml.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "run_process.hpp"
#include "test_files.hpp"

namespace fs = std::filesystem;
namespace utf = boost::unit_test;
using cascade::test::ProcessOptions;
using cascade::test::ProcessResult;
using cascade::test::run_process;

namespace {

const fs::path kChecker = "tests/openapi/checker";

bool on_path(const std::string& tool) {
  return run_process({"/bin/sh", "-c", "command -v \"$0\" >/dev/null", tool}).exit_code == 0;
}

struct NodeAvailable {
  boost::test_tools::assertion_result operator()(utf::test_unit_id) const {
    if (on_path("node") && on_path("npm")) return true;
    boost::test_tools::assertion_result r(false);
    r.message() << "skipped: node or npm is not installed (the OpenAPI checker runs under node)";
    return r;
  }
};

struct SystemdAnalyzeAvailable {
  boost::test_tools::assertion_result operator()(utf::test_unit_id) const {
    if (on_path("systemd-analyze")) return true;
    boost::test_tools::assertion_result r(false);
    r.message() << "skipped: systemd-analyze is not installed";
    return r;
  }
};

// Installs the pinned checker once (npm ci), then validates the files with it.
ProcessResult openapi_check(const std::vector<std::string>& files) {
  const fs::path installed = kChecker / "node_modules" / ".package-lock.json";
  std::error_code ec;
  if (!fs::exists(installed) ||
      fs::last_write_time(installed, ec) < fs::last_write_time(kChecker / "package-lock.json", ec)) {
    ProcessOptions o;
    o.working_dir = kChecker.string();
    o.timeout_seconds = 300;
    const auto npm = run_process({"/bin/sh", "-c", "exec npm ci --no-audit --no-fund"}, o);
    BOOST_TEST_REQUIRE(npm.exit_code == 0, "npm ci failed: " << npm.err);
  }
  std::vector<std::string> args{"/bin/sh", "-c", "exec node tests/openapi/checker/check.mjs \"$@\"", "check"};
  args.insert(args.end(), files.begin(), files.end());
  ProcessOptions o;
  o.timeout_seconds = 120;
  return run_process(args, o);
}

const std::vector<std::string> kMethods = {"get",   "put",  "post",    "delete",
                                           "patch", "head", "options", "trace"};

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// "POST /v1/events" → the auth word of the OpenAPI operation (x-cascade-auth).
std::map<std::string, std::string> openapi_operations(const YAML::Node& api) {
  std::map<std::string, std::string> ops;
  for (const auto& path : api["paths"])
    for (const std::string& m : kMethods)
      if (const YAML::Node op = path.second[m]; op)
        ops[upper(m) + " " + path.first.as<std::string>()] = op["x-cascade-auth"].as<std::string>("");
  return ops;
}

// The same from docs/daemon.md's endpoint table: "| `POST /v1/events` | body | answer | auth |",
// the auth column in words ("public", "when exposed", "always").
std::map<std::string, std::string> guide_operations() {
  std::map<std::string, std::string> ops;
  std::ifstream in("docs/daemon.md");
  const std::regex row(R"(^\| `(GET|POST|PUT|DELETE|PATCH) (/[^`]*)` \|.*\| ([a-z ]+) \|\s*$)");
  std::smatch m;
  for (std::string line; std::getline(in, line);) {
    if (!std::regex_match(line, m, row)) continue;
    std::string auth = m[3];
    for (char& c : auth)
      if (c == ' ') c = '-';
    ops[std::string(m[1]) + " " + std::string(m[2])] = auth;
  }
  return ops;
}

ProcessResult systemd_verify(const fs::path& unit) {
  return run_process({"/bin/sh", "-c", "exec systemd-analyze verify \"$0\"", unit.string()});
}

// `cascade serve` in the background for one test: started on a free loopback port, stopped with
// SIGTERM (it must exit 0), its log kept for failure messages.
class Serve {
 public:
  Serve(const fs::path& dir, const std::string& token) : dir_(dir) {
    std::vector<std::string> args = {CASCADE_BINARY,    "serve",
                                     "--project",       "examples",
                                     "--data",          (dir / "data").string(),
                                     "--listen",        "127.0.0.1:0",
                                     "--port-file",     (dir / "port").string(),
                                     "--virtual-clock", "2026-03-02T09:00:00Z",
                                     "--dry-run"};
    std::vector<std::string> env_strings = {"CASCADE_TOKEN=" + token};
    for (char** e = environ; *e != nullptr; ++e)
      if (!std::string_view(*e).starts_with("CASCADE_TOKEN=")) env_strings.emplace_back(*e);
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string log = (dir / "log").string();
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    BOOST_TEST_REQUIRE(rc == 0, "cannot start cascade serve");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!fs::exists(dir / "port")) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        BOOST_FAIL("cascade serve exited at start: " << cascade::test::slurp(dir / "log"));
      }
      BOOST_TEST_REQUIRE((std::chrono::steady_clock::now() < deadline), "cascade serve did not start");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::string port;
    std::ifstream(dir / "port") >> port;
    url_ = "http://127.0.0.1:" + port;
  }
  Serve(const Serve&) = delete;
  Serve& operator=(const Serve&) = delete;
  ~Serve() { (void)stop(); }

  // SIGTERM, then the exit status (-1: it had to be killed, or was not running).
  int stop() {
    if (pid_ <= 0) return -1;
    kill(pid_, SIGTERM);
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        pid_ = -1;
        return -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  const std::string& url() const { return url_; }
  std::string log() const { return cascade::test::slurp(dir_ / "log"); }

 private:
  fs::path dir_;
  pid_t pid_ = -1;
  std::string url_;
};

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  BOOST_TEST_REQUIRE(at != std::string::npos, "the mutation's anchor is gone: " << from);
  return text.replace(at, from.size(), to);
}

}  // namespace

BOOST_AUTO_TEST_CASE(openapi_file_validates_with_its_examples, *utf::precondition(NodeAvailable{})) {
  const YAML::Node api = YAML::LoadFile("docs/openapi.yaml");
  const auto r = openapi_check({"docs/openapi.yaml"});
  BOOST_TEST(r.exit_code == 0, r.out << r.err);
  // "ok FILE VERSION OPERATIONS EXAMPLES": every operation seen, and the examples were checked.
  std::istringstream line(r.out);
  std::string ok, file, version;
  std::size_t operations = 0, examples = 0;
  line >> ok >> file >> version >> operations >> examples;
  BOOST_TEST(ok == "ok", r.out);
  BOOST_TEST(version == api["openapi"].as<std::string>());
  BOOST_TEST(operations == openapi_operations(api).size());
  BOOST_TEST(examples >= 20u, r.out);
}

BOOST_AUTO_TEST_CASE(broken_copies_are_rejected, *utf::precondition(NodeAvailable{})) {
  const fs::path dir = cascade::test::temp_dir("openapi", "broken");
  const std::string good = cascade::test::slurp("docs/openapi.yaml");
  struct Case {
    std::string name, from, to, expect;
  };
  const std::vector<Case> cases = {
      // Not OpenAPI: a security scheme of a type the schema does not know.
      {"schema.yaml", "type: http\n      scheme: bearer", "type: token\n      scheme: bearer", "FAIL"},
      // A $ref to nothing.
      {"ref.yaml", "$ref: \"#/components/schemas/ClockApplied\"",
       "$ref: \"#/components/schemas/ClockAplied\"", "ClockAplied"},
      // An example that contradicts its schema.
      {"example.yaml", "{\"now\": \"2026-03-02T10:00:00Z\", \"virtual\": true}",
       "{\"now\": \"2026-03-02T10:00:00Z\", \"virtual\": \"yes\"}", "examples that do not fit their schema"},
  };
  std::vector<std::string> files;
  for (const Case& c : cases) {
    std::ofstream(dir / c.name) << replaced(good, c.from, c.to);
    files.push_back((dir / c.name).string());
  }
  const auto r = openapi_check(files);
  BOOST_TEST(r.exit_code == 1, r.out << r.err);
  std::istringstream lines(r.out);
  std::size_t i = 0;
  for (std::string line; std::getline(lines, line) && i < cases.size(); ++i) {
    BOOST_TEST(line.starts_with("FAIL " + files[i] + ": "), line);
    BOOST_TEST(line.find(cases[i].expect) != std::string::npos, line);
  }
  BOOST_TEST(i == cases.size(), r.out);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(the_daemon_answers_as_the_openapi_file_says, *utf::precondition(NodeAvailable{})) {
  const fs::path dir = cascade::test::temp_dir("openapi", "serve");
  const std::string token = "openapi-conformance-token-0123456789";
  Serve serve(dir, token);
  // The example project deployed and its recipients known, so the examples are inputs it takes.
  ProcessOptions with_token;
  with_token.env["CASCADE_TOKEN"] = token;
  const auto deployed =
      run_process({CASCADE_BINARY, "deploy", "--project", "examples", "--to", serve.url()}, with_token);
  BOOST_TEST_REQUIRE(deployed.exit_code == 0, deployed.err << serve.log());
  BOOST_TEST(deployed.out.find("abandoned_cart: version 1 (new)") != std::string::npos, deployed.out);
  const auto profiles =
      run_process({"/bin/sh", "-c",
                   "exec curl -sS -o /dev/null -w '%{http_code}' -X POST \"$0/v1/profiles\" -H "
                   "'Content-Type: application/x-ndjson' --data-binary @examples/profiles.jsonl",
                   serve.url()});
  BOOST_TEST_REQUIRE(profiles.out == "202", profiles.out << profiles.err);

  openapi_check({});  // installs the checker when needed
  const auto r = run_process({"/bin/sh", "-c", "exec node tests/openapi/checker/conformance.mjs \"$@\"",
                              "conformance", "docs/openapi.yaml", serve.url(), token});
  BOOST_TEST(r.exit_code == 0, r.out << r.err << "\n--- daemon log:\n" << serve.log());
  const auto last = r.out.rfind("ok ", r.out.size() - 2);
  BOOST_TEST(
      (last != std::string::npos && r.out.find("answers, 0 not as the file says", last) != std::string::npos),
      r.out);

  // Not a rubber stamp: a copy of the file that says `seq` is a string disagrees with the daemon.
  std::ofstream(dir / "wrong.yaml") << replaced(
      cascade::test::slurp("docs/openapi.yaml"),
      "          type: integer\n          minimum: 1\n"
      "          description: the input's position in the daemon's log",
      "          type: string\n"
      "          description: the input's position in the daemon's log");
  const auto wrong = run_process({"/bin/sh", "-c", "exec node tests/openapi/checker/conformance.mjs \"$@\"",
                                  "conformance", (dir / "wrong.yaml").string(), serve.url(), token});
  BOOST_TEST(wrong.exit_code == 1, wrong.out << wrong.err);
  BOOST_TEST(wrong.out.find("MISMATCH POST /v1/events 202") != std::string::npos, wrong.out);
  BOOST_TEST(serve.stop() == 0, serve.log());
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(the_guide_and_the_openapi_file_list_the_same_endpoints) {
  const YAML::Node api = YAML::LoadFile("docs/openapi.yaml");
  const auto spec = openapi_operations(api);
  const auto guide = guide_operations();
  BOOST_TEST_REQUIRE(guide.size() >= 20u, "docs/daemon.md's endpoint table has " << guide.size() << " rows");
  for (const auto& [op, auth] : guide) {
    BOOST_TEST(spec.count(op) == 1u, op << " is in docs/daemon.md but not in docs/openapi.yaml");
    if (spec.count(op))
      BOOST_TEST(spec.at(op) == auth, op << ": auth " << spec.at(op) << " vs. the guide's " << auth);
  }
  for (const auto& [op, auth] : spec)
    BOOST_TEST(guide.count(op) == 1u, op << " is not in docs/daemon.md's table");

  // Auth as the contract has it: public routes opt out of the global bearer requirement, deploy
  // and broadcast always need it, the rest when exposed.
  BOOST_TEST(api["security"][0]["bearer"].IsDefined());
  BOOST_TEST(api["components"]["securitySchemes"]["bearer"]["scheme"].as<std::string>() == "bearer");
  const std::set<std::string> always = {"POST /v1/scenarios", "POST /v1/scenarios/{name}/broadcast"};
  const std::set<std::string> open = {"GET /healthz", "GET /readyz", "GET /t/o/{token}", "GET /t/c/{token}"};
  std::set<std::string> operation_ids;
  for (const auto& path : api["paths"]) {
    const std::string p = path.first.as<std::string>();
    for (const std::string& m : kMethods) {
      const YAML::Node op = path.second[m];
      if (!op) continue;
      const std::string name = upper(m) + " " + p;
      const std::string auth = op["x-cascade-auth"].as<std::string>("");
      const std::string want = always.count(name) ? "always" : open.count(name) ? "public" : "when-exposed";
      BOOST_TEST(auth == want, name);
      const YAML::Node security = op["security"];
      const bool opts_out = security.IsDefined() && security.IsSequence() && security.size() == 0;
      BOOST_TEST(opts_out == (want == "public"), name << ": security override");
      BOOST_TEST(operation_ids.insert(op["operationId"].as<std::string>("")).second, name << ": operationId");
      BOOST_TEST(op["responses"].IsMap(), name);
      // Every {param} of the path is declared as a path parameter.
      std::set<std::string> declared;
      for (const auto& param : op["parameters"]) {
        YAML::Node resolved = param;
        if (param["$ref"]) {
          const std::string ref = param["$ref"].as<std::string>();
          resolved = api["components"]["parameters"][ref.substr(ref.rfind('/') + 1)];
        }
        if (resolved["in"].as<std::string>("") == "path") declared.insert(resolved["name"].as<std::string>());
      }
      const std::regex brace(R"(\{([^}]+)\})");
      for (std::sregex_iterator it(p.begin(), p.end(), brace), end; it != end; ++it)
        BOOST_TEST(declared.count((*it)[1]) == 1u,
                   name << ": path parameter " << (*it)[1] << " not declared");
    }
  }
}

BOOST_AUTO_TEST_CASE(systemd_unit_verifies, *utf::precondition(SystemdAnalyzeAvailable{})) {
  const fs::path dir = cascade::test::temp_dir("openapi", "systemd");
  const std::string unit = cascade::test::slurp("docs/cascade.service");
  // What the guide promises about the unit.
  for (const char* line :
       {"Type=simple", "User=cascade", "StateDirectory=cascade", "EnvironmentFile=", "Restart=on-failure",
        "KillSignal=SIGTERM", "TimeoutStopSec=", "NoNewPrivileges=yes", "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/cascade", "ExecStart=/usr/local/bin/cascade serve "})
    BOOST_TEST(unit.find(std::string("\n") + line) != std::string::npos, line);

  // systemd-analyze checks that ExecStart's binary exists: point it at the one just built.
  const std::string local = replaced(unit, "/usr/local/bin/cascade", CASCADE_BINARY);
  std::ofstream(dir / "cascade.service") << local;
  const auto r = systemd_verify(dir / "cascade.service");
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(r.err.empty(), r.err);  // warnings (an unknown key, a bad value) go here with exit 0

  // Not a rubber stamp: a misspelt key and a bad signal name are reported.
  std::ofstream(dir / "broken.service") << replaced(replaced(local, "\nType=simple", "\nTyp=simple"),
                                                    "KillSignal=SIGTERM", "KillSignal=SIGTERMINATE");
  const auto bad = systemd_verify(dir / "broken.service");
  BOOST_TEST(bad.err.find("Unknown key") != std::string::npos, bad.err);
  BOOST_TEST(bad.err.find("SIGTERMINATE") != std::string::npos, bad.err);

  // The options ExecStart passes are options of `cascade serve`.
  const auto help = run_process({CASCADE_BINARY, "serve", "--help"});
  BOOST_TEST_REQUIRE(help.exit_code == 0, help.err);
  const auto start = unit.find("\nExecStart=");
  const std::string exec = unit.substr(start, unit.find('\n', start + 1) - start);
  const std::regex option(R"((--[a-z-]+))");
  std::size_t options = 0;
  for (std::sregex_iterator it(exec.begin(), exec.end(), option), end; it != end; ++it, ++options)
    BOOST_TEST(help.out.find((*it)[1].str() + " ") != std::string::npos,
               (*it)[1] << " is not an option of serve");
  BOOST_TEST(options == 3u, exec);
  fs::remove_all(dir);
}
