// Start, stop and restore: the snapshot plus the log's tail rebuild the engine, the trace file and
// the outbox exactly as they were (the engine is deterministic), then the threads start.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include <boost/json.hpp>

#include "cascade/bytecode/bytes.hpp"
#include "daemon_impl.hpp"

namespace cascade::daemon {

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

// A daemon snapshot: "CSDS", a u32 (little-endian) length and a JSON header (the modules loaded,
// in order, and the trace file's size at the watermark), then the engine's own snapshot.
constexpr char kMagic[4] = {'C', 'S', 'D', 'S'};

}  // namespace

std::string show_time(vm::Time t) { return vm::format_time_utc(t); }

vm::Time Daemon::Impl::clock_now() const {
  if (config.virtual_clock) return virtual_now.load();
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

vm::Time Daemon::Impl::accepted_at(vm::Time at) {
  if (!config.virtual_clock) return std::min(at, clock_now());
  vm::Time now = virtual_now.load();
  while (now < at && !virtual_now.compare_exchange_weak(now, at)) {
  }
  return at;
}

std::optional<std::string> Daemon::Impl::save_snapshot(bool background) {
  const auto started = std::chrono::steady_clock::now();
  if (background && snapshot_busy.load()) return std::nullopt;  // the last one is still being written
  if (snapshot_writer.joinable()) snapshot_writer.join();
  if (!flush_trace(true)) return "cannot write the trace file";
  json::array modules;
  for (const auto& [name, version] : loaded) modules.push_back(json::array{json::value(name), json::value(version)});
  const std::string header = json::serialize(json::object{
      {"modules", std::move(modules)}, {"trace_bytes", trace_bytes}, {"virtual_now", virtual_now.load()}});
  // Written as two parts, so the engine's bytes (gigabytes at 10 M) are never copied.
  auto prefix = std::make_shared<std::vector<std::uint8_t>>(8 + header.size());
  std::uint8_t* out = prefix->data();
  std::memcpy(out, kMagic, 4);
  const auto n = static_cast<std::uint32_t>(header.size());
  for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<std::uint8_t>(n >> (8 * i));
  std::memcpy(out + 8, header.data(), header.size());
  auto state = std::make_shared<std::vector<std::uint8_t>>();
  engine->save_into(*state);
  since_snapshot = 0;
  const std::int64_t watermark = applied.load();
  // The engine's part is done; writing and fsyncing hundreds of MB need not hold the applier.
  auto write = [this, prefix, state, watermark, started]() -> std::optional<std::string> {
    const std::span<const std::uint8_t> parts[] = {
        std::span<const std::uint8_t>(*prefix),
        std::span<const std::uint8_t>(*state)};
    auto saved = store->save_snapshot_parts(watermark, parts);
    snapshot_busy = false;
    if (!saved) return saved.error().message;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics.snapshot_seconds->observe(seconds);
    log->info("snapshot saved", {{"seq", watermark}, {"bytes", saved.value().size},
                                 {"seconds", seconds}});
    return std::nullopt;
  };
  snapshot_busy = true;
  if (!background) return write();
  snapshot_writer = std::thread([this, write] {
    if (auto e = write()) log->error("cannot save a snapshot", {{"error", std::string_view(*e)}});
  });
  return std::nullopt;
}

std::optional<std::string> Daemon::Impl::restore() {
  // The start's phases, logged: a slow restart says which part was slow.
  const auto began = std::chrono::steady_clock::now();
  auto since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  };
  auto snap = store->load_snapshot();
  const double load_seconds = since(began);
  if (!snap) return snap.error().message;
  if (snap.value()) {
    const store::Snapshot& s = *snap.value();
    const std::span<const std::uint8_t> b = s.bytes;
    if (b.size() < 8 || std::memcmp(b.data(), kMagic, 4) != 0) return "the newest snapshot is not a daemon snapshot";
    std::uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n |= static_cast<std::uint32_t>(b[4 + i]) << (8 * i);
    if (b.size() - 8 < n) return "the newest snapshot is truncated (its header runs past the end)";
    boost::system::error_code ec;
    json::value header = json::parse(std::string_view(reinterpret_cast<const char*>(b.data() + 8), n), ec);
    const json::object* h = ec ? nullptr : header.if_object();
    const json::value* modules = h ? h->if_contains("modules") : nullptr;
    const json::value* tb = h ? h->if_contains("trace_bytes") : nullptr;
    if (!modules || !modules->is_array() || !tb || !tb->is_int64()) return "the newest snapshot's header is malformed";
    const std::string_view state(reinterpret_cast<const char*>(b.data() + 8 + n), b.size() - 8 - n);
    const std::optional<std::uint32_t> format = vm::snapshot_format_of(state);
    if (format && *format != vm::snapshot_format()) {
      // Written by another version of cascade: the log holds every input since the first, so
      // replaying all of it rebuilds the same state (slowly, once; the next snapshot is current).
      log->warn("the newest snapshot is in another format; replaying the whole log instead",
                {{"format", static_cast<std::int64_t>(*format)},
                 {"expected", static_cast<std::int64_t>(vm::snapshot_format())}});
      return restore_from(0, 0, began, load_seconds, 0);
    }
    for (const json::value& m : modules->get_array()) {
      const json::array* pair = m.if_array();
      if (!pair || pair->size() != 2 || !(*pair)[0].is_string() || !(*pair)[1].is_int64())
        return "the newest snapshot's module list is malformed";
      if (auto e = load_version(std::string((*pair)[0].get_string()), (*pair)[1].get_int64())) return *e;
    }
    if (const json::value* vn = h->if_contains("virtual_now"); vn && vn->is_int64()) virtual_now = vn->get_int64();
    const auto engine_began = std::chrono::steady_clock::now();
    // The engine keeps the mapping and reads profiles from it until each is first used.
    if (auto e = engine->restore(state, s.mapping)) return "the newest snapshot does not restore: " + e->message;
    return restore_from(s.watermark, tb->get_int64(), began, load_seconds, since(engine_began));
  }
  return restore_from(0, 0, began, load_seconds, 0);
}

// After the snapshot (if any): cuts the trace back to what the snapshot covers and replays the
// log from `watermark` on.
std::optional<std::string> Daemon::Impl::restore_from(std::int64_t watermark, std::int64_t keep_trace,
                                                      std::chrono::steady_clock::time_point began,
                                                      double load_seconds, double engine_seconds) {
  const fs::path trace_path = config.data / "trace.jsonl";
  auto since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  };
  applied = watermark;
  // The trace past the snapshot is re-made by the replay, byte for byte.
  std::error_code fec;
  const std::int64_t size = fs::exists(trace_path, fec) ? static_cast<std::int64_t>(fs::file_size(trace_path, fec)) : 0;
  if (size < keep_trace) {
    log->warn("the trace file is shorter than the snapshot says; history before the restart is incomplete",
              {{"bytes", size}, {"expected", keep_trace}});
    keep_trace = size;
  }
  if (size > keep_trace) fs::resize_file(trace_path, static_cast<std::uintmax_t>(keep_trace), fec);
  if (fec) return fmt::format("cannot cut {} back to the snapshot: {}", trace_path.string(), fec.message());
  trace = std::fopen(trace_path.c_str(), "ab");
  if (!trace) return fmt::format("cannot open {}: {}", trace_path.string(), std::strerror(errno));
  trace_bytes = keep_trace;

  // The log's tail.
  const auto started = std::chrono::steady_clock::now();
  std::int64_t replayed = 0;
  std::optional<std::string> failure;
  auto r = store->replay(applied.load(), [&](const store::InputView& v) {
    apply(v.seq, v.kind, v.at, v.body);
    applied = v.seq;
    if (++replayed % 4096 == 0) {
      if (auto e = commit_outbox(false)) {
        failure = *e;
        return false;
      }
    }
    return true;
  });
  if (!r) return r.error().message;
  if (failure) return failure;
  if (auto e = commit_outbox(false)) return e;
  if (!flush_trace(false)) return "cannot write the trace file";
  since_snapshot = replayed;
  if (config.virtual_clock) {
    vm::Time start = std::max(virtual_now.load(), engine->now());
    if (config.clock_start && *config.clock_start > start) start = *config.clock_start;
    virtual_now = start;
  }
  const vm::Engine::RestoreTimings timings = engine->restore_timings();  // zeros without a snapshot
  log->info("restored", {{"seq", applied.load()}, {"replayed", replayed},
                         {"instances", static_cast<std::int64_t>(engine->live_instances())},
                         {"snapshot_load_seconds", load_seconds}, {"engine_restore_seconds", engine_seconds},
                         {"checksum_seconds", timings.checksum_seconds}, {"decode_seconds", timings.decode_seconds},
                         {"index_seconds", timings.index_seconds}, {"timers_seconds", timings.timers_seconds},
                         {"seconds", since(started)}, {"total_seconds", since(began)}});
  return std::nullopt;
}

std::variant<std::unique_ptr<Daemon>, std::string> Daemon::open(Config config) {
  auto impl = std::make_unique<Impl>();
  Impl& d = *impl;
  d.config = std::move(config);
  d.log = d.config.logger ? d.config.logger : std::make_shared<http::Logger>();
  if (d.config.server.registry) d.registry = d.config.server.registry;
  d.config.server.registry = d.registry;
  d.config.server.logger = d.log;
  auto& reg = *d.registry;
  d.metrics.inputs = &reg.counter("cascade_inputs_total", "Inputs accepted into the log, by kind", {"kind"});
  d.metrics.duplicates =
      &reg.counter("cascade_inputs_duplicate_total", "Inputs acknowledged again by their de-duplication id").with({});
  d.metrics.skipped = &reg.counter("cascade_inputs_skipped_total", "Logged inputs the engine refused, by reason", {"reason"});
  d.metrics.applied_seq = &reg.gauge("cascade_applied_seq", "The last input applied to the engine").with({});
  d.metrics.live = &reg.gauge("cascade_instances_live", "Instances not yet ended").with({});
  d.metrics.sends = &reg.counter("cascade_sends_total", "Messages sent, by channel", {"channel"});
  d.metrics.provider_results =
      &reg.counter("cascade_provider_results_total", "Final provider answers, by provider and result", {"provider", "result"});
  d.metrics.outbox = &reg.gauge("cascade_outbox", "Outbox rows by state, as of the last applied batch", {"state"});
  d.metrics.snapshot_seconds = &reg.histogram("cascade_snapshot_seconds", "Time to save a snapshot").with({});
  d.metrics.apply_batch = &reg.histogram("cascade_apply_batch_inputs", "Inputs applied between two outbox commits", {},
                                         {1, 4, 16, 64, 256, 1024, 4096})
                              .with({});
  for (const vm::ChannelConfig& c : d.config.engine.channels) d.channel_kind[c.name] = c.kind;

  auto store = store::Store::open(d.config.data, d.config.store);
  if (!store) return store.error().message;
  d.store = std::move(store.value());

  std::string key_error;
  auto key = http::TrackingKey::from_secret(d.config.tracking_secret, &key_error);
  if (!key) return "tracking key: " + key_error;
  d.tracking = std::make_shared<const http::TrackingKey>(std::move(*key));

  d.engine = std::make_unique<vm::Engine>(d.config.engine);
  d.engine->set_sink([&d](const vm::TraceRecord& r) { d.on_trace(r); });
  vm::InputDecoder::Options decode;
  decode.require_at = true;
  decode.check_recipients = false;
  decode.allow_message_only = true;
  d.decoder = std::make_unique<vm::InputDecoder>(*d.engine, decode);
  if (auto e = d.make_providers()) return *e;
  // The server listens before the restore, so the port (when --listen asked for any) is known
  // to the links the replay re-makes; requests are logged meanwhile and applied after it.
  d.server = std::make_unique<http::Server>(d.config.server, d.routes());
  if (auto e = d.server->start()) return *e;
  d.public_url = !d.config.public_url.empty()
                     ? d.config.public_url
                     : fmt::format("http://{}:{}", d.config.server.host, d.server->port());
  d.log->info("listening", {{"address", std::string_view(fmt::format("{}:{}", d.config.server.host, d.server->port()))},
                            {"virtual_clock", d.config.virtual_clock}});
  if (d.config.on_listening) d.config.on_listening(d.server->port());
  if (auto e = d.restore()) return *e;
  return std::unique_ptr<Daemon>(new Daemon(std::move(impl)));
}

Daemon::Daemon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Daemon::~Daemon() { stop(); }

std::optional<std::string> Daemon::start() {
  Impl& d = *impl_;
  if (d.running) return std::nullopt;
  d.io_work.emplace(d.io.get_executor());
  d.io_thread = std::thread([&d] { d.io.run(); });
  d.running = true;
  d.metrics.applied_seq->set(static_cast<double>(d.applied.load()));
  d.metrics.live->set(static_cast<double>(d.engine->live_instances()));
  d.applier = std::thread([&d] { d.applier_loop(); });
  d.dispatch_pending();
  d.server->set_ready(true);
  d.log->info("ready", {{"seq", d.applied.load()},
                        {"instances", static_cast<std::int64_t>(d.engine->live_instances())}});
  return std::nullopt;
}

void Daemon::Impl::stop() {
  if (!running) return;
  running = false;
  server->set_ready(false);
  server->stop();  // requests in flight finish; their inputs are committed and queued
  {
    std::lock_guard lk(mu);
    stopping = true;
  }
  cv.notify_one();
  applier.join();  // every queued input applied, its outbox rows committed
  if (auto e = save_snapshot(false)) log->error("cannot save a snapshot at stop", {{"error", std::string_view(*e)}});
  // Attempts in flight finish; queued ones stay pending in the outbox for the next start.
  for (auto& [name, p] : providers) p->stop();
  io_work.reset();
  io_thread.join();
  providers.clear();
  if (trace) {
    flush_trace(true);
    std::fclose(trace);
    trace = nullptr;
  }
  log->info("stopped", {{"seq", applied.load()}});
}

void Daemon::stop() { impl_->stop(); }

std::uint16_t Daemon::port() const { return impl_->server ? impl_->server->port() : 0; }

}  // namespace cascade::daemon
