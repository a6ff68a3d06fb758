// Running the built `cascade` binary from tests: arguments, environment changes, standard
// input, and both output streams captured separately, with a time limit so a hang fails
// the test instead of the suite. POSIX only (posix_spawn + poll), header-only so the golden
// and CLI tests share it.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace cascade::test {

struct ProcessResult {
  int exit_code = -1;     // valid when !signaled && !timed_out
  bool signaled = false;  // killed by a signal (a crash: SIGSEGV, SIGABRT from a sanitizer…)
  int signal = 0;
  bool timed_out = false;
  std::string out;
  std::string err;
};

struct ProcessOptions {
  std::string working_dir;                                // empty: the test's own
  std::map<std::string, std::optional<std::string>> env;  // value: set; nullopt: unset
  std::string input;                                      // written to standard input
  int timeout_seconds = 60;
};

inline ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {}) {
  // The child's environment: ours, with the requested changes.
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  for (const auto& [key, value] : options.env) {
    if (value)
      env[key] = *value;
    else
      env.erase(key);
  }
  std::vector<std::string> env_strings;
  for (const auto& [key, value] : env) env_strings.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& s : args) argp.push_back(s.data());
  argp.push_back(nullptr);

  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe(in_pipe) != 0 || pipe(out_pipe) != 0 || pipe(err_pipe) != 0)
    throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]})
    posix_spawn_file_actions_addclose(&actions, fd);
  // posix_spawn has no portable chdir action in glibc 2.36's public API before
  // addchdir_np; run through `cd DIR && exec …` with /bin/sh when a directory is asked.
  std::vector<std::string> shell_args;
  std::vector<char*> shell_argp;
  char** final_argv = argp.data();
  if (!options.working_dir.empty()) {
    shell_args = {"/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", options.working_dir};
    for (const auto& a : args) shell_args.push_back(a);
    for (auto& s : shell_args) shell_argp.push_back(s.data());
    shell_argp.push_back(nullptr);
    final_argv = shell_argp.data();
  }
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, final_argv[0], &actions, nullptr, final_argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    close(err_pipe[0]);
    throw std::runtime_error(std::string("posix_spawn failed: ") + std::strerror(rc));
  }

  ProcessResult result;
  std::size_t written = 0;
  int in_fd = in_pipe[1];
  if (options.input.empty()) {
    close(in_fd);
    in_fd = -1;
  } else {
    fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  int out_fd = out_pipe[0], err_fd = err_pipe[0];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(options.timeout_seconds);
  // SIGPIPE from writing to a child that exits without reading stdin must not kill us.
  struct sigaction ignore {
  }, previous{};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &previous);
  while (out_fd >= 0 || err_fd >= 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      result.timed_out = true;
      break;
    }
    pollfd fds[3];
    int n = 0;
    if (out_fd >= 0) fds[n++] = {out_fd, POLLIN, 0};
    if (err_fd >= 0) fds[n++] = {err_fd, POLLIN, 0};
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    if (poll(fds, static_cast<nfds_t>(n), static_cast<int>(std::min<long long>(left.count(), 1000))) < 0)
      continue;
    for (int i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in_fd) {
        const ssize_t w = write(in_fd, options.input.data() + written, options.input.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if (w < 0 || written == options.input.size()) {
          close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      char buffer[65536];
      const ssize_t r = read(fds[i].fd, buffer, sizeof buffer);
      std::string& sink = fds[i].fd == out_fd ? result.out : result.err;
      if (r > 0) {
        sink.append(buffer, static_cast<std::size_t>(r));
      } else {
        close(fds[i].fd);
        (fds[i].fd == out_fd ? out_fd : err_fd) = -1;
      }
    }
  }
  sigaction(SIGPIPE, &previous, nullptr);
  for (int fd : {in_fd, out_fd, err_fd})
    if (fd >= 0) close(fd);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status) && !result.timed_out) {
    result.signaled = true;
    result.signal = WTERMSIG(status);
  } else if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  }
  return result;
}

}  // namespace cascade::test
