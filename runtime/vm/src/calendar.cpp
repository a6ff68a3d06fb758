// Local time over Howard Hinnant's date/tz: zone lookup, quiet-hour ends, "the next 10:00",
// scheduled ticks and format_time. See calendar.hpp for the semantics; docs/runtime.md (Local time)
// for examples.
//
// Every public function is total: date/tz is only asked about instants inside kMinTime ..
// kMaxTime (about ±12,700 years around 1970, well inside date's 16-bit year and 32-bit day
// counts), nothing throws out of this file, and the hot paths (quiet_end, next_clock) do
// not allocate — date's sys_info carries the abbreviation in a std::string, which the short
// tzdata abbreviations keep inside the small-string buffer.
#include "cascade/vm/calendar.hpp"

#include <date/tz.h>

#include <array>
#include <charconv>
#include <chrono>
#include <functional>
#include <limits>
#include <unordered_map>

namespace cascade::vm::calendar {
namespace {

constexpr std::int64_t kDay = 86400;
constexpr Time kMinTime = -400'000'000'000;  // ≈ year −10706
constexpr Time kMaxTime = 400'000'000'000;   // ≈ year 14645
constexpr std::int64_t kMinDay = kMinTime / kDay;
constexpr std::int64_t kMaxDay = kMaxTime / kDay;
// Transitions of a real zone are months apart; a window or a day crosses at most two of
// them. The loops below stop after this many steps whatever the data says.
constexpr int kMaxSteps = 8;

bool in_range(Time t) { return t >= kMinTime && t <= kMaxTime; }

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
// Written with % rather than a - floor_div(a, b) * b, which overflows for a near INT64_MIN.
std::int64_t floor_mod(std::int64_t a, std::int64_t b) {
  const std::int64_t r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

// Wall clocks outside 0..1439 are taken modulo a day rather than rejected: the checker only
// produces valid clocks, and a total function is cheaper than an error path on every send.
int clock_of(int minutes) { return static_cast<int>(floor_mod(minutes, 1440)); }

// The offset period holding instant t (t in range). A null zone is UTC.
struct Period {
  std::int64_t begin;
  std::int64_t end;  // exclusive
  std::int64_t offset;
};

Period period_at(Zone z, Time t) {
  if (z == nullptr) return {std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(), 0};
  const date::sys_info info = z->get_info(date::sys_seconds{std::chrono::seconds{t}});
  return {info.begin.time_since_epoch().count(), info.end.time_since_epoch().count(), info.offset.count()};
}

// The instant of local second `local` (seconds since 1970-01-01 00:00 local) in zone z: a
// nonexistent local time is the end of the gap, an ambiguous one the earlier instant.
//
// `near` is a period known to hold an instant close by: when the candidate instant lies more
// than two days inside it, no other period can also read `local` (offsets of neighbouring
// periods differ by far less than that), so date's slower local lookup is skipped.
Time resolve(Zone z, std::int64_t local, const Period& near) {
  if (z == nullptr) return local;
  constexpr std::int64_t kMargin = 2 * kDay;
  const std::int64_t guess = local - near.offset;
  if (guess - kMargin > near.begin && guess + kMargin < near.end) return guess;  // guess is in range: no overflow
  const date::local_info li = z->get_info(date::local_seconds{std::chrono::seconds{local}});
  switch (li.result) {
    case date::local_info::nonexistent:
      return li.second.begin.time_since_epoch().count();
    case date::local_info::ambiguous:  // `first` is the period before the change: the earlier instant
    case date::local_info::unique:
    default:
      return local - li.first.offset.count();
  }
}

// Local seconds since the 1970 local epoch at instant t.
std::int64_t local_seconds(Time t, Zone z) { return t + period_at(z, t).offset; }

// Proleptic Gregorian date of a day count (Howard Hinnant's civil_from_days, in int64 so any
// day count is fine).
struct Civil {
  std::int64_t year;
  int month;
  int day;
};

Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = floor_div(z, 146097);
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return {yoe + era * 400 + (m <= 2 ? 1 : 0), static_cast<int>(m), static_cast<int>(d)};
}

// Zone cache: heterogeneous lookup so a string_view finds its zone without allocating.
struct NameHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
struct Cache {
  std::unordered_map<std::string, Zone, NameHash, std::equal_to<>> zones;
  std::size_t misses = 0;  // unknown names remembered (bounded, see find_zone)
};
Cache& cache() {
  static Cache c;
  return c;
}

// Unknown names are remembered too (date reports them by throwing, which is slow), but only
// this many, so a stream of garbage zone names cannot grow the cache without bound.
constexpr std::size_t kMaxMisses = 4096;

}  // namespace

Zone find_zone(std::string_view iana) {
  try {
    Cache& c = cache();
    if (auto it = c.zones.find(iana); it != c.zones.end()) return it->second;
    Zone z = nullptr;
    // date's OS database only knows names of files under the zoneinfo directory; reject
    // the obviously malformed early so no odd string reaches it.
    const bool plausible = !iana.empty() && iana.size() < 128 && iana.front() != '/' &&
                           iana.find("..") == std::string_view::npos &&
                           iana.find('\0') == std::string_view::npos;
    if (plausible) {
      try {
        z = date::locate_zone(iana);
      } catch (const std::exception&) {
        z = nullptr;  // not in the database (or no database at all)
      }
    }
    if (z != nullptr || c.misses < kMaxMisses) {
      if (z == nullptr) ++c.misses;
      c.zones.emplace(std::string(iana), z);
    }
    return z;
  } catch (...) {
    return nullptr;  // out of memory while caching: report "unknown" rather than throw
  }
}

Zone utc() {
  static const Zone z = [] {
    Zone found = find_zone("Etc/UTC");
    return found != nullptr ? found : find_zone("UTC");
  }();
  return z;  // nullptr (no tzdata installed) also means UTC to every function here
}

int local_minutes(Time t, Zone z) {
  try {
    const std::int64_t local = in_range(t) ? local_seconds(t, z) : t;
    return static_cast<int>(floor_mod(local, kDay) / 60);
  } catch (...) {
    return static_cast<int>(floor_mod(t, kDay) / 60);
  }
}

Time quiet_end(Time t, Zone z, int from_minutes, int to_minutes) {
  const std::int64_t from = clock_of(from_minutes);
  const std::int64_t to = clock_of(to_minutes);
  if (from == to || !in_range(t)) return t;
  auto inside = [&](std::int64_t second_of_day) {
    const std::int64_t m = second_of_day / 60;
    return from < to ? (m >= from && m < to) : (m >= from || m < to);
  };
  try {
    Time u = t;
    Period p = period_at(z, u);
    std::int64_t sod = floor_mod(u + p.offset, kDay);
    if (!inside(sod)) return t;
    // Within one offset period the local clock runs forward with the instant, so it leaves
    // the window exactly when it reads `to`. If the period ends first, the offset jumps:
    // outside the window at the jump, that instant is the end; inside, go on from there.
    for (int step = 0; step < kMaxSteps; ++step) {
      const Time exit = u + floor_mod(to * 60 - sod, kDay);
      if (exit < p.end) return exit;
      u = p.end;
      if (!in_range(u)) return t;
      p = period_at(z, u);
      sod = floor_mod(u + p.offset, kDay);
      if (!inside(sod)) return u;
    }
    return u;
  } catch (...) {
    return t;
  }
}

Time next_clock(Time t, Zone z, int minutes) {
  if (!in_range(t)) return t;
  const std::int64_t m = clock_of(minutes);
  try {
    const Period p = period_at(z, t);
    const std::int64_t day = floor_div(t + p.offset, kDay);
    // Today's reading if it is still ahead, else tomorrow's. A fall-back across midnight can
    // put tomorrow's (earlier) reading behind t as well, hence the few more days.
    Time c = t;
    for (std::int64_t k = 0; k < 4; ++k) {
      c = resolve(z, (day + k) * kDay + m * 60, p);
      if (c >= t) return c;
    }
    return c;
  } catch (...) {
    return t;
  }
}

Time next_tick(Time t, Zone z, std::int64_t every_seconds, int at_minutes) {
  if (!in_range(t)) return t;
  try {
    if (at_minutes < 0) {
      if (every_seconds <= 0) return t;
      const std::int64_t r = floor_mod(t, every_seconds);
      if (r == 0) return t;
      Time next = 0;
      if (__builtin_add_overflow(t - r, every_seconds, &next)) return std::numeric_limits<Time>::max();
      return next;
    }
    const std::int64_t at = clock_of(at_minutes);
    const std::int64_t n = every_seconds / kDay >= 1 ? every_seconds / kDay : 1;
    const Period p = period_at(z, t);
    const std::int64_t today = floor_div(t + p.offset, kDay);
    std::int64_t d = today + floor_mod(-today, n);  // the first tick day ≥ today
    for (int k = 0; k < 4; ++k) {
      // No tick day left before the end of the supported range: the tick never comes.
      if (d > kMaxDay) return std::numeric_limits<Time>::max();
      const Time c = resolve(z, d * kDay + at * 60, p);
      if (c >= t) return c;
      if (n > kMaxDay - kMinDay) return std::numeric_limits<Time>::max();
      d += n;
    }
    return std::numeric_limits<Time>::max();
  } catch (...) {
    return t;
  }
}

namespace {

void append_number(std::string& out, std::int64_t v, int width) {
  std::array<char, 24> buf{};
  const bool negative = v < 0;
  // |INT64_MIN| does not fit in int64; go through uint64.
  const std::uint64_t mag = negative ? std::uint64_t{0} - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), mag);
  (void)ec;  // 24 chars always hold a uint64
  const auto digits = static_cast<int>(end - buf.data());
  if (negative) out.push_back('-');
  for (int i = digits; i < width; ++i) out.push_back('0');
  out.append(buf.data(), end);
}

}  // namespace

std::string format_time(Time t, Zone z, std::string_view pattern) {
  std::string out;
  try {
    out.reserve(pattern.size() + 8);
    std::int64_t local = t;
    if (in_range(t)) {
      try {
        local = local_seconds(t, z);
      } catch (...) {
        local = t;  // the zone could not say: show UTC rather than nothing
      }
    }
    const std::int64_t days = floor_div(local, kDay);
    const std::int64_t sod = floor_mod(local, kDay);
    const Civil c = civil_from_days(days);
    const std::int64_t hour = sod / 3600;
    const std::int64_t minute = sod / 60 % 60;
    const std::int64_t second = sod % 60;

    for (std::size_t i = 0; i < pattern.size();) {
      const char ch = pattern[i];
      if (ch == '\'') {
        // '' is a quote; '…' is literal text in which '' is a quote; an unclosed quote runs
        // to the end of the pattern.
        if (i + 1 < pattern.size() && pattern[i + 1] == '\'') {
          out.push_back('\'');
          i += 2;
          continue;
        }
        ++i;
        while (i < pattern.size()) {
          if (pattern[i] == '\'') {
            if (i + 1 < pattern.size() && pattern[i + 1] == '\'') {
              out.push_back('\'');
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          out.push_back(pattern[i++]);
        }
        continue;
      }
      std::size_t run = 1;
      while (i + run < pattern.size() && pattern[i + run] == ch) ++run;
      // Runs of one letter: 1 = unpadded, n ≥ 2 = zero-padded to n digits; yy is the last
      // two digits of the year. Bytes ≥ 0x80 never match a letter, so UTF-8 passes through.
      const int width = run == 1 ? 0 : static_cast<int>(run < 20 ? run : 20);
      switch (ch) {
        case 'y':
          if (run == 2) {
            append_number(out, floor_mod(c.year, 100), 2);
          } else {
            append_number(out, c.year, width);
          }
          break;
        case 'M':
          append_number(out, c.month, width);
          break;
        case 'd':
          append_number(out, c.day, width);
          break;
        case 'H':
          append_number(out, hour, width);
          break;
        case 'm':
          append_number(out, minute, width);
          break;
        case 's':
          append_number(out, second, width);
          break;
        default:
          out.append(pattern.substr(i, run));
          break;
      }
      i += run;
    }
    return out;
  } catch (...) {
    return out;  // out of memory: whatever was formatted so far
  }
}

}  // namespace cascade::vm::calendar
