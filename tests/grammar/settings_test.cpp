// Scenario settings: every form, its values and spans.
#include <boost/test/unit_test.hpp>

#include "support.hpp"

using namespace cascade;
using cascade::test::parse_text;

namespace {

const ast::Scenario& scenario(const test::Parsed& p) { return std::get<ast::Scenario>(p.file().decls.at(0).node); }

std::string settings_of(const std::string& text) {
  const auto p = parse_text("scenario s {\n" + text + "\n}\n");
  BOOST_TEST(p.errors().empty(), p.error_lines());
  if (p.file().decls.empty()) return "<none>";
  std::string out;
  for (const auto& s : scenario(p).settings) out += (out.empty() ? "" : " ") + test::dump(s);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(settings)

BOOST_AUTO_TEST_CASE(trigger_forms) {
  BOOST_TEST(settings_of("trigger cart_abandoned") == "(trigger cart_abandoned)");
  BOOST_TEST(settings_of("trigger order_placed where event.total > 100") ==
             "(trigger order_placed (> event.total 100))");
  BOOST_TEST(settings_of("trigger every 1d at 10:00") == "(every 1d at 600)");
  BOOST_TEST(settings_of("trigger every 1h30m") == "(every 1h30m)");
  BOOST_TEST(settings_of("trigger manual") == "(manual)");
  // Words that merely start like keywords are identifiers.
  BOOST_TEST(settings_of("trigger manually_started") == "(trigger manually_started)");
  BOOST_TEST(settings_of("trigger everyday") == "(trigger everyday)");
}

BOOST_AUTO_TEST_CASE(trigger_every_spans) {
  const auto p = parse_text("scenario s {\n  trigger every 2w at 09:30\n}");
  BOOST_TEST(p.errors().empty(), p.error_lines());
  const auto& s = scenario(p).settings.at(0);
  const auto& t = std::get<ast::TriggerEvery>(s.node);
  BOOST_TEST(t.every.seconds == 2 * 7 * 86400);
  BOOST_TEST(p.text(t.every_span) == "2w");
  BOOST_TEST(t.at->minutes == 9 * 60 + 30);
  BOOST_TEST(p.text(t.at_span) == "09:30");
  BOOST_TEST(p.text(s.span) == "trigger every 2w at 09:30");
}

BOOST_AUTO_TEST_CASE(audience_goal_stop_on) {
  BOOST_TEST(settings_of("audience customer.age >= 45 and has(customer.phone)") ==
             "(audience (and (>= customer.age 45) (call has customer.phone)))");
  BOOST_TEST(settings_of("goal order_placed") == "(goal order_placed)");
  BOOST_TEST(settings_of("goal order_placed within 3d") == "(goal order_placed within dur:3d=259200)");
  BOOST_TEST(settings_of("goal order_placed where event.total > 0 within 3d") ==
             "(goal order_placed where (> event.total 0) within dur:3d=259200)");
  // A clause keyword may continue on the next line.
  BOOST_TEST(settings_of("goal order_placed\n    where event.total > 0\n    within 3d") ==
             "(goal order_placed where (> event.total 0) within dur:3d=259200)");
  BOOST_TEST(settings_of("stop on unsubscribed") == "(stop-on unsubscribed)");
  BOOST_TEST(settings_of("stop on complaint where event.kind == \"spam\"") ==
             "(stop-on complaint (== event.kind \"spam\"))");
  const auto p = parse_text("scenario s {\n  goal order_placed where event.x within 1d\n}");
  const auto& g = std::get<ast::Goal>(scenario(p).settings.at(0).node);
  BOOST_TEST(p.text(g.event.span) == "order_placed");
  BOOST_TEST(p.text(g.where->span) == "event.x");
  BOOST_TEST(p.text(g.within->span) == "1d");
}

BOOST_AUTO_TEST_CASE(quiet_hours_and_limits) {
  BOOST_TEST(settings_of("quiet hours 22:00..09:00") == "(quiet 1320..540)");
  BOOST_TEST(settings_of("quiet hours 23:59 .. 00:00 for sms, viber") == "(quiet 1439..0 sms viber)");
  BOOST_TEST(settings_of("limit 3 per 15m") == "(limit 3 per 15m)");
  BOOST_TEST(settings_of("limit 1 per 1d for sms") == "(limit 1 per 1d sms)");
  BOOST_TEST(settings_of("limit 2 per 1d for sms,push") == "(limit 2 per 1d sms push)");
  const auto p = parse_text("scenario s {\n  quiet hours 22:00..09:00 for sms\n  limit 5 per 90s\n}");
  const auto& q = std::get<ast::QuietHours>(scenario(p).settings.at(0).node);
  BOOST_TEST(p.text(q.range_span) == "22:00..09:00");
  BOOST_TEST(p.text(q.channels.at(0).span) == "sms");
  const auto& l = std::get<ast::Limit>(scenario(p).settings.at(1).node);
  BOOST_TEST(l.count == 5);
  BOOST_TEST(l.per.seconds == 90);
  BOOST_TEST(l.per.text == "90s");
  BOOST_TEST(p.text(l.per_span) == "90s");
}

BOOST_AUTO_TEST_CASE(reentry_control_urgent) {
  BOOST_TEST(settings_of("reentry never") == "(reentry never)");
  BOOST_TEST(settings_of("reentry parallel") == "(reentry parallel)");
  BOOST_TEST(settings_of("reentry after 7d") == "(reentry after 7d)");
  BOOST_TEST(settings_of("control 10%") == "(control 10%)");
  BOOST_TEST(settings_of("control 12.5%") == "(control 12.5%)");
  BOOST_TEST(settings_of("urgent") == "(urgent)");
  const auto p = parse_text("scenario s {\n  control 12.5%\n  reentry after 1h30m\n}");
  BOOST_TEST(std::get<ast::Control>(scenario(p).settings.at(0).node).share.basis_points == 1250);
  const auto& r = std::get<ast::Reentry>(scenario(p).settings.at(1).node);
  BOOST_TEST((r.kind == ast::ReentryKind::After));
  BOOST_TEST(r.after.seconds == 5400);
}

BOOST_AUTO_TEST_CASE(every_setting_together_keeps_order) {
  BOOST_TEST(settings_of("trigger e\naudience true\ngoal g within 1d\nstop on x\nquiet hours 22:00..08:00\n"
                         "limit 1 per 1h\nreentry never\ncontrol 5%\nurgent") ==
             "(trigger e) (audience true) (goal g within dur:1d=86400) (stop-on x) (quiet 1320..480) "
             "(limit 1 per 1h) (reentry never) (control 5%) (urgent)");
}

BOOST_AUTO_TEST_SUITE_END()
