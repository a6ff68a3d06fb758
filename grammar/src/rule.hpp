// The grammar's entry rule: a whole .cascade file.
//
// Declared here, defined in rule_def.hpp, instantiated once in rule.cpp for the iterator
// and context of config.hpp. Everything else in the grammar is internal to rule_def.hpp.
#pragma once

#include <boost/spirit/home/x3.hpp>

#include "config.hpp"
#include "x3_ast.hpp"

namespace cascade::grammar::parser {

struct file_class;
using file_type = x3::rule<file_class, x3ast::file>;
BOOST_SPIRIT_DECLARE(file_type)

// The rule object, for calling file_rule().parse(first, last, context, unused, out).
file_type const& file_rule();

}  // namespace cascade::grammar::parser
