// Running the built `cascade` in a test: from the source root, with NO_COLOR set, failing the
// test at once on a crash or a timeout (CASCADE_BINARY and CASCADE_SOURCE_DIR come from
// cascade_add_test).
#pragma once

#include <boost/test/unit_test.hpp>
#include <string>
#include <utility>
#include <vector>

#include "run_process.hpp"

namespace cascade::test {

inline ProcessResult cascade_cmd(std::vector<std::string> args) {
  args.insert(args.begin(), CASCADE_BINARY);
  ProcessOptions options;
  options.working_dir = CASCADE_SOURCE_DIR;
  options.env["NO_COLOR"] = "1";
  ProcessResult r = run_process(args, options);
  BOOST_TEST_REQUIRE(!r.signaled, "cascade crashed with signal " << r.signal << "\n" << r.err);
  BOOST_TEST_REQUIRE(!r.timed_out);
  return r;
}

}  // namespace cascade::test
