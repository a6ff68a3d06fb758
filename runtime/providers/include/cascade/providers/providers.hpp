// The providers: where `cascade serve` hands a message over (issue 6, item 4).
//
// This module owns the way out of the daemon: one outbound message in, one final result
// out. A Provider takes OutboundMessages through submit() and answers each exactly once,
// with Delivered (the provider accepted it) or Failed{"provider_error", detail} once its
// attempts ran out or the provider refused it for good. Everything in between — retries
// with exponential backoff and full jitter, Retry-After, the rate limit (a token bucket,
// messages/s), the concurrency limit (requests in flight, the rest queued), timeouts — is
// inside; the caller sees it only through the optional Observer and the stats().
//
// Three kinds (docs/providers.md): `webhook` (HTTP POST of a signed JSON body, Beast),
// `smtp` (libcurl on worker threads, so the io_context never blocks) and `file` (NDJSON
// appended and fsync'd on a worker thread).
//
// Idempotency: the caller gives each message a key that is stable across retries and
// restarts. A provider never hands a key to its receiver again once the receiver
// acknowledged it in this process: a later submit with that key completes at once with the
// remembered result (Delivered::duplicate), and a submit while the key is still in flight
// waits for that send instead of starting a second one. Retries of an unacknowledged
// attempt reuse the key, which is what lets receivers de-duplicate. Across restarts the
// daemon's store does the same job.
//
// Threading: everything runs on the one boost::asio::io_context given at creation; submit()
// may be called from any thread; completions and observer calls run on that io_context.
// Configuration is plain data (ProviderConfig): this library never links the compiler;
// cli/host/provider_config.hpp maps cascade.yaml's `providers:` onto it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace cascade::providers {

using Millis = std::chrono::milliseconds;

// One message, as the daemon's outbox holds it.
struct OutboundMessage {
  std::string id;               // the engine's message id, "m17"
  std::string idempotency_key;  // stable per message (e.g. daemon id + message id); required
  std::string recipient;
  std::string scenario;
  std::string step;
  std::string channel;       // the channel's name in cascade.yaml, "email"
  std::string channel_kind;  // its kind, "email", "sms", "push", …
  std::string address;       // e-mail address, phone number, device token…
  // Either text, or a template name with its variables (a JSON object).
  std::optional<std::string> text;
  std::string template_name;
  boost::json::object variables;
  std::vector<std::string> links;  // the tracked links (redirect URLs) made for this message
  std::string pixel;               // the open-tracking pixel's URL (email), or empty
};

// The provider took the message. provider_message_id is the provider's own id when it gave
// one (webhook: "id" or "message_id" in a JSON answer; smtp: the Message-ID we sent; file:
// "<path>:<line>"). duplicate: answered from this process's memory of an earlier
// acknowledgement of the same idempotency key; nothing was sent.
struct Delivered {
  std::string provider_message_id;
  int attempts = 0;
  bool duplicate = false;
};

// The message could not be handed over: attempts ran out, or the provider refused it for
// good (a 4xx other than 429, an SMTP 5xx). reason is always "provider_error" (the trace's
// failure reason); detail says what happened on the last attempt, for logs.
struct Failed {
  std::string reason = "provider_error";
  std::string detail;
  int attempts = 0;
};

using Result = std::variant<Delivered, Failed>;
using Completion = std::function<void(Result)>;

enum class Type { webhook, smtp, file };
std::string_view type_name(Type t);

struct RetryPolicy {
  int max_attempts = 5;        // 1 means no retry
  Millis backoff{500};         // the first retry waits up to this (full jitter)…
  Millis max_backoff{30'000};  // …doubling each time, never more than this
};

// Plain-data configuration of one provider. Durations are milliseconds.
struct ProviderConfig {
  std::string name;  // the key under `providers:` ("esp")
  Type type = Type::file;
  RetryPolicy retry;
  double rate_limit = 0;  // messages (attempts) per second; 0: unlimited
  int concurrency = 16;   // attempts in flight at most; the rest wait in a queue
  Millis connect_timeout{5'000};
  Millis timeout{10'000};  // one whole attempt, connect included

  // webhook
  std::string url;         // http://host[:port]/path (https:// is refused at creation)
  std::string secret_env;  // the environment variable holding the HMAC secret; empty: unsigned

  // smtp
  std::string host;
  int port = 25;
  bool tls = false;      // true: STARTTLS required (port 465: implicit TLS, smtps://)
  std::string from;      // the envelope and header From
  std::string username;  // empty: no authentication
  // secret_env (above) names the variable holding the SMTP password.

  // file
  std::string path;
};

// What a provider did, for logs and metrics. Called on the io_context, never blocking it.
struct Event {
  enum class Kind {
    attempt,    // an attempt starts (attempt = 1, 2, …)
    retry,      // an attempt failed and another is scheduled after `delay`
    delivered,  // final: accepted; latency from submit to acknowledgement
    failed,     // final: provider_error
    duplicate,  // final: answered from memory, nothing sent
  };
  Kind kind = Kind::attempt;
  std::string_view provider{};
  std::string_view message_id{};
  int attempt = 0;
  Millis delay{0};
  std::chrono::microseconds latency{0};
  std::string_view detail{};  // why an attempt failed (retry, failed)
};
using Observer = std::function<void(const Event&)>;

// Running totals, readable from any thread (the daemon's /metrics).
struct Stats {
  std::uint64_t submitted = 0;
  std::uint64_t attempts = 0;
  std::uint64_t retries = 0;
  std::uint64_t delivered = 0;
  std::uint64_t failed = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t in_flight = 0;       // attempts under way now
  std::uint64_t queued = 0;          // messages waiting for a slot, a token or a backoff
  std::uint64_t latency_us_sum = 0;  // over delivered + failed, submit to final result
};

struct Options {
  std::uint64_t seed = 0;  // the backoff jitter's RNG; 0: from std::random_device
  Observer observer;       // optional
  // Acknowledged idempotency keys remembered (oldest forgotten first). Bounded so a
  // long-running daemon does not grow without end; its store remembers the rest.
  std::size_t remember_acknowledged = 1'000'000;
};

class Provider {
 public:
  virtual ~Provider() = default;
  Provider() = default;
  Provider(const Provider&) = delete;
  Provider& operator=(const Provider&) = delete;

  // Hands the message over; `done` is called exactly once, on the io_context. Thread-safe.
  // A message without an idempotency key fails at once (detail says so).
  virtual void submit(OutboundMessage message, Completion done) = 0;

  // Stops taking new work: queued messages and those waiting for a retry fail with
  // detail "provider stopped"; attempts in flight finish (the io_context must keep running
  // until their completions have been called). Idempotent.
  virtual void stop() = 0;

  virtual Stats stats() const = 0;
  virtual const std::string& name() const = 0;
  virtual Type type() const = 0;
};

// A provider that cannot be used: a missing secret variable, a bad URL, a file that cannot
// be opened. The message names the provider and says what to do.
struct StartError {
  std::string message;
};

// Creates a provider on `io`. Reads the secret from the environment now, so a missing
// variable is found at start, not at the first send. The provider must be destroyed before
// `io` is, and after every completion it owes has run (stop(), then run the io_context).
std::variant<std::unique_ptr<Provider>, StartError> make_provider(boost::asio::io_context& io,
                                                                  const ProviderConfig& config,
                                                                  Options options = {});

// ---- Shared formats (docs/providers.md), exposed for the daemon, the tests and tools ----

// The JSON object a webhook POSTs and the file provider writes (one line): id, channel,
// kind, address, text or template + variables, scenario, step, recipient, links.
boost::json::object message_json(const OutboundMessage& m);
// The inverse, for messages kept as that JSON (the daemon's outbox rows): nullopt when a
// member is missing or has the wrong type.
std::optional<OutboundMessage> message_from_json(const boost::json::object& o);

// Hex HMAC-SHA256 of `data` under `secret` (OpenSSL), lowercase.
std::string hmac_sha256_hex(std::string_view secret, std::string_view data);

// The webhook signature header value for `body` at unix time `t`: "t=<t>,v1=<hex hmac of
// "<t>.<body>">".
std::string signature_header(std::string_view secret, std::int64_t unix_seconds, std::string_view body);

// The delay before retry number `retry` (1 = the first retry): uniform in
// [0, min(max_backoff, backoff * 2^(retry-1))] ("full jitter"); `unit` is a draw in [0, 1).
Millis backoff_delay(const RetryPolicy& policy, int retry, double unit);

// "250ms", "2s", "1m", "1h30m" → milliseconds; nullopt when malformed or over a day.
std::optional<Millis> parse_millis(std::string_view text);

}  // namespace cascade::providers
