// The daemon's state, shared by its parts: the applier (applier.cpp: the log → the engine →
// the trace and the outbox), the HTTP API (api.cpp), the providers' dispatch (dispatch.cpp) and
// start, stop and restore (daemon.cpp). Internal to runtime/daemon.
//
// Threads: the HTTP server's threads validate requests and append them to the store; the store's
// writer thread commits and, in the completion, queues the new inputs for the applier; the
// applier thread alone touches the engine, the trace file and the outbox rows it builds; the
// providers' io thread runs the sends and their completions. Reads of the engine from a request
// (a recipient, live counts) run as tasks on the applier thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "cascade/daemon/daemon.hpp"
#include "cascade/http/metrics.hpp"
#include "cascade/http/router.hpp"
#include "cascade/http/tracking.hpp"
#include "cascade/vm/input_json.hpp"

namespace cascade::daemon {

// Input kinds in the log (the `kind` column).
inline constexpr std::string_view kProfile = "profile";
inline constexpr std::string_view kEvent = "event";
inline constexpr std::string_view kStatus = "status";
inline constexpr std::string_view kClock = "clock";
inline constexpr std::string_view kBroadcast = "broadcast";
inline constexpr std::string_view kDeploy = "deploy";

// A committed input waiting for the applier.
struct Queued {
  std::int64_t seq = 0;
  std::string kind;
  vm::Time at = 0;
  std::string body;
};

struct Metrics {
  http::metrics::Family<http::metrics::Counter>* inputs = nullptr;      // {kind}
  http::metrics::Counter* duplicates = nullptr;
  http::metrics::Family<http::metrics::Counter>* skipped = nullptr;     // {reason}
  http::metrics::Gauge* applied_seq = nullptr;
  http::metrics::Gauge* live = nullptr;
  http::metrics::Family<http::metrics::Gauge>* outbox = nullptr;        // {state}
  http::metrics::Family<http::metrics::Counter>* sends = nullptr;       // {channel}
  http::metrics::Family<http::metrics::Counter>* provider_results = nullptr;  // {provider, result}
  http::metrics::Histogram* snapshot_seconds = nullptr;
  http::metrics::Histogram* apply_batch = nullptr;
};

struct Daemon::Impl {
  Config config;
  std::shared_ptr<http::Logger> log;
  std::shared_ptr<http::metrics::Registry> registry = std::make_shared<http::metrics::Registry>();
  Metrics metrics;
  std::unique_ptr<store::Store> store;
  std::shared_ptr<const http::TrackingKey> tracking;
  std::string public_url;

  // ---- the applier's own (the engine and what it writes) ----
  std::unique_ptr<vm::Engine> engine;
  std::unique_ptr<vm::InputDecoder> decoder;  // applier-side: canonical bodies from the log
  std::vector<std::pair<std::string, std::int64_t>> loaded;  // modules in load order
  std::FILE* trace = nullptr;
  std::string trace_buffer;
  std::int64_t trace_bytes = 0;  // the trace file's size once the buffer is written
  std::vector<store::OutboxRow> rows;  // built while applying, committed with the watermark
  std::int64_t current_seq = 0;
  std::int64_t since_snapshot = 0;
  std::thread snapshot_writer;
  std::atomic<bool> snapshot_busy{false};
  std::unordered_map<std::string, std::string> channel_kind;

  // ---- the queue between the store's completions and the applier ----
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Queued> queue;
  std::deque<std::function<void()>> tasks;  // engine reads for requests
  std::multimap<std::int64_t, std::function<void()>> after_applied;  // run once applied ≥ key
  bool stopping = false;
  std::atomic<std::int64_t> applied{0};
  std::thread applier;
  bool clock_in_flight = false;  // real clock: an advance is on its way to the log

  // ---- the clock ----
  std::atomic<vm::Time> virtual_now{0};
  vm::Time clock_now() const;
  // The instant an input with its own `at` is logged at. The real clock is the authority: an
  // `at` ahead of it (a client's skewed clock) is taken as now, or timers would fire early. A
  // virtual clock is moved forward by it, as `cascade run` moves with its input lines.
  vm::Time accepted_at(vm::Time at);

  // ---- scenarios known to requests (deploy, broadcast) ----
  std::mutex scenarios_mu;
  std::set<std::pair<std::string, std::int64_t>> deployed;  // versions with a deploy input
  std::map<std::string, bool> manual;                        // scenario → trigger manual (newest)

  // ---- providers ----
  boost::asio::io_context io;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> io_work;
  std::thread io_thread;
  std::map<std::string, std::unique_ptr<providers::Provider>> providers;

  // ---- HTTP ----
  std::unique_ptr<http::Server> server;
  bool running = false;

  // Responders kept for later answers (a clock advance waiting to be applied, an engine read)
  // go before the server: dropping one answers its request, through the server's io_context.
  ~Impl() {
    if (snapshot_writer.joinable()) snapshot_writer.join();
    after_applied.clear();
    tasks.clear();
  }

  // daemon.cpp
  std::optional<std::string> restore();
  std::optional<std::string> restore_from(std::int64_t watermark, std::int64_t keep_trace,
                                          std::chrono::steady_clock::time_point began, double load_seconds,
                                          double engine_seconds);
  // Serializes the engine on the applier thread; the file is written on `snapshot_writer` when
  // `background` (one at a time: a snapshot due while the last is still being written waits).
  std::optional<std::string> save_snapshot(bool background);
  void stop();
  // applier.cpp
  void on_trace(const vm::TraceRecord& r);
  void apply(std::int64_t seq, std::string_view kind, vm::Time at, std::string_view body);
  std::optional<std::string> load_version(const std::string& name, std::int64_t version);
  bool flush_trace(bool sync);
  std::optional<std::string> commit_outbox(bool dispatch_rows);
  void applier_loop();
  void post_task(std::function<void()> task);
  // cascade_outbox{state}: after each batch, and (rate-limited) after providers settle rows.
  void refresh_outbox_gauge(bool now);
  std::atomic<std::int64_t> outbox_read_at{0};
  // Appends inputs to the log; after the commit, queues the new ones for the applier and calls
  // `done` (on the store's writer thread: it must only hand off).
  void append(std::vector<store::NewInput> inputs,
              std::function<void(store::Result<std::vector<store::Appended>>)> done);
  // dispatch.cpp
  std::optional<std::string> make_providers();
  void dispatch(const store::OutboxRow& row);
  void dispatch_pending();
  // api.cpp
  http::Router routes();
};

// "2026-03-02T10:00:00Z"
std::string show_time(vm::Time t);

}  // namespace cascade::daemon
