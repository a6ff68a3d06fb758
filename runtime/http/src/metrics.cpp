#include "cascade/http/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace cascade::http::metrics {

Histogram::Histogram(const std::vector<double>& bounds) : bounds_(bounds) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end())
    throw std::invalid_argument("histogram bounds must be strictly increasing");
  buckets_ = std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1);
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v) {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);  // le: v <= bound
  buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::cumulative() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    acc += buckets_[i].load(std::memory_order_relaxed);
    out[i] = acc;
  }
  return out;
}

std::vector<double> default_latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

namespace {

bool valid_name(std::string_view n, bool label) {
  if (n.empty()) return false;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!label && c == ':');
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return !(label && n.size() >= 2 && n.substr(0, 2) == "__");
}

void escape_into(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (quote && c == '"') out += "\\\"";
    else out += c;
  }
}

}  // namespace

void FamilyBase::header(std::string& out, std::string_view type) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  escape_into(out, help_, false);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += type;
  out += '\n';
}

std::string FamilyBase::label_text(const std::vector<std::string>& values, std::string_view extra) const {
  if (labels_.empty() && extra.empty()) return {};
  std::string out = "{";
  for (std::size_t i = 0; i < labels_.size(); ++i) {
    if (i) out += ',';
    out += labels_[i];
    out += "=\"";
    escape_into(out, values[i], true);
    out += '"';
  }
  if (!extra.empty()) {
    if (!labels_.empty()) out += ',';
    out += extra;
  }
  out += '}';
  return out;
}

template <typename T>
T& Family<T>::with(const std::vector<std::string>& values) {
  if (values.size() != labels_.size())
    throw std::invalid_argument(fmt::format("{}: {} label values for {} labels", name_, values.size(), labels_.size()));
  std::lock_guard lock(mutex_);
  auto it = children_.find(values);
  if (it == children_.end()) {
    if constexpr (std::is_same_v<T, Histogram>) it = children_.emplace(values, std::make_unique<T>(bounds_)).first;
    else it = children_.emplace(values, std::make_unique<T>()).first;
  }
  return *it->second;
}

template <typename T>
void Family<T>::render(std::string& out) const {
  std::lock_guard lock(mutex_);
  if constexpr (std::is_same_v<T, Counter>) {
    header(out, "counter");
    for (const auto& [values, child] : children_)
      out += fmt::format("{}{} {}\n", name_, label_text(values), child->value());
  } else if constexpr (std::is_same_v<T, Gauge>) {
    header(out, "gauge");
    for (const auto& [values, child] : children_)
      out += fmt::format("{}{} {}\n", name_, label_text(values), format_value(child->value()));
  } else {
    header(out, "histogram");
    for (const auto& [values, child] : children_) {
      // Read count last-bucket-consistent: the +Inf bucket is the count that we print.
      const auto cum = child->cumulative();
      const auto& bounds = child->bounds();
      for (std::size_t i = 0; i < cum.size(); ++i) {
        const std::string le = i < bounds.size() ? format_value(bounds[i]) : "+Inf";
        out += fmt::format("{}_bucket{} {}\n", name_, label_text(values, fmt::format("le=\"{}\"", le)), cum[i]);
      }
      out += fmt::format("{}_sum{} {}\n", name_, label_text(values), format_value(child->sum()));
      out += fmt::format("{}_count{} {}\n", name_, label_text(values), cum.back());
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

void Registry::check_new(const std::string& name, const std::vector<std::string>& labels) const {
  if (!valid_name(name, false)) throw std::invalid_argument(fmt::format("bad metric name '{}'", name));
  for (const auto& l : labels)
    if (!valid_name(l, true) || l == "le") throw std::invalid_argument(fmt::format("{}: bad label name '{}'", name, l));
  for (const auto& f : families_)
    if (f->name() == name) throw std::invalid_argument(fmt::format("metric '{}' registered twice", name));
}

Family<Counter>& Registry::counter(std::string name, std::string help, std::vector<std::string> labels) {
  std::lock_guard lock(mutex_);
  check_new(name, labels);
  auto f = std::make_unique<Family<Counter>>(std::move(name), std::move(help), std::move(labels));
  auto& ref = *f;
  families_.push_back(std::move(f));
  return ref;
}

Family<Gauge>& Registry::gauge(std::string name, std::string help, std::vector<std::string> labels) {
  std::lock_guard lock(mutex_);
  check_new(name, labels);
  auto f = std::make_unique<Family<Gauge>>(std::move(name), std::move(help), std::move(labels));
  auto& ref = *f;
  families_.push_back(std::move(f));
  return ref;
}

Family<Histogram>& Registry::histogram(std::string name, std::string help, std::vector<std::string> labels,
                                       std::vector<double> bounds) {
  std::lock_guard lock(mutex_);
  check_new(name, labels);
  Histogram probe{bounds};  // throws on bad bounds before the family exists
  auto f = std::make_unique<Family<Histogram>>(std::move(name), std::move(help), std::move(labels), std::move(bounds));
  auto& ref = *f;
  families_.push_back(std::move(f));
  return ref;
}

std::string Registry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& f : families_) f->render(out);
  return out;
}

}  // namespace cascade::http::metrics
