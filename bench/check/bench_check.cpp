// The front-end benchmark: how long `cascade check` takes per 1,000 lines of source.
//
// Usage: bench_check PROJECT.yaml FILE.cascade [REPEATS]
// Prints one line of JSON: lines, bytes, the median milliseconds of parse only and of the
// whole check (project load + parse + checker + lints), and their cost per 1,000 lines.
// It runs the same driver::check the CLI runs, in-process, so process start-up is not
// counted (it is reported separately by bench/run.sh with the real binary).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "cascade/compiler/driver.hpp"
#include "cascade/grammar/parser.hpp"

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <typename F>
double time_ms(F&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_check PROJECT.yaml FILE.cascade [REPEATS]\n");
    return 2;
  }
  const std::string project = argv[1];
  const std::string path = argv[2];
  const int repeats = argc > 3 ? std::max(1, std::atoi(argv[3])) : 7;

  std::string text, error;
  if (!cascade::source::read_file(path, text, error)) {
    std::fprintf(stderr, "bench_check: %s: %s\n", path.c_str(), error.c_str());
    return 2;
  }
  const auto lines = static_cast<long>(std::count(text.begin(), text.end(), '\n'));

  std::vector<double> parse_ms, check_ms;
  std::size_t diagnostics = 0;
  for (int i = 0; i < repeats; ++i) {
    cascade::source::SourceMap sources;
    const auto id = sources.add(path, text);
    parse_ms.push_back(time_ms([&] {
      auto result = cascade::grammar::parse(sources, id);
      if (!result.errors.empty()) diagnostics = result.errors.size();
    }));
    check_ms.push_back(time_ms([&] {
      cascade::driver::CheckRequest request{{path}, project};
      auto outcome = cascade::driver::check(request);
      diagnostics = outcome.diagnostics.items().size();
    }));
  }
  const double p = median(parse_ms), c = median(check_ms);
  std::printf(
      "{\"file\":\"%s\",\"lines\":%ld,\"bytes\":%zu,\"diagnostics\":%zu,\"parse_ms\":%.3f,\"check_ms\":%.3f,"
      "\"parse_ms_per_1k_lines\":%.3f,\"check_ms_per_1k_lines\":%.3f}\n",
      path.c_str(), lines, text.size(), diagnostics, p, c, p * 1000.0 / lines, c * 1000.0 / lines);
  return 0;
}
