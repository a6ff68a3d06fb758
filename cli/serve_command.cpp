// `cascade serve`: the daemon (runtime/daemon) configured from cascade.yaml. This file reads the
// project (schemas, channels, caps, providers), the token and the tracking key, opens the daemon,
// and waits for SIGTERM or SIGINT to drain it. Scenarios are not compiled here: they arrive as
// bytecode through `cascade deploy` (POST /v1/scenarios).
#include <fmt/format.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>

#include "cascade/daemon/daemon.hpp"
#include "cascade/http/auth.hpp"
#include "command.hpp"
#include "provider_config.hpp"
#include "runtime_config.hpp"

namespace cascade::cli {

namespace {

namespace fs = std::filesystem;

struct ServeOptions {
  std::string project = ".";
  std::string listen = "127.0.0.1:8080";
  std::string data = "cascade-data";
  std::string virtual_clock;
  bool has_virtual_clock = false;
  std::string token_file;
  bool dry_run = false;
  std::int64_t snapshot_every = 200'000;
  std::string sync = "full";
  std::string port_file;
  unsigned threads = 2;
  std::string public_url;
  std::string log_level = "info";
  ColorMode color = ColorMode::Auto;
};

int fail(std::string_view message) {
  write_err(fmt::format("cascade serve: error: {}\n", message));
  return kExitFailure;
}

// CASCADE_TRACKING_KEY, or a key made once and kept in the data directory (0600), so links in
// messages already sent stay valid across restarts.
std::optional<std::string> tracking_secret(const fs::path& data, std::string& error) {
  if (const char* env = std::getenv("CASCADE_TRACKING_KEY"); env && *env) return std::string(env);
  const fs::path file = data / "tracking.key";
  std::error_code ec;
  fs::create_directories(data, ec);
  if (std::ifstream in(file); in) {
    std::string key;
    std::getline(in, key);
    if (key.size() >= 32) return key;
    error = fmt::format("{} holds no usable key (delete it to make a new one)", file.string());
    return std::nullopt;
  }
  std::random_device rd;
  std::string key;
  for (int i = 0; i < 32; ++i) key += fmt::format("{:02x}", rd() & 0xFF);
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) {
    error = fmt::format("cannot create {}: {}", file.string(), std::strerror(errno));
    return std::nullopt;
  }
  const std::string line = key + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    error = fmt::format("cannot write {}", file.string());
    return std::nullopt;
  }
  return key;
}

int run_serve(const ServeOptions& options) {
  // The project: schemas, channels, caps, providers.
  std::optional<project::Project> loaded;
  if (const int rc = load_project_only("serve", options.project, options.color, loaded); rc != kExitOk) return rc;
  const project::Project& project = *loaded;
  std::error_code ec;

  daemon::Config config;
  config.engine = host::runtime_config(project);
  config.report = host::report_options(project);
  config.data = options.data;
  config.snapshot_every = std::max<std::int64_t>(1, options.snapshot_every);
  config.virtual_clock = options.has_virtual_clock;
  if (!options.virtual_clock.empty()) {
    config.clock_start = vm::parse_time(options.virtual_clock);
    if (!config.clock_start) return usage_error("serve", fmt::format("--virtual-clock: `{}` is not a time", options.virtual_clock));
  }
  if (options.sync == "normal") config.store.sync = store::Sync::normal;
  else if (options.sync != "full") return usage_error("serve", "--sync must be full or normal");
  config.public_url = options.public_url;
  while (!config.public_url.empty() && config.public_url.back() == '/') config.public_url.pop_back();

  if (options.dry_run) {
    // Every channel to one file provider in the data directory: no secrets, nothing leaves.
    providers::ProviderConfig dry;
    dry.name = "dry-run";
    dry.type = providers::Type::file;
    dry.path = (fs::path(options.data) / "outbox.jsonl").string();
    fs::create_directories(options.data, ec);
    config.providers.push_back(dry);
    for (vm::ChannelConfig& c : config.engine.channels) {
      c.has_provider = true;
      config.channel_provider[c.name] = "dry-run";
    }
  } else {
    host::ProviderConfigs made = host::provider_configs(project);
    for (const host::ProviderConfigError& e : made.errors)
      write_err(fmt::format("cascade serve: error: provider `{}`: {}\n", e.provider, e.message));
    if (!made.errors.empty()) return kExitFailure;
    config.providers = std::move(made.providers);
    for (const project::Channel& c : project.channels)
      if (!c.provider.empty()) config.channel_provider[c.name] = c.provider;
  }

  // Listening address.
  const std::size_t colon = options.listen.rfind(':');
  if (colon == std::string::npos) return usage_error("serve", "--listen takes HOST:PORT");
  config.server.host = options.listen.substr(0, colon);
  if (config.server.host.size() > 2 && config.server.host.front() == '[') config.server.host = config.server.host.substr(1, config.server.host.size() - 2);
  try {
    const int port = std::stoi(options.listen.substr(colon + 1));
    if (port < 0 || port > 65535) throw std::out_of_range("port");
    config.server.port = static_cast<std::uint16_t>(port);
  } catch (const std::exception&) {
    return usage_error("serve", fmt::format("--listen: `{}` has no valid port", options.listen));
  }
  config.server.threads = std::max(1u, options.threads);
  http::TokenResult token = http::load_token(options.token_file);
  if (token.error) return fail(*token.error);
  config.server.token = token.token;

  http::Level level = http::Level::Info;
  if (options.log_level == "debug") level = http::Level::Debug;
  else if (options.log_level == "warn") level = http::Level::Warn;
  else if (options.log_level == "error") level = http::Level::Error;
  config.logger = std::make_shared<http::Logger>(level);

  std::string key_error;
  auto secret = tracking_secret(options.data, key_error);
  if (!secret) return fail(key_error);
  config.tracking_secret = *secret;

  // The signals are waited for on this thread: block them before any thread starts, so every
  // thread inherits the mask and none is interrupted by them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  // The port is known (and requests are taken) before the restore: a big state restores while
  // events are already acknowledged.
  std::string port_error;
  if (!options.port_file.empty()) {
    config.on_listening = [&options, &port_error](std::uint16_t port) {
      const std::string tmp = options.port_file + ".tmp";
      {
        std::ofstream out(tmp);
        out << port << "\n";
      }
      std::error_code rename_error;
      fs::rename(tmp, options.port_file, rename_error);  // readers never see a half-written file
      if (rename_error) port_error = fmt::format("cannot write {}: {}", options.port_file, rename_error.message());
    };
  }
  auto opened = daemon::Daemon::open(std::move(config));
  if (auto* err = std::get_if<std::string>(&opened)) return fail(*err);
  if (!port_error.empty()) return fail(port_error);
  std::unique_ptr<daemon::Daemon> d = std::move(std::get<0>(opened));
  if (auto e = d->start()) return fail(*e);
  int sig = 0;
  sigwait(&signals, &sig);
  d->stop();
  return kExitOk;
}

}  // namespace

void add_serve(CLI::App& app, Run& selected) {
  auto options = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand("serve", "Run the daemon: events in over HTTP, messages out to providers");
  cmd->footer(std::string(
                  "Scenarios are deployed to a running daemon with `cascade deploy`. Data (the SQLite store,\n"
                  "snapshots, the trace, the tracking key) lives in --data. The bearer token comes from\n"
                  "CASCADE_TOKEN or --token-file; it is required for deploy and broadcast, and for every call\n"
                  "but /healthz, /readyz and the tracking links when listening beyond loopback.\n"
                  "SIGTERM or SIGINT drains and stops (exit 0). See docs/daemon.md.\n") +
              std::string(exit_code_help()));
  cmd->add_option("--project", options->project, "The project directory or its cascade.yaml")->type_name("DIR|FILE");
  cmd->add_option("--listen", options->listen, "Address to listen on (port 0: any free port)")->type_name("HOST:PORT");
  cmd->add_option("--data", options->data, "Data directory (created when missing)")->type_name("DIR");
  cmd->add_option("--virtual-clock", options->virtual_clock,
                  "Move time only by POST /v1/clock, starting at TIME (default: where the store left it)")
      ->expected(0, 1)
      ->type_name("[TIME]");
  cmd->add_option("--token-file", options->token_file, "Read the bearer token from this file")->type_name("FILE");
  cmd->add_flag("--dry-run", options->dry_run, "Write every message to DATA/outbox.jsonl instead of the providers");
  cmd->add_option("--snapshot-every", options->snapshot_every, "Applied inputs between engine snapshots, at least (and at least the recipients plus live instances)")->type_name("N");
  cmd->add_option("--sync", options->sync, "SQLite sync: full (survives power loss) or normal")->type_name("full|normal");
  cmd->add_option("--port-file", options->port_file, "Write the port listened on to this file")->type_name("FILE");
  cmd->add_option("--threads", options->threads, "HTTP threads")->type_name("N");
  cmd->add_option("--public-url", options->public_url, "Base URL of the tracking links (default: http://HOST:PORT)")
      ->type_name("URL");
  cmd->add_option("--log-level", options->log_level, "debug, info, warn or error")->type_name("LEVEL");
  add_color_option(*cmd, options->color);
  cmd->callback([options, cmd, &selected] {
    options->has_virtual_clock = cmd->count("--virtual-clock") > 0;
    selected = [options] { return run_serve(*options); };
  });
}

}  // namespace cascade::cli
