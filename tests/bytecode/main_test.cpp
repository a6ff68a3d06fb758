#define BOOST_TEST_MODULE bytecode
#include <boost/test/unit_test.hpp>
