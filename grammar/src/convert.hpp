// From the X3-shaped tree to the public AST (cascade/grammar/ast.hpp).
//
// Resolves operator precedence over the flat expression chains (an iterative
// shunting-yard, so a chain of any length is safe), turns offsets into SourceSpans,
// assigns dense NodeIds, drops the placeholders left by error recovery, and checks what
// the grammar leaves open: comparisons do not chain, titles, template names and import
// paths are plain strings, and no tree is deeper than kMaxExprDepth / kMaxNesting.
#pragma once

#include <memory>
#include <string_view>

#include "cascade/grammar/ast.hpp"
#include "config.hpp"
#include "x3_ast.hpp"

namespace cascade::grammar::parser {

// Converts declarations one at a time (so each X3 tree can be freed right away), then
// numbers the nodes.
class Converter;
class FileBuilder {
 public:
  FileBuilder(parse_state& state, std::string_view text, source::FileId file);
  ~FileBuilder();
  FileBuilder(const FileBuilder&) = delete;
  FileBuilder& operator=(const FileBuilder&) = delete;

  void add(x3ast::decl& decl);
  ast::File finish();

 private:
  std::unique_ptr<Converter> converter_;
  ast::File file_;
};

}  // namespace cascade::grammar::parser
