// The words of the flowchart's labels: wrapping text into short lines, and durations,
// times of day and money spelled the way a marketer reads them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cascade::graph::labels {

// Characters per label line; node labels wrap at this width.
inline constexpr std::size_t kWidth = 36;
// Characters per edge label line, and lines before an edge label is cut.
inline constexpr std::size_t kEdgeWidth = 32;
inline constexpr std::size_t kEdgeLines = 4;

// Splits text into lines of at most `width` code points, at spaces where it can (a longer
// word is cut), at most `max_lines` of them; text that does not fit ends in "…". Line
// breaks and tabs become spaces and invalid UTF-8 or control bytes become \xNN first, so
// every line is printable UTF-8.
std::vector<std::string> wrap(std::string_view text, std::size_t width, std::size_t max_lines);

// 90 → "1m30s", 86400 → "1d", 0 → "0s"; negative durations get a leading "-".
std::string duration(std::int64_t seconds);

// 600 → "10:00".
std::string clock(std::int32_t minutes);

// 2'000'000 micros → "2 ₽", 200'000 → "0.20 ₽", 1'770'000 → "1.77 ₽", 1'234'500 →
// "1.2345 ₽": whole amounts without decimals, others with at least two.
std::string money(std::int64_t micros, std::string_view currency);

}  // namespace cascade::graph::labels
