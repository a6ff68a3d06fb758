// Tests of the formatter (`cascade fmt`): golden pairs, and the formatter's promises
// checked on every golden input, every example scenario and the brief's §3 scenarios:
//   * the output is canonical text: LF only, no trailing whitespace, one final newline;
//   * it parses, to the same tree (span-free dump) as the input;
//   * every comment survives, with the same text;
//   * formatting it again changes nothing.
//
// Golden pairs live in tests/golden/fmt/: NAME.cascade (messy input) and NAME.expected
// (its canonical layout). To rewrite the .expected files from the current formatter —
// deliberately, then review the diff — run:
//   CASCADE_UPDATE_GOLDEN=1 build/tests/format/format_tests --run_test=golden
#define BOOST_TEST_MODULE format
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "ast_dump.hpp"
#include "cascade/compiler/format.hpp"
#include "cascade/grammar/parser.hpp"

namespace fs = std::filesystem;
using namespace cascade;

namespace {

struct Parsed {
  source::SourceMap map;
  source::FileId id = 0;
  grammar::ParseResult result;
};

Parsed parse(const std::string& text, const std::string& path = "input.cascade") {
  Parsed p;
  p.id = p.map.add(path, text);
  p.result = grammar::parse(p.map, p.id);
  return p;
}

std::string errors_text(const Parsed& p) {
  std::string out;
  for (const auto& e : p.result.errors) {
    const auto lc = p.map.file(p.id).locate(e.span.begin);
    out += std::to_string(lc.line) + ":" + std::to_string(lc.column) + " expected " + e.expected + " found " +
           e.found + " (kind " + std::to_string(static_cast<int>(e.kind)) + ")\n";
  }
  return out;
}

// Formats text that must parse cleanly.
std::string fmt(const std::string& text) {
  Parsed p = parse(text);
  BOOST_REQUIRE_MESSAGE(p.result.errors.empty(), "input does not parse:\n" << errors_text(p) << text);
  return format::format_file(p.result.file, p.map.file(p.id));
}

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A comment's text as the formatter promises to keep it: each line without trailing
// whitespace.
std::string normalized(const std::string& comment) {
  std::string out;
  std::istringstream in(comment);
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
      line.pop_back();
    if (!first) out += '\n';
    out += line;
    first = false;
  }
  return out;
}

std::vector<std::string> comments_of(const ast::File& f) {
  std::vector<std::string> out;
  for (const auto& c : f.comments) out.push_back(normalized(c.text));
  return out;
}

void check_canonical_text(const std::string& name, const std::string& out) {
  BOOST_TEST_CONTEXT(name) {
    BOOST_TEST(out.find('\r') == std::string::npos);
    if (!out.empty()) {
      BOOST_TEST(out.back() == '\n');
      BOOST_TEST(out.find("\n\n\n") == std::string::npos);
      BOOST_TEST((out.size() < 2 || out[out.size() - 2] != '\n'), "more than one newline at the end");
      BOOST_TEST(out.front() != '\n');
    }
    std::size_t line = 1, start = 0;
    for (std::size_t i = 0; i <= out.size(); ++i) {
      if (i == out.size() || out[i] == '\n') {
        if (i > start) {
          const char last = out[i - 1];
          BOOST_TEST((last != ' ' && last != '\t'), "trailing whitespace on output line " << line);
        }
        start = i + 1;
        ++line;
      }
    }
  }
}

// The formatter's promises on one input that parses.
void check_properties(const std::string& name, const std::string& input) {
  BOOST_TEST_CONTEXT(name) {
    Parsed in = parse(input, name);
    BOOST_REQUIRE_MESSAGE(in.result.errors.empty(), name << " does not parse:\n" << errors_text(in));
    const std::string once = format::format_file(in.result.file, in.map.file(in.id));
    check_canonical_text(name, once);

    Parsed again = parse(once, name);
    BOOST_REQUIRE_MESSAGE(again.result.errors.empty(), "formatted " << name << " does not parse:\n"
                                                                    << errors_text(again) << once);
    BOOST_TEST(testing::dump(in.result.file) == testing::dump(again.result.file), "the tree changed");
    BOOST_TEST(comments_of(in.result.file) == comments_of(again.result.file),
               boost::test_tools::per_element());

    const std::string twice = format::format_file(again.result.file, again.map.file(again.id));
    BOOST_TEST(once == twice, "not idempotent:\n--- input\n"
                                  << input << "\n--- once\n"
                                  << once << "--- twice\n"
                                  << twice);
  }
}

std::vector<fs::path> files_below(const fs::path& root, const std::string& ext) {
  std::vector<fs::path> out;
  if (!fs::exists(root)) return out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file() && e.path().extension() == ext) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

const fs::path kSource = CASCADE_SOURCE_DIR;

}  // namespace

BOOST_AUTO_TEST_CASE(golden) {
  const bool update = std::getenv("CASCADE_UPDATE_GOLDEN") != nullptr;
  const auto inputs = files_below(kSource / "tests/golden/fmt", ".cascade");
  BOOST_TEST(inputs.size() >= 10u);
  for (const fs::path& input : inputs) {
    const std::string text = read(input);
    fs::path expected_path = input;
    expected_path.replace_extension(".expected");
    const std::string out = fmt(text);
    if (update) {
      std::ofstream(expected_path, std::ios::binary) << out;
      continue;
    }
    BOOST_TEST_CONTEXT(input.filename().string()) {
      BOOST_REQUIRE_MESSAGE(fs::exists(expected_path), "missing " << expected_path);
      const std::string expected = read(expected_path);
      BOOST_TEST(out == expected, "--- got\n" << out << "--- expected\n" << expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(properties_of_golden_inputs) {
  for (const fs::path& input : files_below(kSource / "tests/golden/fmt", ".cascade"))
    check_properties(input.filename().string(), read(input));
}

BOOST_AUTO_TEST_CASE(golden_outputs_are_fixed_points) {
  for (const fs::path& expected : files_below(kSource / "tests/golden/fmt", ".expected")) {
    const std::string text = read(expected);
    BOOST_TEST(fmt(text) == text, expected.filename().string() << " is not canonical");
  }
}

BOOST_AUTO_TEST_CASE(properties_of_examples) {
  // The example project is written in parallel: cover whatever exists.
  for (const fs::path& input : files_below(kSource / "examples", ".cascade"))
    check_properties(fs::relative(input, kSource).string(), read(input));
}

BOOST_AUTO_TEST_CASE(crlf_becomes_lf) {
  const std::string out = fmt("scenario s {\r\n  trigger t // note\r\n\r\n\r\n  send sms \"x\"\r\n}\r\n");
  BOOST_TEST(out == "scenario s {\n  trigger t  // note\n\n  send sms \"x\"\n}\n");
}

BOOST_AUTO_TEST_CASE(byte_order_mark_is_dropped) {
  BOOST_TEST(fmt("\xEF\xBB\xBF// note\nsegment s = true\n") == "// note\nsegment s = true\n");
}

BOOST_AUTO_TEST_CASE(empty_and_comment_only_files) {
  BOOST_TEST(fmt("") == "");
  BOOST_TEST(fmt("\n\n  \n") == "");
  BOOST_TEST(fmt("\n\n// only\n\n\n/* two */   \n\n") == "// only\n\n/* two */\n");
}

BOOST_AUTO_TEST_CASE(deep_expression_chain_does_not_recurse) {
  // A left spine 200,000 deep, built by hand: the printer must walk it without recursion.
  // (Destroying it is done iteratively here too, for the same reason.)
  constexpr int kDepth = 200000;
  auto leaf = [] {
    auto e = std::make_unique<ast::Expr>();
    e->node = ast::IntLit{1};
    return e;
  };
  ast::ExprPtr root = leaf();
  for (int i = 0; i < kDepth; ++i) {
    auto b = std::make_unique<ast::Expr>();
    b->node = ast::Binary{ast::BinaryOp::Add, std::move(root), leaf()};
    root = std::move(b);
  }
  ast::File file;
  ast::Decl decl;
  decl.node = ast::Segment{ast::Ident{"s", {}}, std::move(root)};
  file.decls.push_back(std::move(decl));
  const source::SourceFile src("deep.cascade", "");
  const std::string out = format::format_file(file, src);
  BOOST_TEST(out.size() == std::string("segment s = 1\n").size() + 4u * kDepth);
  BOOST_TEST(out.substr(0, 20) == "segment s = 1 + 1 + ");

  ast::ExprPtr spine = std::move(std::get<ast::Segment>(file.decls[0].node).expr);
  while (spine) {
    auto* b = std::get_if<ast::Binary>(&spine->node);
    ast::ExprPtr next = b ? std::move(b->lhs) : nullptr;
    spine = std::move(next);
  }
}

BOOST_AUTO_TEST_CASE(nesting_up_to_the_parser_limit) {
  // Just inside grammar::kMaxNesting: nested blocks, an `else if` chain, parentheses and
  // calls. The printer recurses on blocks (bounded by the same limit), not on expressions.
  constexpr int kDepth = grammar::kMaxNesting - 16;
  std::string blocks = "scenario deep {\n";
  for (int i = 0; i < kDepth; ++i) blocks += "if x {\n";
  blocks += "stop\n";
  for (int i = 0; i < kDepth; ++i) blocks += "}\n";
  blocks += "}\n";
  check_properties("nested blocks", blocks);

  std::string chain = "scenario chain {\n  if x {\n    stop\n  }";
  for (int i = 0; i < kDepth; ++i) chain += " else if x" + std::to_string(i) + " {\n    stop\n  }";
  chain += " else {\n    stop\n  }\n}\n";
  check_properties("else if chain", chain);
  BOOST_TEST(fmt(chain) == chain);

  const std::string parens =
      "segment s = " + std::string(kDepth, '(') + "1" + std::string(kDepth, ')') + "\n";
  BOOST_TEST(fmt(parens) == parens);
  std::string calls = "segment s = ";
  for (int i = 0; i < kDepth; ++i) calls += "f(";
  calls += "1" + std::string(kDepth, ')') + "\n";
  BOOST_TEST(fmt(calls) == calls);
}

// ---------------------------------------------------------------------------------------
// Random programs: every construct, tokens joined by random whitespace, blank lines and
// comments (in every gap between tokens, so also inside expressions and headers). The
// formatter's promises must hold for each.

namespace {

class Gen {
 public:
  explicit Gen(unsigned seed) : rng_(seed) {}

  std::string file() {
    const int decls = pick(1, 4);
    for (int i = 0; i < decls; ++i) {
      switch (pick(0, 5)) {
        case 0:
          line("import"), tok("\"f" + std::to_string(i) + ".cascade\"");
          break;
        case 1:
          line("segment"), tok(name()), tok("="), expr(3);
          break;
        default:
          scenario();
      }
    }
    std::string out;
    for (const Tok& t : toks_) {
      out += gap(t.line_start);
      out += t.text;
    }
    return out + gap(true);
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool chance(int percent) { return pick(1, 100) <= percent; }
  // Most tokens must stay on the line of the token before them (a clause keyword's
  // argument, a block's `{`); line breaks may come before the first token of a
  // declaration, setting, statement, step or branch, before `}` and `else`, and between
  // the tokens of an expression after its first.
  void tok(std::string t) { toks_.push_back(Tok{std::move(t), false}); }
  void line(std::string t) { toks_.push_back(Tok{std::move(t), true}); }
  // Marks the tokens of an expression after its first as free to start a line.
  template <class F>
  void free_form(F f) {
    const std::size_t first = toks_.size();
    f();
    for (std::size_t i = first + 1; i < toks_.size(); ++i) toks_[i].line_start = true;
  }
  std::string name() {
    static const char* names[] = {"a", "b", "vip", "buyers", "x1", "cart"};
    return names[pick(0, 5)];
  }
  std::string channel() {
    static const char* names[] = {"sms", "email", "push", "viber", "whatsapp"};
    return names[pick(0, 4)];
  }
  std::string duration() {
    static const char* ds[] = {"1h", "30m", "1h30m", "7d", "2w", "90s", "1d12h"};
    return ds[pick(0, 6)];
  }
  std::string gap(bool line_break_allowed) {
    if (!line_break_allowed) {
      switch (pick(0, 9)) {
        case 0:
          return " /* c" + std::to_string(++comments_) + " */ ";
        case 1:
          return "\t";
        default:
          return " ";
      }
    }
    switch (pick(0, 19)) {
      case 0:
        return " /* c" + std::to_string(++comments_) + " */ ";
      case 1:
        return " // c" + std::to_string(++comments_) + "\n";
      case 2:
        return "\n\n// c" + std::to_string(++comments_) + "\n\n\n";
      case 3:
        return "\n\n";
      case 4:
        return "\n   ";
      case 5:
        return "\t";
      case 6:
        return " /*c" + std::to_string(++comments_) + "*/";
      case 7:
        return " /* c" + std::to_string(++comments_) + "\n   more   \n */ ";
      default:
        return pick(0, 2) == 0 ? "\n" : " ";
    }
  }

  void expr(int depth) {
    free_form([&] { expr_rec(depth); });
  }
  void expr_rec(int depth) {
    if (depth <= 0 || chance(30)) return atom();
    switch (pick(0, 6)) {
      case 0: {
        static const char* ops[] = {"or", "and", "??", "+",  "-", "*",  "/",
                                    "==", "!=",  "<",  "<=", ">", ">=", "in"};
        const int op = pick(0, 13);
        if (op < 7) {
          expr_rec(depth - 1), tok(ops[op]), expr_rec(depth - 1);
        } else {
          // Comparisons do not chain: their operands are atoms or parenthesised.
          comparand(depth - 1), tok(ops[op]), comparand(depth - 1);
        }
        break;
      }
      case 1:
        tok(chance(50) ? "not" : "-"), atom();
        break;
      case 2:
        tok("("), expr_rec(depth - 1), tok(")");
        break;
      case 3: {
        tok(chance(50) ? "max" : "f");
        tok("(");
        const int n = pick(0, 3);
        for (int i = 0; i < n; ++i) {
          if (i > 0) tok(",");
          expr_rec(depth - 1);
        }
        tok(")");
        break;
      }
      case 4: {
        tok("[");
        const int n = pick(0, 3);
        for (int i = 0; i < n; ++i) {
          if (i > 0) tok(",");
          expr_rec(depth - 1);
        }
        tok("]");
        break;
      }
      case 5:
        tok("("), tok("if"), expr_rec(depth - 1), tok("then"), expr_rec(depth - 1), tok("else"),
            expr_rec(depth - 1), tok(")");
        break;
      default:
        atom();
    }
  }
  void comparand(int depth) {
    if (chance(50)) return atom();
    tok("("), expr_rec(depth), tok(")");
  }
  void atom() {
    switch (pick(0, 11)) {
      case 0:
        tok(std::to_string(pick(0, 100000)));
        break;
      case 1:
        tok("1.77");
        break;
      case 2:
        tok(duration());
        break;
      case 3:
        tok("09:30");
        break;
      case 4:
        tok("12.5%");
        break;
      case 5:
        tok(chance(50) ? "true" : "false");
        break;
      case 6:
        tok("\"текст \\\" \\\\ \\n \\{ {customer.first_name ?? \\\"друг\\\"} end\"");
        break;
      case 7:
        tok("\"\"");
        break;
      case 8:
        tok("customer"), tok("."), tok("age");
        break;
      case 9:
        tok("trigger"), tok("."), tok("at");
        break;
      default:
        tok(name());
    }
  }
  void content() {
    if (chance(50)) {
      tok("\"Привет {customer.first_name}\"");
      return;
    }
    tok("template"), tok("\"t\"");
    if (chance(60)) {
      tok("with"), tok("{");
      const int n = pick(0, 3);
      for (int i = 0; i < n; ++i) {
        if (i > 0) line(",");
        line("k" + std::to_string(i)), line(":"), expr(2);
      }
      if (n > 0 && chance(20)) line(",");
      line("}");
    }
  }
  void outcome(bool allow_message) {
    switch (pick(0, 3)) {
      case 0:
        tok("delivered");
        break;
      case 1:
        tok("opened");
        if (allow_message && chance(30)) tok("("), tok("first"), tok(")");
        break;
      case 2:
        tok("clicked");
        break;
      default:
        tok("order_placed");
        if (chance(50)) tok("where"), expr(2);
    }
  }
  void block(int depth) {
    tok("{");
    const int n = pick(0, 3);
    for (int i = 0; i < n; ++i) stmt(depth - 1);
    line("}");
  }
  void stmt(int depth) {
    switch (depth <= 0 ? pick(0, 4) : pick(0, 9)) {
      case 0:
        line("send"), tok(channel()), content();
        if (chance(20)) tok("as"), tok("first");
        break;
      case 1:
        line("wait"), expr(2);
        break;
      case 2:
        line("wait"), tok("until"), expr(2);
        break;
      case 3:
        line("let"), tok(name()), tok("="), expr(3);
        break;
      case 4:
        line("stop");
        break;
      case 5:
        line("if"), tok("not"), outcome(true), tok("within"), expr(2), block(depth);
        if (chance(40)) line("else"), block(depth);
        break;
      case 6:
      case 7: {
        line("if"), expr(2), block(depth);
        int chain = pick(0, 2);
        while (chain-- > 0) line("else"), line("if"), expr(2), block(depth);
        if (chance(50)) line("else"), block(depth);
        break;
      }
      case 8: {
        line("cascade"), tok("until"), outcome(false), tok("{");
        const int n = pick(1, 4);
        for (int i = 0; i < n; ++i) {
          line(channel()), content();
          if (i + 1 < n || chance(20)) tok("within"), tok(duration());
        }
        line("}");
        break;
      }
      default: {
        line("split"), tok("{");
        const int n = pick(1, 3);
        for (int i = 0; i < n; ++i) {
          line(std::to_string(pick(1, 60)) + "%"), tok("b" + std::to_string(i));
          if (chance(30)) {
            tok("control");
          } else {
            block(depth);
          }
        }
        line("}");
      }
    }
  }
  void scenario() {
    line("scenario"), tok("s" + std::to_string(pick(0, 99)));
    if (chance(50)) tok("\"Сценарий\"");
    tok("{");
    switch (pick(0, 3)) {
      case 0:
        line("trigger"), tok("every"), tok(duration());
        if (chance(50)) tok("at"), tok("10:00");
        break;
      case 1:
        line("trigger"), tok("manual");
        break;
      default:
        line("trigger"), tok("cart_abandoned");
        if (chance(40)) tok("where"), expr(2);
    }
    const int settings = pick(0, 4);
    for (int i = 0; i < settings; ++i) {
      switch (pick(0, 7)) {
        case 0:
          line("audience"), expr(3);
          break;
        case 1:
          line("goal"), tok("order_placed");
          if (chance(50)) tok("where"), expr(2);
          if (chance(50)) tok("within"), expr(1);
          break;
        case 2:
          line("stop"), tok("on"), tok("unsubscribed");
          if (chance(50)) tok("where"), expr(2);
          break;
        case 3:
          line("quiet"), tok("hours"), tok("22:00"), tok(".."), tok("09:00");
          if (chance(50)) tok("for"), tok("sms"), tok(","), tok("push");
          break;
        case 4:
          line("limit"), tok("2"), tok("per"), tok(duration());
          if (chance(50)) tok("for"), tok("sms");
          break;
        case 5:
          line("reentry"), chance(50) ? tok("never") : (tok("after"), tok(duration()));
          break;
        case 6:
          line("control"), tok("10%");
          break;
        default:
          line("urgent");
      }
    }
    const int stmts = pick(0, 5);
    for (int i = 0; i < stmts; ++i) stmt(3);
    line("}");
  }

  struct Tok {
    std::string text;
    bool line_start = false;
  };
  std::mt19937 rng_;
  std::vector<Tok> toks_;
  int comments_ = 0;
};

}  // namespace

BOOST_AUTO_TEST_CASE(random_programs) {
  for (unsigned seed = 1; seed <= 300; ++seed) {
    std::string text = Gen(seed).file();
    if (seed % 5 == 0) {  // some with CRLF line endings
      std::string crlf;
      for (const char c : text) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
      text = crlf;
    }
    BOOST_TEST_CHECKPOINT("random program, seed " << seed << ":\n" << text);
    if (const char* dir = std::getenv("CASCADE_FMT_DUMP_RANDOM"))  // to look at them
      std::ofstream(fs::path(dir) / ("random_" + std::to_string(seed) + ".cascade"), std::ios::binary)
          << text;
    check_properties("random program, seed " + std::to_string(seed), text);
  }
}
