// A real webhook receiver for the provider tests: a Boost.Beast HTTP server on 127.0.0.1 on
// a random port, one thread per connection (kept alive), that records every request and
// answers as it is told: 200 with {"id": "p<N>"}, 500, 429 with Retry-After, 400, a stall
// past the client's timeout, or a closed connection. It measures the most requests it had
// in hand at once and when each arrived.
#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// ok_then_close: answers 200 saying keep-alive, then closes, as a receiver whose idle
// timeout ran out would.
enum class Answer { ok, fail500, too_many, bad_request, stall, close, ok_then_close };

struct Request {
  std::string target, body, key, signature, message_id;
  Clock::time_point at;
};

class Receiver {
 public:
  Receiver() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~Receiver() { stop(); }

  unsigned short port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/send"; }

  // The answers to the next requests, in arrival order; `rest` after them.
  void script(std::vector<Answer> first, Answer rest = Answer::ok) {
    std::lock_guard lock(mutex_);
    script_.assign(first.begin(), first.end());
    rest_ = rest;
  }
  void handling_time(std::chrono::milliseconds d) { handling_ms_ = d.count(); }
  void retry_after(std::string v) {
    std::lock_guard lock(mutex_);
    retry_after_ = std::move(v);
  }
  void stall_for(std::chrono::milliseconds d) { stall_ms_ = d.count(); }

  std::vector<Request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  int max_in_flight() const { return max_in_flight_.load(); }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopped_.exchange(true)) return;
    }
    wake_.notify_all();
    {
      // Wake the blocking accept with a connection of our own.
      boost::system::error_code ec;
      tcp::socket s(io_);
      s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
    }
    accept_thread_.join();
    {
      std::lock_guard lock(mutex_);
      for (auto* s : open_) {
        boost::system::error_code ec;
        s->shutdown(tcp::socket::shutdown_both, ec);
      }
    }
    for (auto& t : connections_) t.join();
  }

 private:
  void accept_loop() {
    for (;;) {
      tcp::socket s(io_);
      boost::system::error_code ec;
      acceptor_.accept(s, ec);
      if (stopped_) return;
      if (ec) continue;
      connections_.emplace_back([this, sock = std::move(s)]() mutable { serve(std::move(sock)); });
    }
  }

  Answer next_answer() {
    std::lock_guard lock(mutex_);
    if (script_.empty()) return rest_;
    Answer a = script_.front();
    script_.pop_front();
    return a;
  }

  void serve(tcp::socket s) {
    {
      std::lock_guard lock(mutex_);
      open_.push_back(&s);
    }
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      boost::system::error_code ec;
      http::read(s, buffer, req, ec);
      if (ec) break;
      const int now = ++in_flight_;
      for (int seen = max_in_flight_.load();
           now > seen && !max_in_flight_.compare_exchange_weak(seen, now);) {
      }
      Request r{std::string(req.target()),
                req.body(),
                std::string(req["Idempotency-Key"]),
                std::string(req["X-Cascade-Signature"]),
                std::string(req["X-Cascade-Message-Id"]),
                Clock::now()};
      std::size_t n;
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(r);
        n = requests_.size();
      }
      const Answer a = next_answer();
      if (a == Answer::ok && handling_ms_ > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(handling_ms_.load()));
      if (a == Answer::stall) {
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, std::chrono::milliseconds(stall_ms_.load()), [this] { return stopped_.load(); });
      }
      // Counted out before answering: once the client has the answer it may send the next
      // request, which must not find this one still counted.
      --in_flight_;
      if (a == Answer::stall || a == Answer::close) break;
      http::response<http::string_body> res;
      res.version(11);
      res.keep_alive(req.keep_alive());
      switch (a) {
        case Answer::ok:
        case Answer::ok_then_close:
          res.result(http::status::ok);
          res.set(http::field::content_type, "application/json");
          res.body() = "{\"id\":\"p" + std::to_string(n) + "\"}";
          break;
        case Answer::fail500:
          res.result(http::status::internal_server_error);
          res.body() = "boom";
          break;
        case Answer::too_many: {
          res.result(http::status::too_many_requests);
          std::lock_guard lock(mutex_);
          res.set(http::field::retry_after, retry_after_);
          break;
        }
        case Answer::bad_request:
          res.result(http::status::bad_request);
          res.body() = "{\"error\":\"bad address\"}";
          break;
        default:
          break;
      }
      res.prepare_payload();
      http::write(s, res, ec);
      if (ec || !req.keep_alive() || a == Answer::ok_then_close) break;
    }
    boost::system::error_code ec;
    {
      std::lock_guard lock(mutex_);
      std::erase(open_, &s);
    }
    s.shutdown(tcp::socket::shutdown_both, ec);
    s.close(ec);
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::thread accept_thread_;
  std::vector<std::thread> connections_;  // touched by the accept thread only, until stop()
  mutable std::mutex mutex_;
  std::condition_variable wake_;  // ends stalls at stop()
  std::deque<Answer> script_;
  Answer rest_ = Answer::ok;
  std::string retry_after_ = "0";
  std::vector<Request> requests_;
  std::vector<tcp::socket*> open_;
  std::atomic<int> in_flight_{0}, max_in_flight_{0};
  std::atomic<bool> stopped_{false};
  std::atomic<long> handling_ms_{0}, stall_ms_{600};
};

}  // namespace test
