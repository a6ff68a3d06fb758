// cascade::http metrics: a small Prometheus registry — counters, gauges and histograms, each a
// family with fixed label names — rendered in the text exposition format 0.0.4 for GET /metrics.
//
// Increments are lock-free atomics on a child that the caller may keep (`with()` returns a
// reference that stays valid as long as the registry); only finding or creating a child takes
// the family's lock. Names and label names are checked when a family is registered (a bad name
// or a second family with the same name is a programming error: std::invalid_argument).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace cascade::http::metrics {

class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  void inc() { add(1); }
  void dec() { add(-1); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(const std::vector<double>& bounds);
  void observe(double v);
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  // Cumulative counts per bound (the last is +Inf), as rendered.
  std::vector<std::uint64_t> cumulative() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1 (+Inf)
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds, 0.5 ms … 10 s.
std::vector<double> default_latency_buckets();

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, std::vector<std::string> labels)
      : name_(std::move(name)), help_(std::move(help)), labels_(std::move(labels)) {}
  virtual ~FamilyBase() = default;
  virtual void render(std::string& out) const = 0;
  const std::string& name() const { return name_; }

 protected:
  void header(std::string& out, std::string_view type) const;
  std::string label_text(const std::vector<std::string>& values, std::string_view extra = {}) const;
  std::string name_;
  std::string help_;
  std::vector<std::string> labels_;
};

template <typename T>
class Family : public FamilyBase {
 public:
  Family(std::string name, std::string help, std::vector<std::string> labels, std::vector<double> bounds = {})
      : FamilyBase(std::move(name), std::move(help), std::move(labels)), bounds_(std::move(bounds)) {}

  // The child for these label values (as many as the family has label names).
  T& with(const std::vector<std::string>& values);
  void render(std::string& out) const override;

 private:
  std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> children_;
};

class Registry {
 public:
  Family<Counter>& counter(std::string name, std::string help, std::vector<std::string> labels = {});
  Family<Gauge>& gauge(std::string name, std::string help, std::vector<std::string> labels = {});
  Family<Histogram>& histogram(std::string name, std::string help, std::vector<std::string> labels = {},
                               std::vector<double> bounds = default_latency_buckets());
  // The text exposition format 0.0.4, families in registration order.
  std::string render() const;
  static constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

 private:
  void check_new(const std::string& name, const std::vector<std::string>& labels) const;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<FamilyBase>> families_;
};

// Prometheus number spelling: shortest round-trip decimal, +Inf, -Inf, NaN.
std::string format_value(double v);

}  // namespace cascade::http::metrics
