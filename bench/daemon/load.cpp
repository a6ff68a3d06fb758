// The daemon benchmark's load generator (bench/daemon/bench.py drives it; docs/performance.md,
// "The daemon"). It POSTs synthetic inputs of the example project to a running `cascade serve`
// on keep-alive connections and prints one JSON line with what came back:
//
//   bench_daemon_load --port P --kind event   --batch 1   --conns 64 --seconds 10
//   bench_daemon_load --port P --kind event   --batch 500 --conns 4  --count 1000000
//   bench_daemon_load --port P --kind event   --batch 1   --conns 64 --rate 5000 --seconds 10
//   bench_daemon_load --port P --kind profile --batch 10000 --conns 2 --count 1000000
//
// Events are `cart_abandoned` for recipient u{i mod --recipients} with the de-duplication id
// e-{i}; profiles are u{i} in the example schema, every one in the abandoned cart's audience.
// i runs over [--from, --from + --count): the driver gives each run its own range, so every event
// of a whole benchmark starts a new instance. --batch 1 sends one JSON object a request
// (application/json), more sends NDJSON (application/x-ndjson).
//
// Closed loop by default: each connection sends its next request when the previous answer is in,
// latency = answer - send. With --rate R (events/s over all connections) it is open loop, as wrk2:
// connection k's j-th request is due at t0 + (j * conns + k) * batch / R and its latency is
// counted from that due time, so a server that falls behind shows it in the percentiles instead
// of slowing the generator down (no coordinated omission).
//
// An answer counts as acknowledged when its status is 202; a batch's acknowledged lines are its
// "accepted". The highest "seq" seen is printed so the driver can wait for the applier.
#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string kind = "event";
  std::string token;
  unsigned conns = 1;
  unsigned threads = 2;
  unsigned batch = 1;
  std::uint64_t from = 0;
  std::uint64_t count = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t recipients = 0;  // 0: recipient i for event i
  double seconds = 3600;
  double rate = 0;  // events/s; 0 = closed loop
  double timeout = 60;
};

// What one connection saw; merged at the end (no sharing while running).
struct Stats {
  std::vector<double> latency_us;
  std::uint64_t requests_ok = 0;
  std::uint64_t acknowledged = 0;
  std::uint64_t rejected = 0;      // lines a 202 batch reported as bad
  std::uint64_t failed = 0;        // inputs of requests that failed (non-202, I/O error)
  std::uint64_t reconnects = 0;
  std::uint64_t max_seq = 0;
};

struct Shared {
  const Options& opt;
  tcp::endpoint endpoint;
  Clock::time_point t0;
  Clock::time_point deadline;
  std::atomic<std::uint64_t> next{0};
  std::mutex first_error_mutex;
  std::string first_error;

  void note_error(std::string what) {
    std::lock_guard lock(first_error_mutex);
    if (first_error.empty()) first_error = std::move(what);
  }
};

void append_event(std::string& out, std::uint64_t i, const Options& opt) {
  const std::uint64_t r = opt.recipients ? i % opt.recipients : i;
  fmt::format_to(std::back_inserter(out),
                 R"({{"recipient":"u{}","event":"cart_abandoned","id":"e-{}","data":{{"cart_id":"c-{}",)"
                 R"("cart_url":"https://shop.example/cart/c-{}","total":{}.0,"items":{}}}}})",
                 r, i, i, i, 500 + i % 20000, 1 + i % 5);
}

void append_profile(std::string& out, std::uint64_t i) {
  static constexpr std::string_view names[] = {"Анна", "Борис", "Вера", "Глеб", "Дина", "Егор"};
  const bool app = i % 10 < 7;
  fmt::format_to(std::back_inserter(out),
                 R"({{"id":"u{}","first_name":"{}","email":"u{}@example.ru","phone":"+7916{:07}",)", i,
                 names[i % std::size(names)], i, i % 10000000);
  if (app) fmt::format_to(std::back_inserter(out), R"("push_token":"fcm:u{}",)", i);
  fmt::format_to(std::back_inserter(out),
                 R"("ltv":{}.0,"orders_count":{},"tags":{},"vip":{},"has_app":{},"points":{},)"
                 R"("registered_at":"2024-05-12T10:00:00Z",)"
                 R"("consent":{{"email":true,"sms":true,"push":{},"viber":false}}}})",
                 1000 + (i * 37) % 90000, i % 40, app ? R"(["app"])" : "[]", i % 97 == 0, app,
                 (i * 13) % 5000, app);
}

// The number after `"key":` at or after `from` (JSON allows blanks around the colon); npos
// when there is none.
std::size_t value_after(std::string_view body, std::string_view key, std::size_t from, std::uint64_t& value) {
  for (auto at = body.find(key, from); at != std::string_view::npos; at = body.find(key, at + 1)) {
    auto p = at + key.size();
    while (p < body.size() && (body[p] == ' ' || body[p] == ':')) ++p;
    if (p < body.size() && body[p] >= '0' && body[p] <= '9') {
      std::from_chars(body.data() + p, body.data() + body.size(), value);
      return p;
    }
  }
  return std::string_view::npos;
}

// The largest "seq" in an answer (one for a single event, one per accepted line of a batch).
std::uint64_t max_seq(std::string_view body) {
  std::uint64_t best = 0;
  std::uint64_t v = 0;
  for (auto at = value_after(body, "\"seq\"", 0, v); at != std::string_view::npos;
       at = value_after(body, "\"seq\"", at, v)) {
    best = std::max(best, v);
  }
  return best;
}

std::uint64_t number_after(std::string_view body, std::string_view key, std::uint64_t otherwise) {
  std::uint64_t v = otherwise;
  value_after(body, key, 0, v);
  return v;
}

asio::awaitable<void> connection(Shared& sh, Stats& st, unsigned k) {
  const Options& opt = sh.opt;
  const bool profiles = opt.kind == "profile";
  const std::string target = profiles ? "/v1/profiles" : "/v1/events";
  const bool ndjson = profiles || opt.batch > 1;
  const auto interval =
      opt.rate > 0 ? std::chrono::duration<double>(double(opt.batch) / opt.rate) : std::chrono::duration<double>(0);
  const auto io_timeout = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt.timeout));
  auto ex = co_await asio::this_coro::executor;
  beast::tcp_stream stream(ex);
  asio::steady_timer timer(ex);
  beast::flat_buffer buffer;
  bool connected = false;
  std::string body;
  constexpr auto tuple = asio::as_tuple(asio::use_awaitable);
  for (std::uint64_t j = 0;; ++j) {
    Clock::time_point due = Clock::now();
    if (opt.rate > 0) {
      due = sh.t0 + std::chrono::duration_cast<Clock::duration>(interval * double(j * opt.conns + k));
      if (due >= sh.deadline) break;
      if (due > Clock::now()) {
        timer.expires_at(due);
        co_await timer.async_wait(tuple);
      }
    }
    if (Clock::now() >= sh.deadline) break;
    const std::uint64_t first = sh.next.fetch_add(opt.batch, std::memory_order_relaxed);
    if (first >= opt.count) break;
    const std::uint64_t n = std::min<std::uint64_t>(opt.batch, opt.count - first);

    body.clear();
    for (std::uint64_t i = first; i < first + n; ++i) {
      if (profiles) {
        append_profile(body, opt.from + i);
      } else {
        append_event(body, opt.from + i, opt);
      }
      if (ndjson) body.push_back('\n');
    }
    http::request<http::string_body> req{http::verb::post, target, 11};
    req.set(http::field::host, opt.host);
    req.set(http::field::content_type, ndjson ? "application/x-ndjson" : "application/json");
    if (!opt.token.empty()) req.set(http::field::authorization, "Bearer " + opt.token);
    req.keep_alive(true);
    req.body() = std::move(body);
    req.prepare_payload();

    const auto sent = Clock::now();
    if (!connected) {
      stream.expires_after(io_timeout);
      auto [ec] = co_await stream.async_connect(sh.endpoint, tuple);
      if (ec) {
        sh.note_error("connect: " + ec.message());
        st.failed += n;
        body = std::move(req.body());
        // A refused connection would otherwise spin: back off a little.
        timer.expires_after(std::chrono::milliseconds(10));
        co_await timer.async_wait(tuple);
        continue;
      }
      stream.socket().set_option(tcp::no_delay(true));
      connected = true;
    }
    stream.expires_after(io_timeout);
    auto [wec, wn] = co_await http::async_write(stream, req, tuple);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    beast::error_code rec = wec;
    if (!wec) {
      auto [ec, rn] = co_await http::async_read(stream, buffer, parser, tuple);
      rec = ec;
    }
    const auto done = Clock::now();
    body = std::move(req.body());  // keeps the capacity for the next request
    if (rec) {
      sh.note_error("I/O: " + rec.message());
      st.failed += n;
      ++st.reconnects;
      beast::error_code ignored;
      stream.socket().close(ignored);
      buffer.clear();
      connected = false;
      continue;
    }
    const auto& res = parser.get();
    const std::string_view answer = res.body();
    if (res.result() != http::status::accepted) {
      sh.note_error(fmt::format("HTTP {}: {}", res.result_int(), answer.substr(0, 400)));
      st.failed += n;
    } else {
      const std::uint64_t accepted = ndjson ? number_after(answer, "\"accepted\"", n) : n;
      st.acknowledged += accepted;
      st.rejected += n - std::min(n, accepted);
      if (accepted < n) sh.note_error(fmt::format("batch with rejected lines: {}", answer.substr(0, 400)));
      st.max_seq = std::max(st.max_seq, max_seq(answer));
      ++st.requests_ok;
      st.latency_us.push_back(std::chrono::duration<double, std::micro>(done - (opt.rate > 0 ? due : sent)).count());
    }
    if (!res.keep_alive()) {
      beast::error_code ignored;
      stream.socket().close(ignored);
      buffer.clear();
      connected = false;
    }
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto at = std::min(sorted.size() - 1, static_cast<std::size_t>(p * double(sorted.size())));
  return sorted[at];
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{"Load generator for `cascade serve` (bench/daemon)"};
  app.add_option("--host", opt.host, "server address (an IPv4 or IPv6 literal)");
  app.add_option("--port", opt.port, "server port")->required();
  app.add_option("--kind", opt.kind, "what to POST")->check(CLI::IsMember({"event", "profile"}));
  app.add_option("--token", opt.token, "bearer token (default: $CASCADE_TOKEN)")->envname("CASCADE_TOKEN");
  app.add_option("--conns", opt.conns, "keep-alive connections")->check(CLI::Range(1u, 10000u));
  app.add_option("--threads", opt.threads, "io threads")->check(CLI::Range(1u, 64u));
  app.add_option("--batch", opt.batch, "inputs a request (1: one JSON object; more: NDJSON)")
      ->check(CLI::Range(1u, 100000u));
  app.add_option("--from", opt.from, "index of the first input");
  app.add_option("--count", opt.count, "inputs to send at most");
  app.add_option("--recipients", opt.recipients, "events go to recipient i mod this (0: i)");
  app.add_option("--seconds", opt.seconds, "stop sending after this long")->check(CLI::PositiveNumber);
  app.add_option("--rate", opt.rate, "events/s over all connections, open loop (0: closed loop)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--timeout", opt.timeout, "seconds an I/O may take")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  boost::system::error_code ec;
  const auto address = asio::ip::make_address(opt.host, ec);
  if (ec) {
    std::fprintf(stderr, "bench_daemon_load: --host %s: %s\n", opt.host.c_str(), ec.message().c_str());
    return 2;
  }
  Shared sh{opt, tcp::endpoint(address, opt.port), {}, {}, {}, {}, {}};
  std::vector<std::unique_ptr<asio::io_context>> ios;
  for (unsigned t = 0; t < opt.threads; ++t) ios.push_back(std::make_unique<asio::io_context>(1));
  std::vector<Stats> stats(opt.conns);
  sh.t0 = Clock::now();
  sh.deadline = sh.t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt.seconds));
  for (unsigned k = 0; k < opt.conns; ++k) {
    asio::co_spawn(*ios[k % opt.threads], connection(sh, stats[k], k), asio::detached);
  }
  std::vector<std::thread> threads;
  for (auto& io : ios) threads.emplace_back([&io] { io->run(); });
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - sh.t0).count();

  Stats all;
  for (auto& s : stats) {
    all.latency_us.insert(all.latency_us.end(), s.latency_us.begin(), s.latency_us.end());
    all.requests_ok += s.requests_ok;
    all.acknowledged += s.acknowledged;
    all.rejected += s.rejected;
    all.failed += s.failed;
    all.reconnects += s.reconnects;
    all.max_seq = std::max(all.max_seq, s.max_seq);
  }
  std::sort(all.latency_us.begin(), all.latency_us.end());
  const std::uint64_t claimed = std::min(sh.next.load(), opt.count);
  auto ms = [&](double p) { return std::round(percentile(all.latency_us, p) / 10.0) / 100.0; };
  boost::json::object out{
      {"bench", "daemon_load"},
      {"kind", opt.kind},
      {"batch", opt.batch},
      {"conns", opt.conns},
      {"threads", opt.threads},
      {"rate", opt.rate},
      {"from", opt.from},
      {"next", opt.from + claimed},
      {"seconds", std::round(seconds * 1000) / 1000},
      {"requests", all.requests_ok},
      {"acknowledged", all.acknowledged},
      {"rejected", all.rejected},
      {"failed", all.failed},
      {"reconnects", all.reconnects},
      {"per_s", static_cast<std::uint64_t>(std::llround(double(all.acknowledged) / seconds))},
      {"p50_ms", ms(0.5)},
      {"p99_ms", ms(0.99)},
      {"p999_ms", ms(0.999)},
      {"max_ms", all.latency_us.empty() ? 0.0 : std::round(all.latency_us.back() / 10.0) / 100.0},
      {"max_seq", all.max_seq},
  };
  if (!sh.first_error.empty()) out["first_error"] = sh.first_error;
  std::printf("%s\n", boost::json::serialize(out).c_str());
  return all.failed == 0 && all.rejected == 0 ? 0 : 1;
}
