// cascade.yaml's `providers:` → providers::ProviderConfig: the delivery settings the loader
// accepts (and the located errors it gives for bad ones), and the mapping in cascade_host.
#define BOOST_TEST_MODULE providers_config
#include <boost/test/unit_test.hpp>

#include "../project/helpers.hpp"
#include "provider_config.hpp"

using namespace project_test;
using namespace std::chrono_literals;
namespace pv = cascade::providers;

BOOST_AUTO_TEST_CASE(delivery_settings_map_onto_the_plain_config) {
  const Loaded l = load(R"(providers:
  esp:  { type: webhook, url: "http://127.0.0.1:9101/send", secret_env: ESP_SECRET, timeout: 2s,
          connect_timeout: 250ms, max_attempts: 7, backoff: 100ms, max_backoff: 1m, rate_limit: 12.5,
          concurrency: 32 }
  mail: { type: smtp, host: 127.0.0.1, port: 2525, from: shop@example.com, username: shop,
          secret_env: SMTP_PASSWORD, tls: false, max_attempts: 3 }
  outbox: { type: file, path: outbox.jsonl }
)");
  BOOST_REQUIRE_MESSAGE(l.diags().empty(), all(l));
  const auto mapped = cascade::host::provider_configs(*l.result.project);
  BOOST_TEST(mapped.errors.empty());
  BOOST_REQUIRE_EQUAL(mapped.providers.size(), 3u);
  const auto& esp = mapped.providers[0];
  BOOST_TEST(esp.name == "esp");
  BOOST_TEST((esp.type == pv::Type::webhook));
  BOOST_TEST(esp.url == "http://127.0.0.1:9101/send");
  BOOST_TEST(esp.secret_env == "ESP_SECRET");
  BOOST_TEST(esp.timeout.count() == 2000);
  BOOST_TEST(esp.connect_timeout.count() == 250);
  BOOST_TEST(esp.retry.max_attempts == 7);
  BOOST_TEST(esp.retry.backoff.count() == 100);
  BOOST_TEST(esp.retry.max_backoff.count() == 60'000);
  BOOST_TEST(esp.rate_limit == 12.5);
  BOOST_TEST(esp.concurrency == 32);
  const auto& mail = mapped.providers[1];
  BOOST_TEST((mail.type == pv::Type::smtp));
  BOOST_TEST(mail.host == "127.0.0.1");
  BOOST_TEST(mail.port == 2525);
  BOOST_TEST(mail.from == "shop@example.com");
  BOOST_TEST(mail.username == "shop");
  BOOST_TEST(mail.secret_env == "SMTP_PASSWORD");
  BOOST_TEST(!mail.tls);
  BOOST_TEST(mail.retry.max_attempts == 3);
  BOOST_TEST(mail.concurrency == 4);  // the smtp default: worker threads
  const auto& outbox = mapped.providers[2];
  BOOST_TEST((outbox.type == pv::Type::file));
  BOOST_TEST(outbox.path == "outbox.jsonl");
  BOOST_TEST(outbox.rate_limit == 0);
}

BOOST_AUTO_TEST_CASE(the_examples_project_maps_without_errors) {
  source::SourceMap sources;
  const auto r = project::load("examples/cascade.yaml", sources);
  BOOST_REQUIRE(r.project);
  const auto mapped = cascade::host::provider_configs(*r.project);
  BOOST_TEST(mapped.errors.empty());
  BOOST_TEST(mapped.providers.size() == r.project->providers.size());
}

BOOST_AUTO_TEST_CASE(bad_delivery_settings_are_located_errors) {
  const Loaded l = load(R"(providers:
  esp: { type: webhook, url: "http://x/", max_attempts: 0, backoff: 10, rate_limit: fast,
         concurrency: 5000, timeout: 0s, retries: 3 }
  mail: { type: smtp, host: h, from: nobody }
)");
  // In key order: backoff, concurrency, max_attempts, rate_limit, retries, timeout; then mail.
  BOOST_TEST(all(l) == "E0104 2:69 `10` | E0104 3:23 `5000` | E0104 2:57 `0` | E0104 2:85 `fast` | "
                       "E0102 3:42 `retries` | E0104 3:38 `0s` | E0104 4:38 `nobody`",
             all(l));
}

BOOST_AUTO_TEST_CASE(an_smtp_provider_without_from_is_a_mapping_error) {
  const Loaded l = load("providers:\n  mail: { type: smtp, host: h }\n");
  BOOST_REQUIRE_MESSAGE(l.diags().empty(), all(l));
  const auto mapped = cascade::host::provider_configs(*l.result.project);
  BOOST_TEST(mapped.providers.empty());
  BOOST_REQUIRE_EQUAL(mapped.errors.size(), 1u);
  BOOST_TEST(mapped.errors[0].provider == "mail");
  BOOST_TEST(mapped.errors[0].message.find("`from`") != std::string::npos);
}
