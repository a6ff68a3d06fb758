// Webhook throughput on loopback (docs/performance.md, "Providers").
//
//   bench_providers receiver            serves POSTs on 127.0.0.1 (a free port, printed on the
//                                       first line) until stdin closes; answers 200 {"id":…}
//   bench_providers send URL N C        sends N signed messages through cascade's webhook
//                                       provider with concurrency C, prints one JSON line
//
// The receiver is one thread of asynchronous Beast, kept-alive connections, so that the
// same receiver serves cascade and the peer (peer_fetch.mjs) alike.
#include "cascade/providers/providers.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
namespace pv = cascade::providers;

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket s) : stream_(std::move(s)) {}
  void read() {
    req_ = {};
    http::async_read(stream_, buffer_, req_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return;
      self->answer();
    });
  }

 private:
  void answer() {
    static std::uint64_t counter = 0;
    res_ = {};
    res_.result(http::status::ok);
    res_.version(11);
    res_.keep_alive(req_.keep_alive());
    res_.set(http::field::content_type, "application/json");
    res_.body() = "{\"id\":\"r" + std::to_string(++counter) + "\"}";
    res_.prepare_payload();
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || !self->req_.keep_alive()) return;
      self->read();
    });
  }
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
};

void accept(tcp::acceptor& a) {
  a.async_accept([&a](beast::error_code ec, tcp::socket s) {
    if (!ec) std::make_shared<Session>(std::move(s))->read();
    accept(a);
  });
}

int receiver() {
  asio::io_context io(1);
  tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  a.listen(1024);
  std::cout << a.local_endpoint().port() << std::endl;
  accept(a);
  std::thread stopper([&] {
    std::string line;
    while (std::getline(std::cin, line)) {
    }
    io.stop();
  });
  io.run();
  stopper.join();
  return 0;
}

int send(const std::string& url, int n, int concurrency) {
  ::setenv("CASCADE_BENCH_SECRET", "bench-secret", 1);
  asio::io_context io(1);
  pv::ProviderConfig c;
  c.name = "bench";
  c.type = pv::Type::webhook;
  c.url = url;
  c.secret_env = "CASCADE_BENCH_SECRET";
  c.concurrency = concurrency;
  c.retry.max_attempts = 1;
  auto made = pv::make_provider(io, c);
  if (auto* e = std::get_if<pv::StartError>(&made)) {
    std::cerr << e->message << "\n";
    return 1;
  }
  auto& p = *std::get<0>(made);
  int left = n, failed = 0;
  const auto start = std::chrono::steady_clock::now();
  // All N are submitted at once: the provider's queue and concurrency limit pace them.
  for (int i = 0; i < n; ++i) {
    pv::OutboundMessage m;
    m.id = "m" + std::to_string(i);
    m.idempotency_key = "bench-m" + std::to_string(i);
    m.recipient = "u" + std::to_string(i);
    m.scenario = "abandoned_cart";
    m.step = "remind";
    m.channel = "sms";
    m.channel_kind = "sms";
    m.address = "+7999" + std::to_string(1000000 + i);
    m.text = "Your cart misses you: 3 items, 1290.50 RUB. Come back: https://shop.example/c/" + std::to_string(i);
    p.submit(std::move(m), [&](pv::Result r) {
      failed += std::holds_alternative<pv::Failed>(r);
      if (--left == 0) io.stop();
    });
  }
  auto guard = asio::make_work_guard(io);
  io.run();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"bench\":\"providers_webhook\",\"client\":\"cascade\",\"concurrency\":%d,\"n\":%d,\"failed\":%d,"
              "\"seconds\":%.3f,\"msgs_per_s\":%.0f}\n",
              concurrency, n, failed, s, n / s);
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "receiver") return receiver();
  if (mode == "send" && argc == 5) return send(argv[2], std::atoi(argv[3]), std::atoi(argv[4]));
  std::cerr << "usage: bench_providers receiver | send URL N CONCURRENCY\n";
  return 2;
}
