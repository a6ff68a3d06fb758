// The one iterator and context type the X3 grammar is instantiated for, the skipper,
// and the per-parse state the rules reach through the context.
//
// Only rule.cpp instantiates the grammar (BOOST_SPIRIT_INSTANTIATE with exactly these
// types), and only ParseContext below assembles a context: a context built anywhere
// else would have a different type and fail to link ("undefined reference to
// parse_rule").
#pragma once

#include <boost/spirit/home/x3.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "cascade/grammar/parser.hpp"
#include "lexical.hpp"

namespace cascade::grammar::parser {

namespace x3 = boost::spirit::x3;

using iterator_type = const char*;

// Spaces, tabs, newlines, // line comments and /* block comments */. Comments are
// collected by the pre-scan (lexical.cpp), not here: X3 may skip the same text several
// times while it backtracks.
struct skipper_parser : x3::parser<skipper_parser> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;

  template <typename Iterator, typename Context, typename RContext, typename Attribute>
  bool parse(Iterator& first, Iterator const& last, Context const&, RContext&, Attribute&) const {
    // X3 calls the skipper before every token, and again until it skips nothing: keep
    // the common "nothing to skip" answer inline and cheap.
    if (first == last) return false;
    const char c = *first;
    if (!lex::is_blank(c) && c != '\n' && c != '/') return false;
    const char* p = lex::skip_space(first, last);
    const bool moved = p != first;
    first = p;
    return moved;
  }
};

// Thrown (after the error has been reported) when a construct cannot go on: an
// unterminated string, nesting deeper than kMaxNesting. The recover directive catches
// it and resumes after `where`.
struct parse_abort {
  const char* where;
};

// Everything one parse shares: the text, the errors found so far, the nesting depth.
class parse_state {
 public:
  parse_state(std::string_view text, source::FileId file)
      : headless_budget(2 * text.size() + 65536), base_(text.data()), end_(text.data() + text.size()), file_(file) {}

  const char* base() const { return base_; }
  const char* end() const { return end_; }
  source::FileId file() const { return file_; }
  std::uint32_t off(const char* p) const { return static_cast<std::uint32_t>(p - base_); }
  source::SourceSpan span(const char* b, const char* e) const { return {file_, off(b), off(e)}; }

  // Records an error unless one was already reported at the same offset (backtracking
  // and recovery may meet the same token twice) or it lies inside an unterminated block
  // comment (the comment error says it all).
  void report(SyntaxError error);

  // Reports an expectation failure: `which` is the name of what was expected (a leading
  // '\x01' marks a same-line expectation, reported as "found a newline" when the next
  // token is on a later line). Returns the position of the token that was found.
  const char* report_expected(const char* where, std::string_view which);

  // Reports "expected <expected>, found <the token at p>".
  const char* report_found(const char* p, std::string expected);

  void set_comment_cut(std::uint32_t offset) { comment_cut_ = offset; }
  std::vector<SyntaxError>& errors() { return errors_; }

  int depth = 0;          // nested expressions and blocks, for kMaxNesting
  int interpolation = 0;  // > 0 inside a string's {…}, where \"…\" strings are allowed
  // What lex::after_headless_block may still scan in this parse (keeps recovery linear).
  std::size_t headless_budget = 0;

 private:
  const char* base_;
  const char* end_;
  source::FileId file_;
  std::vector<SyntaxError> errors_;
  std::unordered_set<std::uint32_t> reported_at_;
  std::uint32_t comment_cut_ = UINT32_MAX;
};

struct state_tag;

using skipper_type = skipper_parser;
using phrase_context_type = x3::context<x3::skipper_tag, skipper_type const, x3::unused_type>;
using context_type = x3::context<state_tag, parse_state, phrase_context_type>;

// The one place a parse context is assembled. Not copyable: the contexts hold
// references to the members before them.
struct ParseContext {
  explicit ParseContext(parse_state& state) : phrase(skipper), context(state, phrase) {}
  ParseContext(const ParseContext&) = delete;
  ParseContext& operator=(const ParseContext&) = delete;

  skipper_type skipper;
  phrase_context_type phrase;
  context_type context;
};

}  // namespace cascade::grammar::parser
