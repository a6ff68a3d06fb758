// A span-free structural dump of a parsed file, for the formatter's tests.
//
// Two files that differ only in layout (spaces, line breaks, comment positions) dump to
// the same text: spans and node ids are left out, everything else is printed as an
// S-expression. The formatter's promise "a formatted file parses to the same tree" is
// tested by comparing dump(parse(x)) with dump(parse(format(x))).
#pragma once

#include <string>

#include "cascade/grammar/ast.hpp"

namespace cascade::testing {

std::string dump(const ast::File& file);

}  // namespace cascade::testing
