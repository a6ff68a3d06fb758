// The one translation unit that instantiates the X3 grammar (see STYLE.md): only this
// file includes rule_def.hpp.
#include "rule_def.hpp"

namespace cascade::grammar::parser {

BOOST_SPIRIT_INSTANTIATE(file_type, iterator_type, context_type)

file_type const& file_rule() { return file; }

}  // namespace cascade::grammar::parser
