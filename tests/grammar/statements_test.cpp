// Statements: every form, its shape and spans.
#include <boost/test/unit_test.hpp>

#include "support.hpp"

using namespace cascade;
using cascade::test::body;
using cascade::test::parse_text;

namespace {
const ast::Scenario& scenario(const test::Parsed& p) { return std::get<ast::Scenario>(p.file().decls.at(0).node); }
}  // namespace

BOOST_AUTO_TEST_SUITE(statements)

BOOST_AUTO_TEST_CASE(send) {
  BOOST_TEST(body("send sms \"Привет\"") == "{(send sms \"Привет\")}");
  BOOST_TEST(body("send email template \"cart_1\"") == "{(send email (template \"cart_1\"))}");
  BOOST_TEST(body("send email template \"x\" with { }") == "{(send email (template \"x\" (with)))}");
  BOOST_TEST(body("send email template \"x\" with { url: trigger.url, n: 1 + 2, }") ==
             "{(send email (template \"x\" (with (url trigger.url) (n (+ 1 2)))))}");
  // Keys may be keywords.
  BOOST_TEST(body("send email template \"x\" with { at: trigger.at, if: 1 }") ==
             "{(send email (template \"x\" (with (at trigger.at) (if 1))))}");
  BOOST_TEST(body("send push template \"p\" as first") == "{(send push (template \"p\") as first)}");
  BOOST_TEST(body("send sms \"hi\" as second") == "{(send sms \"hi\" as second)}");
  // `sender` is an identifier, not `send` + `er`.
  BOOST_TEST(body("send sender \"x\"") == "{(send sender \"x\")}");
  // The template's record may span lines.
  BOOST_TEST(body("send email template \"x\" with {\n  a: 1,\n  b: 2\n}") ==
             "{(send email (template \"x\" (with (a 1) (b 2))))}");
}

BOOST_AUTO_TEST_CASE(send_spans) {
  const auto p = parse_text("scenario s {\n  send email template \"cart_1\" with { url: trigger.cart_url } as first\n}");
  BOOST_TEST(p.errors().empty(), p.error_lines());
  const auto& st = scenario(p).body.stmts.at(0);
  BOOST_TEST(p.text(st.span) == "send email template \"cart_1\" with { url: trigger.cart_url } as first");
  const auto& send = std::get<ast::Send>(st.node);
  BOOST_TEST(p.text(send.channel.span) == "email");
  BOOST_TEST(p.text(send.content.span) == "template \"cart_1\" with { url: trigger.cart_url }");
  const auto& t = std::get<ast::TemplateRef>(send.content.value);
  BOOST_TEST(p.text(t.name_span) == "\"cart_1\"");
  BOOST_TEST(p.text(t.args.at(0).key.span) == "url");
  BOOST_TEST(p.text(t.args.at(0).value->span) == "trigger.cart_url");
  BOOST_TEST(p.text(send.as->span) == "first");
}

BOOST_AUTO_TEST_CASE(wait_and_wait_until) {
  BOOST_TEST(body("wait 1h") == "{(wait dur:1h=3600)}");
  BOOST_TEST(body("wait max(4h, 3 * (customer.median_open_delay ?? 8h))") ==
             "{(wait (call max dur:4h=14400 (* 3 (paren (?? customer.median_open_delay dur:8h=28800)))))}");
  BOOST_TEST(body("wait until trigger.at - 1d") == "{(wait-until (- trigger.at dur:1d=86400))}");
  BOOST_TEST(body("wait until 10:00") == "{(wait-until clock:600)}");
  const auto p = parse_text("scenario s {\n  wait until trigger.at - 30m\n}");
  const auto& st = scenario(p).body.stmts.at(0);
  BOOST_TEST(p.text(st.span) == "wait until trigger.at - 30m");
  BOOST_TEST(p.text(std::get<ast::WaitUntil>(st.node).time->span) == "trigger.at - 30m");
}

BOOST_AUTO_TEST_CASE(if_not_outcome) {
  BOOST_TEST(body("if not opened within 24h { stop }") == "{(if-not opened dur:24h=86400 {(stop)})}");
  BOOST_TEST(body("if not delivered within 1m { stop } else { wait 1h }") ==
             "{(if-not delivered dur:1m=60 {(stop)} else {(wait dur:1h=3600)})}");
  BOOST_TEST(body("if not clicked(first) within 2h { }") == "{(if-not clicked(first) dur:2h=7200 {})}");
  BOOST_TEST(body("if not order_placed within 3d { }") == "{(if-not order_placed dur:3d=259200 {})}");
  BOOST_TEST(body("if not order_placed where event.total > 100 within 3d { }") ==
             "{(if-not (event order_placed (> event.total 100)) dur:3d=259200 {})}");
  BOOST_TEST(body("if not opened within max(4h, 3 * (customer.d ?? 8h)) { }") ==
             "{(if-not opened (call max dur:4h=14400 (* 3 (paren (?? customer.d dur:8h=28800)))) {})}");
  const auto p = parse_text("scenario s {\n  if not opened(first) within 24h {\n    stop\n  }\n}");
  const auto& st = scenario(p).body.stmts.at(0);
  const auto& n = std::get<ast::IfNot>(st.node);
  BOOST_TEST(p.text(n.outcome.span) == "opened(first)");
  BOOST_TEST(p.text(n.outcome.message->span) == "first");
  BOOST_TEST(p.text(n.within->span) == "24h");
  BOOST_TEST(p.text(n.then_block.span) == "{\n    stop\n  }");
  BOOST_TEST(p.text(st.span) == "if not opened(first) within 24h {\n    stop\n  }");
}

BOOST_AUTO_TEST_CASE(if_expression_falls_back_from_outcome_form) {
  BOOST_TEST(body("if not customer.vip { stop }") == "{(if (not customer.vip) {(stop)})}");
  BOOST_TEST(body("if not vip { stop }") == "{(if (not vip) {(stop)})}");
  BOOST_TEST(body("if customer.age >= 45 { stop }") == "{(if (>= customer.age 45) {(stop)})}");
  BOOST_TEST(body("if not (a and b) or c { stop }") == "{(if (or (not (paren (and a b))) c) {(stop)})}");
}

BOOST_AUTO_TEST_CASE(if_else_if_chain) {
  BOOST_TEST(body("if a { stop } else { wait 1h }") == "{(if a {(stop)} else {(wait dur:1h=3600)})}");
  BOOST_TEST(body("if a { stop } else if b { wait 1h } else if c { } else { let x = 1 }") ==
             "{(if a {(stop)} else-if {(if b {(wait dur:1h=3600)} else-if {(if c {} else {(let x 1)})})})}");
  BOOST_TEST(body("if a {\n stop\n}\nelse if not opened within 1h {\n}\n") ==
             "{(if a {(stop)} else-if {(if-not opened dur:1h=3600 {})})}");
  BOOST_TEST(body("if not opened within 1h { } else if a { }") ==
             "{(if-not opened dur:1h=3600 {} else-if {(if a {})})}");
  const auto p = parse_text("scenario s {\n  if a { stop } else if b { } else { }\n}");
  const auto& st = scenario(p).body.stmts.at(0);
  BOOST_TEST(p.text(st.span) == "if a { stop } else if b { } else { }");
  const auto& outer = std::get<ast::If>(st.node);
  BOOST_TEST(outer.else_if);
  const auto& inner_stmt = outer.else_block->stmts.at(0);
  BOOST_TEST(p.text(inner_stmt.span) == "if b { } else { }");
  BOOST_TEST(!std::get<ast::If>(inner_stmt.node).else_if);
}

BOOST_AUTO_TEST_CASE(cascade_until) {
  BOOST_TEST(body("cascade until delivered {\n push template \"p\" within 1h\n sms \"x\"\n}") ==
             "{(cascade delivered (push (template \"p\") dur:1h=3600) (sms \"x\"))}");
  BOOST_TEST(body("cascade until opened { email \"a\" within 2h  sms \"b\" }") ==
             "{(cascade opened (email \"a\" dur:2h=7200) (sms \"b\"))}");
  BOOST_TEST(body("cascade until clicked {\n email template \"t\" with { a: 1 } within 1d\n}") ==
             "{(cascade clicked (email (template \"t\" (with (a 1))) dur:1d=86400))}");
  BOOST_TEST(body("cascade until order_placed where event.total > 0 {\n push \"x\" within 1h\n sms \"y\"\n}") ==
             "{(cascade (event order_placed (> event.total 0)) (push \"x\" dur:1h=3600) (sms \"y\"))}");
  const auto p = parse_text("scenario s {\n  cascade until delivered {\n    push \"x\" within 1h\n  }\n}");
  const auto& c = std::get<ast::CascadeUntil>(scenario(p).body.stmts.at(0).node);
  BOOST_TEST(p.text(c.body_span) == "{\n    push \"x\" within 1h\n  }");
  BOOST_TEST(p.text(c.steps.at(0).span) == "push \"x\" within 1h");
  BOOST_TEST(p.text(c.until.span) == "delivered");
}

BOOST_AUTO_TEST_CASE(split) {
  BOOST_TEST(body("split {\n 50% a { stop }\n 40% b { }\n 10% rest control\n}") ==
             "{(split (50% a {(stop)}) (40% b {}) (10% rest control))}");
  const auto p = parse_text("scenario s {\n  split {\n    12.5% a { }\n    87.5% b control\n  }\n}");
  BOOST_TEST(p.errors().empty(), p.error_lines());
  const auto& sp = std::get<ast::Split>(scenario(p).body.stmts.at(0).node);
  BOOST_TEST(sp.branches.at(0).share.basis_points == 1250);
  BOOST_TEST(p.text(sp.branches.at(0).share_span) == "12.5%");
  BOOST_TEST(p.text(sp.branches.at(0).span) == "12.5% a { }");
  BOOST_TEST(sp.branches.at(1).is_control);
  BOOST_TEST(!sp.branches.at(1).body.has_value());
  BOOST_TEST(p.text(sp.body_span) == "{\n    12.5% a { }\n    87.5% b control\n  }");
}

BOOST_AUTO_TEST_CASE(let_and_stop) {
  BOOST_TEST(body("let delay = max(4h, customer.d ?? 8h)\nwait delay\nstop") ==
             "{(let delay (call max dur:4h=14400 (?? customer.d dur:8h=28800))) (wait delay) (stop)}");
  const auto p = parse_text("scenario s {\n  let x = 1\n  stop\n}");
  const auto& let = std::get<ast::Let>(scenario(p).body.stmts.at(0).node);
  BOOST_TEST(p.text(let.name.span) == "x");
  BOOST_TEST(p.text(scenario(p).body.stmts.at(1).span) == "stop");
}

BOOST_AUTO_TEST_CASE(statements_on_one_line_and_nested_blocks) {
  BOOST_TEST(body("send push template \"txn\"\nif not delivered within 1m { send sms \"Операция\" }") ==
             "{(send push (template \"txn\")) (if-not delivered dur:1m=60 {(send sms \"Операция\")})}");
  BOOST_TEST(body("if a { if b { if c { split { 100% x { stop } } } } }") ==
             "{(if a {(if b {(if c {(split (100% x {(stop)}))})})})}");
  BOOST_TEST(body("wait 1h send sms \"x\" stop") == "{(wait dur:1h=3600) (send sms \"x\") (stop)}");
}

BOOST_AUTO_TEST_SUITE_END()
