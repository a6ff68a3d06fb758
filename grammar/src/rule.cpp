// The one translation unit that instantiates the X3 grammar (see STYLE.md): only this
// file includes rule_def.hpp.
#include "rule_def.hpp"

namespace cascade::grammar::parser {

BOOST_SPIRIT_INSTANTIATE(next_decl_type, iterator_type, context_type)

next_decl_type const& next_decl_rule() { return next_decl; }

}  // namespace cascade::grammar::parser
