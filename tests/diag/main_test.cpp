#define BOOST_TEST_MODULE diag
#include <boost/test/unit_test.hpp>
