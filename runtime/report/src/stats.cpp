// The tests behind "significant at 95 %": Wilson and Newcombe intervals, the two-proportion
// z-test and Pearson's chi-square. docs/report.md gives the formulas with a worked example.
#include <boost/math/special_functions/gamma.hpp>
#include <cmath>

#include "cascade/report/report.hpp"

namespace cascade::report {

Interval wilson(std::uint64_t k, std::uint64_t n, double z) {
  if (n == 0) return {0, 1};
  const double nn = static_cast<double>(n);
  const double p = static_cast<double>(k) / nn;
  const double z2 = z * z;
  const double denom = 1 + z2 / nn;
  const double centre = (p + z2 / (2 * nn)) / denom;
  const double half = z * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / denom;
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

Interval newcombe(std::uint64_t k1, std::uint64_t n1, std::uint64_t k2, std::uint64_t n2, double z) {
  const double p1 = n1 ? static_cast<double>(k1) / static_cast<double>(n1) : 0;
  const double p2 = n2 ? static_cast<double>(k2) / static_cast<double>(n2) : 0;
  const Interval a = wilson(k1, n1, z), b = wilson(k2, n2, z);
  const double d = p1 - p2;
  return {d - std::sqrt((p1 - a.low) * (p1 - a.low) + (b.high - p2) * (b.high - p2)),
          d + std::sqrt((a.high - p1) * (a.high - p1) + (p2 - b.low) * (p2 - b.low))};
}

namespace {
// Whether any expected count of the 2 × k table is below 5, the usual bound under which the
// normal and chi-square approximations are rough.
bool small_expected(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& groups, double pooled) {
  for (const auto& [k, n] : groups) {
    const double nn = static_cast<double>(n);
    if (n > 0 && (nn * pooled < 5 || nn * (1 - pooled) < 5)) return true;
  }
  return false;
}
}  // namespace

TestResult two_proportion_z(std::uint64_t k1, std::uint64_t n1, std::uint64_t k2, std::uint64_t n2) {
  TestResult t;
  t.test = "two-proportion z";
  if (n1 == 0 || n2 == 0) return t;
  const double a = static_cast<double>(n1), b = static_cast<double>(n2);
  const double pooled = static_cast<double>(k1 + k2) / (a + b);
  t.small_counts = small_expected({{k1, n1}, {k2, n2}}, pooled);
  const double se = std::sqrt(pooled * (1 - pooled) * (1 / a + 1 / b));
  if (!(se > 0)) return t;
  t.statistic = (static_cast<double>(k1) / a - static_cast<double>(k2) / b) / se;
  t.p_value = std::erfc(std::fabs(t.statistic) / std::sqrt(2.0));
  return t;
}

TestResult chi_square(const std::vector<std::pair<std::uint64_t, std::uint64_t>>& groups) {
  TestResult t;
  t.test = "chi-square";
  std::vector<std::pair<std::uint64_t, std::uint64_t>> used;
  double successes = 0, trials = 0;
  for (const auto& g : groups) {
    if (g.second == 0) continue;
    used.push_back(g);
    successes += static_cast<double>(g.first);
    trials += static_cast<double>(g.second);
  }
  if (used.size() < 2) return t;
  t.dof = static_cast<int>(used.size()) - 1;
  const double pooled = successes / trials;
  t.small_counts = small_expected(used, pooled);
  if (!(pooled > 0 && pooled < 1)) return t;  // every group 0 % or every group 100 %
  for (const auto& [k, n] : used) {
    const double nn = static_cast<double>(n);
    const double e1 = nn * pooled, e0 = nn * (1 - pooled);
    const double o1 = static_cast<double>(k), o0 = nn - o1;
    t.statistic += (o1 - e1) * (o1 - e1) / e1 + (o0 - e0) * (o0 - e0) / e0;
  }
  // P(χ²_dof ≥ x) is the regularised upper incomplete gamma Q(dof/2, x/2).
  t.p_value = boost::math::gamma_q(t.dof / 2.0, t.statistic / 2);
  return t;
}

}  // namespace cascade::report
