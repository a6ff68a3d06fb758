// The one translation unit that defines the Boost.Test module of the project-file tests.
#define BOOST_TEST_MODULE project
#include <boost/test/unit_test.hpp>
