// Parser tests: one case per construct of LANGUAGE.md §4 and §8, asserting on the AST's
// shape (dump.hpp), values and spans; plus every scenario of LANGUAGE.md §3 verbatim.
#define BOOST_TEST_MODULE grammar
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "support.hpp"

using namespace cascade;
using cascade::test::body;
using cascade::test::dump_ok;
using cascade::test::parse_text;

namespace {

const ast::Scenario& scenario(const test::Parsed& p, std::size_t i = 0) {
  return std::get<ast::Scenario>(p.file().decls.at(i).node);
}

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  BOOST_TEST_REQUIRE(static_cast<bool>(in), "cannot open " << path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(language_examples)

// LANGUAGE.md §3, copied verbatim into tests/grammar/data/.
BOOST_AUTO_TEST_CASE(section3_scenarios_parse) {
  const auto p = parse_text(read("tests/grammar/data/language_section3.cascade"));
  BOOST_TEST(p.errors().empty(), p.error_lines());
  BOOST_TEST_REQUIRE(p.file().decls.size() == 6u);
  BOOST_TEST(test::dump(p.file().decls[0]) == "(segment buyers (> customer.ltv 0))");
  std::vector<std::string> names;
  for (std::size_t i = 1; i < 6; ++i) names.push_back(scenario(p, i).name.name);
  BOOST_TEST((names == std::vector<std::string>{"abandoned_cart", "points_expiring", "appointment", "card_txn",
                                                "reactivation"}));
  BOOST_TEST(*scenario(p, 1).title == "Брошенная корзина");

  BOOST_TEST(test::dump(p.file().decls[1]) ==
             "(scenario abandoned_cart \"Брошенная корзина\" (trigger cart_abandoned) "
             "(audience (and buyers (paren (or customer.consent.email customer.consent.sms)))) "
             "(goal order_placed where (== event.cart_id trigger.cart_id) within dur:7d=604800) "
             "(quiet 1320..540) (limit 1 per 15m) (reentry after 7d) "
             "{(wait dur:1h=3600) (send email (template \"cart_1\" (with (url trigger.cart_url)))) "
             "(if-not opened dur:24h=86400 {(send push (template \"cart_2\")) "
             "(if-not opened dur:4h=14400 {(send sms (str \"Товар ждёт в корзине: \" {trigger.cart_url}))})})})");
  BOOST_TEST(test::dump(p.file().decls[2]) ==
             "(scenario points_expiring \"Сгорание баллов\" (trigger points_expiring) (urgent) "
             "{(cascade delivered (push (template \"points\") dur:1h=3600) (email (template \"points\") dur:12h=43200) "
             "(viber (str \"Баллы сгорают \" {trigger.date}) dur:2h=7200) (sms (str \"Баллы сгорают \" {trigger.date})))})");
  BOOST_TEST(test::dump(p.file().decls[3]) ==
             "(scenario appointment \"Напоминание о приёме\" (trigger appointment_booked) "
             "{(wait-until (- trigger.at dur:1d=86400)) (send email (template \"visit_tomorrow\")) "
             "(wait-until (- trigger.at dur:2h=7200)) (send push (template \"visit_soon\")) "
             "(wait-until (- trigger.at dur:30m=1800)) "
             "(send sms (str \"Ждём вас в \" {(call format_time trigger.at \"HH:mm\")} \", \" {trigger.address}))})");
  BOOST_TEST(test::dump(p.file().decls[4]) ==
             "(scenario card_txn \"Операция по карте\" (trigger card_transaction) (urgent) "
             "{(send push (template \"txn\")) (if-not delivered dur:1m=60 {(send sms (str \"Операция \" "
             "{trigger.amount} \" ₽\"))})})");
  BOOST_TEST(test::dump(p.file().decls[5]) ==
             "(scenario reactivation \"Возврат\" (every 1d at 600) "
             "(audience (>= (call days_since (?? customer.last_purchase_at trigger.at)) 60)) (control 10%) "
             "(goal order_placed within dur:21d=1814400) "
             "{(split (50% discount_10 {(send email (template \"come_back_10\"))}) "
             "(50% discount_15 {(send email (template \"come_back_15\"))})) (wait dur:7d=604800) "
             "(send push (template \"come_back_push\")) (wait dur:7d=604800) "
             "(send sms (str \"Скидка \" {(if (> customer.ltv 50000) \"25\" \"15\")} \"% до конца недели\"))})");
  // Comments, exactly as written.
  BOOST_TEST_REQUIRE(p.file().comments.size() == 4u);
  BOOST_TEST(p.file().comments[0].text == "// Abandoned cart: email → push → SMS; stops on the order.");
  BOOST_TEST(p.file().comments[1].text == "// ignores default quiet hours");
}

BOOST_AUTO_TEST_CASE(examples_folder_parses) {
  // Every example scenario of the project parses without a syntax error.
  for (const char* name : {"abandoned_cart", "appointment", "autopay", "card_transaction", "feedback",
                           "points_expiring", "reactivation", "webinar"}) {
    const std::string path = std::string("examples/") + name + ".cascade";
    std::ifstream in(path);
    if (!in) continue;  // examples are written by another module; tolerate a missing one
    std::stringstream ss;
    ss << in.rdbuf();
    const auto p = parse_text(ss.str(), path);
    BOOST_TEST(p.errors().empty(), path << ":\n" << p.error_lines());
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(declarations)

BOOST_AUTO_TEST_CASE(import_segment_scenario) {
  const auto p = parse_text("import \"common.cascade\"\nsegment vip = customer.ltv >= 100000\n"
                            "scenario s \"Заголовок\" { stop }\nscenario t { }\n");
  BOOST_TEST(p.errors().empty(), p.error_lines());
  BOOST_TEST_REQUIRE(p.file().decls.size() == 4u);
  const auto& imp = std::get<ast::Import>(p.file().decls[0].node);
  BOOST_TEST(imp.path == "common.cascade");
  BOOST_TEST(p.text(imp.path_span) == "\"common.cascade\"");
  BOOST_TEST(p.text(p.file().decls[0].span) == "import \"common.cascade\"");
  const auto& seg = std::get<ast::Segment>(p.file().decls[1].node);
  BOOST_TEST(seg.name.name == "vip");
  BOOST_TEST(p.text(seg.name.span) == "vip");
  BOOST_TEST(test::dump(seg.expr) == "(>= customer.ltv 100000)");
  BOOST_TEST(p.text(seg.expr->span) == "customer.ltv >= 100000");
  const auto& s = scenario(p, 2);
  BOOST_TEST(*s.title == "Заголовок");
  BOOST_TEST(p.text(s.title_span) == "\"Заголовок\"");
  BOOST_TEST(p.text(s.body.span) == "{ stop }");
  BOOST_TEST(p.text(p.file().decls[2].span) == "scenario s \"Заголовок\" { stop }");
  BOOST_TEST(!scenario(p, 3).title.has_value());
  BOOST_TEST(scenario(p, 3).body.stmts.empty());
}

BOOST_AUTO_TEST_CASE(empty_file_and_only_comments) {
  BOOST_TEST(dump_ok("") == "");
  const auto p = parse_text("// one\n/* two\n   lines */\n// три\n");
  BOOST_TEST(p.errors().empty());
  BOOST_TEST(p.file().decls.empty());
  BOOST_TEST_REQUIRE(p.file().comments.size() == 3u);
  BOOST_TEST(p.file().comments[1].text == "/* two\n   lines */");
  BOOST_TEST(p.file().comments[1].block);
  BOOST_TEST(!p.file().comments[0].block);
  BOOST_TEST(p.text(p.file().comments[2].span) == "// три");
}

BOOST_AUTO_TEST_CASE(comments_everywhere) {
  const auto p = parse_text(
      "scenario /* a */ s /* b */ { // c\n"
      "  trigger e // d\n"
      "  send sms \"http://x.ru/*not a comment*/ // nor this\" // e\n"
      "  send sms \"{f(\"//\")}\" /* f */\n"
      "}\n");
  BOOST_TEST(p.errors().empty(), p.error_lines());
  std::vector<std::string> texts;
  for (const auto& c : p.file().comments) texts.push_back(c.text);
  BOOST_TEST((texts == std::vector<std::string>{"/* a */", "/* b */", "// c", "// d", "// e", "/* f */"}));
  BOOST_TEST(body("send sms \"http://x.ru/*not a comment*/ // nor this\"") ==
             "{(send sms \"http://x.ru/*not a comment*/ // nor this\")}");
}

BOOST_AUTO_TEST_CASE(crlf_and_bom) {
  const auto p = parse_text("\xEF\xBB\xBFscenario s {\r\n  trigger e // c\r\n  stop\r\n}\r\n");
  BOOST_TEST(p.errors().empty(), p.error_lines());
  BOOST_TEST(test::dump(p.file()) == "(scenario s (trigger e) {(stop)})\n");
  BOOST_TEST(p.file().comments.at(0).text == "// c");
}

BOOST_AUTO_TEST_SUITE_END()
