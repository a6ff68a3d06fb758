// What the provider tests share: messages, running the io_context until every completion
// has come back, and HMAC verification done independently of the library (OpenSSL here).
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/test/unit_test.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cascade/providers/providers.hpp"

namespace test {

namespace pv = cascade::providers;

inline pv::OutboundMessage text_message(int n, std::string address = "+79990000000") {
  pv::OutboundMessage m;
  m.id = "m" + std::to_string(n);
  m.idempotency_key = "d1-m" + std::to_string(n);
  m.recipient = "u" + std::to_string(n);
  m.scenario = "abandoned_cart";
  m.step = "remind";
  m.channel = "sms";
  m.channel_kind = "sms";
  m.address = std::move(address);
  m.text = "Your cart misses you, #" + std::to_string(n);
  return m;
}

inline pv::OutboundMessage template_message(int n, std::string address) {
  pv::OutboundMessage m = text_message(n, std::move(address));
  m.channel = "email";
  m.channel_kind = "email";
  m.text.reset();
  m.template_name = "cart_reminder";
  m.variables["name"] = "Анна";
  m.variables["total"] = 1290.5;
  m.links = {"http://127.0.0.1/t/c/abc"};
  return m;
}

inline std::unique_ptr<pv::Provider> make(boost::asio::io_context& io, const pv::ProviderConfig& c,
                                          pv::Options o = {}) {
  if (o.seed == 0) o.seed = 42;
  auto p = pv::make_provider(io, c, std::move(o));
  if (auto* e = std::get_if<pv::StartError>(&p)) BOOST_FAIL("make_provider: " << e->message);
  return std::move(std::get<0>(p));
}

// Submits every message and runs `io` until all have their result (or a generous bound).
inline std::vector<pv::Result> send_all(boost::asio::io_context& io, pv::Provider& p,
                                        const std::vector<pv::OutboundMessage>& messages) {
  std::vector<std::optional<pv::Result>> got(messages.size());
  std::size_t left = messages.size();
  for (std::size_t i = 0; i < messages.size(); ++i) {
    p.submit(messages[i], [&, i](pv::Result r) {
      BOOST_REQUIRE_MESSAGE(!got[i], "a completion was called twice");
      got[i] = std::move(r);
      if (--left == 0) io.stop();
    });
  }
  auto guard = boost::asio::make_work_guard(io);
  io.restart();
  if (left > 0) io.run_for(std::chrono::seconds(30));
  std::vector<pv::Result> out;
  for (auto& g : got) {
    BOOST_REQUIRE_MESSAGE(g.has_value(), "a message got no result within 30 s");
    out.push_back(std::move(*g));
  }
  return out;
}

inline const pv::Delivered& delivered(const pv::Result& r) {
  if (auto* f = std::get_if<pv::Failed>(&r)) BOOST_FAIL("expected Delivered, got Failed: " << f->detail);
  return std::get<pv::Delivered>(r);
}

inline const pv::Failed& failed(const pv::Result& r) {
  BOOST_REQUIRE_MESSAGE(std::holds_alternative<pv::Failed>(r), "expected Failed, got Delivered");
  return std::get<pv::Failed>(r);
}

// Checks "t=<unix>,v1=<hex>" against HMAC-SHA256(secret, "<t>.<body>"), computed here with
// OpenSSL directly, not with the library's helper.
inline bool signature_valid(const std::string& header, const std::string& secret, const std::string& body) {
  const auto comma = header.find(",v1=");
  if (header.rfind("t=", 0) != 0 || comma == std::string::npos) return false;
  const std::string t = header.substr(2, comma - 2);
  const std::string given = header.substr(comma + 4);
  const std::string data = t + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  char hex[2 * EVP_MAX_MD_SIZE + 1];
  for (unsigned int i = 0; i < len; ++i) std::snprintf(hex + 2 * i, 3, "%02x", mac[i]);
  const long long ts = std::stoll(t);
  const long long now = static_cast<long long>(std::time(nullptr));
  return given == std::string(hex, 2 * len) && ts <= now + 1 && ts >= now - 300;
}

}  // namespace test
