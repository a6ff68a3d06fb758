// Robustness: no crash, no hang, bounded errors on hostile input.
#include <boost/test/unit_test.hpp>

#include "support.hpp"

using namespace cascade;
using cascade::test::parse_text;

BOOST_AUTO_TEST_SUITE(robustness)

BOOST_AUTO_TEST_CASE(placeholder) { BOOST_TEST(!parse_text("(((").errors().empty()); }

BOOST_AUTO_TEST_SUITE_END()
