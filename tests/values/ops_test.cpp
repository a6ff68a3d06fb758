// Operators, rendering and the pure builtins: decimal scales, overflow → null, cross-kind
// comparisons, every text form, and each builtin including UTF-8 case mapping.
#include "cascade/vm/ops.hpp"

#include <array>
#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <limits>
#include <string>

#include "cascade/vm/record.hpp"

using namespace cascade::vm;
namespace ops = cascade::vm::ops;
using cascade::builtins::Id;

namespace {
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
const Time k2026 = 1772445600;  // 2026-03-02T10:00:00Z

Value I(std::int64_t v) {
  return Value::integer(v);
}
Value D(std::int64_t units, int scale) {
  return Value::decimal(units, static_cast<std::uint8_t>(scale));
}
Value S(std::string_view s) {
  return Value::string(s);
}
Value Du(std::int64_t s) {
  return Value::duration(s);
}

// Exact kind, scale and units.
bool same(const Value& a, const Value& b) {
  if (a.kind != b.kind) return false;
  if (a.kind == Kind::Decimal && a.scale != b.scale) return false;
  if (a.kind == Kind::String) return a.str() == b.str();
  return a.kind == Kind::Null || a.i == b.i;
}

std::string R(const Value& v) {
  return ops::render(v);
}

Value call(Id id, std::initializer_list<Value> args, Arena& arena, Time now = k2026) {
  const std::vector<Value> v(args);
  const auto r = ops::call_pure(id, v, now, arena);
  BOOST_REQUIRE(r.has_value());
  return *r;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(ops_suite)

BOOST_AUTO_TEST_CASE(addition_keeps_the_larger_scale) {
  Arena a;
  BOOST_TEST(same(ops::add(I(2), I(3), a), I(5)));
  BOOST_TEST(same(ops::add(D(25, 1), D(125, 2), a), D(375, 2)));  // 2.5 + 1.25 = 3.75
  BOOST_TEST(same(ops::add(I(1), D(5, 1), a), D(15, 1)));
  BOOST_TEST(same(ops::add(D(5, 1), I(-1), a), D(-5, 1)));
  BOOST_TEST(same(ops::sub(D(100, 2), D(1, 1)), D(90, 2)));
  BOOST_TEST(same(ops::sub(I(3), D(1, 18)), D(2999999999999999999, 18)));
}

BOOST_AUTO_TEST_CASE(overflow_is_null) {
  Arena a;
  BOOST_TEST(ops::add(I(kMax), I(1), a).is_null());
  BOOST_TEST(ops::sub(I(kMin), I(1)).is_null());
  BOOST_TEST(ops::mul(I(kMax / 2 + 1), I(2)).is_null());
  BOOST_TEST(ops::neg(I(kMin)).is_null());
  BOOST_TEST(same(ops::neg(I(kMax)), I(-kMax)));
  // Rescaling to the common scale overflows: 9.2e18 at scale 0 is 9.2e19 units at scale 1.
  BOOST_TEST(ops::add(I(kMax), D(1, 1), a).is_null());
  BOOST_TEST(ops::add(D(kMax, 0), D(kMax, 0), a).is_null());
  BOOST_TEST(ops::mul(D(kMax, 2), D(200, 2)).is_null());
  BOOST_TEST(ops::add(Value::time(kMax), Du(1), a).is_null());
  BOOST_TEST(ops::sub(Value::time(kMin), Value::time(1)).is_null());
  BOOST_TEST(ops::mul(Du(kMax), I(2)).is_null());
  BOOST_TEST(ops::div(I(kMin), I(-1)).is_null());
  BOOST_TEST(ops::div(D(kMax, 0), D(1, 6)).is_null());
}

BOOST_AUTO_TEST_CASE(multiplication_sums_scales_capped_at_18) {
  BOOST_TEST(same(ops::mul(D(15, 1), D(15, 1)), D(225, 2)));
  BOOST_TEST(same(ops::mul(I(3), D(125, 2)), D(375, 2)));
  // 1e-9 × 1.5e-9 = 1.5e-18 → scale 19 rounded half away from zero to scale 18: 2e-18.
  BOOST_TEST(same(ops::mul(D(1, 9), D(15, 10)), D(2, 18)));
  BOOST_TEST(same(ops::mul(D(-1, 9), D(15, 10)), D(-2, 18)));
  BOOST_TEST(same(ops::mul(D(1, 9), D(14, 10)), D(1, 18)));
  // The product may exceed int64 before the scale is cut back.
  BOOST_TEST(same(ops::mul(D(1000000000000000000, 18), D(5, 1)), D(500000000000000000, 18)));
}

BOOST_AUTO_TEST_CASE(division) {
  BOOST_TEST(same(ops::div(I(7), I(2)), I(3)));
  BOOST_TEST(same(ops::div(I(-7), I(2)), I(-3)));  // toward zero
  BOOST_TEST(ops::div(I(1), I(0)).is_null());
  BOOST_TEST(same(ops::div(D(10, 1), I(3)), D(333333, 6)));
  BOOST_TEST(same(ops::div(I(2), D(30, 1)), D(666667, 6)));  // half away from zero
  BOOST_TEST(same(ops::div(I(-2), D(30, 1)), D(-666667, 6)));
  BOOST_TEST(same(ops::div(D(1, 18), D(3, 0)), D(0, 6)));
  BOOST_TEST(ops::div(D(5, 0), D(1, 18)).is_null());
  BOOST_TEST(same(ops::div(D(12345, 2), D(5, 1)), D(246900000, 6)));  // 123.45 / 0.5 = 246.9
  BOOST_TEST(ops::div(D(1, 1), D(0, 3)).is_null());
  BOOST_TEST(ops::div(D(kMin, 6), D(-1, 0)).is_null());  // |kMin| does not fit
  BOOST_TEST(same(ops::div(D(kMin, 6), D(1, 0)), D(kMin, 6)));
  BOOST_TEST(same(ops::div(Du(3600), I(4)), Du(900)));
  BOOST_TEST(same(ops::div(Du(3600), D(15, 1)), Du(2400)));
  BOOST_TEST(ops::div(Du(3600), I(0)).is_null());
}

BOOST_AUTO_TEST_CASE(durations_and_times) {
  Arena a;
  const Value t = Value::time(k2026);
  BOOST_TEST(same(ops::add(t, Du(3600), a), Value::time(k2026 + 3600)));
  BOOST_TEST(same(ops::add(Du(60), t, a), Value::time(k2026 + 60)));
  BOOST_TEST(same(ops::sub(t, Du(60)), Value::time(k2026 - 60)));
  BOOST_TEST(same(ops::sub(t, Value::time(k2026 - 90)), Du(90)));
  BOOST_TEST(same(ops::add(Du(60), Du(30), a), Du(90)));
  BOOST_TEST(same(ops::mul(Du(3600), I(3)), Du(10800)));
  BOOST_TEST(same(ops::mul(I(2), Du(90)), Du(180)));
  BOOST_TEST(same(ops::mul(Du(3600), D(15, 1)), Du(5400)));
  BOOST_TEST(same(ops::mul(Du(1), D(5, 1)), Du(1)));  // 0.5s rounds away from zero
  BOOST_TEST(same(ops::neg(Du(30)), Du(-30)));
  // Kinds the checker refuses give null.
  BOOST_TEST(ops::add(t, t, a).is_null());
  BOOST_TEST(ops::mul(t, I(2)).is_null());
  BOOST_TEST(ops::add(S("a"), I(1), a).is_null());
  BOOST_TEST(ops::add(Value::null(), I(1), a).is_null());
  BOOST_TEST(ops::neg(S("x")).is_null());
}

BOOST_AUTO_TEST_CASE(string_concatenation_uses_the_arena) {
  Arena a;
  const std::string left = "Привет, ", right = "Анна";
  const Value v = ops::add(S(left), S(right), a);
  BOOST_TEST(v.str() == "Привет, Анна");
  BOOST_TEST(ops::add(S(""), S(right), a).s == right.data());  // no copy for an empty side
  a.clear();
  const Value w = ops::add(S("x"), S("y"), a);
  BOOST_TEST(w.s == v.s);  // the same slot, reused
}

BOOST_AUTO_TEST_CASE(equality_and_order) {
  BOOST_TEST(ops::equal(I(1), D(10, 1)));
  BOOST_TEST(ops::equal(D(1250, 3), D(125, 2)));
  BOOST_TEST(!ops::equal(I(1), D(11, 1)));
  BOOST_TEST(!ops::equal(I(1), Du(1)));
  BOOST_TEST(!ops::equal(I(1), S("1")));
  BOOST_TEST(ops::equal(Value::null(), Value::null()));
  BOOST_TEST(!ops::equal(Value::null(), I(0)));
  const std::string a1 = "vip", a2 = "vip";
  BOOST_TEST(ops::equal(S(a1), S(a2)));
  BOOST_TEST(!ops::equal(S("vip"), S("vi")));
  BOOST_TEST(ops::equal(Value::boolean(true), Value::boolean(true)));
  const std::array<Value, 2> l1{S("a"), I(1)}, l2{S("a"), D(10, 1)}, l3{S("a"), I(2)};
  BOOST_TEST(ops::equal(Value::list_of(l1.data(), 2), Value::list_of(l2.data(), 2)));
  BOOST_TEST(!ops::equal(Value::list_of(l1.data(), 2), Value::list_of(l3.data(), 2)));
  BOOST_TEST(!ops::equal(Value::list_of(l1.data(), 2), Value::list_of(l1.data(), 1)));

  BOOST_TEST(*ops::compare(D(15, 1), I(2)) == -1);
  BOOST_TEST(*ops::compare(I(2), D(15, 1)) == 1);
  BOOST_TEST(*ops::compare(D(kMax, 18), D(kMax, 0)) == -1);
  BOOST_TEST(*ops::compare(D(200, 2), I(2)) == 0);
  BOOST_TEST(*ops::compare(Du(60), Du(59)) == 1);
  BOOST_TEST(*ops::compare(Value::time(1), Value::time(2)) == -1);
  BOOST_TEST(*ops::compare(Value::clock(540), Value::clock(540)) == 0);
  BOOST_TEST(*ops::compare(S("a"), S("b")) == -1);
  BOOST_TEST(!ops::compare(I(1), Du(1)).has_value());
  BOOST_TEST(!ops::compare(Value::null(), I(1)).has_value());
  BOOST_TEST(!ops::compare(Value::boolean(false), Value::boolean(true)).has_value());
  BOOST_TEST(!ops::compare(Value::list_of(l1.data(), 2), Value::list_of(l1.data(), 2)).has_value());

  BOOST_TEST(ops::member(S("a"), Value::list_of(l1.data(), 2)));
  BOOST_TEST(ops::member(D(10, 1), Value::list_of(l1.data(), 2)));
  BOOST_TEST(!ops::member(S("b"), Value::list_of(l1.data(), 2)));
  BOOST_TEST(!ops::member(S("a"), Value::null()));
  BOOST_TEST(ops::member(S("ell"), S("hello")));
}

BOOST_AUTO_TEST_CASE(render_forms) {
  BOOST_TEST(R(Value::null()) == "");
  BOOST_TEST(R(Value::boolean(true)) == "true");
  BOOST_TEST(R(Value::boolean(false)) == "false");
  BOOST_TEST(R(I(-42)) == "-42");
  BOOST_TEST(R(I(kMin)) == "-9223372036854775808");
  BOOST_TEST(R(D(54900, 1)) == "5490");
  BOOST_TEST(R(D(1250, 2)) == "12.5");
  BOOST_TEST(R(D(-5, 2)) == "-0.05");
  BOOST_TEST(R(D(1, 18)) == "0.000000000000000001");
  BOOST_TEST(R(D(kMin, 18)) == "-9.223372036854775808");
  BOOST_TEST(R(D(0, 3)) == "0");
  BOOST_TEST(R(Du(5400)) == "1h30m");
  BOOST_TEST(R(Du(0)) == "0s");
  BOOST_TEST(R(Du(90)) == "1m30s");
  BOOST_TEST(R(Du(8 * 86400 + 5)) == "1w1d5s");
  BOOST_TEST(R(Du(-90)) == "-1m30s");
  BOOST_TEST(R(Value::time(k2026)) == "2026-03-02T10:00:00Z");
  BOOST_TEST(R(Value::time(-1)) == "1969-12-31T23:59:59Z");
  BOOST_TEST(R(Value::time(0)) == "1970-01-01T00:00:00Z");
  BOOST_TEST(R(Value::clock(570)) == "09:30");
  BOOST_TEST(R(Value::clock(0)) == "00:00");
  BOOST_TEST(R(S("текст")) == "текст");
  const std::array<Value, 3> l{S("a"), I(2), D(35, 1)};
  BOOST_TEST(R(Value::list_of(l.data(), 3)) == "a, 2, 3.5");
  BOOST_TEST(R(Value::list_of(l.data(), 0)) == "");
  std::string out = "x=";
  ops::render(I(5), out);
  BOOST_TEST(out == "x=5");
  // Extreme instants still render (no overflow in the calendar arithmetic).
  BOOST_TEST(!R(Value::time(kMax)).empty());
  BOOST_TEST(!R(Value::time(kMin)).empty());
}

BOOST_AUTO_TEST_CASE(builtin_since) {
  Arena a;
  BOOST_TEST(same(call(Id::DaysSince, {Value::time(k2026 - 3 * 86400 - 5)}, a), I(3)));
  BOOST_TEST(same(call(Id::DaysSince, {Value::time(k2026 - 86399)}, a), I(0)));
  BOOST_TEST(same(call(Id::DaysSince, {Value::time(k2026 + 2 * 86400)}, a), I(-2)));
  BOOST_TEST(same(call(Id::HoursSince, {Value::time(k2026 - 7200 - 1)}, a), I(2)));
  BOOST_TEST(call(Id::HoursSince, {Value::null()}, a).is_null());
  BOOST_TEST(call(Id::DaysSince, {Value::time(kMin)}, a).is_null());
}

BOOST_AUTO_TEST_CASE(builtin_len_lower_upper) {
  Arena a;
  BOOST_TEST(same(call(Id::Len, {S("Анна")}, a), I(4)));
  BOOST_TEST(same(call(Id::Len, {S("abc")}, a), I(3)));
  BOOST_TEST(same(call(Id::Len, {S("")}, a), I(0)));
  BOOST_TEST(same(call(Id::Len, {S("日本🙂")}, a), I(3)));
  const std::array<Value, 2> l{I(1), I(2)};
  BOOST_TEST(same(call(Id::Len, {Value::list_of(l.data(), 2)}, a), I(2)));
  BOOST_TEST(call(Id::Len, {Value::null()}, a).is_null());

  BOOST_TEST(call(Id::Lower, {S("ПРИВЕТ, Мир! ЁЖ Hello")}, a).str() == "привет, мир! ёж hello");
  BOOST_TEST(call(Id::Upper, {S("привет, мир! ёж hello")}, a).str() == "ПРИВЕТ, МИР! ЁЖ HELLO");
  BOOST_TEST(call(Id::Upper, {S("Ѓѕіїјљњћќўџ")}, a).str() == "ЃЅІЇЈЉЊЋЌЎЏ");
  BOOST_TEST(call(Id::Lower, {S("ÀÉÖ×Ø")}, a).str() == "àéö×ø");
  BOOST_TEST(call(Id::Upper, {S("straße")}, a).str() == "STRAßE");  // ß has no one-letter capital
  BOOST_TEST(call(Id::Upper, {S("日本🙂x")}, a).str() == "日本🙂X");
  // Invalid UTF-8 passes through unchanged.
  const std::string bad = std::string("a\xD0") + "\xFF" + "b\xC3";
  BOOST_TEST(call(Id::Upper, {S(bad)}, a).str() == std::string("A\xD0") + "\xFF" + "B\xC3");
  // Nothing to change: the same bytes come back, not a copy.
  const std::string lower = "уже маленькие";
  BOOST_TEST(call(Id::Lower, {S(lower)}, a).s == lower.data());
}

BOOST_AUTO_TEST_CASE(builtin_contains_starts_with) {
  Arena a;
  BOOST_TEST(call(Id::Contains, {S("Москва"), S("сква")}, a).truthy());
  BOOST_TEST(!call(Id::Contains, {S("Москва"), S("Спб")}, a).truthy());
  BOOST_TEST(call(Id::Contains, {S("x"), S("")}, a).truthy());
  const std::array<Value, 2> tags{S("app"), S("vip")};
  BOOST_TEST(call(Id::Contains, {Value::list_of(tags.data(), 2), S("vip")}, a).truthy());
  BOOST_TEST(!call(Id::Contains, {Value::list_of(tags.data(), 2), S("vi")}, a).truthy());
  BOOST_TEST(call(Id::StartsWith, {S("+7916"), S("+7")}, a).truthy());
  BOOST_TEST(!call(Id::StartsWith, {S("+7"), S("+7916")}, a).truthy());
  BOOST_TEST(call(Id::StartsWith, {Value::null(), S("x")}, a).is_null());
}

BOOST_AUTO_TEST_CASE(builtin_min_max) {
  Arena a;
  BOOST_TEST(same(call(Id::Min, {I(3), I(-1)}, a), I(-1)));
  BOOST_TEST(same(call(Id::Max, {I(3), I(-1)}, a), I(3)));
  BOOST_TEST(same(call(Id::Min, {I(3), D(25, 1)}, a), D(25, 1)));
  BOOST_TEST(same(call(Id::Max, {I(3), D(25, 1)}, a), D(3, 0)));  // an int becomes a decimal
  BOOST_TEST(same(call(Id::Max, {D(5, 1), D(50, 2)}, a), D(5, 1)));
  BOOST_TEST(same(call(Id::Min, {Du(60), Du(30)}, a), Du(30)));
  BOOST_TEST(same(call(Id::Max, {Value::time(1), Value::time(2)}, a), Value::time(2)));
  BOOST_TEST(call(Id::Min, {I(1), Value::null()}, a).is_null());
  BOOST_TEST(call(Id::Min, {I(1), Du(1)}, a).is_null());
}

BOOST_AUTO_TEST_CASE(builtin_round_half_away_from_zero) {
  Arena a;
  BOOST_TEST(same(call(Id::Round, {D(12345, 3), I(2)}, a), D(1235, 2)));  // 12.345 → 12.35
  BOOST_TEST(same(call(Id::Round, {D(-12345, 3), I(2)}, a), D(-1235, 2)));
  BOOST_TEST(same(call(Id::Round, {D(12344, 3), I(2)}, a), D(1234, 2)));
  BOOST_TEST(same(call(Id::Round, {D(25, 1), I(0)}, a), D(3, 0)));
  BOOST_TEST(same(call(Id::Round, {D(-25, 1), I(0)}, a), D(-3, 0)));
  BOOST_TEST(same(call(Id::Round, {D(15, 1), I(3)}, a), D(15, 1)));        // already fewer digits
  BOOST_TEST(same(call(Id::Round, {D(12345, 1), I(-2)}, a), D(1200, 0)));  // 1234.5 → 1200
  BOOST_TEST(same(call(Id::Round, {D(12500, 1), I(-3)}, a), D(1000, 0)));
  BOOST_TEST(same(call(Id::Round, {D(5, 0), I(-100)}, a), D(0, 0)));
  BOOST_TEST(same(call(Id::Round, {D(kMax, 0), I(-18)}, a), D(9000000000000000000, 0)));
  BOOST_TEST(call(Id::Round, {D(kMax, 0), I(-19)}, a).is_null());  // 1e19 does not fit
  BOOST_TEST(same(call(Id::Round, {D(kMax, 1), I(-18)}, a), D(1000000000000000000, 0)));
  BOOST_TEST(call(Id::Round, {Value::null(), I(1)}, a).is_null());
}

BOOST_AUTO_TEST_CASE(builtin_str_hours_days) {
  Arena a;
  BOOST_TEST(call(Id::Str, {D(54900, 1)}, a).str() == "5490");
  BOOST_TEST(call(Id::Str, {Du(5400)}, a).str() == "1h30m");
  BOOST_TEST(call(Id::Str, {Value::boolean(true)}, a).str() == "true");
  BOOST_TEST(call(Id::Str, {Value::time(k2026)}, a).str() == "2026-03-02T10:00:00Z");
  BOOST_TEST(call(Id::Str, {S("same")}, a).str() == "same");
  BOOST_TEST(call(Id::Str, {Value::null()}, a).str() == "");
  BOOST_TEST(same(call(Id::Hours, {I(2)}, a), Du(7200)));
  BOOST_TEST(same(call(Id::Hours, {D(15, 1)}, a), Du(5400)));
  BOOST_TEST(same(call(Id::Hours, {D(1, 4)}, a), Du(0)));  // 0.36s rounds to 0
  BOOST_TEST(same(call(Id::Hours, {D(-25, 1)}, a), Du(-9000)));
  BOOST_TEST(call(Id::Hours, {I(kMax)}, a).is_null());
  BOOST_TEST(same(call(Id::Days, {I(7)}, a), Du(7 * 86400)));
  BOOST_TEST(call(Id::Days, {I(kMax / 1000)}, a).is_null());
}

BOOST_AUTO_TEST_CASE(builtins_left_to_the_vm) {
  Arena a;
  const std::array<Value, 2> args{Value::time(k2026), S("HH:mm")};
  BOOST_TEST(!ops::call_pure(Id::FormatTime, args, k2026, a).has_value());
  BOOST_TEST(!ops::call_pure(Id::Link, std::span(args.data(), 1), k2026, a).has_value());
  BOOST_TEST(!ops::call_pure(Id::Has, std::span(args.data(), 1), k2026, a).has_value());
  // Missing arguments are null, never out of bounds.
  BOOST_TEST(ops::call_pure(Id::Contains, {}, k2026, a)->is_null());
}

BOOST_AUTO_TEST_SUITE_END()
