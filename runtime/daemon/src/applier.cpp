// The applier: committed inputs, in seq order, into the engine; its trace records into the trace
// file and its sends into outbox rows, committed with the watermark before any provider sees them.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include <boost/json.hpp>

#include "cascade/bytecode/io.hpp"
#include "daemon_impl.hpp"

namespace cascade::daemon {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxBatch = 4096;  // inputs applied between two outbox commits

bool url_char(char c) {
  return !(c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '\'' || c == '<' || c == '>');
}

}  // namespace

// Tracked links (the ones `link()` made: they carry utm_source=cascade) become the daemon's
// click redirect, so a click is a status report; other URLs are left alone.
static std::string rewrite_links(const Daemon::Impl& d, std::string_view text, std::string_view message,
                                 vm::Time at, std::vector<std::string>& links) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t h = text.find("http", i);
    if (h == std::string_view::npos) break;
    const std::string_view rest = text.substr(h);
    if (!rest.starts_with("http://") && !rest.starts_with("https://")) {
      out.append(text.substr(i, h + 4 - i));
      i = h + 4;
      continue;
    }
    std::size_t end = h;
    while (end < text.size() && url_char(text[end])) ++end;
    const std::string_view url = text.substr(h, end - h);
    out.append(text.substr(i, h - i));
    if (url.find("utm_source=cascade") != std::string_view::npos && d.tracking) {
      http::TrackingToken token;
      token.kind = http::TrackKind::Click;
      token.message_id = std::string(message);
      token.url = std::string(url);
      token.expires_at = at + d.config.tracking_ttl;
      http::MintResult minted = d.tracking->mint(token);
      if (!minted.error) {
        std::string link = d.public_url + "/t/c/" + minted.token;
        out += link;
        links.push_back(std::move(link));
        i = end;
        continue;
      }
    }
    out.append(url);
    i = end;
  }
  out.append(text.substr(std::min(i, text.size())));
  return out;
}

static void rewrite_values(const Daemon::Impl& d, json::value& v, std::string_view message, vm::Time at,
                           std::vector<std::string>& links) {
  if (v.is_string()) {
    const std::string_view s(v.get_string().data(), v.get_string().size());
    if (s.find("utm_source=cascade") != std::string_view::npos) v = rewrite_links(d, s, message, at, links);
  } else if (v.is_object()) {
    for (auto& kv : v.get_object()) rewrite_values(d, kv.value(), message, at, links);
  } else if (v.is_array()) {
    for (auto& e : v.get_array()) rewrite_values(d, e, message, at, links);
  }
}

void Daemon::Impl::on_trace(const vm::TraceRecord& r) {
  vm::append_json(r, config.engine.currency, trace_buffer);
  if (r.action != vm::Action::Send) return;
  metrics.sends->with({std::string(r.channel)}).inc();
  auto p = config.channel_provider.find(std::string(r.channel));
  if (p == config.channel_provider.end()) return;  // the engine fails such sends (no_provider)
  providers::OutboundMessage m;
  m.id = std::string(r.message);
  m.idempotency_key = store->idempotency_key(m.id);
  m.recipient = std::string(r.recipient);
  m.scenario = std::string(r.scenario);
  m.step = std::to_string(r.step);
  m.channel = std::string(r.channel);
  auto kind = channel_kind.find(m.channel);
  m.channel_kind = kind == channel_kind.end() ? m.channel : kind->second;
  m.address = std::string(r.address);
  if (r.has_text) {
    m.text = rewrite_links(*this, r.text, r.message, r.at, m.links);
  } else {
    m.template_name = std::string(r.template_name);
    boost::system::error_code ec;
    json::value vars = r.vars_json.empty() ? json::value(json::object()) : json::parse(r.vars_json, ec);
    if (ec || !vars.is_object()) vars = json::object();
    rewrite_values(*this, vars, r.message, r.at, m.links);
    m.variables = std::move(vars.get_object());
  }
  if (m.channel_kind == "email" && tracking) {
    http::TrackingToken token;
    token.kind = http::TrackKind::Open;
    token.message_id = m.id;
    token.expires_at = r.at + config.tracking_ttl;
    http::MintResult minted = tracking->mint(token);
    if (!minted.error) m.pixel = public_url + "/t/o/" + minted.token;
  }
  store::OutboxRow row;
  row.message_id = m.id;
  row.idempotency_key = m.idempotency_key;
  row.provider = p->second;
  row.payload = json::serialize(providers::message_json(m));
  row.created_seq = current_seq;
  rows.push_back(std::move(row));
}

std::optional<std::string> Daemon::Impl::load_version(const std::string& name, std::int64_t version) {
  auto bytes = store->scenario_bytes(name, version);
  if (!bytes) return bytes.error().message;
  if (!bytes.value()) return fmt::format("scenario `{}` version {} is not in the store", name, version);
  const std::vector<std::uint8_t>& b = *bytes.value();
  auto module = bytecode::load(std::span<const std::uint8_t>(b.data(), b.size()));
  if (!module) return fmt::format("scenario `{}` version {}: byte {}: {}", name, version, module.error().offset,
                                  module.error().message);
  const bool is_manual = module.value().scenario.trigger == bytecode::TriggerKind::Manual;
  if (auto e = engine->load(std::move(module.value()))) return e->message;
  loaded.emplace_back(name, version);
  std::lock_guard lk(scenarios_mu);
  deployed.emplace(name, version);
  manual[name] = is_manual;
  return std::nullopt;
}

// One input from the log. Bodies were validated when they were accepted, so a failure here is
// the engine's refusal (a recipient with no profile, a message that has ended, a scenario that
// is not manual): logged and counted, and the log moves on — the same on every replay.
void Daemon::Impl::apply(std::int64_t seq, std::string_view kind, vm::Time at, std::string_view body) {
  current_seq = seq;
  // The applier never moves the clock back: a late input is applied at the engine's clock.
  at = std::max(at, engine->now());
  decoder->set_default_at(at);
  std::optional<std::string> problem;
  std::string reason = "rejected";
  if (kind == kEvent || kind == kStatus) {
    vm::Input in;
    if (auto e = decoder->input(body, in)) {
      problem = e->message;
    } else {
      in.at = std::max(in.at, engine->now());
      if (in.kind == vm::Input::Kind::Event) {
        if (auto err = engine->event(in.at, in.recipient, in.event_index, std::move(in.payload))) problem = err->message;
      } else if (auto err = engine->status(in.at, in.recipient, in.message, in.channel, in.status, in.reason)) {
        problem = err->message;
      }
      if (problem && problem->starts_with("unknown recipient")) reason = "unknown_recipient";
      if (problem && problem->starts_with("unknown message")) reason = "unknown_message";
    }
  } else if (kind == kProfile) {
    std::string id;
    vm::Record record;
    if (auto e = decoder->profile(body, id, record)) {
      problem = e->message;
    } else {
      if (auto err = engine->advance(at)) problem = err->message;
      engine->upsert_profile(id, std::move(record), at);
    }
  } else if (kind == kClock) {
    if (auto err = engine->advance(at)) problem = err->message;
  } else if (kind == kBroadcast || kind == kDeploy) {
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    const json::object* o = ec ? nullptr : v.if_object();
    const json::value* name = o ? o->if_contains("scenario") : nullptr;
    if (!name || !name->is_string()) {
      problem = "malformed body";
    } else if (kind == kBroadcast) {
      if (auto err = engine->broadcast(std::string_view(name->get_string()), at)) problem = err->message;
    } else {
      const json::value* version = o->if_contains("version");
      if (!version || !version->is_int64()) {
        problem = "malformed body";
      } else if (auto err = load_version(std::string(name->get_string()), version->get_int64())) {
        problem = *err;
      }
    }
  } else {
    problem = fmt::format("unknown input kind `{}`", kind);
  }
  if (problem) {
    metrics.skipped->with({reason}).inc();
    log->warn("input not applied", {{"seq", seq}, {"kind", kind}, {"reason", std::string_view(*problem)}});
  }
}

bool Daemon::Impl::flush_trace(bool sync) {
  if (!trace) return false;
  if (!trace_buffer.empty()) {
    if (std::fwrite(trace_buffer.data(), 1, trace_buffer.size(), trace) != trace_buffer.size()) return false;
    trace_bytes += static_cast<std::int64_t>(trace_buffer.size());
    trace_buffer.clear();
  }
  if (std::fflush(trace) != 0) return false;
  if (sync && ::fdatasync(::fileno(trace)) != 0) return false;
  return true;
}

std::optional<std::string> Daemon::Impl::commit_outbox(bool dispatch_rows) {
  if (rows.empty()) return std::nullopt;
  std::vector<store::OutboxRow> batch = std::move(rows);
  rows.clear();
  const std::int64_t watermark = batch.back().created_seq;
  if (dispatch_rows) {
    // Kept for dispatch: the store takes its own copy.
    std::vector<store::OutboxRow> copy = batch;
    if (auto e = store->put_outbox(watermark, std::move(copy))) return e->message;
    for (const store::OutboxRow& row : batch) dispatch(row);
  } else if (auto e = store->put_outbox(watermark, std::move(batch))) {
    return e->message;
  }
  return std::nullopt;
}

void Daemon::Impl::refresh_outbox_gauge(bool now) {
  // Settlements come one by one from the providers: read the counts at most ten times a second.
  const std::int64_t t = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now().time_since_epoch())
                             .count();
  std::int64_t last = outbox_read_at.load();
  if (!now && t - last < 100) return;
  if (!outbox_read_at.compare_exchange_strong(last, t) && !now) return;
  if (auto counts = store->outbox_counts()) {
    metrics.outbox->with({"pending"}).set(static_cast<double>(counts.value().pending));
    metrics.outbox->with({"acknowledged"}).set(static_cast<double>(counts.value().acknowledged));
    metrics.outbox->with({"failed"}).set(static_cast<double>(counts.value().failed));
  }
}

void Daemon::Impl::post_task(std::function<void()> task) {
  {
    std::lock_guard lk(mu);
    tasks.push_back(std::move(task));
  }
  cv.notify_one();
}

void Daemon::Impl::append(std::vector<store::NewInput> inputs,
                          std::function<void(store::Result<std::vector<store::Appended>>)> done) {
  std::vector<Queued> copies;
  copies.reserve(inputs.size());
  for (const store::NewInput& in : inputs) copies.push_back(Queued{0, in.kind, in.at, in.body});
  store->append_async(std::move(inputs), [this, copies = std::move(copies), done = std::move(done)](
                                             store::Result<std::vector<store::Appended>> r) mutable {
    if (r) {
      // Completions run in commit order on one thread, so the queue stays in seq order.
      std::size_t fresh = 0;
      {
        std::lock_guard lk(mu);
        for (std::size_t i = 0; i < copies.size() && i < r.value().size(); ++i) {
          const store::Appended& a = r.value()[i];
          if (a.duplicate) continue;
          metrics.inputs->with({copies[i].kind}).inc();
          copies[i].seq = a.seq;
          queue.push_back(std::move(copies[i]));
          ++fresh;
        }
      }
      metrics.duplicates->inc(r.value().size() - fresh);
      if (fresh) cv.notify_one();
    }
    done(std::move(r));
  });
}

void Daemon::Impl::applier_loop() {
  std::vector<Queued> batch;
  std::vector<std::function<void()>> todo;
  for (;;) {
    bool stop_now = false;
    {
      std::unique_lock lk(mu);
      auto ready = [&] { return stopping || !queue.empty() || !tasks.empty(); };
      if (config.virtual_clock) {
        cv.wait(lk, ready);
      } else {
        // The real clock: wake for the next timer (or once a second, to notice the wall clock).
        const vm::Time now = clock_now();
        const std::optional<vm::Time> due = engine->next_wakeup();
        if (due && *due <= now && !clock_in_flight && !stopping) {
          clock_in_flight = true;
          lk.unlock();
          store::NewInput in{std::string(kClock), now, std::nullopt,
                             json::serialize(json::object{{"at", show_time(now)}})};
          std::vector<store::NewInput> v;
          v.push_back(std::move(in));
          append(std::move(v), [this](store::Result<std::vector<store::Appended>> r) {
            std::lock_guard g(mu);
            clock_in_flight = false;
            if (!r) log->error("cannot log a clock advance", {{"error", std::string_view(r.error().message)}});
          });
          lk.lock();
        }
        cv.wait_for(lk, std::chrono::milliseconds(due && *due > now ? std::min<std::int64_t>(1000, (*due - now) * 1000) : 1000),
                    ready);
      }
      while (!queue.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(queue.front()));
        queue.pop_front();
      }
      for (auto& t : tasks) todo.push_back(std::move(t));
      tasks.clear();
      stop_now = stopping && queue.empty() && batch.empty();
    }
    if (!batch.empty()) {
      // A gap (inputs committed whose completion has not reached the queue cannot precede
      // later ones, but be safe): read the missing seqs from the log itself.
      std::int64_t next = applied.load() + 1;
      if (batch.front().seq > next) {
        auto r = store->replay(next - 1, [&](const store::InputView& v) {
          if (v.seq >= batch.front().seq) return false;
          apply(v.seq, v.kind, v.at, v.body);
          return true;
        });
        if (!r) log->error("cannot read the log", {{"error", std::string_view(r.error().message)}});
      }
      for (const Queued& q : batch) {
        if (q.seq < next) continue;  // already applied (replayed at open)
        apply(q.seq, q.kind, q.at, q.body);
        next = q.seq + 1;
      }
      metrics.apply_batch->observe(static_cast<double>(batch.size()));
      const std::int64_t last = batch.back().seq;
      batch.clear();
      if (!flush_trace(false)) log->error("cannot write the trace file", {});
      if (auto e = commit_outbox(true)) {
        // The inputs are in the log; a restart re-applies them and re-creates these rows.
        log->error("cannot commit the outbox", {{"error", std::string_view(*e)}});
      }
      since_snapshot += last - applied.load();
      applied.store(std::max(applied.load(), last));
      metrics.applied_seq->set(static_cast<double>(applied.load()));
      metrics.live->set(static_cast<double>(engine->live_instances()));
      refresh_outbox_gauge(true);
      std::vector<std::function<void()>> then;
      {
        std::lock_guard lk(mu);
        const std::int64_t a = applied.load();
        for (auto it = after_applied.begin(); it != after_applied.end() && it->first <= a;) {
          then.push_back(std::move(it->second));
          it = after_applied.erase(it);
        }
      }
      for (auto& f : then) f();
      // A snapshot costs time in proportion to the state (recipients and instances), a replay
      // in proportion to the tail since the last one: keep the tail no longer than the state, so
      // neither dominates.
      const auto state = static_cast<std::int64_t>(engine->live_instances() + engine->recipient_count());
      if (since_snapshot >= std::max<std::int64_t>(config.snapshot_every, state)) {
        if (auto e = save_snapshot(true)) log->error("cannot save a snapshot", {{"error", std::string_view(*e)}});
      }
    }
    for (auto& t : todo) t();
    todo.clear();
    if (stop_now) break;
  }
}

}  // namespace cascade::daemon
