// The textual forms of durations and wall clocks, as the language writes them, for every place
// that reads them outside the grammar: cascade.yaml (caps, goal_window, quiet_hours) and the
// runtime's JSON (a profile's `duration` or `clock` field). One parser, so "1h30m" means the
// same everywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace cascade::units {

// INT unit { INT unit }, units s m h d w: "90s", "1h30m", "7d", "2w" → seconds. No spaces, no
// sign; nullopt on anything else or on int64 overflow.
std::optional<std::int64_t> parse_duration(std::string_view text);

// "HH:MM" or "H:MM", 00:00 … 23:59 → minutes after midnight.
std::optional<std::int32_t> parse_clock(std::string_view text);

}  // namespace cascade::units
