// The one translation unit that defines the Boost.Test module of the stdlib tests.
#define BOOST_TEST_MODULE stdlib
#include <boost/test/unit_test.hpp>
