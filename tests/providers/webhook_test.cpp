// The webhook provider against a real HTTP receiver on loopback (receiver.hpp): the signed
// body, retries that keep the idempotency key, giving up, no retry on a 4xx, timeouts,
// Retry-After, the rate and concurrency limits, in-process idempotency and start errors.
#define BOOST_TEST_MODULE providers_webhook
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <set>

#include "receiver.hpp"
#include "support.hpp"

using namespace test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kSecretVar = "CASCADE_TEST_WEBHOOK_SECRET";
constexpr const char* kSecret = "s3cr3t-for-tests";

pv::ProviderConfig webhook(const Receiver& r) {
  ::setenv(kSecretVar, kSecret, 1);
  pv::ProviderConfig c;
  c.name = "esp";
  c.type = pv::Type::webhook;
  c.url = r.url();
  c.secret_env = kSecretVar;
  c.retry = {4, 10ms, 40ms};
  c.timeout = 2000ms;
  c.connect_timeout = 1000ms;
  return c;
}

// Everything the observer saw, in order.
struct Log {
  std::vector<std::string> lines;
  pv::Options options() {
    pv::Options o;
    o.observer = [this](const pv::Event& e) {
      static const char* kNames[] = {"attempt", "retry", "delivered", "failed", "duplicate"};
      lines.push_back(std::string(kNames[static_cast<int>(e.kind)]) + " " + std::string(e.message_id) + " " +
                      std::to_string(e.attempt) + " " + std::string(e.detail));
    };
    return o;
  }
  int count(std::string_view kind) const {
    int n = 0;
    for (const auto& l : lines) n += l.rfind(std::string(kind) + " ", 0) == 0;
    return n;
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(delivers_signed_json_with_the_idempotency_key) {
  Receiver r;
  boost::asio::io_context io;
  auto p = make(io, webhook(r));
  const auto results = send_all(io, *p, {text_message(1), template_message(2, "anna@example.com")});
  BOOST_TEST(delivered(results[0]).attempts == 1);
  BOOST_TEST(!delivered(results[0]).duplicate);
  const auto reqs = r.requests();
  BOOST_REQUIRE_EQUAL(reqs.size(), 2u);
  std::set<std::string> ids = {delivered(results[0]).provider_message_id,
                               delivered(results[1]).provider_message_id};
  BOOST_TEST((ids == std::set<std::string>{"p1", "p2"}));  // the receiver's {"id": …}
  for (const auto& q : reqs) {
    BOOST_TEST(q.target == "/send");
    BOOST_TEST(signature_valid(q.signature, kSecret, q.body), "signature " << q.signature);
    BOOST_TEST(!signature_valid(q.signature, "another secret", q.body));
    const auto body = boost::json::parse(q.body).as_object();
    BOOST_TEST(q.key == std::string(body.at("idempotency_key").as_string()));
    BOOST_TEST(q.message_id == std::string(body.at("id").as_string()));
    if (body.at("id") == "m1") {
      BOOST_TEST(q.key == "d1-m1");
      BOOST_TEST(body.at("text") == "Your cart misses you, #1");
      BOOST_TEST(body.at("address") == "+79990000000");
      BOOST_TEST(body.at("channel") == "sms");
      BOOST_TEST(body.at("kind") == "sms");
      BOOST_TEST(body.at("scenario") == "abandoned_cart");
      BOOST_TEST(body.at("step") == "remind");
      BOOST_TEST(body.at("recipient") == "u1");
      BOOST_TEST(!body.contains("template"));
    } else {
      BOOST_TEST(body.at("id") == "m2");
      BOOST_TEST(body.at("template") == "cart_reminder");
      BOOST_TEST(body.at("variables").at("name") == "Анна");
      BOOST_TEST(body.at("variables").at("total").as_double() == 1290.5);
      BOOST_TEST(body.at("links").as_array().size() == 1u);
      BOOST_TEST(!body.contains("text"));
    }
  }
  BOOST_TEST(p->stats().delivered == 2u);
  BOOST_TEST(p->stats().attempts == 2u);
}

BOOST_AUTO_TEST_CASE(retries_with_the_same_key_until_accepted) {
  Receiver r;
  // A close on a fresh connection (one taken from the idle pool would be tried again at once
  // on a new one, not counted as an attempt), then a 500 and a 429 on the kept-alive one.
  r.script({Answer::close, Answer::fail500, Answer::too_many});
  boost::asio::io_context io;
  Log log;
  auto p = make(io, webhook(r), log.options());
  const auto results = send_all(io, *p, {text_message(7)});
  BOOST_TEST(delivered(results[0]).attempts == 4);
  const auto reqs = r.requests();
  BOOST_REQUIRE_EQUAL(reqs.size(), 4u);
  for (const auto& q : reqs) {
    BOOST_TEST(q.key == "d1-m7");
    BOOST_TEST(signature_valid(q.signature, kSecret, q.body));
  }
  BOOST_TEST(log.count("attempt") == 4);
  BOOST_TEST(log.count("retry") == 3);
  BOOST_TEST(log.count("delivered") == 1);
  BOOST_TEST(log.lines[1].find("closed the connection") != std::string::npos, log.lines[1]);
  BOOST_TEST(log.lines[3].find("HTTP 500") != std::string::npos, log.lines[3]);
  BOOST_TEST(log.lines[5].find("HTTP 429") != std::string::npos, log.lines[5]);
  BOOST_TEST(p->stats().retries == 3u);
}

BOOST_AUTO_TEST_CASE(a_kept_alive_connection_closed_meanwhile_is_replaced_without_an_attempt) {
  Receiver r;
  r.script({Answer::ok_then_close});
  boost::asio::io_context io;
  Log log;
  auto p = make(io, webhook(r), log.options());
  BOOST_TEST(delivered(send_all(io, *p, {text_message(1)})[0]).attempts == 1);
  // The pooled connection is closed by now; the next message goes over a new one.
  std::this_thread::sleep_for(50ms);
  BOOST_TEST(delivered(send_all(io, *p, {text_message(2)})[0]).attempts == 1);
  BOOST_TEST(r.requests().size() == 2u);
  BOOST_TEST(log.count("retry") == 0);
}

BOOST_AUTO_TEST_CASE(gives_up_after_the_last_attempt_with_provider_error) {
  Receiver r;
  r.script({}, Answer::fail500);
  boost::asio::io_context io;
  auto c = webhook(r);
  c.retry.max_attempts = 3;
  auto p = make(io, c);
  const auto results = send_all(io, *p, {text_message(1)});
  const auto& f = failed(results[0]);
  BOOST_TEST(f.reason == "provider_error");
  BOOST_TEST(f.attempts == 3);
  BOOST_TEST(f.detail.find("gave up after 3 attempts") != std::string::npos, f.detail);
  BOOST_TEST(f.detail.find("HTTP 500") != std::string::npos, f.detail);
  BOOST_TEST(r.requests().size() == 3u);
  BOOST_TEST(p->stats().failed == 1u);
}

BOOST_AUTO_TEST_CASE(a_4xx_fails_at_once_without_retry) {
  Receiver r;
  r.script({Answer::bad_request});
  boost::asio::io_context io;
  auto p = make(io, webhook(r));
  const auto results = send_all(io, *p, {text_message(1)});
  const auto& f = failed(results[0]);
  BOOST_TEST(f.attempts == 1);
  BOOST_TEST(f.detail.find("HTTP 400") != std::string::npos, f.detail);
  BOOST_TEST(f.detail.find("bad address") != std::string::npos, f.detail);
  BOOST_TEST(r.requests().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_stalled_receiver_times_out_and_the_retry_succeeds) {
  Receiver r;
  r.script({Answer::stall});
  r.stall_for(20s);
  boost::asio::io_context io;
  Log log;
  auto c = webhook(r);
  c.timeout = 300ms;
  auto p = make(io, c, log.options());
  const auto start = Clock::now();
  const auto results = send_all(io, *p, {text_message(1)});
  BOOST_TEST(delivered(results[0]).attempts == 2);
  BOOST_TEST(log.lines[1].find("timeout after 300ms") != std::string::npos, log.lines[1]);
  // It did not wait for the stalled answer (20 s).
  BOOST_TEST((Clock::now() - start < 10s));
  BOOST_TEST(r.requests().size() == 2u);
}

BOOST_AUTO_TEST_CASE(retry_after_is_honoured) {
  Receiver r;
  r.script({Answer::too_many});
  r.retry_after("1");
  boost::asio::io_context io;
  auto p = make(io, webhook(r));
  const auto results = send_all(io, *p, {text_message(1)});
  BOOST_TEST(delivered(results[0]).attempts == 2);
  const auto reqs = r.requests();
  BOOST_REQUIRE_EQUAL(reqs.size(), 2u);
  // The backoff alone would be at most 10 ms.
  BOOST_TEST((reqs[1].at - reqs[0].at >= 950ms));
}

BOOST_AUTO_TEST_CASE(the_rate_limit_spaces_requests) {
  Receiver r;
  boost::asio::io_context io;
  auto c = webhook(r);
  c.rate_limit = 20;  // one every 50 ms
  c.concurrency = 10;
  auto p = make(io, c);
  std::vector<pv::OutboundMessage> ms;
  for (int i = 1; i <= 10; ++i) ms.push_back(text_message(i));
  for (const auto& res : send_all(io, *p, ms)) delivered(res);
  auto reqs = r.requests();
  BOOST_REQUIRE_EQUAL(reqs.size(), 10u);
  std::sort(reqs.begin(), reqs.end(), [](auto& a, auto& b) { return a.at < b.at; });
  // Ten requests at 20/s take at least 9 intervals (450 ms); a loaded machine only adds.
  BOOST_TEST((reqs.back().at - reqs.front().at >= 350ms));
}

BOOST_AUTO_TEST_CASE(the_concurrency_limit_queues_the_rest) {
  Receiver r;
  r.handling_time(40ms);
  boost::asio::io_context io;
  auto c = webhook(r);
  c.concurrency = 3;
  auto p = make(io, c);
  std::vector<pv::OutboundMessage> ms;
  for (int i = 1; i <= 15; ++i) ms.push_back(text_message(i));
  for (const auto& res : send_all(io, *p, ms)) delivered(res);
  BOOST_TEST(r.requests().size() == 15u);
  BOOST_TEST(r.max_in_flight() <= 3);
  BOOST_TEST(r.max_in_flight() >= 2);  // it does send in parallel
  BOOST_TEST(p->stats().in_flight == 0u);
  BOOST_TEST(p->stats().queued == 0u);
}

BOOST_AUTO_TEST_CASE(an_acknowledged_key_is_never_sent_again) {
  Receiver r;
  boost::asio::io_context io;
  auto p = make(io, webhook(r));
  // The same key twice at once: one request; both answered.
  auto twice = send_all(io, *p, {text_message(5), text_message(5)});
  BOOST_TEST(delivered(twice[0]).provider_message_id == "p1");
  BOOST_TEST(delivered(twice[1]).provider_message_id == "p1");
  // And again later: answered from memory.
  auto again = send_all(io, *p, {text_message(5)});
  BOOST_TEST(delivered(again[0]).duplicate);
  BOOST_TEST(delivered(again[0]).provider_message_id == "p1");
  BOOST_TEST(r.requests().size() == 1u);
  BOOST_TEST(p->stats().duplicates == 1u);
  // A message without a key is refused, not sent.
  auto m = text_message(6);
  m.idempotency_key.clear();
  BOOST_TEST(failed(send_all(io, *p, {m})[0]).detail.find("no idempotency key") != std::string::npos);
  BOOST_TEST(r.requests().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_refused_connection_is_retried_then_fails) {
  unsigned short port;
  {
    Receiver gone;
    port = gone.port();
  }
  boost::asio::io_context io;
  pv::ProviderConfig c;
  c.name = "esp";
  c.type = pv::Type::webhook;
  c.url = "http://127.0.0.1:" + std::to_string(port) + "/send";
  c.retry = {3, 5ms, 20ms};
  auto p = make(io, c);
  const auto results = send_all(io, *p, {text_message(1)});
  const auto& f = failed(results[0]);
  BOOST_TEST(f.attempts == 3);
  BOOST_TEST(f.detail.find("connecting to 127.0.0.1") != std::string::npos, f.detail);
}

BOOST_AUTO_TEST_CASE(stop_fails_what_is_queued) {
  Receiver r;
  r.handling_time(100ms);
  boost::asio::io_context io;
  auto c = webhook(r);
  c.concurrency = 1;
  auto p = make(io, c);
  std::vector<std::optional<pv::Result>> got(3);
  int left = 3;
  for (int i = 0; i < 3; ++i)
    p->submit(text_message(i + 1), [&, i](pv::Result res) {
      got[i] = std::move(res);
      if (i == 0) p->stop();  // the first is answered; the other two were waiting
      if (--left == 0) io.stop();
    });
  auto guard = boost::asio::make_work_guard(io);
  io.run_for(10s);
  BOOST_REQUIRE(left == 0);
  delivered(*got[0]);
  BOOST_TEST(failed(*got[1]).detail.find("stopped") != std::string::npos);
  BOOST_TEST(failed(*got[2]).detail.find("stopped") != std::string::npos);
  BOOST_TEST(r.requests().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_missing_secret_variable_is_a_start_error) {
  boost::asio::io_context io;
  pv::ProviderConfig c;
  c.name = "esp";
  c.type = pv::Type::webhook;
  c.url = "http://127.0.0.1:9/send";
  c.secret_env = "CASCADE_TEST_SURELY_UNSET_VARIABLE";
  ::unsetenv(c.secret_env.c_str());
  auto p = pv::make_provider(io, c);
  BOOST_REQUIRE(std::holds_alternative<pv::StartError>(p));
  const auto& msg = std::get<pv::StartError>(p).message;
  BOOST_TEST(msg.find("provider `esp`") != std::string::npos, msg);
  BOOST_TEST(msg.find("CASCADE_TEST_SURELY_UNSET_VARIABLE") != std::string::npos, msg);
  BOOST_TEST(msg.find("is not set") != std::string::npos, msg);

  ::setenv("CASCADE_TEST_EMPTY_VARIABLE", "", 1);
  c.secret_env = "CASCADE_TEST_EMPTY_VARIABLE";
  auto q = pv::make_provider(io, c);
  BOOST_REQUIRE(std::holds_alternative<pv::StartError>(q));
  BOOST_TEST(std::get<pv::StartError>(q).message.find("is empty") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_urls_are_start_errors) {
  boost::asio::io_context io;
  pv::ProviderConfig c;
  c.name = "esp";
  c.type = pv::Type::webhook;
  for (const char* url :
       {"https://example.com/x", "ftp://x", "http://", "http://host:99999/", "http://a b/"}) {
    c.url = url;
    auto p = pv::make_provider(io, c);
    BOOST_TEST(std::holds_alternative<pv::StartError>(p), url);
  }
  c.url = "http://[::1]:8080/hook?x=1";
  BOOST_TEST(std::holds_alternative<std::unique_ptr<pv::Provider>>(pv::make_provider(io, c)));
}

BOOST_AUTO_TEST_CASE(backoff_is_full_jitter_under_a_doubling_cap) {
  const pv::RetryPolicy policy{6, 100ms, 1000ms};
  BOOST_TEST(pv::backoff_delay(policy, 1, 0.5).count() == 50);
  BOOST_TEST(pv::backoff_delay(policy, 2, 0.5).count() == 100);
  BOOST_TEST(pv::backoff_delay(policy, 3, 0.999).count() == 399);
  BOOST_TEST(pv::backoff_delay(policy, 5, 1.0).count() == 1000);    // capped
  BOOST_TEST(pv::backoff_delay(policy, 500, 1.0).count() == 1000);  // no overflow
  BOOST_TEST(pv::backoff_delay(policy, 4, 0.0).count() == 0);
  BOOST_TEST(pv::parse_millis("250ms")->count() == 250);
  BOOST_TEST(pv::parse_millis("1m30s")->count() == 90'000);
  BOOST_TEST(!pv::parse_millis("10"));
  BOOST_TEST(!pv::parse_millis("2d"));
  BOOST_TEST(!pv::parse_millis("99999999999999999999s"));
  BOOST_TEST(pv::signature_header("k", 1700000000, "{}").rfind("t=1700000000,v1=", 0) == 0);
}

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_retry_delays) {
  auto delays = [](std::uint64_t seed) {
    Receiver r;
    r.script({Answer::fail500, Answer::fail500, Answer::fail500});
    boost::asio::io_context io;
    std::vector<long> out;
    pv::Options o;
    o.seed = seed;
    o.observer = [&](const pv::Event& e) {
      if (e.kind == pv::Event::Kind::retry) out.push_back(static_cast<long>(e.delay.count()));
    };
    auto c = webhook(r);
    c.retry = {4, 20ms, 80ms};
    auto p = make(io, c, o);
    send_all(io, *p, {text_message(1)});
    return out;
  };
  const auto a = delays(7), b = delays(7);
  BOOST_TEST(a.size() == 3u);
  BOOST_TEST(a == b);
}
