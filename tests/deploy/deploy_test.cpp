// `cascade deploy` against a real HTTP server on loopback: the test's own cascade::http::Server
// (the server the daemon runs on, with its bearer-token checks) serving POST /v1/scenarios like
// the daemon's contract says, and recording every request it gets. Checked: the method, path,
// bearer header and content type; that the body is exactly the bundle `cascade compile --bundle`
// writes for the same sources, with every example scenario in it; the printed lines (new, then
// unchanged on a second deploy); and the exit codes — 0 deployed, 1 refused (401 from the
// server's auth, the daemon's JSON error, a non-JSON 500, a compile error that sends nothing),
// 2 usage and no daemon (nothing listening, a daemon that never answers, bad flags and URLs).
#define BOOST_TEST_MODULE deploy
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>

#include "cascade/bytecode/io.hpp"
#include "cascade/http/server.hpp"
#include "run_process.hpp"
#include "test_files.hpp"

namespace fs = std::filesystem;
namespace http = cascade::http;
namespace bytecode = cascade::bytecode;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

const std::string kToken = "deploy-test-token-0123456789";

struct Recorded {
  std::string method, target, authorization, content_type, body;
};

// What the fake daemon answers to a well-authorised deploy.
enum class Mode { Daemon, JsonError, PlainError, Stall };

struct FakeDaemon {
  std::mutex mutex;
  std::vector<Recorded> requests;
  Mode mode = Mode::Daemon;
  std::map<std::string, std::pair<std::int64_t, std::uint64_t>> versions;  // name → (version, hash)
  std::vector<http::Responder> stalled;

  std::size_t count() {
    std::lock_guard lock(mutex);
    return requests.size();
  }
  Recorded last() {
    std::lock_guard lock(mutex);
    BOOST_REQUIRE(!requests.empty());
    return requests.back();
  }

  // The contract's deploy: a new version per changed program hash, "created": false otherwise.
  void handle(http::Exchange ex) {
    std::lock_guard lock(mutex);
    const http::Request& req = *ex.request;
    requests.push_back({std::string(req.method_string()), std::string(req.target()),
                        std::string(req[boost::beast::http::field::authorization]),
                        std::string(req[boost::beast::http::field::content_type]), req.body()});
    switch (mode) {
      case Mode::JsonError: {
        auto e = http::make_error(409, "scenario_conflict", "scenario `abandoned_cart` is being redeployed");
        e.pointer = "/abandoned_cart";
        return ex.respond.error(e);
      }
      case Mode::PlainError: {
        http::Response res{boost::beast::http::status::bad_gateway, 11};
        res.set(boost::beast::http::field::content_type, "text/html");
        res.body() = "<html>\n<h1>502 Bad Gateway</h1>\n</html>";
        res.prepare_payload();
        return ex.respond.send(std::move(res));
      }
      case Mode::Stall:
        stalled.push_back(ex.respond);
        return;
      case Mode::Daemon:
        break;
    }
    const std::string& body = req.body();
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(body.data()),
                                              body.size());
    auto modules = bytecode::read_bundle(bytes);
    if (!bytecode::is_bundle(bytes) || !modules)
      return ex.respond.error(http::make_error(400, "bad_bundle", "not a bundle"));
    json::array deployed;
    for (const bytecode::Module& m : modules.value()) {
      const std::string name(m.str(m.scenario.name));
      const std::uint64_t hash = bytecode::program_hash(m);
      auto& [version, known] = versions[name];
      const bool created = version == 0 || known != hash;
      if (created) {
        ++version;
        known = hash;
      }
      deployed.push_back(json::object{{"name", name}, {"version", version}, {"created", created}});
    }
    ex.respond.json(200, json::object{{"deployed", std::move(deployed)}});
  }
};

struct Running {
  explicit Running(std::string token = kToken) {
    http::Router router;
    router.add(http::Verb::post, "/v1/scenarios", [this](http::Exchange ex) { daemon.handle(std::move(ex)); },
               {http::Policy::AlwaysToken, http::Accept::Any, 16 << 20});
    http::ServerConfig config;
    config.token = std::move(token);
    config.limits.read_timeout = 10s;
    server = std::make_unique<http::Server>(std::move(config), std::move(router));
    const auto err = server->start();
    BOOST_REQUIRE_MESSAGE(!err, err.value_or(""));
  }
  ~Running() {
    {
      std::lock_guard lock(daemon.mutex);
      for (auto& r : daemon.stalled) r.json(503, json::object{{"late", true}});
      // A Responder holds its connection, which must not outlive the server's io_context.
      daemon.stalled.clear();
    }
    server->stop(2s);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server->port()); }

  FakeDaemon daemon;
  std::unique_ptr<http::Server> server;
};

using Env = std::map<std::string, std::optional<std::string>>;

cascade::test::ProcessResult deploy(std::vector<std::string> args, Env env = {}) {
  args.insert(args.begin(), {CASCADE_BINARY, "deploy"});
  cascade::test::ProcessOptions options;
  options.timeout_seconds = 60;
  options.env = std::move(env);
  options.env.emplace("NO_COLOR", "1");
  options.env.emplace("CASCADE_TOKEN", kToken);
  options.env.emplace("CASCADE_URL", std::nullopt);
  // A proxy in the environment would route loopback requests away from the test's server.
  for (const char* proxy :
       {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"})
    options.env.emplace(proxy, std::nullopt);
  auto r = cascade::test::run_process(args, options);
  BOOST_TEST_REQUIRE(!r.signaled, "cascade deploy crashed with signal " << r.signal << "\n" << r.err);
  BOOST_TEST_REQUIRE(!r.timed_out);
  return r;
}

std::string bytes_of(const fs::path& file) {
  return cascade::test::slurp(file);
}

// Every `scenario NAME` declared in examples/*.cascade.
std::set<std::string> example_scenarios() {
  std::set<std::string> names;
  const std::regex decl(R"(^scenario\s+([A-Za-z_][A-Za-z0-9_]*))");
  for (const auto& e : fs::directory_iterator("examples")) {
    if (e.path().extension() != ".cascade") continue;
    std::ifstream in(e.path());
    std::string line;
    std::smatch m;
    while (std::getline(in, line))
      if (std::regex_search(line, m, decl)) names.insert(m[1]);
  }
  return names;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// A port nothing listens on: bound once by the OS, then released.
std::uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

}  // namespace

BOOST_AUTO_TEST_CASE(deploys_the_compiled_bundle_and_prints_new_then_unchanged) {
  const fs::path dir = cascade::test::temp_dir("deploy", "bundle");
  const auto compiled = cascade::test::run_process(
      {CASCADE_BINARY, "compile", "examples", "--bundle", "-o", (dir / "all.cbc").string()});
  BOOST_TEST_REQUIRE(compiled.exit_code == 0, compiled.err);
  const std::string expected_body = bytes_of(dir / "all.cbc");

  Running daemon;
  const auto r = deploy({"--project", "examples", "--to", daemon.url()});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
  BOOST_TEST(r.err.empty(), r.err);

  BOOST_TEST_REQUIRE(daemon.daemon.count() == 1u);
  const Recorded req = daemon.daemon.last();
  BOOST_TEST(req.method == "POST");
  BOOST_TEST(req.target == "/v1/scenarios");
  BOOST_TEST(req.authorization == "Bearer " + kToken);
  BOOST_TEST(req.content_type == "application/octet-stream");
  // Compiled exactly as `cascade compile --bundle` compiles: the same bytes.
  BOOST_TEST((req.body == expected_body));
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(req.body.data()),
                                            req.body.size());
  BOOST_TEST_REQUIRE(bytecode::is_bundle(bytes));
  const auto modules = bytecode::read_bundle(bytes);
  BOOST_TEST_REQUIRE(modules.ok(), (modules.ok() ? "" : modules.error().message));
  std::set<std::string> sent;
  for (const bytecode::Module& m : modules.value()) {
    BOOST_TEST(bytecode::load(bytecode::write(m)).ok(), "a module of the bundle does not verify");
    sent.insert(std::string(m.str(m.scenario.name)));
  }
  const std::set<std::string> declared = example_scenarios();
  BOOST_TEST(declared.count("abandoned_cart") == 1u);
  BOOST_TEST(sent == declared,
             "sent " << sent.size() << " scenarios, the examples declare " << declared.size());

  // One line per scenario, in bundle order, all new.
  const auto printed = lines_of(r.out);
  BOOST_TEST_REQUIRE(printed.size() == modules.value().size(), r.out);
  for (std::size_t i = 0; i < printed.size(); ++i) {
    const auto& m = modules.value()[i];
    BOOST_TEST(printed[i] == std::string(m.str(m.scenario.name)) + ": version 1 (new)");
  }
  BOOST_TEST(r.out.find("abandoned_cart: version 1 (new)\n") != std::string::npos, r.out);

  // Again, through CASCADE_URL this time, from the default project search of a path: unchanged.
  const auto again = deploy({"examples"}, {{"CASCADE_URL", daemon.url() + "/"}});
  BOOST_TEST_REQUIRE(again.exit_code == 0, again.err);
  BOOST_TEST(daemon.daemon.count() == 2u);
  BOOST_TEST((daemon.daemon.last().body == expected_body));
  BOOST_TEST(again.out.find("abandoned_cart: version 1 (unchanged)\n") != std::string::npos, again.out);
  BOOST_TEST(again.out.find("(new)") == std::string::npos, again.out);

  // A precompiled bundle is sent as it is (the project still names the schemas).
  const auto precompiled =
      deploy({(dir / "all.cbc").string(), "--project", "examples/cascade.yaml", "--to", daemon.url()});
  BOOST_TEST_REQUIRE(precompiled.exit_code == 0, precompiled.err);
  BOOST_TEST((daemon.daemon.last().body == expected_body));
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(a_changed_scenario_gets_a_new_version) {
  const fs::path dir = cascade::test::temp_dir("deploy", "changed");
  for (const char* file : {"cascade.yaml", "segments.cascade", "abandoned_cart.cascade"})
    fs::copy_file(fs::path("examples") / file, dir / file);
  Running daemon;
  const auto first = deploy({"--project", dir.string(), "--to", daemon.url()});
  BOOST_TEST_REQUIRE(first.exit_code == 0, first.err);
  BOOST_TEST(first.out == "abandoned_cart: version 1 (new)\n");

  // The same sources again: the same program hash, so the same version.
  const auto same = deploy({"--project", dir.string(), "--to", daemon.url()});
  BOOST_TEST_REQUIRE(same.exit_code == 0, same.err);
  BOOST_TEST(same.out == "abandoned_cart: version 1 (unchanged)\n");

  // Another template in the first send: a new program, version 2.
  std::string text = bytes_of(dir / "abandoned_cart.cascade");
  const auto at = text.find("\"cart_1\"");
  BOOST_TEST_REQUIRE(at != std::string::npos);
  text.replace(at, 8, "\"cart_2\"");
  std::ofstream(dir / "abandoned_cart.cascade", std::ios::trunc) << text;
  const auto changed = deploy({"--project", dir.string(), "--to", daemon.url()});
  BOOST_TEST_REQUIRE(changed.exit_code == 0, changed.err);
  BOOST_TEST(changed.out == "abandoned_cart: version 2 (new)\n");
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(token_from_a_file_trimmed_and_preferred_over_the_environment) {
  const fs::path dir = cascade::test::temp_dir("deploy", "token");
  const std::string file_token = "file-token-abcdefghijklmnop";
  std::ofstream(dir / "token") << "  " << file_token << " \n\n";
  Running daemon(file_token);
  const auto r = deploy({"examples/abandoned_cart.cascade", "--project", "examples", "--to", daemon.url(),
                         "--token-file", (dir / "token").string()});
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.err);
  BOOST_TEST(daemon.daemon.last().authorization == "Bearer " + file_token);
  BOOST_TEST(r.out == "abandoned_cart: version 1 (new)\n");

  // A token file that cannot be read is a usage error: nothing is sent.
  const auto missing = deploy({"examples", "--to", daemon.url(), "--token-file", (dir / "nope").string()});
  BOOST_TEST(missing.exit_code == 2);
  BOOST_TEST(missing.err.find("cannot read the token file") != std::string::npos, missing.err);
  BOOST_TEST(daemon.daemon.count() == 1u);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(refused_by_the_servers_auth_exits_1_with_its_message) {
  Running daemon("the-daemons-own-token-0123");
  // A wrong token: 401 invalid_token from the server's auth, before any handler runs.
  const auto wrong = deploy({"examples", "--to", daemon.url()});
  BOOST_TEST(wrong.exit_code == 1, wrong.err);
  BOOST_TEST(wrong.out.empty());
  BOOST_TEST(wrong.err.find("the daemon refused the deploy: HTTP 401 invalid_token: ") != std::string::npos,
             wrong.err);
  BOOST_TEST(wrong.err.find("is not the daemon's") != std::string::npos, wrong.err);
  // No token at all: 401 unauthorized, and the hint says where a token comes from.
  const auto none = deploy({"examples", "--to", daemon.url()}, {{"CASCADE_TOKEN", std::nullopt}});
  BOOST_TEST(none.exit_code == 1, none.err);
  BOOST_TEST(none.err.find("HTTP 401 unauthorized: ") != std::string::npos, none.err);
  BOOST_TEST(none.err.find("set CASCADE_TOKEN or give --token-file") != std::string::npos, none.err);
  BOOST_TEST(daemon.daemon.count() == 0u);
}

BOOST_AUTO_TEST_CASE(the_daemons_errors_exit_1) {
  Running daemon;
  daemon.daemon.mode = Mode::JsonError;
  const auto conflict = deploy({"examples", "--to", daemon.url()});
  BOOST_TEST(conflict.exit_code == 1);
  BOOST_TEST(conflict.err.find("HTTP 409 scenario_conflict: scenario `abandoned_cart` is being redeployed "
                               "(at /abandoned_cart)") != std::string::npos,
             conflict.err);
  BOOST_TEST(conflict.out.empty());

  // Not our error shape (a proxy's page): the status and the start of the body, on one line.
  daemon.daemon.mode = Mode::PlainError;
  const auto proxy = deploy({"examples", "--to", daemon.url()});
  BOOST_TEST(proxy.exit_code == 1);
  BOOST_TEST(proxy.err.find("HTTP 502 (not a cascade error answer): <html> <h1>502 Bad Gateway</h1>") !=
                 std::string::npos,
             proxy.err);
}

BOOST_AUTO_TEST_CASE(a_compile_error_exits_1_without_a_request) {
  const fs::path dir = cascade::test::temp_dir("deploy", "broken");
  for (const char* file : {"cascade.yaml", "segments.cascade", "abandoned_cart.cascade"})
    fs::copy_file(fs::path("examples") / file, dir / file);
  std::ofstream(dir / "broken.cascade") << "scenario broken {\n  when cart_abandoned\n  send nowhere(\n}\n";
  Running daemon;
  const auto r = deploy({"--project", dir.string(), "--to", daemon.url()});
  BOOST_TEST(r.exit_code == 1, r.err);
  BOOST_TEST(r.out.empty());
  BOOST_TEST(r.err.find("broken.cascade:") != std::string::npos, r.err);
  BOOST_TEST(r.err.find("error") != std::string::npos, r.err);
  BOOST_TEST(daemon.daemon.count() == 0u);

  // No scenario at all in the paths: nothing to send either.
  fs::remove(dir / "broken.cascade");
  fs::remove(dir / "abandoned_cart.cascade");
  const auto empty = deploy({"--project", dir.string(), "--to", daemon.url()});
  BOOST_TEST(empty.exit_code == 1, empty.err);
  BOOST_TEST(empty.err.find("no scenario to deploy") != std::string::npos, empty.err);
  BOOST_TEST(daemon.daemon.count() == 0u);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(no_daemon_and_usage_errors_exit_2) {
  const std::string nowhere = "http://127.0.0.1:" + std::to_string(free_port());
  const auto refused = deploy({"examples", "--to", nowhere});
  BOOST_TEST(refused.exit_code == 2);
  BOOST_TEST(refused.err.find("cannot reach the daemon at " + nowhere + "/v1/scenarios") != std::string::npos,
             refused.err);
  BOOST_TEST(refused.out.empty());

  // The default URL comes from CASCADE_URL when --to is not given.
  const auto from_env = deploy({"examples"}, {{"CASCADE_URL", nowhere}});
  BOOST_TEST(from_env.exit_code == 2);
  BOOST_TEST(from_env.err.find(nowhere) != std::string::npos, from_env.err);

  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"examples", "--bogus"},
           {"examples", "--to"},
           {"examples", "--to", "ftp://127.0.0.1/"},
           {"examples", "--to", "not a url"},
           {"examples", "--to", "http://127.0.0.1:8080/?x=1"},
           {"examples", "--timeout", "0"},
           {"examples", "--timeout", "soon"},
       }) {
    const auto r = deploy(args);
    BOOST_TEST(r.exit_code == 2, args.back() << ": " << r.err);
    BOOST_TEST(r.err.find("cascade deploy: error: ") == 0u, r.err);
    BOOST_TEST(r.err.find("hint: run 'cascade deploy --help'") != std::string::npos, r.err);
  }
  const auto short_token = deploy({"examples", "--to", nowhere}, {{"CASCADE_TOKEN", "short"}});
  BOOST_TEST(short_token.exit_code == 2);
  BOOST_TEST(short_token.err.find("at least 16 bytes") != std::string::npos, short_token.err);
  // A project path that does not exist is an I/O problem.
  const auto no_project = deploy({"--project", "no/such/dir/cascade.yaml", "--to", nowhere});
  BOOST_TEST(no_project.exit_code == 2, no_project.err);
}

BOOST_AUTO_TEST_CASE(a_daemon_that_never_answers_times_out_with_exit_2) {
  Running daemon;
  daemon.daemon.mode = Mode::Stall;
  const auto start = std::chrono::steady_clock::now();
  const auto r = deploy({"examples", "--to", daemon.url(), "--timeout", "0.5"});
  const auto took = std::chrono::steady_clock::now() - start;
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.err.find("no answer from " + daemon.url() + "/v1/scenarios within 0.5 s") != std::string::npos,
             r.err);
  BOOST_TEST(r.err.find("deploying again is safe") != std::string::npos, r.err);
  BOOST_TEST(daemon.daemon.count() == 1u);
  BOOST_TEST(took < 20s);
}
