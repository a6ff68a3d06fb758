// Local time for the runtime: IANA zones (Howard Hinnant's date/tz over the system tzdata),
// quiet hours, "the next 10:00", scheduled ticks and format_time.
//
// All instants are Unix seconds (UTC); wall clocks are minutes after local midnight. Across
// DST changes: a local time that does not exist (the spring-forward gap) means the instant the
// gap ends; a local time that occurs twice (fall-back) means the earlier instant. Quiet hours
// are a half-open local window [from, to); from > to wraps midnight; from == to is empty.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cascade/vm/value.hpp"

namespace date {
class time_zone;
}

namespace cascade::vm::calendar {

using Zone = const date::time_zone*;

// The zone named `iana` ("Europe/Moscow"), or nullptr when the database has no such zone.
// Lookups are cached; safe to call from one thread at a time.
Zone find_zone(std::string_view iana);
Zone utc();

// Minutes after local midnight at t.
int local_minutes(Time t, Zone z);

// If the local time at t is inside the quiet window [from, to), the first instant after t
// whose local time is outside it (the window's end); otherwise t itself.
Time quiet_end(Time t, Zone z, int from_minutes, int to_minutes);

// The first instant ≥ t whose local wall clock reads `minutes` (today's if not yet passed,
// else tomorrow's), with the DST rules above.
Time next_clock(Time t, Zone z, int minutes);

// The first tick ≥ t of `trigger every EVERY [at AT]`. With `at` (minutes, ≥ 0) ticks fall at
// local time AT on local days whose day number since 1970-01-01 is a multiple of EVERY's whole
// days (at least 1); without it (at < 0) ticks are the UTC multiples of EVERY seconds.
Time next_tick(Time t, Zone z, std::int64_t every_seconds, int at_minutes);

// t in zone z as text, with a pattern of the common LDML letters: yyyy yy MM M dd d HH H mm ss
// and literal text ('…' quotes literal letters). Unknown letters are copied as they are.
std::string format_time(Time t, Zone z, std::string_view pattern);

}  // namespace cascade::vm::calendar
