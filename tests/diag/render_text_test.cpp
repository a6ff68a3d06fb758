// The text renderer on hand-made diagnostics: exact output, byte for byte.
#include <boost/test/unit_test.hpp>

#include "cascade/compiler/render.hpp"
#include "helpers.hpp"

using namespace cascade;
using cascade::test::span_of;

BOOST_AUTO_TEST_SUITE(text)

BOOST_AUTO_TEST_CASE(error_with_carets_hint_and_summary) {
  source::SourceMap sources;
  const auto id = sources.add("t.cascade", "scenario a {\n  wait \"1h\"\n}\n");
  diag::Diagnostics diags;
  diags.add(diag::make(diag::Code::NotDuration, span_of(sources, id, "\"1h\""), "`wait`", "string"));
  BOOST_TEST(diag::render_text(diags, sources) ==
             "t.cascade:2:8: error[E0303]: `wait` needs a duration, but this is `string`\n"
             "  2 |   wait \"1h\"\n"
             "    |        ^~~~\n"
             "hint: write a duration like 24h or 1h30m\n"
             "\n"
             "1 error generated.\n");
}

BOOST_AUTO_TEST_CASE(clean_run_renders_nothing) {
  source::SourceMap sources;
  diag::Diagnostics diags;
  BOOST_TEST(diag::render_text(diags, sources).empty());
  BOOST_TEST(diag::summary_line(diags).empty());
}

BOOST_AUTO_TEST_CASE(summary_counts) {
  source::SourceMap sources;
  const auto id = sources.add("t.cascade", "wait 0s\nwait 0s\n");
  diag::Diagnostics diags;
  diags.add(diag::make(diag::Code::ZeroWait, {id, 0, 7}));
  BOOST_TEST(diag::summary_line(diags) == "1 warning generated.");
  diags.add(diag::make(diag::Code::ZeroWait, {id, 8, 15}));
  BOOST_TEST(diag::summary_line(diags) == "2 warnings generated.");
  diags.add(diag::make(diag::Code::NoTrigger, {id, 0, 4}, "a"));
  BOOST_TEST(diag::summary_line(diags) == "1 error, 2 warnings generated.");
  diags.add(diag::make(diag::Code::NoTrigger, {id, 0, 4}, "b"));
  BOOST_TEST(diag::summary_line(diags) == "2 errors, 2 warnings generated.");
  diags.promote_warnings();
  BOOST_TEST(diag::summary_line(diags) == "4 errors generated.");
}

BOOST_AUTO_TEST_CASE(carets_under_cyrillic) {
  source::SourceMap sources;
  const auto id = sources.add("ru.cascade", "send sms \"Привет, {имя}\"\n");
  diag::Diagnostics diags;
  diags.add(diag::make(diag::Code::UnknownName, span_of(sources, id, "имя"), "имя", ""));
  BOOST_TEST(diag::render_text(diags, sources) ==
             "ru.cascade:1:20: error[E0203]: unknown name `имя`\n"
             "  1 | send sms \"Привет, {имя}\"\n"
             "    |                    ^~~\n"
             "\n"
             "1 error generated.\n");
}

BOOST_AUTO_TEST_CASE(tabs_are_kept_in_the_caret_line) {
  source::SourceMap sources;
  const auto id = sources.add("tab.cascade", "scenario a {\n\t\twait x\n}\n");
  diag::Diagnostics diags;
  diags.add(diag::make(diag::Code::UnknownName, span_of(sources, id, "x"), "x", ""));
  BOOST_TEST(diag::render_text(diags, sources) ==
             "tab.cascade:2:8: error[E0203]: unknown name `x`\n"
             "  2 | \t\twait x\n"
             "    | \t\t     ^\n"
             "\n"
             "1 error generated.\n");
}

BOOST_AUTO_TEST_CASE(wide_characters_take_two_cells) {
  source::SourceMap sources;
  const auto id = sources.add("emoji.cascade", "x = \"🔥\" + y\n");
  diag::Diagnostics diags;
  diags.add(diag::make(diag::Code::UnknownName, span_of(sources, id, "y"), "y", ""));
  const std::string out = diag::render_text(diags, sources);
  // Column 11 in code points; the emoji is drawn two cells wide, so 11 blanks precede ^.
  BOOST_TEST(out.find("emoji.cascade:1:11:") == 0u);
  BOOST_TEST(out.find("    | " + std::string(11, ' ') + "^\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(empty_file) {
  source::SourceMap sources;
  const auto id = sources.add("empty.cascade", "");
  diag::Diagnostics diags;
  diags.add(diag::make(diag::Code::SyntaxExpected, {id, 0, 0}, "a scenario or a segment", "end of file"));
  BOOST_TEST(diag::render_text(diags, sources) ==
             "empty.cascade:1:1: error[E0001]: expected a scenario or a segment, found end of file\n"
             "  1 |\n"
             "    | ^\n"
             "\n"
             "1 error generated.\n");
}

BOOST_AUTO_TEST_CASE(span_at_end_of_file_without_newline) {
  source::SourceMap sources;
  const std::string text = "scenario a {\n  wait 1h";
  const auto id = sources.add("eof.cascade", text);
  diag::Diagnostics diags;
  const auto end = static_cast<std::uint32_t>(text.size());
  diags.add(diag::make(diag::Code::SyntaxExpected, {id, end, end}, "`}`", "end of file"));
  BOOST_TEST(diag::render_text(diags, sources) ==
             "eof.cascade:2:10: error[E0001]: expected `}`, found end of file\n"
             "  2 |   wait 1h\n"
             "    |          ^\n"
             "\n"
             "1 error generated.\n");
}

BOOST_AUTO_TEST_CASE(span_at_end_of_file_after_newline) {
  source::SourceMap sources;
  const std::string text = "scenario a {\n";
  const auto id = sources.add("eof.cascade", text);
  diag::Diagnostics diags;
  const auto end = static_cast<std::uint32_t>(text.size());
  diags.add(diag::make(diag::Code::SyntaxExpected, {id, end, end}, "`}`", "end of file"));
  BOOST_TEST(diag::render_text(diags, sources) ==
             "eof.cascade:2:1: error[E0001]: expected `}`, found end of file\n"
             "  2 |\n"
             "    | ^\n"
             "\n"
             "1 error generated.\n");
}

BOOST_AUTO_TEST_CASE(crlf_line) {
  source::SourceMap sources;
  const auto id = sources.add("crlf.cascade", "scenario a {\r\n  wait x\r\n}\r\n");
  diag::Diagnostics diags;
  diags.add(diag::make(diag::Code::UnknownName, span_of(sources, id, "x"), "x", ""));
  // A span that also covers the \r: still one line, no \r in the output.
  const auto x = span_of(sources, id, "x");
  diags.add(diag::make(diag::Code::UnknownName, {id, x.begin, x.end + 1}, "x", ""));
  BOOST_TEST(diag::render_text(diags, sources) ==
             "crlf.cascade:2:8: error[E0203]: unknown name `x`\n"
             "  2 |   wait x\n"
             "    |        ^\n"
             "\n"
             "crlf.cascade:2:8: error[E0203]: unknown name `x`\n"
             "  2 |   wait x\n"
             "    |        ^\n"
             "\n"
             "2 errors generated.\n");
}

BOOST_AUTO_TEST_CASE(multi_line_span_underlines_first_line) {
  source::SourceMap sources;
  const auto id = sources.add("m.cascade", "scenario a {\n  wait 1h\n}\n");
  diag::Diagnostics diags;
  diags.add(diag::make(diag::Code::NoTrigger, span_of(sources, id, "scenario a {\n  wait 1h\n}"), "a"));
  BOOST_TEST(diag::render_text(diags, sources) ==
             "m.cascade:1:1: error[E0400]: scenario `a` has no trigger\n"
             "  1 | scenario a {\n"
             "    | ^~~~~~~~~~~~…\n"
             "hint: add `trigger EVENT`, `trigger every 1d at 10:00` or `trigger manual`\n"
             "\n"
             "1 error generated.\n");
}

BOOST_AUTO_TEST_CASE(a_whole_line_with_its_newline_is_one_line) {
  source::SourceMap sources;
  const auto id = sources.add("l.cascade", "wait 0s\nstop\n");
  diag::Diagnostics diags;
  diags.add(diag::make(diag::Code::ZeroWait, {id, 0, 8}));
  BOOST_TEST(diag::render_text(diags, sources).find("    | ^~~~~~~\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(notes_with_their_own_place_share_the_gutter) {
  source::SourceMap sources;
  std::string text = "segment vip = customer.ltv > 500\n";
  for (int i = 0; i < 9; ++i) text += "\n";
  text += "segment vip = customer.ltv > 1000\n";
  const auto id = sources.add("n.cascade", text);
  const auto other = sources.add("lib.cascade", "segment vip = true\n");
  diag::Diagnostics diags;
  auto d = diag::make(
      diag::Code::DuplicateName,
      {id, static_cast<std::uint32_t>(text.rfind("vip")), static_cast<std::uint32_t>(text.rfind("vip") + 3)},
      "vip");
  d.notes.push_back({{id, 8, 11}, "first defined here"});
  d.notes.push_back({span_of(sources, other, "vip"), "and here"});
  diags.add(std::move(d));
  BOOST_TEST(diag::render_text(diags, sources) ==
             "n.cascade:11:9: error[E0206]: `vip` is already defined\n"
             "  11 | segment vip = customer.ltv > 1000\n"
             "     |         ^~~\n"
             "n.cascade:1:9: note: first defined here\n"
             "   1 | segment vip = customer.ltv > 500\n"
             "     |         ^~~\n"
             "lib.cascade:1:9: note: and here\n"
             "   1 | segment vip = true\n"
             "     |         ^~~\n"
             "hint: rename one of them\n"
             "\n"
             "1 error generated.\n");
}

BOOST_AUTO_TEST_CASE(diagnostic_without_a_place) {
  source::SourceMap sources;
  diag::Diagnostics diags;
  diags.add(diag::make_unplaced(diag::Code::ProjectNotFound, "examples"));
  BOOST_TEST(diag::render_text(diags, sources) ==
             "cascade: error[E0100]: no cascade.yaml in examples or any folder above it\n"
             "hint: create a cascade.yaml next to your scenarios, or pass --project FILE\n"
             "\n"
             "1 error generated.\n");
}

BOOST_AUTO_TEST_CASE(blank_line_between_diagnostics_and_warning_label) {
  source::SourceMap sources;
  const auto id = sources.add("w.cascade", "wait 0s\n");
  diag::Diagnostics diags;
  diags.add(diag::make(diag::Code::ZeroWait, {id, 0, 7}));
  diags.add(diag::make(diag::Code::ZeroWait, {id, 5, 7}));
  BOOST_TEST(diag::render_text(diags, sources) ==
             "w.cascade:1:1: warning[W0007]: this wait is zero\n"
             "  1 | wait 0s\n"
             "    | ^~~~~~~\n"
             "hint: remove it, or give it a length\n"
             "\n"
             "w.cascade:1:6: warning[W0007]: this wait is zero\n"
             "  1 | wait 0s\n"
             "    |      ^~\n"
             "hint: remove it, or give it a length\n"
             "\n"
             "2 warnings generated.\n");
}

BOOST_AUTO_TEST_CASE(colour_only_when_asked) {
  source::SourceMap sources;
  const auto id = sources.add("c.cascade", "wait 0s\n");
  diag::Diagnostics diags;
  diags.add(diag::make(diag::Code::ZeroWait, {id, 0, 7}));
  diags.add(diag::make(diag::Code::NoTrigger, {id, 0, 4}, "a"));
  BOOST_TEST(diag::render_text(diags, sources).find('\x1b') == std::string::npos);
  const std::string coloured = diag::render_text(diags, sources, diag::TextOptions{true});
  BOOST_TEST(coloured.find("\x1b[1;33mwarning[W0007]:\x1b[0m") != std::string::npos);  // yellow
  BOOST_TEST(coloured.find("\x1b[1;31merror[E0400]:\x1b[0m") != std::string::npos);    // red
  BOOST_TEST(coloured.find("\x1b[1;36mhint:\x1b[0m") != std::string::npos);            // cyan
  BOOST_TEST(coloured.find("\x1b[1;32m^~~~~~~\x1b[0m") != std::string::npos);          // green
  BOOST_TEST(coloured.find("\x1b[1mc.cascade:1:1: \x1b[0m") != std::string::npos);     // bold
}

BOOST_AUTO_TEST_CASE(control_characters_and_invalid_utf8_are_not_passed_through) {
  source::SourceMap sources;
  const auto id = sources.add("bad.cascade", std::string("a \x1b[31m b\xff c x\n"));
  diag::Diagnostics diags;
  diags.add(diag::make(diag::Code::UnknownName, span_of(sources, id, "x"), "x\x1b", ""));
  const std::string out = diag::render_text(diags, sources);
  BOOST_TEST(out.find('\x1b') == std::string::npos);
  BOOST_TEST(out.find('\xff') == std::string::npos);
  BOOST_TEST(out.find("  1 | a \xEF\xBF\xBD[31m b\xEF\xBF\xBD c x\n") != std::string::npos);
  // ESC and 0xFF are one column each, as SourceFile counts them: caret under x.
  BOOST_TEST(out.find("bad.cascade:1:14:") == 0u);
  BOOST_TEST(out.find("    | " + std::string(13, ' ') + "^\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bidi_overrides_are_made_visible) {
  source::SourceMap sources;
  const auto id = sources.add("b.cascade", "x = \"\u202E\" + y\n");
  diag::Diagnostics diags;
  diags.add(diag::make(diag::Code::UnknownName, span_of(sources, id, "y"), "y", ""));
  const std::string out = diag::render_text(diags, sources);
  BOOST_TEST(out.find("\u202E") == std::string::npos);
  BOOST_TEST(out.find("x = \"\uFFFD\" + y") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_spans_do_not_crash) {
  source::SourceMap sources;
  const auto id = sources.add("s.cascade", "abc\n");
  diag::Diagnostics diags;
  diags.add(diag::make(diag::Code::UnknownName, {id, 3, 1}, "reversed", ""));   // begin > end
  diags.add(diag::make(diag::Code::UnknownName, {id, 99, 120}, "beyond", ""));  // past the end
  diags.add(diag::make(diag::Code::UnknownName, {42, 0, 1}, "no file", ""));    // unknown file id
  auto with_bad_note = diag::make(diag::Code::UnknownName, {id, 0, 1}, "note", "");
  with_bad_note.notes.push_back({{77, 0, 0}, "nowhere"});
  diags.add(std::move(with_bad_note));
  const std::string out = diag::render_text(diags, sources);
  BOOST_TEST(out.find("s.cascade:1:2: error[E0203]: unknown name `reversed`") != std::string::npos);
  BOOST_TEST(out.find("s.cascade:2:1: error[E0203]: unknown name `beyond`") != std::string::npos);
  BOOST_TEST(out.find("cascade: error[E0203]: unknown name `no file`") != std::string::npos);
  BOOST_TEST(out.find("cascade: note: nowhere") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
