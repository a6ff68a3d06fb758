// Checks on the raw text of cascade.yaml that must happen before yaml-cpp sees it.
//
// yaml-cpp parses nested collections by recursion, so ten thousand `[` (or ten thousand
// ever-deeper indentation levels) overflow the stack before it could report anything.
// The pre-scan estimates the nesting depth of the text with a small line-oriented
// tokenizer — block indentation, `- ` and `? ` entries, flow `[ {` outside quotes,
// comments and block scalars — and the loader refuses the file when it is deeper than
// any project file needs. It also finds the first invalid UTF-8 byte.
//
// The estimate follows YAML closely enough for every real file and for fuzzed input;
// where it is unsure it counts a level rather than skip one (a `[` at the start of a
// continuation line counts, a plain scalar's `[` in the middle of a line does not), and
// nesting written as "key:\n- item" at one indentation counts one level per line
// instead of two, which the margin between kMaxNesting and yaml-cpp's real limit
// (thousands of levels) absorbs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace cascade::project::detail {

struct DepthProblem {
  std::size_t offset = 0;  // the byte where the limit was crossed
  int depth = 0;
};

// The first place where the nesting depth exceeds max_depth, or nullopt.
std::optional<DepthProblem> find_excess_nesting(std::string_view text, int max_depth);

// The byte offset of the first byte that is not part of well-formed UTF-8, or nullopt.
std::optional<std::size_t> find_invalid_utf8(std::string_view text);

}  // namespace cascade::project::detail
