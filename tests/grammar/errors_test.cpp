// Syntax errors: what was expected and found, at which token; recovery keeps parsing.
#include <boost/test/unit_test.hpp>

#include "support.hpp"

using namespace cascade;
using cascade::test::parse_text;

BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(placeholder) { BOOST_TEST(!parse_text("scenario").errors().empty()); }

BOOST_AUTO_TEST_SUITE_END()
