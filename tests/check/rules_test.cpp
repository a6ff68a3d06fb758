// Names, scopes and the scenario rules: settings, outcomes, cascades, splits, paths.
#include <boost/test/unit_test.hpp>

#include "helpers.hpp"

using namespace cascade;
using test::check_text;
using test::scenario;
using Codes = std::vector<std::string>;

#define EXPECT_CODES(checked, ...) \
  BOOST_TEST((checked).codes() == (Codes{__VA_ARGS__}), boost::test_tools::per_element())

BOOST_AUTO_TEST_SUITE(names)

BOOST_AUTO_TEST_CASE(segments_are_global_and_unique) {
  const auto c = check_text(
      "scenario s \"S\" {\n  trigger cart_abandoned\n  audience buyers\n  send email template \"t\"\n}\n"
      "segment buyers = customer.ltv > 0\n"
      "segment buyers = customer.points > 0\n");
  EXPECT_CODES(c, "E0206");
  const auto* d = c.find("E0206");
  BOOST_TEST(d->message == "`buyers` is already defined");
  BOOST_REQUIRE_EQUAL(d->notes.size(), 1u);
  BOOST_TEST(d->notes[0].message == "segment `buyers` is first defined here");
  BOOST_TEST(d->notes[0].span.begin < d->span.begin);
}

BOOST_AUTO_TEST_CASE(segments_see_customer_not_trigger) {
  const auto c = check_text("segment big = trigger.total > 100 and now > now - 1d\n" +
                            scenario("send email template \"t\"", "  audience big"));
  EXPECT_CODES(c, "E0203");
  BOOST_TEST(c.find("E0203")->hint.find("audience") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(segment_cycles) {
  const auto c = check_text(
      "segment a = b and customer.vip\nsegment b = not a\nsegment self = self\nsegment fine = a or b\n" +
      scenario("send email template \"t\"", "  audience fine"));
  EXPECT_CODES(c, "E0213", "E0213");
  BOOST_TEST(c.diags.items()[0].message == "segment `a` is defined in terms of itself: a → b → a");
  BOOST_TEST(c.diags.items()[1].message == "segment `self` is defined in terms of itself: self → self");
}

BOOST_AUTO_TEST_CASE(let_is_block_scoped_and_after_definition) {
  const auto c = check_text(scenario(
      "send sms \"{early}\"\n"
      "let early = 1\n"
      "if customer.vip {\n  let inner = 2\n  send sms \"{inner} {early}\"\n}\n"
      "send sms \"{inner}\""));
  EXPECT_CODES(c, "E0203", "E0203");
}

BOOST_AUTO_TEST_CASE(let_names_must_be_new) {
  const auto c = check_text("segment buyers = customer.ltv > 0\n" +
                            scenario("let x = 1\nlet x = 2\nlet now = 3\nlet buyers = 4\nsend sms \"{x} {buyers}\""));
  EXPECT_CODES(c, "E0206", "E0206", "W0010", "E0206");  // `now` is also unused
  BOOST_TEST(c.diags.items()[0].notes.size() == 1u);
  BOOST_TEST(c.diags.items()[1].hint == "`now` is a built-in name; give the `let` another name");
}

BOOST_AUTO_TEST_CASE(unused_let) {
  const auto c = check_text(scenario("let used = 1\nlet unused = 2\nsend sms \"{used}\""));
  EXPECT_CODES(c, "W0010");
  BOOST_TEST(c.at(*c.find("W0010")) == "unused");
  BOOST_TEST(c.find("W0010")->message == "`unused` is never used");
}

BOOST_AUTO_TEST_CASE(unknown_event_channel_with_suggestions) {
  const auto c = check_text(
      "scenario s \"S\" {\n  trigger cart_abandond\n  send emial template \"t\"\n  if not opend within 1d { stop }\n}\n");
  EXPECT_CODES(c, "E0200", "E0202", "E0200");
  BOOST_TEST(c.diags.items()[0].hint == "did you mean `cart_abandoned`?");
  BOOST_TEST(c.diags.items()[1].hint == "did you mean `email`?");
  BOOST_TEST(c.diags.items()[2].hint == "did you mean `opened`?");
  BOOST_TEST(c.at(c.diags.items()[1]) == "emial");

  const auto far = check_text(scenario("send pigeon template \"t\""));
  BOOST_TEST(far.find("E0202")->hint == "the channels in cascade.yaml are push, email, viber, sms, crm");
}

BOOST_AUTO_TEST_CASE(event_only_where_matched) {
  const auto c = check_text(scenario("send sms \"{event.total}\"",
                                     "  goal order_placed where event.cart_id == trigger.cart_id within 7d\n"
                                     "  stop on order_placed where event.total > 0\n"
                                     "  audience event.total > 0"));
  EXPECT_CODES(c, "E0209", "E0209");
  // `where` of trigger, outcome and cascade until: allowed.
  const auto ok = check_text(
      "scenario s \"S\" {\n  trigger cart_abandoned where event.total > 100\n"
      "  send email template \"t\"\n"
      "  if not order_placed where event.cart_id == trigger.cart_id within 1d {\n"
      "    cascade until order_placed where event.total > 0 { push template \"p\" within 1h\n sms \"x\" }\n  }\n}\n");
  EXPECT_CODES(ok);
}

BOOST_AUTO_TEST_CASE(trigger_record_per_kind) {
  const auto every = check_text(
      "scenario s \"S\" {\n  trigger every 1d at 10:00\n  send sms \"{format_time(trigger.at, \\\"HH:mm\\\")} "
      "{trigger.cart_url}\"\n}\n");
  EXPECT_CODES(every, "E0210");
  BOOST_TEST(every.find("E0210")->message == "`trigger.cart_url` is used, but this scenario has no trigger event");
  const auto manual = check_text("scenario s \"S\" {\n  trigger manual\n  send sms \"{trigger.total}\"\n}\n");
  EXPECT_CODES(manual, "E0210");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(settings)

BOOST_AUTO_TEST_CASE(no_trigger) {
  const auto c = check_text("scenario lonely \"S\" {\n  send sms \"{trigger.total}\"\n}\n");
  EXPECT_CODES(c, "E0400");  // and no follow-on for trigger.total
  BOOST_TEST(c.at(*c.find("E0400")) == "lonely");
}

BOOST_AUTO_TEST_CASE(duplicate_settings) {
  const auto c = check_text(scenario("send sms \"x\"",
                                     "  audience customer.vip\n  audience customer.vip\n"
                                     "  quiet hours 22:00..09:00\n  quiet hours 21:00..09:00 for sms\n"
                                     "  quiet hours 21:00..08:00 for sms\n"
                                     "  limit 1 per 15m\n  limit 3 per 1d\n  limit 2 per 1d\n"
                                     "  trigger order_placed\n  urgent\n  urgent"));
  EXPECT_CODES(c, "E0212", "E0212", "E0212", "E0212", "E0212");
  BOOST_TEST(c.diags.items()[0].message == "`audience` is set twice in this scenario");
  BOOST_TEST(c.diags.items()[1].message == "`quiet hours for sms` is set twice in this scenario");
  BOOST_TEST(c.diags.items()[2].message == "`limit … per 1d` is set twice in this scenario");
  BOOST_TEST(c.diags.items()[0].notes.size() == 1u);
}

BOOST_AUTO_TEST_CASE(control_range_and_schedule_and_limit) {
  EXPECT_CODES(check_text(scenario("send sms \"x\"", "  control 150%")), "E0403");
  EXPECT_CODES(check_text(scenario("send sms \"x\"", "  control 100%\n  goal order_placed within 1d")));
  EXPECT_CODES(check_text("scenario s \"S\" {\n  trigger every 1h at 10:00\n  send sms \"x\"\n}\n"), "E0406");
  EXPECT_CODES(check_text("scenario s \"S\" {\n  trigger every 0s\n  send sms \"x\"\n}\n"), "E0406");
  EXPECT_CODES(check_text("scenario s \"S\" {\n  trigger every 2d at 10:00\n  send sms \"x\"\n}\n"));
  const auto l = check_text(scenario("send sms \"x\"", "  limit 0 per 1d"));
  EXPECT_CODES(l, "E0407");
  BOOST_TEST(l.find("E0407")->message == "a limit of 0 per 1d never lets a message through");
}

BOOST_AUTO_TEST_CASE(goal_within_is_a_duration_expression) {
  EXPECT_CODES(check_text(scenario("send sms \"x\"", "  goal order_placed within 2 * (customer.median_open_delay ?? 1d)")));
  EXPECT_CODES(check_text(scenario("send sms \"x\"", "  goal order_placed within 7")), "E0303");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(outcomes)

BOOST_AUTO_TEST_CASE(sms_cannot_report_opened) {
  const auto c = check_text(scenario("send sms \"x\"\nif not opened within 1d { send email template \"t\" }",
                                     "  goal order_placed within 7d"));
  EXPECT_CODES(c, "E0500");
  const auto* d = c.find("E0500");
  BOOST_TEST(d->message == "a `sms` channel never reports `opened`, so this wait could never end early");
  BOOST_TEST(d->hint ==
             "a `sms` message reports delivered and clicked; wait for `delivered`, or for the goal event (`if not "
             "order_placed within …`)");
  BOOST_REQUIRE_EQUAL(d->notes.size(), 1u);
  BOOST_TEST(c.at(*d) == "opened");
}

BOOST_AUTO_TEST_CASE(most_recent_send_on_every_path) {
  // Either branch's send may be the latest: the sms one cannot report opened.
  const auto c = check_text(scenario(
      "if customer.vip { send sms \"x\" } else { send email template \"t\" }\nif not opened within 1d { stop }"));
  EXPECT_CODES(c, "E0500");
  // A path without any send.
  const auto n = check_text(scenario("if customer.vip { send push template \"t\" }\nif not delivered within 1d { stop }"));
  EXPECT_CODES(n, "E0501");
  BOOST_TEST(n.find("E0501")->message == "`if not delivered` waits for a message, but none is sent before it on this path");
  // The latest send inside the then-block is the latest for code inside it.
  const auto ok = check_text(scenario(
      "send email template \"t\"\nif not opened within 1d {\n  send push template \"p\"\n"
      "  if not opened within 1h { send sms \"x\" }\n}\nif not delivered within 1h { stop }"));
  EXPECT_CODES(ok);
}

BOOST_AUTO_TEST_CASE(webhook_reports_no_delivery) {
  const auto c = check_text(scenario("send crm template \"t\"\nif not delivered within 1d { send sms \"x\" }"));
  EXPECT_CODES(c, "E0500");
  BOOST_TEST(c.find("E0500")->hint ==
             "a `webhook` message reports only failures; wait for an event (`if not EVENT within …`)");
}

BOOST_AUTO_TEST_CASE(named_messages) {
  const auto ok = check_text(scenario("send email template \"t\" as first\nsend sms \"x\"\n"
                                      "if not opened(first) within 1d { stop }"));
  EXPECT_CODES(ok);
  const auto bad = check_text(scenario("send sms \"x\" as first\nsend email template \"t\"\n"
                                       "if not opened(first) within 1d { stop }"));
  EXPECT_CODES(bad, "E0500");
  const auto unknown = check_text(scenario("send email template \"t\"\nif not opened(frist) within 1d { stop }"));
  EXPECT_CODES(unknown, "E0211");
  BOOST_TEST(unknown.at(*unknown.find("E0211")) == "frist");
  // Named on one branch only: not defined on every path.
  const auto partial = check_text(scenario("if customer.vip { send email template \"t\" as first }\n"
                                           "send push template \"p\"\nif not opened(first) within 1d { stop }"));
  EXPECT_CODES(partial, "E0211");
  const auto both = check_text(scenario("if customer.vip { send email template \"t\" as first } else "
                                        "{ send push template \"p\" as first }\nif not opened(first) within 1d { stop }"));
  EXPECT_CODES(both, "E0206");  // the name is given twice in the scenario, but the wait is fine
}

BOOST_AUTO_TEST_CASE(event_outcome_needs_no_message) {
  EXPECT_CODES(check_text(scenario("if not order_placed within 3d { send sms \"x\" }")));
}

BOOST_AUTO_TEST_CASE(within_and_wait_types) {
  const auto c = check_text(scenario("wait \"1h\"\nwait until 1h\nsend email template \"t\"\n"
                                     "if not opened within customer.median_open_delay { stop }"));
  EXPECT_CODES(c, "E0303", "E0304", "E0301");
  BOOST_TEST(c.diags.items()[0].message == "`wait` needs a duration, but this is `string`");
  BOOST_TEST(c.diags.items()[0].hint == "write the duration without quotes: 1h");
  BOOST_TEST(c.diags.items()[1].hint == "to wait for a length of time, write `wait 1h`");
  EXPECT_CODES(check_text(scenario("wait until 10:00\nwait until now + 1h\nsend sms \"x\"")));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cascades_and_splits)

BOOST_AUTO_TEST_CASE(cascade_rules) {
  const auto c = check_text(scenario("cascade until opened {\n  sms \"x\" within 1h\n  push template \"p\"\n"
                                     "  email template \"e\" within 1h\n}"));
  EXPECT_CODES(c, "E0500", "W0002", "E0404", "W0006");
  BOOST_TEST(c.at(c.diags.items()[0]) == "sms");
  BOOST_TEST(c.diags.items()[0].hint ==
             "a `sms` message reports delivered and clicked; cascade until `delivered`, or make `sms` the last step");
  BOOST_TEST(c.diags.items()[2].message == "cascade step 2 (`push`) is not the last one and has no `within`");
  // The last step may be any channel; an event cascade asks nothing of the channel.
  EXPECT_CODES(check_text(scenario("cascade until opened { push template \"p\" within 1h\n sms \"x\" }")));
  EXPECT_CODES(check_text(scenario("cascade until order_placed { sms \"x\" within 1h\n push template \"p\" }")), "W0002");
}

BOOST_AUTO_TEST_CASE(split_rules) {
  const auto c = check_text(scenario("split {\n  50% a { send sms \"x\" }\n  40% a { send sms \"y\" }\n}"));
  EXPECT_CODES(c, "E0401", "E0402");
  BOOST_TEST(c.diags.items()[0].message == "split shares add up to 90%, not 100%");
  BOOST_TEST(c.at(c.diags.items()[0]) == "split");
  EXPECT_CODES(check_text(scenario("split {\n  12.5% a { send sms \"x\" }\n  87.5% b control\n}")));
}

BOOST_AUTO_TEST_CASE(control_branch_ends_its_path) {
  const auto c = check_text(scenario("split {\n  50% a control\n  50% b control\n}\nsend sms \"x\""));
  EXPECT_CODES(c, "W0004");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(paths)

BOOST_AUTO_TEST_CASE(unreachable) {
  const auto c = check_text(scenario("send sms \"x\"\nstop\nsend sms \"y\"\nsend sms \"z\""));
  EXPECT_CODES(c, "W0004");  // once per block
  BOOST_TEST(c.find("W0004")->hint == "the `stop` on line 5 ends the scenario first");
  const auto both = check_text(scenario("send sms \"x\"\nif customer.vip { stop } else { stop }\nsend sms \"y\""));
  EXPECT_CODES(both, "W0004");
  BOOST_TEST(both.find("W0004")->hint == "every path through the statement on line 5 ends before it");
  EXPECT_CODES(check_text(scenario("send sms \"x\"\nif customer.vip { stop }\nsend sms \"y\"")));
}

BOOST_AUTO_TEST_CASE(too_many_messages) {
  const auto five = check_text(scenario("send push template \"1\"\nsend email template \"2\"\n"
                                        "if customer.vip { send viber \"3\" } else { send push template \"3\" }\n"
                                        "send push template \"4\"\nsend sms \"5\""));
  EXPECT_CODES(five, "W0003");
  BOOST_TEST(five.find("W0003")->message == "5 messages on one path");
  BOOST_TEST(five.at(*five.find("W0003")) == "send sms \"5\"");
  // Four on each of two paths: fine.
  EXPECT_CODES(check_text(scenario("send push template \"1\"\nsend email template \"2\"\n"
                                   "if customer.vip { send viber \"3\"\n send sms \"4\" } else { send push template \"3\"\n"
                                   " send sms \"4\" }")));
  // A cascade counts all of its steps.
  const auto cascade = check_text(scenario("cascade until delivered { push template \"p\" within 1h\n email template \"e\" "
                                           "within 1h\n viber \"v\" within 1h\n sms \"s\" }\nsend email template \"x\""));
  EXPECT_CODES(cascade, "W0003");
}

BOOST_AUTO_TEST_SUITE_END()
