// The lints: SMS segments and their structured data, cost order, zero waits, empty
// quiet hours, control without a goal window, scenarios that never send.
#include <boost/test/unit_test.hpp>

#include "helpers.hpp"

using namespace cascade;
using test::check_text;
using test::scenario;
using Codes = std::vector<std::string>;

#define EXPECT_CODES(checked, ...) \
  BOOST_TEST((checked).codes() == (Codes{__VA_ARGS__}), boost::test_tools::per_element())

namespace {

std::string repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

const diag::Diagnostic& sms_lint(const test::Checked& c) {
  const auto* d = c.find("W0001");
  BOOST_REQUIRE(d);
  return *d;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sms_segments)

BOOST_AUTO_TEST_CASE(gsm7_boundaries) {
  EXPECT_CODES(check_text(scenario("send sms \"" + repeat("a", 160) + "\"")));
  const auto c = check_text(scenario("send sms \"" + repeat("a", 161) + "\""));
  EXPECT_CODES(c, "W0001");
  const auto& d = sms_lint(c);
  BOOST_TEST(d.message == "this SMS is 2 segments (GSM-7, 161 characters)");
  BOOST_TEST(d.data.at("encoding").as_string() == "GSM-7");
  BOOST_TEST(d.data.at("characters").as_int64() == 161);
  BOOST_TEST(d.data.at("segments").as_int64() == 2);
  BOOST_TEST(d.data.at("minimum").as_bool() == false);
  BOOST_TEST(d.hint.find("shorten it by 1 character") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(ucs2_boundaries) {
  EXPECT_CODES(check_text(scenario("send sms \"" + repeat("ж", 70) + "\"")));
  const auto c = check_text(scenario("send sms \"" + repeat("ж", 71) + "\""));
  const auto& d = sms_lint(c);
  BOOST_TEST(d.message == "this SMS is 2 segments (UCS-2, 71 characters)");
  BOOST_TEST(d.data.at("encoding").as_string() == "UCS-2");
  // 135 UCS-2 characters: 67 + 67 + 1.
  const auto three = check_text(scenario("send sms \"" + repeat("ж", 135) + "\""));
  BOOST_TEST(sms_lint(three).data.at("segments").as_int64() == 3);
}

BOOST_AUTO_TEST_CASE(one_odd_character_is_named) {
  const auto c = check_text(scenario("send sms \"" + repeat("a", 100) + "ё\""));
  const auto& d = sms_lint(c);
  BOOST_TEST(d.data.at("encoding").as_string() == "UCS-2");
  BOOST_TEST(d.hint.find("`ё` is not in the GSM-7 alphabet") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(interpolation_gives_a_minimum) {
  const auto c = check_text(scenario("send sms \"{trigger.cart_id}" + repeat("a", 161) + "\""));
  const auto& d = sms_lint(c);
  BOOST_TEST(d.message == "this SMS is at least 2 segments (GSM-7, 161 characters)");
  BOOST_TEST(d.data.at("minimum").as_bool() == true);
  // Interpolation that does not reach two segments on its literal parts: no warning.
  EXPECT_CODES(check_text(scenario("send sms \"{trigger.cart_id}" + repeat("a", 150) + "\"")));
}

BOOST_AUTO_TEST_CASE(tracked_links_count_as_their_short_form) {
  // 140 + 23 = 163 GSM-7 characters, exactly known.
  const auto c = check_text(scenario("send sms \"" + repeat("a", 140) + "{link(trigger.cart_url)}\""));
  const auto& d = sms_lint(c);
  BOOST_TEST(d.data.at("characters").as_int64() == 163);
  BOOST_TEST(d.data.at("minimum").as_bool() == false);
  EXPECT_CODES(check_text(scenario("send sms \"" + repeat("a", 137) + "{link(trigger.cart_url)}\"")));
}

BOOST_AUTO_TEST_CASE(only_sms_channels_and_cascade_steps) {
  EXPECT_CODES(check_text(scenario("send viber \"" + repeat("ж", 200) + "\"")));
  EXPECT_CODES(check_text(scenario("cascade until delivered { push template \"p\" within 1h\n sms \"" + repeat("ж", 80) + "\" }")),
               "W0001");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(other_lints)

BOOST_AUTO_TEST_CASE(cost_order) {
  const auto c = check_text(scenario("cascade until delivered {\n  sms \"x\" within 1h\n  push template \"p\" within 1h\n"
                                     "  email template \"e\"\n}"));
  EXPECT_CODES(c, "W0002");
  BOOST_TEST(c.find("W0002")->message == "`sms` (2.0 ₽ per message) comes before the cheaper `push` (0 ₽)");
  BOOST_TEST(c.at(*c.find("W0002")) == "sms");
  EXPECT_CODES(check_text(scenario("cascade until delivered { push template \"p\" within 1h\n crm template \"c\" }")));
}

BOOST_AUTO_TEST_CASE(zero_waits) {
  const auto c = check_text(scenario("wait 0s\nwait 1h - 60m\nwait 2 * 0m\nwait -1h\nwait 1m\nsend sms \"x\""));
  EXPECT_CODES(c, "W0007", "W0007", "W0007", "W0007");
  BOOST_TEST(c.diags.items()[3].message == "this wait is negative, so it continues at once");
  EXPECT_CODES(check_text(scenario("wait customer.median_open_delay ?? 0s\nsend sms \"x\"")));
}

BOOST_AUTO_TEST_CASE(quiet_hours_control_never_sends) {
  const auto q = check_text(scenario("send sms \"x\"", "  quiet hours 22:00..22:00"));
  EXPECT_CODES(q, "W0008");
  BOOST_TEST(q.find("W0008")->message == "quiet hours 22:00..22:00 are zero length");
  EXPECT_CODES(check_text(scenario("send sms \"x\"", "  control 10%\n  goal order_placed")), "W0009");
  EXPECT_CODES(check_text(scenario("send sms \"x\"", "  control 10%\n  goal order_placed within 7d")));
  const auto n = check_text(scenario("wait 1h"));
  EXPECT_CODES(n, "W0005");
  BOOST_TEST(n.find("W0005")->message == "scenario `s` never sends a message");
}

BOOST_AUTO_TEST_SUITE_END()
