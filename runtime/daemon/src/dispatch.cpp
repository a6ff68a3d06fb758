// The way out: committed outbox rows to their providers, and the providers' final answers back
// into the store — an acknowledgement settles the row; a final failure becomes a `failed` status
// input first (so the cascade falls through, also after a crash) and then settles the row.
#include <fmt/format.h>

#include <boost/json.hpp>

#include "daemon_impl.hpp"

namespace cascade::daemon {

namespace json = boost::json;

std::optional<std::string> Daemon::Impl::make_providers() {
  for (const providers::ProviderConfig& pc : config.providers) {
    providers::Options options;
    options.observer = [this](const providers::Event& e) {
      if (e.kind == providers::Event::Kind::retry)
        log->warn("provider attempt failed", {{"provider", e.provider}, {"message", e.message_id},
                                              {"attempt", static_cast<std::int64_t>(e.attempt)},
                                              {"detail", e.detail}});
    };
    auto made = providers::make_provider(io, pc, std::move(options));
    if (auto* err = std::get_if<providers::StartError>(&made)) return err->message;
    providers.emplace(pc.name, std::move(std::get<0>(made)));
  }
  for (const auto& [channel, provider] : config.channel_provider) {
    if (!providers.count(provider))
      return fmt::format("channel `{}` names provider `{}`, which is not configured", channel, provider);
  }
  return std::nullopt;
}

void Daemon::Impl::dispatch(const store::OutboxRow& row) {
  auto settle_failed = [this](const std::string& id, const std::string& detail) {
    // The failure goes into the log before the row is settled: if the process dies in between,
    // the row is still pending, is sent again after the restart, and the status input is
    // de-duplicated by its id.
    json::object body{
        {"at", show_time(clock_now())}, {"message", id}, {"status", "failed"}, {"reason", "provider_error"}};
    std::vector<store::NewInput> in;
    in.push_back(store::NewInput{std::string(kStatus), clock_now(), "provider-failed:" + id, json::serialize(body)});
    append(std::move(in), [this, id, detail](store::Result<std::vector<store::Appended>> r) {
      if (!r) {
        log->error("cannot log a provider failure", {{"message", std::string_view(id)},
                                                     {"error", std::string_view(r.error().message)}});
        return;  // the row stays pending: sent again after a restart
      }
      store->settle_async({store::Store::Settlement{id, false, "provider_error: " + detail}},
                          [this](store::Status) { refresh_outbox_gauge(false); });
    });
  };
  auto p = providers.find(row.provider);
  boost::system::error_code ec;
  json::value v = json::parse(row.payload, ec);
  std::optional<providers::OutboundMessage> m;
  if (!ec && v.is_object()) m = providers::message_from_json(v.get_object());
  if (p == providers.end() || !m) {
    settle_failed(row.message_id, p == providers.end() ? "no such provider " + row.provider : "malformed outbox row");
    return;
  }
  const std::string provider = row.provider;
  p->second->submit(std::move(*m), [this, id = row.message_id, provider, settle_failed](providers::Result r) {
    if (auto* ok = std::get_if<providers::Delivered>(&r)) {
      metrics.provider_results->with({provider, "delivered"}).inc();
      store->settle_async({store::Store::Settlement{id, true, ok->provider_message_id}},
                          [this](store::Status) { refresh_outbox_gauge(false); });
      return;
    }
    const auto& failed = std::get<providers::Failed>(r);
    // Stopping is not the provider's answer: the row stays pending for the next start.
    if (failed.detail == "provider stopped") return;
    metrics.provider_results->with({provider, "failed"}).inc();
    log->warn("message failed at its provider", {{"provider", std::string_view(provider)},
                                                 {"message", std::string_view(id)},
                                                 {"detail", std::string_view(failed.detail)}});
    settle_failed(id, failed.detail);
  });
}

void Daemon::Impl::dispatch_pending() {
  auto pending = store->pending();
  if (!pending) {
    log->error("cannot read the outbox", {{"error", std::string_view(pending.error().message)}});
    return;
  }
  for (const store::OutboxEntry& e : pending.value()) dispatch(e.row);
  if (!pending.value().empty())
    log->info("pending messages handed to providers again",
              {{"count", static_cast<std::int64_t>(pending.value().size())}});
}

}  // namespace cascade::daemon
