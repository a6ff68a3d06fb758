// The verifier: the VM runs verified modules only.
//
// verify() checks what read() cannot: every index in the code and the tables is in range,
// every instruction decodes inside its function, every jump lands on an instruction start of
// the same function, the step stack never underflows or exceeds kMaxStack, it has one depth at
// every join point, it is empty at every `settle` instruction (after its pops), no path falls
// off the end of a function, opcodes appear only in the kind of function they are allowed in,
// and the scenario settings are consistent (functions referenced exist and are expression
// functions, shares sum to 100%, clocks are times of day). It works on the Module alone, so a
// module built in memory (by lowering) can be verified before it is ever written.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cascade/bytecode/module.hpp"

namespace cascade::bytecode {

struct VerifyError {
  int function = -1;     // the function the error is in, or -1 for the module's tables
  std::uint32_t pc = 0;  // the code offset (functions only)
  std::string message;
};

struct VerifyResult {
  std::vector<VerifyError> errors;
  // The largest step-stack depth of each function (valid when ok()).
  std::vector<std::uint32_t> max_stack;
  bool ok() const { return errors.empty(); }
  // "fn 2 @0012: jump target 99 is outside the function [40, 60)" — one per line.
  std::string to_string() const;
};

VerifyResult verify(const Module& m);

}  // namespace cascade::bytecode
