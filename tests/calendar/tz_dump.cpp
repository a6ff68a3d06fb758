// Prints the results of the calendar functions for a fixed, deterministic set of cases: for
// each zone below, instants every 20 minutes (with odd seconds) from 30 hours before to 30
// hours after every UTC-offset change in 2025–2027, plus a coarse grid over those years.
// One line per result:
//   lm ZONE T RESULT                 local_minutes
//   nc ZONE T MINUTES RESULT         next_clock
//   qe ZONE T FROM TO RESULT         quiet_end
//   nt ZONE T EVERY AT RESULT        next_tick
// tz_crosscheck.py recomputes each with python3's zoneinfo and compares.
#include <date/tz.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <utility>
#include <vector>

#include "cascade/vm/calendar.hpp"

namespace cal = cascade::vm::calendar;

namespace {

constexpr std::array kZones = {
    "Europe/Moscow",    "America/New_York", "Europe/Berlin",      "Europe/London",   "Europe/Dublin",
    "Asia/Kathmandu",   "Asia/Kolkata",     "Australia/Lord_Howe", "Australia/Sydney", "Pacific/Chatham",
    "America/Los_Angeles", "America/St_Johns", "America/Santiago", "America/Havana",  "America/Nuuk",
    "Africa/Casablanca", "Asia/Tehran",     "America/Sao_Paulo",  "Pacific/Apia",    "UTC",
};
// Wall clocks (minutes) that sit on, in and around the usual 01:00–03:00 change hours.
constexpr std::array<int, 13> kClocks = {0, 30, 60, 90, 120, 150, 180, 540, 600, 1320, 1410, 1439, 45};
constexpr std::array<std::pair<int, int>, 11> kWindows = {{{1320, 540},
                                                           {60, 180},
                                                           {120, 150},
                                                           {30, 90},
                                                           {90, 75},
                                                           {1380, 30},
                                                           {0, 60},
                                                           {120, 180},
                                                           {600, 600},
                                                           {720, 780},
                                                           {1410, 150}}};
constexpr std::array<std::pair<std::int64_t, int>, 7> kTicks = {
    {{86400, 600}, {86400, 150}, {3 * 86400, 0}, {7 * 86400, 1320}, {3600, -1}, {2 * 86400, 90}, {900, -1}}};
constexpr std::array<int, 4> kJitter = {0, 1, 59, 1799};

constexpr std::int64_t kFrom = 1735689600;  // 2025-01-01T00:00:00Z
constexpr std::int64_t kTo = 1830297600;    // 2028-01-01T00:00:00Z

void dump(const char* name, cal::Zone z, std::int64_t t, std::size_t i) {
  std::printf("lm %s %lld %d\n", name, static_cast<long long>(t), cal::local_minutes(t, z));
  const int m = kClocks[i % kClocks.size()];
  std::printf("nc %s %lld %d %lld\n", name, static_cast<long long>(t), m,
              static_cast<long long>(cal::next_clock(t, z, m)));
  for (std::size_t w : {i % kWindows.size(), (i * 7 + 3) % kWindows.size()}) {
    const auto [from, to] = kWindows[w];
    std::printf("qe %s %lld %d %d %lld\n", name, static_cast<long long>(t), from, to,
                static_cast<long long>(cal::quiet_end(t, z, from, to)));
  }
  const auto [every, at] = kTicks[i % kTicks.size()];
  std::printf("nt %s %lld %lld %d %lld\n", name, static_cast<long long>(t), static_cast<long long>(every), at,
              static_cast<long long>(cal::next_tick(t, z, every, at)));
}

}  // namespace

int main() {
  for (const char* name : kZones) {
    const cal::Zone z = cal::find_zone(name);
    if (z == nullptr) {
      std::printf("missing %s\n", name);
      continue;
    }
    std::vector<std::int64_t> instants;
    // Offset changes, found through date/tz itself; the cross-check does not trust this list:
    // it only decides where the instants cluster.
    std::int64_t t = kFrom;
    while (t < kTo) {
      const date::sys_info info = z->get_info(date::sys_seconds{std::chrono::seconds{t}});
      const std::int64_t end = info.end.time_since_epoch().count();
      if (end >= kTo) break;
      for (int k = -90; k <= 90; ++k) instants.push_back(end + k * 1200 + kJitter[static_cast<std::size_t>(k + 90) % 4]);
      for (int d : {-3601, -3600, -1, 1, 3599, 3600}) instants.push_back(end + d);
      t = end;
    }
    for (std::int64_t g = kFrom; g < kTo; g += 5 * 86400 + 3 * 3600 + 17 * 60 + 13) instants.push_back(g);
    for (std::size_t i = 0; i < instants.size(); ++i) dump(name, z, instants[i], i);
  }
  return 0;
}
