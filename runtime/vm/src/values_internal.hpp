// Private helpers shared by ops.cpp and record.cpp: proleptic Gregorian day arithmetic (Howard
// Hinnant's days_from_civil / civil_from_days, on int64 so that any Time value converts without
// overflow) and allocation-free appends of numbers and instants to a std::string.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>

namespace cascade::vm::detail {

// Days since 1970-01-01 of y-m-d (m 1..12, d 1..31). Exact for |y| up to ~10^15.
inline std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;                                    // [0, 399]
  const std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + doe - 719468;
}

struct Civil {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

inline Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const unsigned d = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  const unsigned m = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  return {era * 400 + yoe + (m <= 2), m, d};
}

inline bool is_leap(std::int64_t y) {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

inline unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

inline void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

inline void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

inline void append_2(std::string& out, unsigned v) {
  out += static_cast<char>('0' + v / 10 % 10);
  out += static_cast<char>('0' + v % 10);
}

// "2026-03-02T10:00:00Z"; years outside 0..9999 are written as plain (signed) numbers.
inline void append_time_utc(std::string& out, std::int64_t t) {
  std::int64_t days = t / 86400;
  std::int64_t secs = t % 86400;
  if (secs < 0) {
    secs += 86400;
    days -= 1;
  }
  const Civil c = civil_from_days(days);
  if (c.year >= 0 && c.year <= 9999) {
    const auto y = static_cast<unsigned>(c.year);
    append_2(out, y / 100);
    append_2(out, y % 100);
  } else {
    append_int(out, c.year);
  }
  out += '-';
  append_2(out, c.month);
  out += '-';
  append_2(out, c.day);
  out += 'T';
  append_2(out, static_cast<unsigned>(secs / 3600));
  out += ':';
  append_2(out, static_cast<unsigned>(secs / 60 % 60));
  out += ':';
  append_2(out, static_cast<unsigned>(secs % 60));
  out += 'Z';
}

}  // namespace cascade::vm::detail
