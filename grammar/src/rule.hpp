// The grammar's entry rule: the next declaration of a .cascade file.
//
// Declared here, defined in rule_def.hpp, instantiated once in rule.cpp for the iterator
// and context of config.hpp. Everything else in the grammar is internal to rule_def.hpp.
//
// The driver (parser.cpp) calls it once per declaration and converts each one before
// parsing the next, so the X3-shaped tree of a big file never exists all at once. It
// fails only at the end of the text: a declaration that does not parse is reported and
// comes back as a placeholder.
#pragma once

#include <boost/spirit/home/x3.hpp>

#include "config.hpp"
#include "x3_ast.hpp"

namespace cascade::grammar::parser {

struct next_decl_class;
using next_decl_type = x3::rule<next_decl_class, x3ast::decl>;
BOOST_SPIRIT_DECLARE(next_decl_type)

// The rule object, for calling next_decl_rule().parse(first, last, context, unused, out).
next_decl_type const& next_decl_rule();

}  // namespace cascade::grammar::parser
