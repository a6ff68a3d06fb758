// Local time: zones, quiet hours, next clock readings, ticks and format_time, across the 2026
// DST changes of several zones. Instants are written as UTC civil times; the comments give the
// local reading. tz_crosscheck.py checks thousands more cases against python3's zoneinfo.
#define BOOST_TEST_MODULE calendar
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <string>

#include "cascade/vm/calendar.hpp"

namespace cal = cascade::vm::calendar;
using cascade::vm::Time;

namespace {

// Unix seconds of a UTC civil time (Howard Hinnant's days_from_civil).
Time utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  y -= mo <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const std::int64_t days = std::int64_t{era} * 146097 + doe - 719468;
  return days * 86400 + h * 3600 + mi * 60 + s;
}

constexpr int hm(int h, int m) { return h * 60 + m; }

cal::Zone zone(const char* name) {
  cal::Zone z = cal::find_zone(name);
  BOOST_TEST_REQUIRE(z != nullptr, name);
  return z;
}

}  // namespace

BOOST_AUTO_TEST_CASE(zone_lookup) {
  BOOST_TEST(cal::find_zone("Mars/Olympus_Mons") == nullptr);
  BOOST_TEST(cal::find_zone("") == nullptr);
  BOOST_TEST(cal::find_zone("../../etc/passwd") == nullptr);
  BOOST_TEST(cal::find_zone("/usr/share/zoneinfo/UTC") == nullptr);
  BOOST_TEST(cal::find_zone("europe/moscow") == nullptr);  // names are case-sensitive
  BOOST_TEST(cal::find_zone("Mars/Olympus_Mons") == nullptr);  // the cached miss
  const cal::Zone m = zone("Europe/Moscow");
  BOOST_TEST(cal::find_zone("Europe/Moscow") == m);
  BOOST_TEST(cal::utc() != nullptr);
  BOOST_TEST(cal::local_minutes(utc(2026, 7, 1, 13, 37), cal::utc()) == hm(13, 37));
  BOOST_TEST(cal::local_minutes(utc(1969, 12, 31, 23, 59), cal::utc()) == hm(23, 59));
}

BOOST_AUTO_TEST_CASE(moscow_no_dst) {
  const cal::Zone z = zone("Europe/Moscow");
  const Time t = utc(2026, 1, 15, 20, 0);  // 23:00 MSK
  BOOST_TEST(cal::local_minutes(t, z) == hm(23, 0));
  BOOST_TEST(cal::quiet_end(t, z, hm(22, 0), hm(9, 0)) == utc(2026, 1, 16, 6, 0));  // 09:00 MSK
  BOOST_TEST(cal::quiet_end(utc(2026, 1, 16, 7, 0), z, hm(22, 0), hm(9, 0)) == utc(2026, 1, 16, 7, 0));
  // The window is half-open: 09:00 itself is outside, 22:00 inside.
  BOOST_TEST(cal::quiet_end(utc(2026, 1, 16, 6, 0), z, hm(22, 0), hm(9, 0)) == utc(2026, 1, 16, 6, 0));
  BOOST_TEST(cal::quiet_end(utc(2026, 1, 16, 19, 0), z, hm(22, 0), hm(9, 0)) == utc(2026, 1, 17, 6, 0));
  BOOST_TEST(cal::quiet_end(t, z, hm(22, 0), hm(22, 0)) == t);  // from == to: empty
  BOOST_TEST(cal::next_clock(t, z, hm(10, 0)) == utc(2026, 1, 16, 7, 0));
  BOOST_TEST(cal::next_clock(t, z, hm(23, 30)) == utc(2026, 1, 15, 20, 30));
  BOOST_TEST(cal::next_clock(t, z, hm(23, 0)) == t);  // ≥ t: now reads 23:00
}

BOOST_AUTO_TEST_CASE(new_york_spring_forward) {
  // 2026-03-08 02:00 EST becomes 03:00 EDT at 07:00Z.
  const cal::Zone z = zone("America/New_York");
  const Time gap_end = utc(2026, 3, 8, 7, 0);
  BOOST_TEST(cal::local_minutes(gap_end - 1, z) == hm(1, 59));
  BOOST_TEST(cal::local_minutes(gap_end, z) == hm(3, 0));
  // Overnight quiet hours: 23:00 EST → 09:00 EDT, one hour shorter than usual.
  BOOST_TEST(cal::quiet_end(utc(2026, 3, 8, 4, 0), z, hm(22, 0), hm(9, 0)) == utc(2026, 3, 8, 13, 0));
  // 01:00..03:00 and 01:00..02:30 both end when the gap ends.
  BOOST_TEST(cal::quiet_end(utc(2026, 3, 8, 6, 30), z, hm(1, 0), hm(3, 0)) == gap_end);
  BOOST_TEST(cal::quiet_end(utc(2026, 3, 8, 6, 30), z, hm(1, 0), hm(2, 30)) == gap_end);
  // A window inside the gap never holds that night.
  BOOST_TEST(cal::quiet_end(gap_end, z, hm(2, 0), hm(2, 30)) == gap_end);
  // 02:30 does not exist that day: it means the end of the gap.
  BOOST_TEST(cal::next_clock(utc(2026, 3, 8, 5, 0), z, hm(2, 30)) == gap_end);
  BOOST_TEST(cal::next_clock(gap_end, z, hm(2, 30)) == gap_end);
  BOOST_TEST(cal::next_clock(gap_end + 1, z, hm(2, 30)) == utc(2026, 3, 9, 6, 30));
  BOOST_TEST(cal::next_clock(utc(2026, 3, 8, 5, 0), z, hm(10, 0)) == utc(2026, 3, 8, 14, 0));
}

BOOST_AUTO_TEST_CASE(new_york_fall_back) {
  // 2026-11-01 02:00 EDT becomes 01:00 EST at 06:00Z: 01:00–01:59 happens twice.
  const cal::Zone z = zone("America/New_York");
  const Time change = utc(2026, 11, 1, 6, 0);
  BOOST_TEST(cal::local_minutes(change - 1, z) == hm(1, 59));
  BOOST_TEST(cal::local_minutes(change, z) == hm(1, 0));
  // 01:30 means the earlier one, 01:30 EDT; once it has passed, the next day's.
  BOOST_TEST(cal::next_clock(utc(2026, 11, 1, 4, 0), z, hm(1, 30)) == utc(2026, 11, 1, 5, 30));
  BOOST_TEST(cal::next_clock(utc(2026, 11, 1, 6, 10), z, hm(1, 30)) == utc(2026, 11, 2, 6, 30));
  // Quiet hours end at the first instant outside: in the second 01:xx the window holds again.
  BOOST_TEST(cal::quiet_end(utc(2026, 11, 1, 5, 10), z, hm(0, 0), hm(1, 30)) == utc(2026, 11, 1, 5, 30));
  BOOST_TEST(cal::quiet_end(utc(2026, 11, 1, 6, 10), z, hm(0, 0), hm(1, 30)) == utc(2026, 11, 1, 6, 30));
  // A 22:00..09:00 night one hour longer: 22:00 EDT → 09:00 EST.
  BOOST_TEST(cal::quiet_end(utc(2026, 11, 1, 2, 0), z, hm(22, 0), hm(9, 0)) == utc(2026, 11, 1, 14, 0));
}

BOOST_AUTO_TEST_CASE(berlin_both_changes) {
  const cal::Zone z = zone("Europe/Berlin");
  // 2026-03-29 02:00 CET becomes 03:00 CEST at 01:00Z.
  BOOST_TEST(cal::quiet_end(utc(2026, 3, 28, 22, 0), z, hm(22, 0), hm(9, 0)) == utc(2026, 3, 29, 7, 0));
  BOOST_TEST(cal::quiet_end(utc(2026, 3, 29, 0, 59), z, hm(2, 0), hm(2, 30)) == utc(2026, 3, 29, 0, 59));
  BOOST_TEST(cal::next_clock(utc(2026, 3, 29, 0, 0), z, hm(2, 15)) == utc(2026, 3, 29, 1, 0));
  // 2026-10-25 03:00 CEST becomes 02:00 CET at 01:00Z.
  BOOST_TEST(cal::next_clock(utc(2026, 10, 24, 23, 0), z, hm(2, 30)) == utc(2026, 10, 25, 0, 30));
  // In 01:00..03:00 at 02:30 CEST: 03:00 CEST jumps back to 02:00 CET, still inside; the
  // window ends at 03:00 CET.
  BOOST_TEST(cal::quiet_end(utc(2026, 10, 25, 0, 30), z, hm(1, 0), hm(3, 0)) == utc(2026, 10, 25, 2, 0));
  BOOST_TEST(cal::local_minutes(utc(2026, 10, 25, 1, 0), z) == hm(2, 0));
}

BOOST_AUTO_TEST_CASE(kathmandu_quarter_hour) {
  const cal::Zone z = zone("Asia/Kathmandu");  // +05:45
  const Time t = utc(2026, 6, 1, 0, 0);        // 05:45
  BOOST_TEST(cal::local_minutes(t, z) == hm(5, 45));
  BOOST_TEST(cal::next_clock(t, z, hm(10, 0)) == utc(2026, 6, 1, 4, 15));
  BOOST_TEST(cal::quiet_end(t, z, hm(22, 0), hm(9, 0)) == utc(2026, 6, 1, 3, 15));
}

BOOST_AUTO_TEST_CASE(lord_howe_half_hour_dst) {
  const cal::Zone z = zone("Australia/Lord_Howe");  // +10:30, +11 in summer
  // 2026-04-05 02:00 +11 becomes 01:30 +10:30 at 15:00Z (April 4).
  BOOST_TEST(cal::local_minutes(utc(2026, 4, 4, 14, 59, 59), z) == hm(1, 59));
  BOOST_TEST(cal::local_minutes(utc(2026, 4, 4, 15, 0), z) == hm(1, 30));
  BOOST_TEST(cal::next_clock(utc(2026, 4, 4, 14, 0), z, hm(1, 45)) == utc(2026, 4, 4, 14, 45));
  // 2026-10-04 02:00 +10:30 becomes 02:30 +11 at 15:30Z (October 3).
  BOOST_TEST(cal::next_clock(utc(2026, 10, 3, 15, 0), z, hm(2, 10)) == utc(2026, 10, 3, 15, 30));
  BOOST_TEST(cal::quiet_end(utc(2026, 10, 3, 15, 0), z, hm(1, 0), hm(2, 15)) == utc(2026, 10, 3, 15, 30));
}

BOOST_AUTO_TEST_CASE(ticks) {
  const cal::Zone msk = zone("Europe/Moscow");
  const cal::Zone ny = zone("America/New_York");
  const std::int64_t day = 86400;
  // Daily at 10:00 local, in different zones.
  BOOST_TEST(cal::next_tick(utc(2026, 3, 10, 8, 0), msk, day, hm(10, 0)) == utc(2026, 3, 11, 7, 0));
  BOOST_TEST(cal::next_tick(utc(2026, 3, 10, 6, 0), msk, day, hm(10, 0)) == utc(2026, 3, 10, 7, 0));
  BOOST_TEST(cal::next_tick(utc(2026, 3, 7, 16, 0), ny, day, hm(10, 0)) == utc(2026, 3, 8, 14, 0));  // EDT
  BOOST_TEST(cal::next_tick(utc(2026, 3, 6, 16, 0), ny, day, hm(10, 0)) == utc(2026, 3, 7, 15, 0));  // EST
  // Every 3 days: local days whose number is a multiple of 3 (2026-01-01 is day 20454 = 3·6818).
  BOOST_TEST(cal::next_tick(utc(2026, 1, 1), cal::utc(), 3 * day, 0) == utc(2026, 1, 1));
  BOOST_TEST(cal::next_tick(utc(2026, 1, 1, 0, 0, 1), cal::utc(), 3 * day, 0) == utc(2026, 1, 4));
  // Less than a day with `at` counts as daily.
  BOOST_TEST(cal::next_tick(utc(2026, 1, 1, 12), cal::utc(), 3600, hm(6, 0)) == utc(2026, 1, 2, 6));
  // Without `at`: UTC multiples of the period.
  BOOST_TEST(cal::next_tick(1000, msk, 3600, -1) == 3600);
  BOOST_TEST(cal::next_tick(3600, msk, 3600, -1) == 3600);
  BOOST_TEST(cal::next_tick(-1000, msk, 3600, -1) == 0);
  BOOST_TEST(cal::next_tick(1000, msk, 0, -1) == 1000);  // no period: now
}

BOOST_AUTO_TEST_CASE(formatting) {
  const cal::Zone ny = zone("America/New_York");
  const Time t = utc(2026, 3, 8, 7, 5, 9);  // 03:05:09 EDT
  BOOST_TEST(cal::format_time(t, ny, "yyyy-MM-dd HH:mm:ss") == "2026-03-08 03:05:09");
  BOOST_TEST(cal::format_time(t, ny, "d.M.yy H:mm") == "8.3.26 3:05");
  BOOST_TEST(cal::format_time(t, ny, "dd.MM.yyyy") == "08.03.2026");
  BOOST_TEST(cal::format_time(t, ny, "'at' HH:mm") == "at 03:05");
  BOOST_TEST(cal::format_time(t, ny, "HH 'o''clock'") == "03 o'clock");
  BOOST_TEST(cal::format_time(t, ny, "''HH''") == "'03'");
  BOOST_TEST(cal::format_time(t, ny, "Ждём вас в HH:mm") == "Ждём вас в 03:05");
  BOOST_TEST(cal::format_time(t, ny, "EEE a, HH") == "EEE a, 03");  // unknown letters as they are
  BOOST_TEST(cal::format_time(t, ny, "'unclosed HH") == "unclosed HH");
  BOOST_TEST(cal::format_time(t, ny, "") == "");
  BOOST_TEST(cal::format_time(t, cal::find_zone("Europe/Moscow"), "HH:mm") == "10:05");
  BOOST_TEST(cal::format_time(t, nullptr, "HH:mm") == "07:05");  // no zone: UTC
  BOOST_TEST(cal::format_time(utc(1969, 12, 31, 23, 59, 58), cal::utc(), "yyyy-MM-dd HH:mm:ss") ==
             "1969-12-31 23:59:58");
}

BOOST_AUTO_TEST_CASE(total_on_extreme_inputs) {
  const cal::Zone z = zone("America/New_York");
  for (Time t : {std::numeric_limits<Time>::min(), std::numeric_limits<Time>::max(), Time{-400'000'000'001},
                 Time{400'000'000'001}}) {
    BOOST_TEST(cal::quiet_end(t, z, hm(22, 0), hm(9, 0)) == t);
    BOOST_TEST(cal::next_clock(t, z, hm(10, 0)) == t);
    BOOST_TEST(cal::next_tick(t, z, 86400, hm(10, 0)) == t);
    const int m = cal::local_minutes(t, z);
    BOOST_TEST((m >= 0 && m < 1440));
    BOOST_TEST(!cal::format_time(t, z, "yyyy-MM-dd HH:mm:ss").empty());
  }
  // Ten thousand years either way still work.
  for (Time t : {utc(-8000, 6, 1, 12), utc(9999, 12, 31, 23, 59, 59), utc(12000, 1, 1)}) {
    const Time q = cal::quiet_end(t, z, hm(22, 0), hm(9, 0));
    BOOST_TEST((q >= t && q - t <= 86400));
    const Time c = cal::next_clock(t, z, hm(10, 0));
    BOOST_TEST((c >= t && c - t <= 2 * 86400));
    const Time k = cal::next_tick(t, z, 7 * 86400, hm(10, 0));
    BOOST_TEST((k >= t && k - t <= 9 * 86400));
  }
  BOOST_TEST(cal::format_time(utc(9999, 12, 31, 23, 59, 59), cal::utc(), "yyyy-MM-dd") == "9999-12-31");
  BOOST_TEST(cal::format_time(std::numeric_limits<Time>::min(), nullptr, "yyyy") ==
             "-292277022657");
  // Odd clocks are taken modulo a day; huge periods never overflow.
  BOOST_TEST(cal::next_clock(utc(2026, 1, 1), cal::utc(), 1440 + 60) == utc(2026, 1, 1, 1));
  BOOST_TEST(cal::next_clock(utc(2026, 1, 1), cal::utc(), -60) == utc(2026, 1, 1, 23));
  BOOST_TEST(cal::next_tick(utc(2026, 1, 1, 1), cal::utc(), std::numeric_limits<std::int64_t>::max(), 0) ==
             std::numeric_limits<Time>::max());
  BOOST_TEST(cal::next_tick(5, cal::utc(), std::numeric_limits<std::int64_t>::max(), -1) ==
             std::numeric_limits<std::int64_t>::max());
}
