// What the simulation's sources share: the seeded random streams and the distributions drawn
// from them, and the filling of a JSON object from field specs. Private to cascade_simulate.
#pragma once

#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cascade/simulate/simulate.hpp"

namespace cascade::simulate::detail {

// splitmix64 (Steele, Lea, Flood 2014): one 64-bit state, fixed output on every platform.
struct Rng {
  std::uint64_t state = 0;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1), 53 bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1]: safe under log().
  double open_uniform() { return static_cast<double>((next() >> 11) + 1) * 0x1.0p-53; }
  bool chance(double p) { return p >= 1 || (p > 0 && uniform() < p); }
  // Uniform integer in [0, n) (n ≥ 1) from 53 random bits: exact IEEE arithmetic, so the
  // same on every machine; the bias is below n / 2^53.
  std::uint64_t below(std::uint64_t n) {
    const auto i = static_cast<std::uint64_t>(uniform() * static_cast<double>(n));
    return i < n ? i : n - 1;
  }
};

// The stream of one purpose of one recipient: a hash of (seed, recipient, purpose), so a
// recipient's draws do not depend on the others' or on the batch they run in.
inline Rng stream(std::uint64_t seed, std::uint64_t recipient, std::uint64_t purpose) {
  Rng r{seed ^ 0x5EED5EED5EED5EEDull};
  r.state ^= r.next() + recipient * 0xD1342543DE82EF95ull;
  r.state ^= r.next() + purpose * 0xA0761D6478BD642Full;
  r.next();
  return r;
}

// A standard normal by Box-Muller (one of the pair; the other is dropped for simplicity).
inline double normal(Rng& rng) {
  const double u1 = rng.open_uniform(), u2 = rng.uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

// A delay in whole seconds (never negative; capped at ten years, so sums cannot overflow).
inline std::int64_t draw(const Delay& d, Rng& rng) {
  double s = 0;
  switch (d.kind) {
    case Delay::Kind::Fixed:
      s = d.a;
      break;
    case Delay::Kind::LogNormal:
      s = std::exp(d.a + d.b * normal(rng));
      break;
    case Delay::Kind::Exponential:
      s = -d.a * std::log(rng.open_uniform());
      break;
  }
  if (!(s >= 0)) s = 0;
  if (s > 315360000.0) s = 315360000.0;
  return static_cast<std::int64_t>(std::llround(s));
}

// Sets `value` at a dotted path in `root`, making the objects on the way.
void set_path(boost::json::object& root, std::string_view path, boost::json::value value);
// A field's value drawn from its spec.
boost::json::value draw_field(const FieldSpec& spec, Rng& rng, boost::json::storage_ptr sp);
// The same, written over `slot` in place (a string slot keeps its buffer).
void draw_into(const FieldSpec& spec, Rng& rng, boost::json::value& slot);
// Sets `slot` to the string `text`, reusing its buffer when it already holds a string.
void set_string(boost::json::value& slot, std::string_view text);
// The value at a dotted path, or nullptr.
boost::json::value* find_path(boost::json::value& root, std::string_view path);
// The JSON a required leaf of this type defaults to (null for optional leaves is the caller's).
boost::json::value default_value(const types::Type& type, vm::Time start);

}  // namespace cascade::simulate::detail
