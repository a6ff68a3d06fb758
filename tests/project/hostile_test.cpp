// Hostile cascade.yaml: every input ends in a result or a diagnostic, fast, without a
// crash, a hang or a stack overflow.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <random>

#include "cascade/stdlib/types.hpp"
#include "helpers.hpp"

using namespace project_test;

namespace {

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

// The billion laughs: each level refers nine times to the one before.
std::string bomb(const std::string& prefix, int levels) {
  std::string out = prefix + "a0: &a0 { x: int }\n";
  for (int i = 1; i <= levels; ++i) {
    out += "  a" + std::to_string(i) + ": &a" + std::to_string(i) + " {";
    for (int k = 0; k < 9; ++k) {
      out += (k ? ", " : " ") + std::string("f") + std::to_string(k) + ": *a" + std::to_string(i - 1);
    }
    out += " }\n";
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hostile)

BOOST_AUTO_TEST_CASE(billion_laughs_is_refused_quickly) {
  const auto start = std::chrono::steady_clock::now();
  // 9^12 nodes if walked naively.
  std::string text = bomb("profile:\n  ", 12);
  const Loaded l = load(text);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  BOOST_TEST(codes(l) == "E0104");
  BOOST_TEST(l.diags()[0].message.find("too large or complex") != std::string::npos);
  BOOST_TEST(!l.result.project.has_value());
  BOOST_TEST(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count() < 20);
}

BOOST_AUTO_TEST_CASE(bomb_under_an_unknown_key_is_never_walked) {
  const Loaded l = load(bomb("junk:\n  ", 12));
  BOOST_TEST(codes(l) == "E0102");
}

BOOST_AUTO_TEST_CASE(an_alias_inside_its_own_anchor_is_refused) {
  const Loaded l = load("profile: &p\n  me: *p\n");
  BOOST_TEST(codes(l) == "E0104");
  BOOST_TEST(l.diags()[0].message == "an alias in cascade.yaml refers to the value that contains it");
  BOOST_TEST(!l.result.project.has_value());
  const Loaded events = load("events:\n  e: &e { inner: *e }\n");
  BOOST_TEST(codes(events) == "E0104");
  const Loaded list = load("profile:\n  x: &x [1, *x]\n");
  BOOST_TEST(codes(list) == "E0104");
}

BOOST_AUTO_TEST_CASE(plain_aliases_are_fine) {
  const Loaded l = load("profile:\n  home: &addr { city: string, street: string? }\n  work: *addr\n");
  BOOST_TEST(all(l) == "");
  BOOST_TEST(cascade::types::to_string(*cascade::project::lookup_path(l.result.project->profile, "work")) ==
             "{ city: string, street: string? }");
}

BOOST_AUTO_TEST_CASE(deep_flow_nesting_is_refused_before_parsing) {
  for (const std::string& text : {repeat("[", 100000), "profile: " + repeat("{a: ", 20000), repeat("[", 65),
                                  "a: " + repeat("[", 5000) + repeat("]", 5000) + "\n"}) {
    const Loaded l = load(text);
    BOOST_TEST(codes(l) == "E0104");
    BOOST_TEST(l.diags()[0].message == "cascade.yaml nests deeper than 64 levels");
  }
  // 60 levels are allowed through (and then fail as schema, not as a crash).
  const Loaded ok = load("junk: " + repeat("[", 60) + repeat("]", 60) + "\n");
  BOOST_TEST(codes(ok) == "E0102");
}

BOOST_AUTO_TEST_CASE(deep_block_nesting_is_refused_before_parsing) {
  std::string indented;
  for (int i = 0; i < 1500; ++i) indented += std::string(static_cast<std::size_t>(i), ' ') + "k:\n";
  BOOST_TEST(codes(load(indented)) == "E0104");
  BOOST_TEST(codes(load(repeat("- ", 10000) + "x\n")) == "E0104");
  BOOST_TEST(codes(load(repeat("? ", 10000) + "x\n")) == "E0104");
  std::string seqs;
  for (int i = 0; i < 1000; ++i) seqs += std::string(static_cast<std::size_t>(2 * i), ' ') + "- a:\n";
  BOOST_TEST(codes(load(seqs)) == "E0104");
  BOOST_TEST(codes(load("--- " + repeat("[", 10000))) == "E0104");
}

BOOST_AUTO_TEST_CASE(brackets_inside_text_are_not_nesting) {
  const Loaded l = load("providers:\n  esp: { type: webhook, url: \"http://[::1]:9101/" + repeat("[", 100) +
                        "\" }\nprofile:\n  note: string # " + repeat("{", 100) +
                        "\n"
                        "events:\n  e: { a: string }\nchannels: {}\n"
                        "currency: 'x " +
                        repeat("[", 100) + "'\n");
  BOOST_TEST(all(l) == "");
  const Loaded block =
      load("currency: |\n  " + repeat("[", 100) + "\n  " + repeat("{", 100) + "\nprofile: {}\n");
  BOOST_TEST(all(block) == "");
}

BOOST_AUTO_TEST_CASE(ten_megabytes_is_refused) {
  const Loaded l = load("profile:\n" + repeat("  f: string\n", 1 << 20));
  BOOST_TEST(codes(l) == "E0901");
  BOOST_TEST(!l.result.project.has_value());
}

BOOST_AUTO_TEST_CASE(a_large_valid_file_loads) {
  std::string text = "events:\n";
  for (int i = 0; i < 2000; ++i)
    text += "  e" + std::to_string(i) + ": { id: string, total: decimal, at: time? }\n";
  const Loaded l = load(text);
  BOOST_TEST(all(l) == "");
  BOOST_TEST(l.result.project->events.size() == 2000u);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_refused_at_the_byte) {
  const Loaded l = load("profile:\n  name: \"\xD0\x98\xFF\"\n");
  BOOST_TEST(all(l) == "E0005 2:11 `\xFF`");
  BOOST_TEST(l.diags()[0].message == "the file is not valid UTF-8 (bad byte 0xFF)");
}

BOOST_AUTO_TEST_CASE(control_characters_are_refused) {
  const Loaded l = load("profile:\n  a: str\x01ing\n");
  BOOST_TEST(all(l) == "E0104 2:9 `\x01`");
  BOOST_TEST(l.diags()[0].message == "cascade.yaml contains a control character (0x01)");
  BOOST_TEST(codes(load(std::string("a: b\0c\n", 7))) == "E0104");
}

BOOST_AUTO_TEST_CASE(question_marks_in_flow_maps_and_text) {
  const Loaded l = load("profile: { a: string?, b: list<int>?, c: { d: time? } }\ncurrency: \"what? ?\"\n");
  BOOST_TEST(all(l) == "");
  BOOST_TEST(l.result.project->currency == "what? ?");
  BOOST_TEST(cascade::types::to_string(l.result.project->profile) ==
             "{ a: string?, b: list<int>?, c: { d: time? } }");
}

BOOST_AUTO_TEST_CASE(empty_and_non_map_files) {
  for (const char* empty : {"", "\n\n", "# only a comment\n", "---\n", "~\n"}) {
    BOOST_TEST_CONTEXT(empty) {
      const Loaded l = load(empty);
      BOOST_TEST(codes(l) == "E0104");
      BOOST_TEST(l.diags()[0].message == "cascade.yaml is empty");
      BOOST_TEST(!l.result.project.has_value());
    }
  }
  const Loaded scalar = load("hello\n");
  BOOST_TEST(all(scalar) == "E0104 1:1 `hello`");
  BOOST_TEST(scalar.diags()[0].message == "cascade.yaml must be a map of settings, but it is a single value");
  BOOST_TEST(codes(load("- a\n- b\n")) == "E0104");
}

BOOST_AUTO_TEST_CASE(several_documents) {
  const Loaded l = load("profile: {}\n---\nprofile: {}\n");
  BOOST_TEST(codes(l) == "E0104");
  BOOST_TEST(l.diags()[0].message == "cascade.yaml holds more than one YAML document");
}

BOOST_AUTO_TEST_CASE(bom_and_crlf_keep_locations_exact) {
  const Loaded bom = load("\xEF\xBB\xBFprofile:\n  age: integer\n");
  BOOST_TEST(all(bom) == "E0103 2:8 `integer`");
  const Loaded crlf = load("profile:\r\n  age: integer\r\n  x: int\r\n");
  BOOST_TEST(all(crlf) == "E0103 2:8 `integer`");
}

BOOST_AUTO_TEST_CASE(random_bytes_never_crash) {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::string s(rng() % 2000, '\0');
    for (auto& c : s) c = static_cast<char>(rng() & 0xFF);
    const Loaded l = load(s);
    BOOST_TEST((l.result.project.has_value() || l.result.diagnostics.has_errors()));
  }
}

BOOST_AUTO_TEST_CASE(random_yaml_token_soup_never_crashes) {
  // Fragments chosen to hit the scanner's corners: flow and block collections, quotes,
  // anchors and aliases, block scalars, comments, document markers.
  const char* pieces[] = {"[",      "]",    "{",   "}",         ", ",        ": ",      "- ",
                          "? ",     "\n",   "  ",  "\"",        "'",         "#",       "&a ",
                          "*a ",    "!t ",  "|\n", ">\n",       "---\n",     "profile", "channels",
                          "events", "kind", "sms", "x",         "ё",         "string?", "list<int>",
                          "\\",     "''",   "\t",  "providers", "type: file"};
  std::mt19937 rng(11);
  for (int round = 0; round < 2000; ++round) {
    std::string s;
    const std::size_t n = rng() % 300;
    for (std::size_t i = 0; i < n; ++i) s += pieces[rng() % std::size(pieces)];
    const Loaded l = load(s);
    BOOST_TEST((l.result.project.has_value() || l.result.diagnostics.has_errors()));
  }
}

BOOST_AUTO_TEST_CASE(every_diagnostic_lies_inside_the_file) {
  std::mt19937 rng(3);
  const std::string base =
      "profile:\n  email: string?\nchannels:\n  email: { kind: email, address: email }\n";
  for (int round = 0; round < 300; ++round) {
    std::string s = base;
    for (int k = 0; k < 3; ++k) s[rng() % s.size()] = " :{}[]-x\n"[rng() % 9];
    const Loaded l = load(s);
    for (const auto& d : l.diags()) {
      if (!d.has_span) continue;
      BOOST_TEST(d.span.begin <= d.span.end);
      BOOST_TEST(d.span.end <= l.sources->file(d.span.file).text().size());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
