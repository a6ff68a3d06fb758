#include "cascade/stdlib/units.hpp"

namespace cascade::units {

namespace {
bool digit(char c) { return c >= '0' && c <= '9'; }
}  // namespace

std::optional<std::int64_t> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t k = 0;
  while (k < text.size()) {
    const std::size_t begin = k;
    std::int64_t n = 0;
    while (k < text.size() && digit(text[k])) {
      if (__builtin_mul_overflow(n, 10, &n) || __builtin_add_overflow(n, text[k] - '0', &n)) return std::nullopt;
      ++k;
    }
    if (k == begin || k == text.size()) return std::nullopt;
    std::int64_t unit = 0;
    switch (text[k]) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      case 'w': unit = 7 * 86400; break;
      default: return std::nullopt;
    }
    ++k;
    std::int64_t part = 0;
    if (__builtin_mul_overflow(n, unit, &part) || __builtin_add_overflow(total, part, &total)) return std::nullopt;
  }
  return total;
}

std::optional<std::int32_t> parse_clock(std::string_view text) {
  const std::size_t colon = text.find(':');
  if ((colon != 1 && colon != 2) || text.size() != colon + 3) return std::nullopt;
  int h = 0, m = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == colon) continue;
    if (!digit(text[i])) return std::nullopt;
    (i < colon ? h : m) = (i < colon ? h : m) * 10 + (text[i] - '0');
  }
  if (h > 23 || m > 59) return std::nullopt;
  return h * 60 + m;
}

}  // namespace cascade::units
