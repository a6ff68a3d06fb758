// Helpers shared by the grammar tests: parse a string, look at errors, slice spans.
#pragma once

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "cascade/grammar/parser.hpp"
#include "dump.hpp"

namespace cascade::test {

struct Parsed {
  source::SourceMap sources;
  source::FileId id = 0;
  grammar::ParseResult result;

  const ast::File& file() const { return result.file; }
  const std::vector<grammar::SyntaxError>& errors() const { return result.errors; }
  std::string text(source::SourceSpan s) const {
    return sources.file(id).text().substr(s.begin, s.end - s.begin);
  }
  source::LineCol at(source::SourceSpan s) const { return sources.file(id).locate(s.begin); }
  // "line:col: expected X, found Y" for every error, one per line.
  std::string error_lines() const {
    std::string out;
    for (const auto& e : result.errors) {
      const auto lc = at(e.span);
      out += std::to_string(lc.line) + ":" + std::to_string(lc.column) + ": expected " + e.expected + ", found " +
             e.found + "\n";
    }
    return out;
  }
};

inline Parsed parse_text(std::string text, std::string path = "test.cascade") {
  Parsed p;
  p.id = p.sources.add(std::move(path), std::move(text));
  p.result = grammar::parse(p.sources, p.id);
  return p;
}

// Parses a whole file that must be free of errors and returns its dump.
inline std::string dump_ok(const std::string& text) {
  auto p = parse_text(text);
  BOOST_TEST(p.errors().empty(), "unexpected errors:\n" << p.error_lines());
  return dump(p.file());
}

// The first scenario's body statements, dumped, for a body written without the header.
inline std::string body(const std::string& stmts) {
  auto p = parse_text("scenario s {\n" + stmts + "\n}\n");
  BOOST_TEST(p.errors().empty(), "unexpected errors:\n" << p.error_lines());
  if (p.file().decls.empty()) return "<no decl>";
  const auto& sc = std::get<ast::Scenario>(p.file().decls[0].node);
  return dump(sc.body);
}

// One expression, dumped (parsed as `let x = EXPR`).
inline std::string expr(const std::string& e) {
  auto p = parse_text("scenario s {\nlet x = " + e + "\n}\n");
  BOOST_TEST(p.errors().empty(), "unexpected errors in `" << e << "`:\n" << p.error_lines());
  if (p.file().decls.empty()) return "<no decl>";
  const auto& sc = std::get<ast::Scenario>(p.file().decls[0].node);
  if (sc.body.stmts.empty()) return "<no stmt>";
  return dump(std::get<ast::Let>(sc.body.stmts[0].node).value);
}

}  // namespace cascade::test
