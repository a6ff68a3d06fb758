// Robustness: no crash, no hang, no stack overflow, and a bounded number of errors on
// hostile input — random bytes, every truncation of a real file, deep nesting, huge
// files, long operator chains.
#include <pthread.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "support.hpp"

using namespace cascade;
using cascade::test::parse_text;
using Kind = grammar::SyntaxErrorKind;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  BOOST_TEST_REQUIRE(static_cast<bool>(in), "cannot open " << path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::size_t count_lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')) + 1; }

// Spans inside the text, errors in order, no more errors than lines (recovery never
// reports two errors for one line, except for value errors inside a line).
void check_sane(const test::Parsed& p, const std::string& text, const std::string& what) {
  std::uint32_t last = 0;
  for (const auto& e : p.errors()) {
    BOOST_TEST(e.span.begin <= e.span.end, what);
    BOOST_TEST(e.span.end <= text.size(), what);
    BOOST_TEST(e.span.begin >= last, what);
    // Every expectation is named for humans (state.cpp substitutes "valid syntax" for
    // an unnamed one).
    BOOST_TEST(e.expected.find("valid syntax") == std::string::npos, what << ": " << p.error_lines());
    last = e.span.begin;
  }
  BOOST_TEST(p.errors().size() <= 2 * count_lines(text) + 2, what << "\n" << p.error_lines());
}

bool has_kind(const test::Parsed& p, Kind k) {
  return std::any_of(p.errors().begin(), p.errors().end(), [&](const auto& e) { return e.kind == k; });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(robustness)

BOOST_AUTO_TEST_CASE(random_bytes) {
  std::mt19937 rng(20240601);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 300);
  for (int i = 0; i < 3000; ++i) {
    std::string text(static_cast<std::size_t>(length(rng)), '\0');
    for (auto& c : text) c = static_cast<char>(byte(rng));
    const auto p = parse_text(text);
    check_sane(p, text, "random input #" + std::to_string(i));
  }
}

BOOST_AUTO_TEST_CASE(random_tokens) {
  // Random sequences of the language's own tokens reach much deeper into the grammar
  // than random bytes do.
  static const std::vector<std::string> tokens = {
      "scenario", "segment", "import", "trigger", "every", "at", "manual", "audience", "goal", "where", "within",
      "stop", "on", "quiet", "hours", "for", "limit", "per", "reentry", "never", "parallel", "after", "control",
      "urgent", "send", "as", "wait", "until", "if", "not", "else", "then", "cascade", "delivered", "opened",
      "clicked", "split", "let", "template", "with", "and", "or", "in", "true", "false", "x", "customer", "event",
      "f", "{", "}", "(", ")", "[", "]", ",", ".", ":", "=", "==", "<", ">=", "??", "+", "-", "*", "/", "..",
      "1", "2.5", "1h30m", "22:00", "10%", "\"text\"", "\"a {b} c\"", "\"{", "}\"", "\\\"", "\n", "\n", " ",
      "//c\n", "/*c*/", "s", "sms"};
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::size_t> pick(0, tokens.size() - 1);
  std::uniform_int_distribution<int> length(0, 80);
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    const int n = length(rng);
    for (int k = 0; k < n; ++k) text += tokens[pick(rng)] + " ";
    const auto p = parse_text(text);
    check_sane(p, text, "random tokens #" + std::to_string(i) + ": " + text);
  }
}

BOOST_AUTO_TEST_CASE(every_truncation_of_a_real_file) {
  const std::string full = read("tests/grammar/data/language_section3.cascade");
  std::size_t max_errors = 0;
  for (std::size_t n = 0; n <= full.size(); ++n) {
    const std::string text = full.substr(0, n);
    const auto p = parse_text(text);
    check_sane(p, text, "truncated at " + std::to_string(n));
    max_errors = std::max(max_errors, p.errors().size());
  }
  // A file cut anywhere is one or two mistakes (e.g. an unterminated string and the
  // missing braces after it), never a cascade.
  BOOST_TEST(max_errors <= 3u);
}

BOOST_AUTO_TEST_CASE(every_line_deleted) {
  // Deleting any one line of a valid file gives at most a couple of errors.
  const std::string full = read("tests/grammar/data/language_section3.cascade");
  std::vector<std::string> lines;
  std::stringstream ss(full);
  for (std::string line; std::getline(ss, line);) lines.push_back(line);
  for (std::size_t skip = 0; skip < lines.size(); ++skip) {
    std::string text;
    for (std::size_t i = 0; i < lines.size(); ++i)
      if (i != skip) text += lines[i] + "\n";
    const auto p = parse_text(text);
    check_sane(p, text, "without line " + std::to_string(skip + 1));
    BOOST_TEST(p.errors().size() <= 2u, "without line " << skip + 1 << ": " << lines[skip] << "\n" << p.error_lines());
  }
}

BOOST_AUTO_TEST_CASE(ten_megabytes_parse_fast) {
  const std::string unit = read("tests/grammar/data/language_section3.cascade");
  std::string text;
  text.reserve(10'500'000);
  int copies = 0;
  while (text.size() < 10'000'000) {
    // Rename the declarations so the file is a plausible project of many scenarios.
    std::string copy = unit;
    const std::string suffix = "_" + std::to_string(copies++);
    for (const std::string decl : {"segment buyers", "scenario abandoned_cart", "scenario points_expiring",
                                   "scenario appointment", "scenario card_txn", "scenario reactivation"}) {
      const auto pos = copy.find(decl + " ");
      if (pos != std::string::npos) copy.insert(pos + decl.size(), suffix);
    }
    text += copy;
    text += "\n";
  }
  const auto start = std::chrono::steady_clock::now();
  const auto p = parse_text(text);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  BOOST_TEST(p.errors().empty(), p.error_lines().substr(0, 500));
  BOOST_TEST(p.file().decls.size() == static_cast<std::size_t>(copies) * 6);
  BOOST_TEST_MESSAGE("10 MB (" << count_lines(text) << " lines) parsed in " << seconds << " s");
  // Only a guard against going quadratic (minutes, not seconds): the speed itself is measured by
  // bench/check, not here, where a loaded CI machine running the suite in parallel under the
  // sanitizers has taken 53 s.
  BOOST_TEST(seconds < (kSanitized ? 300.0 : 60.0));
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_rejected_cleanly) {
  const int n = 10000;
  const std::string open_parens(n, '(');
  const std::string close_parens(n, ')');
  std::string brackets, brackets_close, interp, interp_close, blocks, blocks_close, conds, conds_else;
  for (int i = 0; i < n; ++i) {
    brackets += "[";
    brackets_close += "]";
    interp += "\"{";
    interp_close += "}\"";
    blocks += "if a {\n";
    blocks_close += "}\n";
    conds += "if a then ";
    conds_else += " else 1";
  }
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"parentheses", "scenario s { let x = " + open_parens + "1" + close_parens + " }"},
      {"lists", "scenario s { let x = " + brackets + "1" + brackets_close + " }"},
      {"interpolations", "scenario s { let x = " + interp + "x" + interp_close + " }"},
      {"if blocks", "scenario s {\n" + blocks + "stop\n" + blocks_close + "}\n"},
      {"conditionals", "scenario s { let x = " + conds + "1" + conds_else + " }"},
      {"calls", [&] {
         std::string s = "scenario s { let x = ";
         for (int i = 0; i < n; ++i) s += "f(";
         return s + "1" + close_parens + " }";
       }()},
      {"unclosed parentheses", "scenario s { let x = " + open_parens},
      {"unclosed blocks", "scenario s {\n" + blocks},
  };
  for (const auto& [name, text] : cases) {
    const auto p = parse_text(text);
    BOOST_TEST(has_kind(p, Kind::NestingTooDeep), name << ":\n" << p.error_lines().substr(0, 300));
    BOOST_TEST(p.errors().size() <= 3u, name << ":\n" << p.error_lines().substr(0, 300));
  }
  // Just under the limit parses.
  const std::string ok = "scenario s { let x = " + std::string(200, '(') + "1" + std::string(200, ')') + " }";
  BOOST_TEST(parse_text(ok).errors().empty());
}

BOOST_AUTO_TEST_CASE(long_chains_without_nesting) {
  std::string plus = "1", coalesce = "a", nots, negs, elifs = "if a { }";
  for (int i = 0; i < 100000; ++i) plus += " + 1";
  for (int i = 0; i < 20000; ++i) coalesce += " ?? a";
  for (int i = 0; i < 20000; ++i) nots += "not ";
  for (int i = 0; i < 20000; ++i) negs += "-";
  for (int i = 0; i < 10000; ++i) elifs += " else if a { }";
  const auto p = parse_text("scenario s {\n  let a = " + plus + "\n  let b = " + coalesce + "\n  let c = " + nots +
                            "x\n  let d = " + negs + "x\n  " + elifs + "\n  send sms \"still here\"\n}\n");
  BOOST_TEST(p.errors().size() == 5u, p.error_lines());
  for (const auto& e : p.errors()) BOOST_TEST((e.kind == Kind::NestingTooDeep));
  BOOST_TEST(test::dump(p.file()) == "(scenario s {(send sms \"still here\")})\n");
  // A long but shallow chain is fine.
  std::string ok = "a";
  for (int i = 0; i < 500; ++i) ok += " + a";
  BOOST_TEST(parse_text("segment s = " + ok).errors().empty());
}

BOOST_AUTO_TEST_CASE(recovery_stays_linear) {
  // A staircase of `if`s without braces: each one fails, and the recovery's look-ahead
  // for the missing block's `}` could rescan the rest of the file every time.
  std::string text = "scenario s {\n";
  for (int i = 0; i < 2000; ++i) text += std::string(static_cast<std::size_t>(i) + 2, ' ') + "if a\n";
  text += "}\n";
  const auto start = std::chrono::steady_clock::now();
  const auto p = parse_text(text);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  BOOST_TEST(p.errors().size() == 2000u);
  BOOST_TEST(seconds < (kSanitized ? 20.0 : 2.0));
  // Many failing statements on many lines.
  std::string bad = "scenario s {\n";
  for (int i = 0; i < 20000; ++i) bad += "  send sms 1 + (\n";
  bad += "}\n";
  const auto q = parse_text(bad);
  BOOST_TEST(q.errors().size() == 20000u);
}

BOOST_AUTO_TEST_CASE(pathological_strings) {
  for (const std::string& text : {std::string("\""), std::string("scenario \""), std::string("\"{"),
                                 std::string("\"{\"{\"{"), std::string("\\\""), std::string("scenario a { send sms \"{\\\"")}) {
    const auto p = parse_text(text);
    check_sane(p, text, text);
    BOOST_TEST(!p.errors().empty(), text);
  }
  // A long line with many strings and interpolations parses.
  std::string line = "scenario a { send sms \"";
  for (int i = 0; i < 20000; ++i) line += "x{a}\\n";
  line += "\" }";
  BOOST_TEST(parse_text(line).errors().empty());
}

BOOST_AUTO_TEST_CASE(deep_nesting_on_a_small_caller_stack) {
  // parse() moves deeply nested input to a thread with a large stack, so a caller with
  // little stack (a worker thread, say) can still parse 250 levels of nesting.
  struct Job {
    std::string text;
    std::size_t errors = 99;
    std::size_t decls = 0;
  } job;
  job.text = "scenario s {\n";
  for (int i = 0; i < 120; ++i) job.text += "if a {\n";
  job.text += "let x = " + std::string(120, '(') + "f(1)" + std::string(120, ')') + "\n";
  for (int i = 0; i < 120; ++i) job.text += "}\n";
  job.text += "}\n";
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  pthread_t thread;
  const int rc = pthread_create(
      &thread, &attr,
      [](void* arg) -> void* {
        auto* j = static_cast<Job*>(arg);
        const auto p = parse_text(j->text);
        j->errors = p.errors().size();
        j->decls = p.file().decls.size();
        return nullptr;
      },
      &job);
  pthread_attr_destroy(&attr);
  BOOST_TEST_REQUIRE(rc == 0);
  pthread_join(thread, nullptr);
  BOOST_TEST(job.errors == 0u);
  BOOST_TEST(job.decls == 1u);
}

BOOST_AUTO_TEST_CASE(parse_is_reentrant) {
  const std::string text = read("tests/grammar/data/language_section3.cascade");
  const std::string expected = test::dump(parse_text(text).file());
  std::vector<std::string> dumps(4);
  std::vector<std::thread> threads;
  for (auto& d : dumps) {
    threads.emplace_back([&text, &d] {
      for (int i = 0; i < 50; ++i) d = test::dump(parse_text(text).file());
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& d : dumps) BOOST_TEST(d == expected);
}

BOOST_AUTO_TEST_SUITE_END()
