// `cascade deploy [PATHS…] [--project DIR|FILE] [--to URL] [--token-file F] [--timeout S]`
//
// Compiles the scenarios exactly as `cascade compile --bundle` does (session::load_programs: the
// same check, the same diagnostics, exit 1 on errors, nothing sent) and uploads the bundle to a
// running `cascade serve`: POST URL/v1/scenarios, Content-Type application/octet-stream,
// Authorization: Bearer TOKEN. The daemon answers which scenarios got a new version and which
// were unchanged (same program hash); one line each is printed on stdout.
//
// Exit codes follow the contract of docs/daemon.md: 0 deployed, 1 the sources have errors or the
// daemon refused the bundle (its error message and code are printed), 2 usage, I/O, or no answer
// from the daemon (cannot connect, timeout). Deploying the same sources again is harmless — the
// daemon keeps the version of an unchanged program — so a timeout is safe to retry.
//
// The HTTP client is libcurl: it brings connect and total timeouts, https for a daemon behind a
// TLS proxy, and the usual proxy environment variables, none of which is worth re-writing here.
#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>

#include "cascade/bytecode/io.hpp"
#include "cascade/http/auth.hpp"
#include "command.hpp"
#include "session.hpp"

namespace cascade::cli {
namespace {

constexpr std::string_view kDefaultUrl = "http://127.0.0.1:8080";
constexpr long kConnectTimeoutMs = 5'000;
// The daemon's own error answers are small; a bigger answer is not one we could use.
constexpr std::size_t kMaxAnswerBytes = 4 << 20;

struct DeployOptions {
  std::vector<std::string> paths;
  std::string project;
  std::string to;
  std::string token_file;
  double timeout_seconds = 60;
  ColorMode color = ColorMode::Auto;
};

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
template <class T>
using CurlPtr = std::unique_ptr<T, CurlDeleter>;

// URL (with or without a trailing slash, possibly with a path prefix when the daemon sits behind a
// proxy) + "/v1/scenarios". nullopt with `error` set when URL is not an absolute http(s) URL.
std::optional<std::string> scenarios_url(const std::string& base, std::string& error) {
  CurlPtr<CURLU> url(curl_url());
  if (!url) {
    error = "out of memory";
    return std::nullopt;
  }
  if (curl_url_set(url.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK) {
    error = fmt::format("`{}` is not a URL (expected http://HOST:PORT)", base);
    return std::nullopt;
  }
  auto part = [&](CURLUPart which) -> std::optional<std::string> {
    char* text = nullptr;
    if (curl_url_get(url.get(), which, &text, 0) != CURLUE_OK || text == nullptr) return std::nullopt;
    std::string out(text);
    curl_free(text);
    return out;
  };
  const std::string scheme = part(CURLUPART_SCHEME).value_or("");
  if (scheme != "http" && scheme != "https") {
    error = fmt::format("`{}`: the daemon's URL must start with http:// or https://", base);
    return std::nullopt;
  }
  if (part(CURLUPART_QUERY) || part(CURLUPART_FRAGMENT)) {
    error = fmt::format("`{}`: the daemon's URL takes no query or fragment", base);
    return std::nullopt;
  }
  std::string path = part(CURLUPART_PATH).value_or("/");
  while (!path.empty() && path.back() == '/') path.pop_back();
  path += "/v1/scenarios";
  char* full = nullptr;
  if (curl_url_set(url.get(), CURLUPART_PATH, path.c_str(), 0) != CURLUE_OK ||
      curl_url_get(url.get(), CURLUPART_URL, &full, 0) != CURLUE_OK || full == nullptr) {
    error = fmt::format("`{}` is not a URL (expected http://HOST:PORT)", base);
    return std::nullopt;
  }
  std::string out(full);
  curl_free(full);
  return out;
}

struct Answer {
  long status = 0;
  std::string body;
  bool truncated = false;
};

std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
  auto* answer = static_cast<Answer*>(user);
  const std::size_t n = size * count;
  if (answer->body.size() + n > kMaxAnswerBytes) {
    answer->truncated = true;
    return 0;  // makes libcurl stop with CURLE_WRITE_ERROR
  }
  answer->body.append(data, n);
  return n;
}

// POSTs the bundle. nullopt with `error` set when no HTTP answer came back (the request may or may
// not have reached the daemon).
std::optional<Answer> post(const std::string& url, const std::string& token,
                           const std::vector<std::uint8_t>& bytes, const DeployOptions& options,
                           std::string& error) {
  // Process-wide and not thread-safe, but the CLI is one thread; curl_global_cleanup at exit
  // would only race with nothing, so it is left to the process end.
  static const CURLcode global = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (global != CURLE_OK) {
    error = fmt::format("cannot initialise libcurl: {}", curl_easy_strerror(global));
    return std::nullopt;
  }
  CurlPtr<CURL> curl(curl_easy_init());
  if (!curl) {
    error = "cannot initialise libcurl";
    return std::nullopt;
  }
  CurlPtr<curl_slist> headers;
  auto add_header = [&](const std::string& h) {
    if (curl_slist* grown = curl_slist_append(headers.get(), h.c_str())) {
      (void)headers.release();
      headers.reset(grown);
    }
  };
  add_header("Content-Type: application/octet-stream");
  add_header("Accept: application/json");
  // Sent at once rather than after a 100-continue round trip: bundles are small, and the daemon
  // answers a refusal (401, 413) before reading the body either way.
  add_header("Expect:");
  if (!token.empty()) add_header("Authorization: Bearer " + token);

  Answer answer;
  char message[CURL_ERROR_SIZE] = {};
  // At least 1 ms: libcurl reads 0 as "no timeout".
  const long total_ms = std::max(1L, static_cast<long>(options.timeout_seconds * 1000.0));
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, reinterpret_cast<const char*>(bytes.data()));
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(bytes.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_USERAGENT, fmt::format("cascade-deploy/{}", kVersion).c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, std::min(kConnectTimeoutMs, total_ms));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total_ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);        // timeouts without SIGALRM
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect would drop the POST body
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, message);

  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && answer.truncated)) {
    const std::string detail =
        message[0] != '\0' ? std::string(message) : std::string(curl_easy_strerror(rc));
    if (rc == CURLE_OPERATION_TIMEDOUT)
      error = fmt::format(
          "no answer from {} within {:g} s ({}); the deploy may or may not have been applied, "
          "and deploying again is safe",
          url, options.timeout_seconds, detail);
    else
      error = fmt::format("cannot reach the daemon at {}: {}", url, detail);
    return std::nullopt;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &answer.status);
  return answer;
}

// "401 invalid_token: the bearer token does not match" from the daemon's error shape, or the
// status and the start of the body when the answer is not ours (a proxy's HTML page).
std::string describe_refusal(const Answer& answer) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(answer.body, ec);
  const boost::json::object* error = nullptr;
  if (!ec && v.is_object())
    if (const auto* e = v.as_object().if_contains("error"); e && e->is_object()) error = &e->as_object();
  if (error != nullptr) {
    auto text = [&](std::string_view key) -> std::string {
      const auto* f = error->if_contains(key);
      return f && f->is_string() ? std::string(f->as_string()) : std::string();
    };
    std::string out = fmt::format("HTTP {}", answer.status);
    if (const std::string code = text("code"); !code.empty()) out += " " + code;
    if (const std::string msg = text("message"); !msg.empty()) out += ": " + msg;
    if (const std::string ptr = text("pointer"); !ptr.empty()) out += fmt::format(" (at {})", ptr);
    return out;
  }
  std::string start = answer.body.substr(0, 200);
  for (char& ch : start)
    if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
  return start.empty() ? fmt::format("HTTP {}", answer.status)
                       : fmt::format("HTTP {} (not a cascade error answer): {}", answer.status, start);
}

// Prints "name: version N (new|unchanged)" per deployed scenario. False when the answer does not
// have the contract's shape {"deployed":[{"name","version","created"}]}.
bool print_deployed(const Answer& answer) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(answer.body, ec);
  if (ec || !v.is_object()) return false;
  const auto* list = v.as_object().if_contains("deployed");
  if (list == nullptr || !list->is_array()) return false;
  std::string out;
  for (const boost::json::value& item : list->as_array()) {
    if (!item.is_object()) return false;
    const auto& o = item.as_object();
    const auto* name = o.if_contains("name");
    const auto* version = o.if_contains("version");
    const auto* created = o.if_contains("created");
    if (!name || !name->is_string() || !version || !version->is_int64() || !created || !created->is_bool())
      return false;
    out += fmt::format("{}: version {} ({})\n", std::string_view(name->as_string()), version->as_int64(),
                       created->as_bool() ? "new" : "unchanged");
  }
  write_out(out);
  return true;
}

int run_deploy(DeployOptions options) {
  // Everything that can be wrong with the command line is found before compiling.
  if (!(options.timeout_seconds > 0) || options.timeout_seconds > 3600)
    return usage_error("deploy",
                       fmt::format("--timeout must be more than 0 and at most 3600 seconds, not {:g}",
                                   options.timeout_seconds));
  std::string base = options.to;
  if (base.empty())
    if (const char* env = std::getenv("CASCADE_URL"); env && *env) base = env;
  if (base.empty()) base = kDefaultUrl;
  std::string error;
  const std::optional<std::string> url = scenarios_url(base, error);
  if (!url) return usage_error("deploy", error);

  // An explicit --token-file wins over the environment (serve reads CASCADE_TOKEN first: there
  // the variable is the deployment's configuration, here the flag is the user's intent).
  const http::TokenResult token = options.token_file.empty() ? http::load_token({}, "CASCADE_TOKEN")
                                                             : http::load_token(options.token_file, nullptr);
  if (token.error) return usage_error("deploy", *token.error);

  // --project DIR is the project folder: its cascade.yaml, and its scenarios when no path is given.
  namespace fs = std::filesystem;
  std::string project_file = options.project;
  std::error_code ec;
  if (!options.project.empty() && fs::is_directory(options.project, ec)) {
    project_file = (fs::path(options.project) / "cascade.yaml").string();
    if (options.paths.empty()) options.paths.push_back(options.project);
  } else if (!options.project.empty() && options.paths.empty()) {
    const fs::path parent = fs::path(options.project).parent_path();
    options.paths.push_back(parent.empty() ? std::string(".") : parent.string());
  }

  session::Programs programs;
  if (const int rc = session::load_programs("deploy", options.paths, project_file, options.color, programs);
      rc != kExitOk)
    return rc;
  if (programs.modules.empty()) {
    write_err("cascade deploy: error: no scenario to deploy (the paths hold no `scenario`)\n");
    return kExitFailure;
  }
  const std::vector<std::uint8_t> bundle = bytecode::write_bundle(programs.modules);

  const std::optional<Answer> answer = post(*url, token.token, bundle, options, error);
  if (!answer) {
    write_err(fmt::format("cascade deploy: error: {}\n", error));
    return kExitUsage;
  }
  if (answer->status >= 200 && answer->status < 300) {
    if (answer->truncated || !print_deployed(*answer)) {
      write_err(
          fmt::format("cascade deploy: error: {} answered HTTP {} but not with the deploy answer "
                      "{{\"deployed\":[…]}}; is it a cascade daemon?\n",
                      *url, answer->status));
      return kExitFailure;
    }
    return kExitOk;
  }
  std::string hint;
  if (answer->status == 401)
    hint = token.token.empty()
               ? "hint: deploy needs the daemon's token: set CASCADE_TOKEN or give --token-file\n"
               : "hint: the token (CASCADE_TOKEN or --token-file) is not the daemon's\n";
  write_err(fmt::format("cascade deploy: error: the daemon refused the deploy: {}\n{}",
                        describe_refusal(*answer), hint));
  return kExitFailure;
}

}  // namespace

void add_deploy(CLI::App& app, Run& selected) {
  auto options = std::make_shared<DeployOptions>();
  CLI::App* cmd =
      app.add_subcommand("deploy", "Compile scenarios and upload them to a running `cascade serve`");
  cmd->footer(
      std::string("Compiles like `cascade compile --bundle` (on errors nothing is sent), then POSTs the\n"
                  "bundle to URL/v1/scenarios with `Authorization: Bearer TOKEN` and prints one line\n"
                  "per scenario: `NAME: version N (new)` or `NAME: version N (unchanged)`.\n"
                  "URL: --to, else $CASCADE_URL, else http://127.0.0.1:8080. TOKEN: --token-file,\n"
                  "else $CASCADE_TOKEN. Exit 1 also when the daemon refuses the bundle; exit 2 when\n"
                  "it cannot be reached or gives no answer in time.\n") +
      std::string(exit_code_help()));
  cmd->add_option("--project", options->project,
                  "The project folder (its cascade.yaml and, without PATHS, its scenarios) or project file")
      ->type_name("DIR|FILE");
  cmd->add_option("--to", options->to,
                  "The daemon's base URL (default $CASCADE_URL or http://127.0.0.1:8080)")
      ->type_name("URL");
  cmd->add_option("--token-file", options->token_file,
                  "Read the bearer token from this file (whitespace trimmed)")
      ->type_name("FILE");
  cmd->add_option("--timeout", options->timeout_seconds,
                  "Give up when the daemon has not answered after this long")
      ->type_name("SECONDS")
      ->default_val(60);
  add_color_option(*cmd, options->color);
  cmd->add_option("paths", options->paths,
                  "Files or folders to compile (.cascade), or compiled .cbc/.cbb files")
      ->type_name("PATHS");
  cmd->callback([options, &selected] { selected = [options] { return run_deploy(*options); }; });
}

}  // namespace cascade::cli
