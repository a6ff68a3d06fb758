// Small text helpers shared by the checker and the lints: the source text of a span for a
// message, percentages and counts in words, and the "did you mean" hint.
//
// Everything here runs only when a diagnostic is being built, never on the happy path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cascade/grammar/source.hpp"

namespace cascade::check::text {

// The bytes a span covers (empty when the span is out of range).
std::string_view span_text(const source::SourceMap& sources, source::SourceSpan span);

// Text safe to put inside a one-line message: invalid UTF-8 bytes become \xNN, line
// breaks and tabs become spaces, runs of spaces collapse, and anything longer than
// max_chars code points is cut with "…".
std::string display(std::string_view text, std::size_t max_chars = 60);

// 1000 basis points -> "10%", 1250 -> "12.5%", 10001 -> "100.01%".
std::string percent(std::int64_t basis_points);

// "1 argument", "2 arguments".
std::string count_noun(std::size_t n, std::string_view singular, std::string_view plural);

// The 1-based line of a span's start.
std::uint32_t line_of(const source::SourceMap& sources, source::SourceSpan span);

// Edit distance (optimal string alignment: insertions, deletions, substitutions and
// transpositions of neighbours), exact up to limit; any result above limit means "far".
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit);

// The candidate closest to name within an edit distance of 2 (1 for names of up to
// three characters), the first one on ties; empty when none is that close.
std::string_view closest(std::string_view name, const std::vector<std::string_view>& candidates);

// "did you mean `x`?" when a candidate is close, else "<list_intro> a, b, c" (at most a
// dozen names), else none_text when there are no candidates at all.
std::string did_you_mean(std::string_view name, const std::vector<std::string_view>& candidates,
                         std::string_view list_intro, std::string_view none_text);

}  // namespace cascade::check::text
