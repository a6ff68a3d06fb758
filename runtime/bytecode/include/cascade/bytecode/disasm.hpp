// The disassembler: a human listing of a module, used by `cascade disasm` and as the oracle of
// code-generation tests (a raw string of the expected listing beside the source).
//
// The listing shows the scenario settings, each table, then every function with its bounds and
// each instruction's offset, name and decoded operands (constant values, names of channels,
// events, fields, templates, branches). Given the source text of sources[0], the source line
// of each new span is interleaved above the code it produced. It is safe on unverified modules
// (out-of-range indexes print as `?`), but a listing of a verified module is the useful one.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cascade/bytecode/module.hpp"

namespace cascade::bytecode {

std::string disassemble(const Module& m, std::optional<std::string_view> source = std::nullopt);

// One constant as the listing shows it: 42, 12.50, 1h30m, @1700000000, 09:30, true, "text".
std::string constant_to_string(const Module& m, const Constant& c);

}  // namespace cascade::bytecode
