// Operators, text rendering and the pure builtins on runtime Values (see ops.hpp).
//
// Every path is total: overflow is detected with the compiler's checked builtins or done in
// 128-bit intermediates and turns into null; nothing here throws or allocates except through
// the step Arena (whose slots are reused, so a warm step allocates nothing).
#include "cascade/vm/ops.hpp"

#include <algorithm>
#include <cstring>
#include <limits>

#include "values_internal.hpp"

namespace cascade::vm::ops {
namespace {

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr int kMaxScale = 18;

constexpr std::int64_t kPow10[19] = {1,
                                     10,
                                     100,
                                     1000,
                                     10000,
                                     100000,
                                     1000000,
                                     10000000,
                                     100000000,
                                     1000000000,
                                     10000000000,
                                     100000000000,
                                     1000000000000,
                                     10000000000000,
                                     100000000000000,
                                     1000000000000000,
                                     10000000000000000,
                                     100000000000000000,
                                     1000000000000000000};

bool is_number(const Value& v) {
  return v.kind == Kind::Int || v.kind == Kind::Decimal;
}
int scale_of(const Value& v) {
  return v.kind == Kind::Decimal ? std::min<int>(v.scale, kMaxScale) : 0;
}

// 10^n for n ≤ 38, in 128 bits.
i128 pow10_wide(int n) {
  i128 p = 1;
  for (int k = 0; k < n; ++k) p *= 10;
  return p;
}

bool fits64(i128 v) {
  return v >= kMin && v <= kMax;
}

// n / d rounded half away from zero; d > 0.
i128 round_div(i128 n, i128 d) {
  i128 q = n / d;
  i128 r = n % d;
  if (r < 0) r = -r;
  if (2 * r >= d) q += n < 0 ? -1 : 1;
  return q;
}

// a / 10^sa as a fixed-point number rescaled to `scale` (≥ sa), exactly, in 128 bits.
i128 widen(const Value& v, int scale) {
  return static_cast<i128>(v.i) * kPow10[scale - scale_of(v)];
}

Value make_decimal(i128 units, int scale) {
  if (!fits64(units)) return Value::null();
  return Value::decimal(static_cast<std::int64_t>(units), static_cast<std::uint8_t>(scale));
}

// (a / 10^sa) / (b / 10^sb) as units of 10^-target, rounded half away from zero; nullopt on a
// zero divisor or when the result leaves int64. Long division keeps every intermediate in
// 128 bits whatever the scales (up to 24 extra digits).
std::optional<std::int64_t> quotient(std::int64_t a, int sa, std::int64_t b, int sb, int target) {
  if (b == 0) return std::nullopt;
  const bool negative = (a < 0) != (b < 0);
  const u128 ua = a < 0 ? static_cast<u128>(-static_cast<i128>(a)) : static_cast<u128>(a);
  const u128 ub = b < 0 ? static_cast<u128>(-static_cast<i128>(b)) : static_cast<u128>(b);
  const u128 limit = negative ? static_cast<u128>(kMax) + 1 : static_cast<u128>(kMax);
  const int e = target + sb - sa;  // result = a * 10^e / b
  u128 q = 0, r = 0, den = ub;
  if (e >= 0) {
    q = ua / ub;
    r = ua % ub;
    for (int k = 0; k < e; ++k) {
      if (q > limit) return std::nullopt;
      r *= 10;
      q = q * 10 + r / ub;
      r %= ub;
    }
  } else {
    den = ub * static_cast<u128>(kPow10[-e]);
    q = ua / den;
    r = ua % den;
  }
  if (2 * r >= den) ++q;
  if (q > limit) return std::nullopt;
  if (negative) return static_cast<std::int64_t>(-static_cast<i128>(q));
  return static_cast<std::int64_t>(q);
}

// A number as a decimal (an int becomes scale 0), for min/max of mixed operands.
Value as_decimal(const Value& v) {
  return v.kind == Kind::Int ? Value::decimal(v.i, 0) : v;
}

std::string_view view(const std::string& s) {
  return std::string_view(s.data(), s.size());
}

// --- UTF-8 case mapping -------------------------------------------------------------------
// Covers ASCII, Latin-1, Greek and Cyrillic (А-Я, Ё and the rest of U+0400..U+045F). Every
// mapping stays inside the two-byte UTF-8 range, so a string keeps its byte length and can be
// mapped in place; bytes that are not valid UTF-8 pass through unchanged.

char32_t to_lower(char32_t c) {
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  return c;
}

char32_t to_upper(char32_t c) {
  if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 32;
  if (c == 0x3C2) return 0x3A3;  // final sigma
  if (c >= 0x3B1 && c <= 0x3C9) return c - 32;
  if (c >= 0x430 && c <= 0x44F) return c - 32;
  if (c >= 0x450 && c <= 0x45F) return c - 80;
  return c;
}

// Maps `text` into `out` (which may be null: then only reports whether anything would change).
bool map_case(std::string_view text, bool upper, std::string* out) {
  bool changed = false;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  for (std::size_t k = 0; k < n; ++k) {
    const unsigned char b = p[k];
    if (b < 0x80) {
      char c = static_cast<char>(b);
      if (upper && b >= 'a' && b <= 'z') c = static_cast<char>(b - 32);
      if (!upper && b >= 'A' && b <= 'Z') c = static_cast<char>(b + 32);
      if (c != static_cast<char>(b)) {
        changed = true;
        if (!out) return true;
        (*out)[k] = c;
      }
    } else if (b >= 0xC2 && b <= 0xDF && k + 1 < n && (p[k + 1] & 0xC0) == 0x80) {
      const char32_t cp = (static_cast<char32_t>(b & 0x1F) << 6) | (p[k + 1] & 0x3F);
      const char32_t mapped = upper ? to_upper(cp) : to_lower(cp);
      if (mapped != cp) {
        changed = true;
        if (!out) return true;
        (*out)[k] = static_cast<char>(0xC0 | (mapped >> 6));
        (*out)[k + 1] = static_cast<char>(0x80 | (mapped & 0x3F));
      }
      ++k;
    }
  }
  return changed;
}

Value case_mapped(const Value& v, bool upper, Arena& arena) {
  if (v.kind != Kind::String) return Value::null();
  const std::string_view text = v.str();
  if (!map_case(text, upper, nullptr)) return v;  // nothing to change: no copy
  std::string& s = arena.scratch();
  s.assign(text.data(), text.size());
  map_case(text, upper, &s);
  return Value::string(view(s));
}

std::int64_t code_points(std::string_view s) {
  std::int64_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

void render_duration(std::int64_t seconds, std::string& out) {
  if (seconds == 0) {
    out += "0s";
    return;
  }
  std::uint64_t rest =
      seconds < 0 ? 0 - static_cast<std::uint64_t>(seconds) : static_cast<std::uint64_t>(seconds);
  if (seconds < 0) out += '-';
  static constexpr struct {
    std::uint64_t seconds;
    char unit;
  } kUnits[] = {{7 * 86400, 'w'}, {86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  for (const auto& u : kUnits) {
    if (rest >= u.seconds) {
      detail::append_uint(out, rest / u.seconds);
      out += u.unit;
      rest %= u.seconds;
    }
  }
}

void render_decimal(std::int64_t units, int scale, std::string& out) {
  const std::uint64_t mag =
      units < 0 ? 0 - static_cast<std::uint64_t>(units) : static_cast<std::uint64_t>(units);
  const auto p = static_cast<std::uint64_t>(kPow10[scale]);
  std::uint64_t whole = mag / p, frac = mag % p;
  if (units < 0) out += '-';
  detail::append_uint(out, whole);
  if (frac == 0) return;
  int digits = scale;
  while (frac % 10 == 0) {
    frac /= 10;
    --digits;
  }
  out += '.';
  char buf[20];
  for (int k = digits - 1; k >= 0; --k) {
    buf[k] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  out.append(buf, static_cast<std::size_t>(digits));
}

std::optional<std::int64_t> checked_mul(std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

Value or_null(std::optional<std::int64_t> v, Value (*make)(std::int64_t)) {
  return v ? make(*v) : Value::null();
}

Value since(const Value& t, Time now, std::int64_t unit) {
  if (t.kind != Kind::Time) return Value::null();
  std::int64_t d = 0;
  if (__builtin_sub_overflow(now, t.i, &d)) return Value::null();
  return Value::integer(d / unit);  // whole units, truncated toward zero
}

}  // namespace

// --- arithmetic ----------------------------------------------------------------------------

Value add(const Value& a, const Value& b, Arena& arena) {
  std::int64_t r = 0;
  if (a.kind == Kind::Int && b.kind == Kind::Int)
    return __builtin_add_overflow(a.i, b.i, &r) ? Value::null() : Value::integer(r);
  if (is_number(a) && is_number(b)) {
    const int s = std::max(scale_of(a), scale_of(b));
    return make_decimal(widen(a, s) + widen(b, s), s);
  }
  if (a.kind == Kind::Duration && b.kind == Kind::Duration)
    return __builtin_add_overflow(a.i, b.i, &r) ? Value::null() : Value::duration(r);
  if ((a.kind == Kind::Time && b.kind == Kind::Duration) ||
      (a.kind == Kind::Duration && b.kind == Kind::Time))
    return __builtin_add_overflow(a.i, b.i, &r) ? Value::null() : Value::time(r);
  if (a.kind == Kind::String && b.kind == Kind::String) {
    if (a.size == 0) return b;
    if (b.size == 0) return a;
    std::string& s = arena.scratch();
    s.reserve(std::size_t{a.size} + b.size);
    s.append(a.s, a.size);
    s.append(b.s, b.size);
    if (s.size() > std::numeric_limits<std::uint32_t>::max()) return Value::null();
    return Value::string(view(s));
  }
  return Value::null();
}

Value sub(const Value& a, const Value& b) {
  std::int64_t r = 0;
  if (a.kind == Kind::Int && b.kind == Kind::Int)
    return __builtin_sub_overflow(a.i, b.i, &r) ? Value::null() : Value::integer(r);
  if (is_number(a) && is_number(b)) {
    const int s = std::max(scale_of(a), scale_of(b));
    return make_decimal(widen(a, s) - widen(b, s), s);
  }
  if (a.kind == Kind::Duration && b.kind == Kind::Duration)
    return __builtin_sub_overflow(a.i, b.i, &r) ? Value::null() : Value::duration(r);
  if (a.kind == Kind::Time && b.kind == Kind::Duration)
    return __builtin_sub_overflow(a.i, b.i, &r) ? Value::null() : Value::time(r);
  if (a.kind == Kind::Time && b.kind == Kind::Time)
    return __builtin_sub_overflow(a.i, b.i, &r) ? Value::null() : Value::duration(r);
  return Value::null();
}

Value mul(const Value& a, const Value& b) {
  if (a.kind == Kind::Int && b.kind == Kind::Int) return or_null(checked_mul(a.i, b.i), Value::integer);
  if (is_number(a) && is_number(b)) {
    // |units| < 2^63 each, so the exact product fits in 127 bits.
    i128 p = static_cast<i128>(a.i) * b.i;
    int s = scale_of(a) + scale_of(b);
    if (s > kMaxScale) {
      p = round_div(p, kPow10[s - kMaxScale]);
      s = kMaxScale;
    }
    return make_decimal(p, s);
  }
  // A duration times a number: whole seconds, rounded half away from zero.
  const Value* d = a.kind == Kind::Duration ? &a : b.kind == Kind::Duration ? &b : nullptr;
  const Value* n = d == &a ? &b : &a;
  if (d && is_number(*n)) {
    const i128 p = round_div(static_cast<i128>(d->i) * n->i, kPow10[scale_of(*n)]);
    return fits64(p) ? Value::duration(static_cast<std::int64_t>(p)) : Value::null();
  }
  return Value::null();
}

Value div(const Value& a, const Value& b) {
  if (a.kind == Kind::Int && b.kind == Kind::Int) {
    if (b.i == 0 || (a.i == kMin && b.i == -1)) return Value::null();
    return Value::integer(a.i / b.i);
  }
  if (is_number(a) && is_number(b)) {
    constexpr int kQuotientScale = 6;
    auto q = quotient(a.i, scale_of(a), b.i, scale_of(b), kQuotientScale);
    return q ? Value::decimal(*q, kQuotientScale) : Value::null();
  }
  if (a.kind == Kind::Duration && b.kind == Kind::Int) {
    // Like int division: truncated toward zero.
    if (b.i == 0 || (a.i == kMin && b.i == -1)) return Value::null();
    return Value::duration(a.i / b.i);
  }
  if (a.kind == Kind::Duration && b.kind == Kind::Decimal)
    return or_null(quotient(a.i, 0, b.i, scale_of(b), 0), Value::duration);
  return Value::null();
}

Value neg(const Value& a) {
  switch (a.kind) {
    case Kind::Int:
    case Kind::Decimal:
    case Kind::Duration: {
      if (a.i == kMin) return Value::null();
      Value r = a;
      r.i = -a.i;
      return r;
    }
    default:
      return Value::null();
  }
}

// --- comparison ----------------------------------------------------------------------------

bool equal(const Value& a, const Value& b) {
  if (is_number(a) && is_number(b)) {
    if (a.kind == Kind::Int && b.kind == Kind::Int) return a.i == b.i;
    const int s = std::max(scale_of(a), scale_of(b));
    return widen(a, s) == widen(b, s);
  }
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Kind::Null:
      return true;
    case Kind::String:
      return a.size == b.size && (a.size == 0 || std::memcmp(a.s, b.s, a.size) == 0);
    case Kind::List:
      if (a.size != b.size) return false;
      for (std::uint32_t k = 0; k < a.size; ++k) {
        if (!equal(a.list[k], b.list[k])) return false;
      }
      return true;
    default:
      return a.i == b.i;
  }
}

std::optional<int> compare(const Value& a, const Value& b) {
  auto sign = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  if (is_number(a) && is_number(b)) {
    if (a.kind == Kind::Int && b.kind == Kind::Int) return sign(a.i, b.i);
    const int s = std::max(scale_of(a), scale_of(b));
    return sign(widen(a, s), widen(b, s));
  }
  if (a.kind != b.kind) return std::nullopt;
  switch (a.kind) {
    case Kind::Duration:
    case Kind::Time:
    case Kind::Clock:
      return sign(a.i, b.i);
    case Kind::String:
      return sign(a.str().compare(b.str()), 0);
    default:
      return std::nullopt;
  }
}

bool member(const Value& a, const Value& b) {
  if (b.kind == Kind::List) {
    for (std::uint32_t k = 0; k < b.size; ++k) {
      if (equal(a, b.list[k])) return true;
    }
    return false;
  }
  // The checker also accepts `text in text` (a substring test).
  if (b.kind == Kind::String && a.kind == Kind::String)
    return b.str().find(a.str()) != std::string_view::npos;
  return false;
}

// --- rendering -----------------------------------------------------------------------------

void render(const Value& v, std::string& out) {
  switch (v.kind) {
    case Kind::Null:
      return;
    case Kind::Bool:
      out += v.i ? "true" : "false";
      return;
    case Kind::Int:
      detail::append_int(out, v.i);
      return;
    case Kind::Decimal:
      render_decimal(v.i, scale_of(v), out);
      return;
    case Kind::Duration:
      render_duration(v.i, out);
      return;
    case Kind::Time:
      detail::append_time_utc(out, v.i);
      return;
    case Kind::Clock: {
      std::int64_t m = v.i % 1440;
      if (m < 0) m += 1440;
      detail::append_2(out, static_cast<unsigned>(m / 60));
      out += ':';
      detail::append_2(out, static_cast<unsigned>(m % 60));
      return;
    }
    case Kind::String:
      out.append(v.s, v.size);
      return;
    case Kind::List:
      for (std::uint32_t k = 0; k < v.size; ++k) {
        if (k) out += ", ";
        render(v.list[k], out);
      }
      return;
  }
}

std::string render(const Value& v) {
  std::string out;
  render(v, out);
  return out;
}

// --- builtins ------------------------------------------------------------------------------

std::optional<Value> call_pure(builtins::Id id, std::span<const Value> args, Time now, Arena& arena) {
  using builtins::Id;
  auto arg = [&](std::size_t k) -> const Value& {
    static const Value missing;
    return k < args.size() ? args[k] : missing;
  };
  const Value& a = arg(0);
  const Value& b = arg(1);
  switch (id) {
    case Id::FormatTime:
    case Id::Link:
    case Id::Has:
      return std::nullopt;  // the VM implements these itself
    case Id::DaysSince:
      return since(a, now, 86400);
    case Id::HoursSince:
      return since(a, now, 3600);
    case Id::Len:
      if (a.kind == Kind::String) return Value::integer(code_points(a.str()));
      if (a.kind == Kind::List) return Value::integer(a.size);
      return Value::null();
    case Id::Lower:
      return case_mapped(a, false, arena);
    case Id::Upper:
      return case_mapped(a, true, arena);
    case Id::Contains:
      if (a.kind == Kind::String && b.kind == Kind::String)
        return Value::boolean(a.str().find(b.str()) != std::string_view::npos);
      if (a.kind == Kind::List) return Value::boolean(member(b, a));
      return Value::null();
    case Id::StartsWith:
      if (a.kind == Kind::String && b.kind == Kind::String)
        return Value::boolean(a.str().starts_with(b.str()));
      return Value::null();
    case Id::Min:
    case Id::Max: {
      const auto c = compare(a, b);
      if (!c) return Value::null();
      const bool pick_a = id == Id::Min ? *c <= 0 : *c >= 0;
      const Value& r = pick_a ? a : b;
      // min(int, decimal) is a decimal (the checker's result type).
      if (a.kind != b.kind && is_number(a) && is_number(b)) return as_decimal(r);
      return r;
    }
    case Id::Round: {
      if (!is_number(a) || b.kind != Kind::Int) return Value::null();
      const int s = scale_of(a);
      if (b.i >= s) return as_decimal(a);
      // Digits below zero round to tens, hundreds…; far enough below, everything rounds to 0.
      const std::int64_t digits = std::max<std::int64_t>(b.i, -kMaxScale - 1);
      const int drop = static_cast<int>(s - digits);  // 1..37 places to drop
      const int new_scale = static_cast<int>(std::max<std::int64_t>(digits, 0));
      i128 units = round_div(a.i, pow10_wide(drop));
      // For negative digits the rounded number is scaled back up to units (scale 0).
      if (digits < 0) units *= pow10_wide(static_cast<int>(-digits));
      return make_decimal(units, new_scale);
    }
    case Id::Str:
      if (a.kind == Kind::String) return a;
      {
        std::string& s = arena.scratch();
        render(a, s);
        return Value::string(view(s));
      }
    case Id::Hours:
      if (a.kind == Kind::Int) return or_null(checked_mul(a.i, 3600), Value::duration);
      if (a.kind == Kind::Decimal) return mul(Value::duration(3600), a);
      return Value::null();
    case Id::Days:
      if (a.kind == Kind::Int) return or_null(checked_mul(a.i, 86400), Value::duration);
      return Value::null();
  }
  return std::nullopt;
}

}  // namespace cascade::vm::ops
