// The daemon behind `cascade serve`: one process that takes events, profiles and status reports
// over HTTP, keeps every accepted input in the store's log before acknowledging it, applies the
// log in order to one engine on one thread (the applier), hands the sends it produces to their
// providers through the outbox, and snapshots the engine so a restart replays only the tail
// (docs/daemon-design.md has the why; docs/daemon.md the API).
//
// It knows nothing of cascade.yaml or the compiler: the CLI builds the plain-data Config (the
// engine's config, the providers, which channel goes to which provider) and scenarios arrive as
// verified bytecode (POST /v1/scenarios).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "cascade/http/log.hpp"
#include "cascade/http/server.hpp"
#include "cascade/providers/providers.hpp"
#include "cascade/report/report.hpp"
#include "cascade/store/store.hpp"
#include "cascade/vm/engine.hpp"

namespace cascade::daemon {

struct Config {
  vm::Config engine;
  report::Options report;  // SMS channels, SMS price and currency, for the report endpoint
  std::vector<providers::ProviderConfig> providers;
  std::map<std::string, std::string> channel_provider;  // channel name → provider name
  http::ServerConfig server;
  std::filesystem::path data = "cascade-data";
  store::Options store;
  // Virtual clock: time moves only by POST /v1/clock; it starts at `clock_start` or where the
  // store's log left it. Otherwise the wall clock.
  bool virtual_clock = false;
  std::optional<vm::Time> clock_start;
  // Applied inputs between snapshots, at least; also at least the recipients plus live instances (a snapshot costs
  // in proportion to the state, a replay in proportion to the tail since the last snapshot).
  std::int64_t snapshot_every = 200'000;
  std::string public_url;                 // base of tracking links; empty: http://HOST:PORT
  std::string tracking_secret;            // HMAC key of tracking tokens (≥ 16 bytes)
  std::int64_t tracking_ttl = 30 * 86400;  // seconds a tracking link stays valid after the send
  std::shared_ptr<http::Logger> logger;   // application and access log (JSON lines, masked)
  // Called once the server listens, before the restore: requests are taken (and logged durably)
  // from then on, and applied once the restore is done (/readyz turns 200).
  std::function<void(std::uint16_t port)> on_listening;
};

class Daemon {
 public:
  // Opens the store, restores the newest snapshot, replays the log after it and makes the
  // providers. An error (the store in use or damaged, a provider that cannot be made, a snapshot
  // that does not fit the programs) comes back as text.
  static std::variant<std::unique_ptr<Daemon>, std::string> open(Config config);
  ~Daemon();  // stop() if still running
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Starts the applier, the providers' thread and the HTTP server, and hands pending outbox rows
  // to their providers again (same idempotency keys).
  std::optional<std::string> start();
  // Drains: stops taking requests (those in flight finish), applies every acknowledged input,
  // writes a snapshot, lets providers finish attempts in flight, closes the store. Idempotent.
  void stop();
  std::uint16_t port() const;

  struct Impl;

 private:
  explicit Daemon(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cascade::daemon
