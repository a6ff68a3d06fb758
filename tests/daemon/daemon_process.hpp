// `cascade serve` as a child process of a test: started on 127.0.0.1 with port 0 and
// --port-file (so parallel tests never fight over a port), its stdout and stderr appended to
// one log file in the test's folder (kept across restarts, shown when something fails), and
// stopped with SIGTERM (a clean stop, exit code checked) or SIGKILL (the crash test). The
// destructor kills a daemon still running, so a failed assertion never leaks a process.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../golden/test_files.hpp"
#include "client.hpp"

extern char** environ;

namespace cascade::daemon_test {

namespace fs = std::filesystem;

inline const std::string kToken = "e2e-test-token-0123456789";
inline const std::string kStart = "2026-03-02T08:00:00Z";

struct DaemonOptions {
  fs::path project;                          // folder with cascade.yaml
  fs::path data;                             // --data
  fs::path log;                              // stdout+stderr, appended
  std::optional<std::string> virtual_clock = kStart;  // nullopt: the real clock
  std::vector<std::string> extra_args;
  std::map<std::string, std::optional<std::string>> env;  // set (value) or unset (nullopt)
};

class Daemon {
 public:
  explicit Daemon(DaemonOptions o) : o_(std::move(o)) {}
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;
  ~Daemon() {
    if (pid_ > 0) kill9();
  }

  // How long start() waits: not at all (the crash test kills during the restore), until the
  // port is written, or until /readyz answers 200 (restored and serving).
  enum class Wait { spawned, port, ready };

  // Spawns the daemon and waits as asked. Returns an empty string on success, else what went
  // wrong (with the log's tail).
  std::string start(Wait wait = Wait::ready, std::chrono::seconds limit = std::chrono::seconds(60)) {
    if (pid_ > 0) return "already running";
    const fs::path port_file = o_.data.parent_path() / (o_.data.filename().string() + ".port");
    fs::remove(port_file);
    std::vector<std::string> args = {CASCADE_BINARY, "serve",        "--project", o_.project.string(),
                                     "--data",       o_.data.string(), "--listen", "127.0.0.1:0",
                                     "--port-file",  port_file.string()};
    if (o_.virtual_clock) {
      args.push_back("--virtual-clock");
      args.push_back(*o_.virtual_clock);
    }
    for (const auto& a : o_.extra_args) args.push_back(a);

    std::map<std::string, std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry(*e);
      const auto eq = entry.find('=');
      if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    env["CASCADE_TOKEN"] = kToken;
    env["NO_COLOR"] = "1";
    for (const auto& [k, v] : o_.env) {
      if (v)
        env[k] = *v;
      else
        env.erase(k);
    }
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp, argp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    for (auto& s : args) argp.push_back(s.data());
    argp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string log = o_.log.string();
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = 0;
    const int rc = posix_spawn(&pid, argp[0], &actions, nullptr, argp.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return std::string("posix_spawn: ") + std::strerror(rc);
    pid_ = pid;
    ++starts_;
    port_ = 0;
    if (wait == Wait::spawned) return "";

    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto exited = reap_if_exited()) return "the daemon exited (" + *exited + ") before listening\n" + log_tail();
      if (port_ == 0) {
        const std::string text = test::slurp(port_file);
        if (!text.empty() && text.back() == '\n') port_ = static_cast<unsigned short>(std::stoi(text));
      }
      if (port_ != 0) {
        if (wait == Wait::port) return "";
        const Reply r = client().get("/readyz");
        if (r.status == 200) return "";
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(port_ == 0 ? 5 : 20));
    }
    return "the daemon was not ready within " + std::to_string(limit.count()) + " s\n" + log_tail();
  }

  // SIGKILL and reap: the crash.
  void kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  // SIGTERM and wait; the exit code, or -1 on a signal or a timeout (then killed).
  int stop(std::chrono::seconds limit = std::chrono::seconds(60)) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    kill9();
    return -1;
  }

  bool running() { return pid_ > 0 && !reap_if_exited(); }
  unsigned short port() const { return port_; }
  pid_t pid() const { return pid_; }
  int starts() const { return starts_; }
  Client client() const { return Client(port_, kToken); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const DaemonOptions& options() const { return o_; }
  fs::path trace_path() const { return o_.data / "trace.jsonl"; }

  std::string log_tail(std::size_t bytes = 4000) const {
    const std::string all = test::slurp(o_.log);
    return all.size() <= bytes ? all : all.substr(all.size() - bytes);
  }

 private:
  // "exit N" or "signal N" when the child has exited (and is reaped), else nullopt.
  std::optional<std::string> reap_if_exited() {
    if (pid_ <= 0) return "not running";
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
    pid_ = -1;
    if (WIFSIGNALED(status)) return "signal " + std::to_string(WTERMSIG(status));
    return "exit " + std::to_string(WEXITSTATUS(status));
  }

  DaemonOptions o_;
  pid_t pid_ = -1;
  unsigned short port_ = 0;
  int starts_ = 0;
};

}  // namespace cascade::daemon_test
