// The HTTP front alone: a trivial JSON POST handler (parse the body as an object, answer 202
// {"accepted":1}) on cascade_http's server, for bench/http/run.sh to load with wrk. It prints the
// port it bound (loopback, random) and serves until SIGINT or SIGTERM, then drains as the daemon
// will. Usage: bench_http [THREADS=2]
#include "cascade/http/server.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>

namespace http = cascade::http;

int main(int argc, char** argv) {
  // Block the stop signals before any thread starts, so only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  http::Router router;
  router.add(
      http::Verb::post, "/v1/events",
      [](http::Exchange ex) {
        auto parsed = http::parse_json_object(ex.body());
        if (!parsed.ok()) return ex.respond.error(*parsed.error);
        ex.respond.json(202, {{"accepted", 1}});
      },
      {http::Policy::TokenWhenExposed, http::Accept::Json});

  http::ServerConfig config;
  config.threads = argc > 1 ? static_cast<unsigned>(std::atoi(argv[1])) : 2;
  config.limits.idle_timeout = std::chrono::seconds(120);
  config.limits.max_connections = 4096;
  http::Server server(config, std::move(router));
  if (auto err = server.start()) {
    std::fprintf(stderr, "bench_http: %s\n", err->c_str());
    return 1;
  }
  server.set_ready(true);
  std::printf("%u\n", static_cast<unsigned>(server.port()));
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  server.stop(std::chrono::seconds(5));
  return 0;
}
