#include "cascade/compiler/diagnostics.hpp"

#include <algorithm>
#include <array>

namespace cascade::diag {
namespace {

constexpr Info kTable[] = {
#define CASCADE_DIAG(id, code, severity, name, message, hint) {Code::id, code, Severity::severity, name, message, hint},
#include "cascade/compiler/diagnostics.def"
#undef CASCADE_DIAG
};

}  // namespace

std::span<const Info> table() { return kTable; }

const Info& info(Code code) { return kTable[static_cast<std::size_t>(code)]; }

std::string_view to_string(Severity s) {
  switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
  }
  return "error";
}

namespace detail {
std::string vformat_template(std::string_view tmpl, fmt::format_args args) {
  if (tmpl.empty()) return {};
  try {
    return fmt::vformat(tmpl, args);
  } catch (const fmt::format_error&) {
    // A template asking for more arguments than the reporter gave is a bug in the
    // reporter; keep the raw template rather than lose the diagnostic.
    return std::string(tmpl);
  }
}
}  // namespace detail

void Diagnostics::append(Diagnostics other) {
  for (auto& d : other.items_) items_.push_back(std::move(d));
}

std::size_t Diagnostics::error_count() const {
  return static_cast<std::size_t>(
      std::count_if(items_.begin(), items_.end(), [](const Diagnostic& d) { return d.severity == Severity::Error; }));
}

std::size_t Diagnostics::warning_count() const {
  return static_cast<std::size_t>(std::count_if(
      items_.begin(), items_.end(), [](const Diagnostic& d) { return d.severity == Severity::Warning; }));
}

void Diagnostics::promote_warnings() {
  for (auto& d : items_)
    if (d.severity == Severity::Warning) d.severity = Severity::Error;
}

void Diagnostics::sort() {
  std::stable_sort(items_.begin(), items_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.has_span != b.has_span) return !a.has_span;  // whole-run problems first
    if (a.span.file != b.span.file) return a.span.file < b.span.file;
    if (a.span.begin != b.span.begin) return a.span.begin < b.span.begin;
    return info(a.code).code < info(b.code).code;
  });
}

}  // namespace cascade::diag
