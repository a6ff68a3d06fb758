// The operators and the pure builtins of the language, on runtime Values.
//
// Every function here is total: a null operand, a type the checker would have refused, an
// int64 overflow or a zero divisor gives null (never UB, never an exception). Results that
// need new storage (concatenation, lower/upper, str) are placed in the step's Arena.
//
// Decimals keep the larger scale of their operands (2.5 + 1.25 = 3.75, scale 2); a product's
// scale is the sum, capped at 18 by rounding half away from zero; a quotient of two numbers is
// a decimal of scale 6 unless both are ints (then int division, truncating toward zero).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "cascade/stdlib/builtins.hpp"
#include "cascade/vm/value.hpp"

namespace cascade::vm::ops {

Value add(const Value& a, const Value& b, Arena& arena);  // numbers, durations, time+duration, strings
Value sub(const Value& a, const Value& b);                // numbers, durations, time-duration, time-time
Value mul(const Value& a, const Value& b);                // numbers, duration*int, int*duration
Value div(const Value& a, const Value& b);                // numbers, duration/int
Value neg(const Value& a);

// Equality across kinds is false (int 1 == decimal 1.0 is true: numbers compare by value).
bool equal(const Value& a, const Value& b);
// -1 / 0 / 1, or nullopt when a and b are not ordered (null, different kinds, lists…).
std::optional<int> compare(const Value& a, const Value& b);
// a in b, for a list b (false otherwise).
bool member(const Value& a, const Value& b);

// The text form used by string interpolation and str(): null "", true/false, ints plainly,
// decimals without trailing zeros after the point (5490.0 → "5490", 12.50 → "12.5"),
// durations as the language writes them ("1h30m", "0s"), times as ISO 8601 UTC
// ("2026-03-02T10:00:00Z"), clocks "HH:MM", lists "a, b, c".
void render(const Value& v, std::string& out);
std::string render(const Value& v);

// The builtins that need nothing but their arguments and the step's time. Returns nullopt
// for the builtins the VM implements itself because they need the recipient's zone or the
// send being made (format_time, link) and for has (an opcode).
std::optional<Value> call_pure(builtins::Id id, std::span<const Value> args, Time now, Arena& arena);

}  // namespace cascade::vm::ops
