// The smtp provider against a real SMTP server (Debian's python3-aiosmtpd, started by the
// test on a random loopback port: smtp_sink.py), and the file provider's NDJSON outbox.
#define BOOST_TEST_MODULE providers_smtp_file
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support.hpp"

using namespace test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const std::string& tag) {
  fs::path d = fs::temp_directory_path() /
               ("cascade-providers-" + tag + "-" + std::to_string(::getpid()) + "-" +
                std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  fs::create_directories(d);
  return d;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// smtp_sink.py in a child process; it exits when its stdin (our pipe) closes.
class SmtpServer {
 public:
  SmtpServer() : dir_(temp_dir("smtp")) {
    const std::string cmd = "/usr/bin/python3 " + std::string(CASCADE_SOURCE_DIR) +
                            "/tests/providers/smtp_sink.py " + dir_.string();
    pipe_ = ::popen(cmd.c_str(), "w");
    BOOST_REQUIRE_MESSAGE(pipe_ != nullptr, "cannot start " << cmd);
    for (int i = 0; i < 300 && !fs::exists(dir_ / "port"); ++i) std::this_thread::sleep_for(20ms);
    BOOST_REQUIRE_MESSAGE(fs::exists(dir_ / "port"),
                          "the SMTP server did not start within 6 s (python3-aiosmtpd?)");
    port_ = std::stoi(slurp(dir_ / "port"));
  }
  ~SmtpServer() {
    ::pclose(pipe_);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  int port() const { return port_; }
  // The mails received, in order.
  std::vector<std::string> mails() const {
    std::vector<std::string> out;
    for (int i = 1; fs::exists(dir_ / ("mail-" + std::to_string(i) + ".eml")); ++i)
      out.push_back(slurp(dir_ / ("mail-" + std::to_string(i) + ".eml")));
    return out;
  }

 private:
  fs::path dir_;
  FILE* pipe_ = nullptr;
  int port_ = 0;
};

pv::ProviderConfig smtp(int port) {
  pv::ProviderConfig c;
  c.name = "mail";
  c.type = pv::Type::smtp;
  c.host = "127.0.0.1";
  c.port = port;
  c.from = "shop@example.com";
  c.retry = {3, 10ms, 40ms};
  c.timeout = 5000ms;
  c.connect_timeout = 2000ms;
  c.concurrency = 2;
  return c;
}

}  // namespace

BOOST_AUTO_TEST_CASE(smtp_delivers_with_message_id_to_and_body) {
  SmtpServer server;
  boost::asio::io_context io;
  auto p = make(io, smtp(server.port()));
  auto text = text_message(17, "anna@example.com");
  text.text = "Your cart misses you\nCome back: http://127.0.0.1/t/c/abc\n.a line with a dot";
  const auto results = send_all(io, *p, {text, template_message(18, "boris@example.com")});
  BOOST_TEST(delivered(results[0]).provider_message_id == "<m17.d1-m17@cascade>");
  BOOST_TEST(delivered(results[1]).provider_message_id == "<m18.d1-m18@cascade>");
  auto mails = server.mails();
  BOOST_REQUIRE_EQUAL(mails.size(), 2u);
  std::sort(mails.begin(), mails.end(), [](auto& a, auto& b) {
    return a.find("m17.") != std::string::npos && b.find("m17.") == std::string::npos;
  });
  const std::string& a = mails[0];
  BOOST_TEST(a.find("X-Envelope-From: shop@example.com") != std::string::npos, a);
  BOOST_TEST(a.find("X-Envelope-To: anna@example.com") != std::string::npos, a);
  BOOST_TEST(a.find("Message-ID: <m17.d1-m17@cascade>\r\n") != std::string::npos, a);
  BOOST_TEST(a.find("To: anna@example.com\r\n") != std::string::npos, a);
  BOOST_TEST(a.find("From: shop@example.com\r\n") != std::string::npos, a);
  BOOST_TEST(a.find("Subject: Your cart misses you\r\n") != std::string::npos, a);
  BOOST_TEST(
      a.find("\r\n\r\nYour cart misses you\r\nCome back: http://127.0.0.1/t/c/abc\r\n.a line with a dot") !=
          std::string::npos,
      a);
  const std::string& b = mails[1];
  BOOST_TEST(b.find("Message-ID: <m18.d1-m18@cascade>") != std::string::npos, b);
  BOOST_TEST(b.find("Subject: cart_reminder\r\n") != std::string::npos, b);
  BOOST_TEST(b.find("template: cart_reminder\r\n") != std::string::npos, b);
  BOOST_TEST(b.find("name: Анна\r\n") != std::string::npos, b);
  BOOST_TEST(b.find("total: 1.2905E3\r\n") != std::string::npos, b);
}

BOOST_AUTO_TEST_CASE(smtp_non_ascii_subject_and_odd_keys) {
  SmtpServer server;
  boost::asio::io_context io;
  auto p = make(io, smtp(server.port()));
  auto m = text_message(3, "vera@example.com");
  m.text = "Корзина ждёт";
  m.idempotency_key = "daemon 1/<m3>";  // not valid in a Message-ID: hashed
  const auto results = send_all(io, *p, {m});
  const auto& id = delivered(results[0]).provider_message_id;
  BOOST_TEST(id.rfind("<m3.", 0) == 0);
  BOOST_TEST(id.find(' ') == std::string::npos);
  const auto mails = server.mails();
  BOOST_REQUIRE_EQUAL(mails.size(), 1u);
  BOOST_TEST(mails[0].find("Subject: =?UTF-8?B?") != std::string::npos, mails[0]);
  BOOST_TEST(mails[0].find("Message-ID: " + id) != std::string::npos);
  // A bad address is refused without retrying, and never reaches the server.
  auto bad = text_message(4, "not an address");
  const auto refused = send_all(io, *p, {bad});
  const auto& f = failed(refused[0]);
  BOOST_TEST(f.attempts == 1);
  BOOST_TEST(server.mails().size() == 1u);
}

BOOST_AUTO_TEST_CASE(smtp_refused_connection_retries_then_fails) {
  int port;
  {
    SmtpServer gone;
    port = gone.port();
  }
  boost::asio::io_context io;
  pv::Options o;
  int retries = 0;
  o.observer = [&](const pv::Event& e) { retries += e.kind == pv::Event::Kind::retry; };
  auto p = make(io, smtp(port), o);
  const auto results = send_all(io, *p, {text_message(1, "anna@example.com")});
  const auto& f = failed(results[0]);
  BOOST_TEST(f.reason == "provider_error");
  BOOST_TEST(f.attempts == 3);
  BOOST_TEST(retries == 2);
  BOOST_TEST(f.detail.find("smtp://127.0.0.1:" + std::to_string(port)) != std::string::npos, f.detail);
}

BOOST_AUTO_TEST_CASE(smtp_start_errors) {
  boost::asio::io_context io;
  auto c = smtp(25);
  c.from = "";
  BOOST_TEST(std::holds_alternative<pv::StartError>(pv::make_provider(io, c)));
  c = smtp(25);
  c.username = "shop";
  c.secret_env = "CASCADE_TEST_SURELY_UNSET_SMTP";
  ::unsetenv(c.secret_env.c_str());
  auto p = pv::make_provider(io, c);
  BOOST_REQUIRE(std::holds_alternative<pv::StartError>(p));
  BOOST_TEST(std::get<pv::StartError>(p).message.find("CASCADE_TEST_SURELY_UNSET_SMTP") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(file_appends_one_synced_line_per_message) {
  const fs::path dir = temp_dir("file");
  const fs::path out = dir / "outbox.jsonl";
  {
    std::ofstream pre(out);
    pre << "{\"earlier\":true}\n{\"torn";  // a crash left half a line
  }
  boost::asio::io_context io;
  pv::ProviderConfig c;
  c.name = "outbox";
  c.type = pv::Type::file;
  c.path = out.string();
  auto p = make(io, c);
  std::vector<pv::OutboundMessage> ms;
  for (int i = 1; i <= 50; ++i) ms.push_back(i % 2 ? text_message(i) : template_message(i, "x@example.com"));
  const auto results = send_all(io, *p, ms);
  for (const auto& r : results)
    BOOST_TEST(delivered(r).provider_message_id.rfind(out.string() + "@", 0) == 0);
  // Again: acknowledged keys are not written twice.
  BOOST_TEST(delivered(send_all(io, *p, {ms[0]})[0]).duplicate);

  std::ifstream in(out);
  std::string line;
  std::vector<boost::json::object> lines;
  while (std::getline(in, line)) lines.push_back(boost::json::parse(line).as_object());
  BOOST_REQUIRE_EQUAL(lines.size(), 51u);
  BOOST_TEST(lines[0].contains("earlier"));
  for (int i = 1; i <= 50; ++i) {
    const auto& o = lines[static_cast<std::size_t>(i)];
    BOOST_TEST(o.at("id").as_string() == "m" + std::to_string(i));  // in submission order
    BOOST_TEST(o.at("provider") == "outbox");
    BOOST_TEST(o.at("idempotency_key").as_string() == "d1-m" + std::to_string(i));
    BOOST_TEST(o.at("at").as_string().size() == 24u);  // 2026-11-23T03:10:00.000Z
    BOOST_TEST(o.contains(i % 2 ? "text" : "template"));
  }
  const std::string all = slurp(out);
  BOOST_TEST(all.back() == '\n');
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(file_that_cannot_be_opened_is_a_start_error) {
  boost::asio::io_context io;
  pv::ProviderConfig c;
  c.name = "outbox";
  c.type = pv::Type::file;
  c.path = "/nonexistent-dir/outbox.jsonl";
  auto p = pv::make_provider(io, c);
  BOOST_REQUIRE(std::holds_alternative<pv::StartError>(p));
  BOOST_TEST(std::get<pv::StartError>(p).message.find("/nonexistent-dir/outbox.jsonl") != std::string::npos);
}
