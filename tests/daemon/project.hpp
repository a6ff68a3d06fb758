// The daemon tests' project and deploy: a copy of examples/ whose webhook providers point at the
// test's own receiver, the secrets those providers name (set in the daemon's environment), and
// deploying the scenarios with `cascade deploy`; plus reading JSON lines.
#pragma once

#include <algorithm>
#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "../golden/run_process.hpp"
#include "../golden/test_files.hpp"
#include "client.hpp"
#include "daemon_process.hpp"

namespace cascade::daemon_test {

namespace fs = std::filesystem;

// The secrets the example providers read (secret_env); the daemon gets them in its environment.
inline std::map<std::string, std::optional<std::string>> provider_secrets() {
  return {{"FCM_SECRET", "fcm-secret-for-tests"},
          {"ESP_SECRET", "esp-secret-for-tests"},
          {"SMSC_SECRET", "smsc-secret-for-tests"}};
}

// Copies the example scenarios and cascade.yaml into `dir`. Every webhook URL becomes
// `receiver_url`; `provider_extra` (e.g. ", max_attempts: 2, backoff: 10ms") is added to every
// webhook provider's settings; the `file` provider is dropped (no channel uses it, and its
// relative path would write into the working directory, the source root).
// `only`: the scenario files to copy (all of them when empty).
inline void make_project(const fs::path& dir, const std::string& receiver_url, const std::string& provider_extra = "",
                         const std::vector<std::string>& only = {}) {
  fs::create_directories(dir);
  const fs::path examples = fs::path(CASCADE_SOURCE_DIR) / "examples";
  for (const auto& e : fs::directory_iterator(examples)) {
    if (e.path().extension() != ".cascade") continue;
    if (!only.empty() && std::find(only.begin(), only.end(), e.path().filename().string()) == only.end()) continue;
    fs::copy_file(e.path(), dir / e.path().filename());
  }
  std::string yaml = test::slurp(examples / "cascade.yaml");
  yaml = std::regex_replace(yaml, std::regex(R"(http://127\.0\.0\.1:91\d\d/send")"), receiver_url + "\"");
  yaml = std::regex_replace(yaml, std::regex(R"(\n\s*outbox:\s*\{ type: file[^\n]*)"), "");
  // A setting given in `provider_extra` replaces the example's own (a key twice is an error).
  const std::regex key(R"((\w+):)");
  for (std::sregex_iterator k(provider_extra.begin(), provider_extra.end(), key), end; k != end; ++k)
    yaml = std::regex_replace(yaml, std::regex(", " + (*k)[1].str() + R"(: [^,}]+)"), "");
  if (!provider_extra.empty())
    yaml = std::regex_replace(yaml, std::regex(R"((\{ type: webhook[^}]*?)\s*\})"), "$1" + provider_extra + " }");
  std::ofstream(dir / "cascade.yaml") << yaml;
}

struct DeployResult {
  bool ok = false;
  std::string detail;  // what `cascade deploy` printed
};

// Deploys every scenario of `project` to the daemon with `cascade deploy` (which compiles like
// `cascade compile --bundle` and POSTs the bundle to /v1/scenarios with the bearer token).
inline DeployResult deploy(const fs::path& project, const Daemon& d) {
  test::ProcessOptions po;
  po.env["CASCADE_TOKEN"] = kToken;
  po.env["NO_COLOR"] = "1";
  po.timeout_seconds = 120;
  const auto r = test::run_process(
      {CASCADE_BINARY, "deploy", project.string(), "--project", project.string(), "--to", d.url()}, po);
  return {r.exit_code == 0, r.out + r.err};
}

// JSON lines of a file (blank lines skipped); a line that is not JSON fails the test.
inline std::vector<boost::json::object> read_jsonl(const fs::path& p) {
  std::vector<boost::json::object> out;
  std::istringstream in(test::slurp(p));
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    BOOST_TEST_REQUIRE((!ec && v.is_object()), p.string() << ":" << n << " is not a JSON object: " << line);
    out.push_back(v.as_object());
  }
  return out;
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

inline std::string str(const boost::json::value& v) {
  if (v.is_string()) return std::string(v.as_string());
  return boost::json::serialize(v);
}

inline std::string field(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v ? str(*v) : std::string();
}

}  // namespace cascade::daemon_test
