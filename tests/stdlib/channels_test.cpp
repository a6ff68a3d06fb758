// The channel-kind catalogue (LANGUAGE.md §2.2).
#include "cascade/stdlib/channels.hpp"

#include <boost/test/unit_test.hpp>

using namespace cascade::channels;

namespace {
std::string reports(const char* kind) {
  const KindInfo* k = find_kind(kind);
  BOOST_REQUIRE(k != nullptr);
  std::string out;
  for (Report r : {Report::Delivered, Report::Opened, Report::Clicked, Report::Failed}) {
    if (can_report(*k, r)) {
      if (!out.empty()) out += ' ';
      out += to_string(r);
    }
  }
  return out;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(channel_kinds)

BOOST_AUTO_TEST_CASE(catalogue_matches_the_brief) {
  BOOST_TEST(reports("email") == "delivered opened clicked failed");
  BOOST_TEST(reports("push") == "delivered opened failed");
  BOOST_TEST(reports("webpush") == "delivered opened failed");
  BOOST_TEST(reports("viber") == "delivered opened clicked failed");
  BOOST_TEST(reports("whatsapp") == "delivered opened clicked failed");
  BOOST_TEST(reports("telegram") == "delivered opened failed");
  BOOST_TEST(reports("vk") == "delivered opened failed");
  BOOST_TEST(reports("sms") == "delivered clicked failed");
  BOOST_TEST(reports("webhook") == "failed");
  BOOST_TEST(reports("call") == "delivered failed");
  BOOST_TEST(all_kinds().size() == 10u);
}

BOOST_AUTO_TEST_CASE(limits_and_billing) {
  BOOST_TEST(find_kind("viber")->max_characters == 1000);
  BOOST_TEST(find_kind("whatsapp")->max_characters == 1000);
  BOOST_TEST(find_kind("email")->max_characters == 0);
  BOOST_TEST(find_kind("sms")->billed_by_segment);
  BOOST_TEST(!find_kind("viber")->billed_by_segment);
}

BOOST_AUTO_TEST_CASE(unknown_kinds_and_names) {
  BOOST_TEST(find_kind("fax") == nullptr);
  BOOST_TEST(find_kind("") == nullptr);
  BOOST_TEST(find_kind("SMS") == nullptr);
  BOOST_TEST(kind_names() == "email, push, webpush, viber, whatsapp, telegram, vk, sms, webhook, call");
  BOOST_TEST((report_from_string("opened").value() == Report::Opened));
  BOOST_TEST(!report_from_string("read").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
