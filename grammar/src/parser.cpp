// cascade::grammar::parse: pre-scan, run the X3 grammar, convert to the public AST.
#include "cascade/grammar/parser.hpp"

#include <algorithm>
#include <limits>

#include "config.hpp"
#include "convert.hpp"
#include "lexical.hpp"
#include "rule.hpp"

namespace cascade::grammar {

ParseResult parse(const source::SourceMap& sources, source::FileId file) {
  ParseResult result;
  result.file.file = file;
  const std::string_view text = sources.file(file).text();
  // Spans are 32-bit byte offsets.
  if (text.size() >= std::numeric_limits<std::uint32_t>::max()) {
    result.errors.push_back(SyntaxError{SyntaxErrorKind::NumberOutOfRange, {file, 0, 0}, "a file under 4 GiB",
                                        std::to_string(text.size()) + " bytes"});
    return result;
  }

  auto pre = lex::prescan(text, file);
  parser::parse_state state(text, file);
  if (pre.unterminated_comment != UINT32_MAX) state.set_comment_cut(pre.unterminated_comment);
  for (auto& e : pre.errors) state.report(std::move(e));

  parser::FileBuilder builder(state, text, file);
  {
    parser::ParseContext context(state);
    const char* first = text.data() + pre.bom;
    const char* const last = text.data() + text.size();
    // next_decl recovers from every error inside a declaration; the catches are a last
    // line of defence, not the normal path.
    try {
      for (;;) {
        x3ast::decl decl;
        if (!parser::next_decl_rule().parse(first, last, context.context, boost::spirit::x3::unused, decl)) break;
        builder.add(decl);
      }
    } catch (const boost::spirit::x3::expectation_failure<const char*>& failure) {
      state.report_expected(failure.where(), failure.which());
    } catch (const parser::parse_abort&) {
    }
  }

  result.file = builder.finish();
  result.file.comments = std::move(pre.comments);
  result.errors = std::move(state.errors());
  std::stable_sort(result.errors.begin(), result.errors.end(),
                   [](const SyntaxError& a, const SyntaxError& b) { return a.span.begin < b.span.begin; });
  return result;
}

}  // namespace cascade::grammar
