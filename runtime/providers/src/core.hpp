// The part every provider shares: the queue, the rate and concurrency limits, retries with
// backoff, the in-process idempotency memory and the stats. A Transport only knows how to
// make one attempt; the Engine decides when, how often, and what the caller is told.
#pragma once

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <deque>
#include <random>
#include <unordered_map>

#include "cascade/providers/providers.hpp"

namespace cascade::providers::detail {

struct AttemptOutcome {
  enum class Kind { accepted, retry, permanent };
  Kind kind = Kind::retry;
  std::string provider_message_id;  // accepted
  std::string detail;               // retry, permanent
  std::optional<Millis> retry_after;
};
// Called exactly once per attempt, from any thread.
using AttemptDone = std::function<void(AttemptOutcome)>;

class Transport {
 public:
  virtual ~Transport() = default;
  Transport() = default;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;
  // Makes one attempt at handing `m` over; `done` may run on any thread.
  virtual void attempt(const OutboundMessage& m, int attempt, AttemptDone done) = 0;
  // No more attempts will be asked for; close what is idle.
  virtual void shutdown() {}
  // The file provider writes each message once, whatever the limits say.
  virtual bool limited() const { return true; }
};

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

class Engine : public std::enable_shared_from_this<Engine> {
 public:
  Engine(boost::asio::io_context& io, ProviderConfig config, Options options,
         std::unique_ptr<Transport> transport);

  void submit(OutboundMessage message, Completion done);
  void stop();
  Stats stats() const;
  const ProviderConfig& config() const { return config_; }
  Strand& strand() { return strand_; }

 private:
  struct Job {
    OutboundMessage message;
    std::vector<Completion> waiters;
    int attempts = 0;
    std::chrono::steady_clock::time_point submitted;
    std::unique_ptr<boost::asio::steady_timer> retry_timer;
  };
  using JobPtr = std::shared_ptr<Job>;

  void on_submit(OutboundMessage message, Completion done);
  void pump();
  void start_attempt(const JobPtr& job);
  void on_outcome(const JobPtr& job, AttemptOutcome outcome);
  void finish(const JobPtr& job, Result result);
  void remember(const std::string& key, const std::string& provider_id);
  void notify(Event e) const;

  Strand strand_;
  ProviderConfig config_;
  Options options_;
  std::unique_ptr<Transport> transport_;
  std::mt19937_64 rng_;

  bool stopped_ = false;
  std::deque<JobPtr> ready_;                                   // waiting for a slot or a token
  std::unordered_map<std::string, JobPtr> waiting_;            // waiting for their retry timer
  std::unordered_map<std::string, JobPtr> active_;             // every unfinished job, by key
  std::unordered_map<std::string, std::string> acknowledged_;  // key → provider message id
  std::deque<std::string> acknowledged_order_;
  int in_flight_ = 0;
  std::chrono::steady_clock::time_point next_token_{};
  boost::asio::steady_timer token_timer_;
  bool token_timer_armed_ = false;

  struct Counters {
    std::atomic<std::uint64_t> submitted{0}, attempts{0}, retries{0}, delivered{0}, failed{0}, duplicates{0},
        in_flight{0}, queued{0}, latency_us_sum{0};
  };
  std::shared_ptr<Counters> counters_ = std::make_shared<Counters>();
};

// Transports, one per type (webhook.cpp, smtp.cpp, file.cpp). Each reads what it needs from
// the config and the environment; a StartError when it cannot work.
std::variant<std::unique_ptr<Transport>, StartError> make_webhook(boost::asio::io_context& io,
                                                                  const ProviderConfig& c);
std::variant<std::unique_ptr<Transport>, StartError> make_smtp(const ProviderConfig& c);
std::variant<std::unique_ptr<Transport>, StartError> make_file(const ProviderConfig& c);

// "provider `esp`: " for error messages.
std::string prefix(const ProviderConfig& c);

// Reads the secret named by secret_env; an error when the variable is unset or empty.
std::variant<std::string, StartError> read_secret(const ProviderConfig& c, std::string_view purpose);

}  // namespace cascade::providers::detail
