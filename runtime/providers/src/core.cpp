// The Engine (core.hpp) and make_provider.
#include "core.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <cstdlib>

namespace cascade::providers {
namespace detail {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

std::string prefix(const ProviderConfig& c) {
  return "provider `" + c.name + "` (" + std::string(type_name(c.type)) + "): ";
}

std::variant<std::string, StartError> read_secret(const ProviderConfig& c, std::string_view purpose) {
  const char* value = std::getenv(c.secret_env.c_str());
  if (value == nullptr || *value == '\0') {
    return StartError{prefix(c) + "the environment variable " + c.secret_env + " (named by `secret_env`) " +
                      (value == nullptr ? "is not set" : "is empty") + "; it must hold the " +
                      std::string(purpose) + ". Export it before starting cascade serve"};
  }
  return std::string(value);
}

Engine::Engine(asio::io_context& io, ProviderConfig config, Options options,
               std::unique_ptr<Transport> transport)
    : strand_(asio::make_strand(io)),
      config_(std::move(config)),
      options_(std::move(options)),
      transport_(std::move(transport)),
      rng_(options_.seed != 0 ? options_.seed : std::random_device{}()),
      token_timer_(strand_) {}

void Engine::notify(Event e) const {
  if (!options_.observer) return;
  e.provider = config_.name;
  options_.observer(e);
}

void Engine::submit(OutboundMessage message, Completion done) {
  counters_->submitted.fetch_add(1, std::memory_order_relaxed);
  asio::post(strand_, [self = shared_from_this(), m = std::move(message), d = std::move(done)]() mutable {
    self->on_submit(std::move(m), std::move(d));
  });
}

void Engine::on_submit(OutboundMessage message, Completion done) {
  if (stopped_) {
    counters_->failed.fetch_add(1, std::memory_order_relaxed);
    done(Failed{"provider_error", "provider stopped", 0});
    return;
  }
  if (message.idempotency_key.empty()) {
    counters_->failed.fetch_add(1, std::memory_order_relaxed);
    done(Failed{"provider_error", "message " + message.id + " has no idempotency key", 0});
    return;
  }
  if (auto it = acknowledged_.find(message.idempotency_key); it != acknowledged_.end()) {
    counters_->duplicates.fetch_add(1, std::memory_order_relaxed);
    Event e;
    e.kind = Event::Kind::duplicate;
    e.message_id = message.id;
    notify(e);
    done(Delivered{it->second, 0, true});
    return;
  }
  if (auto it = active_.find(message.idempotency_key); it != active_.end()) {
    // The same key is already on its way: its result answers this submit too.
    it->second->waiters.push_back(std::move(done));
    return;
  }
  auto job = std::make_shared<Job>();
  job->submitted = Clock::now();
  job->waiters.push_back(std::move(done));
  job->message = std::move(message);
  active_.emplace(job->message.idempotency_key, job);
  counters_->queued.fetch_add(1, std::memory_order_relaxed);
  ready_.push_back(std::move(job));
  pump();
}

void Engine::pump() {
  const bool limited = transport_->limited();
  while (!stopped_ && !ready_.empty()) {
    if (limited && in_flight_ >= std::max(1, config_.concurrency)) return;
    if (limited && config_.rate_limit > 0) {
      const auto now = Clock::now();
      if (next_token_ > now) {
        if (!token_timer_armed_) {
          token_timer_armed_ = true;
          token_timer_.expires_at(next_token_);
          token_timer_.async_wait([self = shared_from_this()](boost::system::error_code) {
            self->token_timer_armed_ = false;
            self->pump();
          });
        }
        return;
      }
      // A bucket of one token: messages leave evenly spaced, never in a burst after a pause.
      const auto interval = std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(1.0 / config_.rate_limit));
      // Late timers do not lower the rate (next = previous + interval), an idle spell does
      // not save tokens up (next = now + interval).
      next_token_ = next_token_ + interval < now ? now + interval : next_token_ + interval;
    }
    JobPtr job = std::move(ready_.front());
    ready_.pop_front();
    counters_->queued.fetch_sub(1, std::memory_order_relaxed);
    start_attempt(job);
  }
}

void Engine::start_attempt(const JobPtr& job) {
  ++job->attempts;
  ++in_flight_;
  counters_->attempts.fetch_add(1, std::memory_order_relaxed);
  counters_->in_flight.fetch_add(1, std::memory_order_relaxed);
  Event e;
  e.kind = Event::Kind::attempt;
  e.message_id = job->message.id;
  e.attempt = job->attempts;
  notify(e);
  // The transport may answer from another thread; the answer comes back to the strand. The
  // callback moves its reference to the engine into the posted handler, so a worker thread
  // never holds the last one (the engine's destructor joins those threads).
  AttemptDone done = [self = shared_from_this(), job](AttemptOutcome outcome) mutable {
    auto engine = std::move(self);
    auto j = std::move(job);
    if (!engine) return;  // called twice: a transport bug, ignored rather than double-completing
    auto& strand = engine->strand_;
    asio::dispatch(strand, [engine = std::move(engine), j = std::move(j), o = std::move(outcome)]() mutable {
      engine->on_outcome(j, std::move(o));
    });
  };
  transport_->attempt(job->message, job->attempts, std::move(done));
}

void Engine::on_outcome(const JobPtr& job, AttemptOutcome outcome) {
  --in_flight_;
  counters_->in_flight.fetch_sub(1, std::memory_order_relaxed);
  using K = AttemptOutcome::Kind;
  if (outcome.kind == K::accepted) {
    remember(job->message.idempotency_key, outcome.provider_message_id);
    finish(job, Delivered{outcome.provider_message_id, job->attempts, false});
  } else if (outcome.kind == K::permanent || stopped_ ||
             job->attempts >= std::max(1, config_.retry.max_attempts)) {
    std::string detail = outcome.detail;
    if (outcome.kind == K::retry && !stopped_)
      detail = "gave up after " + std::to_string(job->attempts) + " attempt" +
               (job->attempts == 1 ? "" : "s") + ": " + detail;
    finish(job, Failed{"provider_error", std::move(detail), job->attempts});
  } else {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    Millis delay = backoff_delay(config_.retry, job->attempts, unit(rng_));
    // Retry-After is the receiver telling us when it can take more: honoured, but bounded
    // so a hostile or broken answer cannot park a message for days.
    if (outcome.retry_after)
      delay = std::max(delay,
                       std::min(*outcome.retry_after, std::max(config_.retry.max_backoff, Millis(60'000))));
    counters_->retries.fetch_add(1, std::memory_order_relaxed);
    counters_->queued.fetch_add(1, std::memory_order_relaxed);
    Event e;
    e.kind = Event::Kind::retry;
    e.message_id = job->message.id;
    e.attempt = job->attempts;
    e.delay = delay;
    e.detail = outcome.detail;
    notify(e);
    job->retry_timer = std::make_unique<asio::steady_timer>(strand_, delay);
    waiting_.emplace(job->message.idempotency_key, job);
    job->retry_timer->async_wait([self = shared_from_this(), job](boost::system::error_code) {
      // After stop() the job was failed already and is no longer waiting.
      if (self->waiting_.erase(job->message.idempotency_key) == 0) return;
      self->ready_.push_back(job);
      self->pump();
    });
  }
  pump();
}

void Engine::finish(const JobPtr& job, Result result) {
  active_.erase(job->message.idempotency_key);
  const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - job->submitted);
  counters_->latency_us_sum.fetch_add(static_cast<std::uint64_t>(latency.count()), std::memory_order_relaxed);
  Event e;
  e.kind = std::holds_alternative<Delivered>(result) ? Event::Kind::delivered : Event::Kind::failed;
  e.message_id = job->message.id;
  e.attempt = job->attempts;
  e.latency = latency;
  if (auto* f = std::get_if<Failed>(&result)) e.detail = f->detail;
  (std::holds_alternative<Delivered>(result) ? counters_->delivered : counters_->failed)
      .fetch_add(job->waiters.size(), std::memory_order_relaxed);
  notify(e);
  auto waiters = std::move(job->waiters);
  for (auto& w : waiters) w(result);
}

void Engine::remember(const std::string& key, const std::string& provider_id) {
  if (options_.remember_acknowledged == 0) return;
  if (!acknowledged_.emplace(key, provider_id).second) return;
  acknowledged_order_.push_back(key);
  while (acknowledged_order_.size() > options_.remember_acknowledged) {
    acknowledged_.erase(acknowledged_order_.front());
    acknowledged_order_.pop_front();
  }
}

void Engine::stop() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    if (self->stopped_) return;
    self->stopped_ = true;
    self->token_timer_.cancel();
    std::vector<JobPtr> dropped(self->ready_.begin(), self->ready_.end());
    self->ready_.clear();
    for (auto& [key, job] : self->waiting_) {
      job->retry_timer->cancel();
      dropped.push_back(job);
    }
    self->waiting_.clear();
    self->counters_->queued.store(0, std::memory_order_relaxed);
    for (auto& job : dropped) {
      self->finish(
          job, Failed{"provider_error", "provider stopped before the message was accepted", job->attempts});
    }
    self->transport_->shutdown();
  });
}

Stats Engine::stats() const {
  const auto& c = *counters_;
  Stats s;
  s.submitted = c.submitted.load(std::memory_order_relaxed);
  s.attempts = c.attempts.load(std::memory_order_relaxed);
  s.retries = c.retries.load(std::memory_order_relaxed);
  s.delivered = c.delivered.load(std::memory_order_relaxed);
  s.failed = c.failed.load(std::memory_order_relaxed);
  s.duplicates = c.duplicates.load(std::memory_order_relaxed);
  s.in_flight = c.in_flight.load(std::memory_order_relaxed);
  s.queued = c.queued.load(std::memory_order_relaxed);
  s.latency_us_sum = c.latency_us_sum.load(std::memory_order_relaxed);
  return s;
}

namespace {

// The handle the caller owns. Its engine lives on while handlers still refer to it, so
// dropping the handle with work under way is safe: it stops the engine first.
class Handle final : public Provider {
 public:
  explicit Handle(std::shared_ptr<Engine> engine) : engine_(std::move(engine)) {}
  ~Handle() override { engine_->stop(); }
  void submit(OutboundMessage message, Completion done) override {
    engine_->submit(std::move(message), std::move(done));
  }
  void stop() override { engine_->stop(); }
  Stats stats() const override { return engine_->stats(); }
  const std::string& name() const override { return engine_->config().name; }
  Type type() const override { return engine_->config().type; }

 private:
  std::shared_ptr<Engine> engine_;
};

}  // namespace
}  // namespace detail

std::variant<std::unique_ptr<Provider>, StartError> make_provider(boost::asio::io_context& io,
                                                                  const ProviderConfig& config,
                                                                  Options options) {
  if (config.retry.max_attempts < 1 || config.retry.max_attempts > 1000)
    return StartError{detail::prefix(config) + "max_attempts must be from 1 to 1000"};
  if (config.concurrency < 1) return StartError{detail::prefix(config) + "concurrency must be at least 1"};
  if (config.rate_limit < 0 || !std::isfinite(config.rate_limit))
    return StartError{detail::prefix(config) + "rate_limit must be a number of messages per second >= 0"};
  if (config.timeout.count() <= 0 || config.connect_timeout.count() <= 0)
    return StartError{detail::prefix(config) + "timeouts must be longer than zero"};
  std::variant<std::unique_ptr<detail::Transport>, StartError> transport;
  switch (config.type) {
    case Type::webhook:
      transport = detail::make_webhook(io, config);
      break;
    case Type::smtp:
      transport = detail::make_smtp(config);
      break;
    case Type::file:
      transport = detail::make_file(config);
      break;
  }
  if (auto* e = std::get_if<StartError>(&transport)) return std::move(*e);
  auto engine =
      std::make_shared<detail::Engine>(io, config, std::move(options), std::move(std::get<0>(transport)));
  return std::unique_ptr<Provider>(std::make_unique<detail::Handle>(std::move(engine)));
}

}  // namespace cascade::providers
