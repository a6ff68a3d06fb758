// Diagnostics: the values every stage of the compiler reports.
//
// A Diagnostic is data: a code from the one table (diagnostics.def), a primary span, a
// message already filled in from the table's template, a hint, optional secondary
// labelled spans, and optional structured fields (e.g. the SMS lint's encoding,
// characters and segments) that the JSON and SARIF renderers carry verbatim.
//
// Stages collect diagnostics into a Diagnostics list and never print; rendering is
// render.hpp's job. Internal failures are not diagnostics.
#pragma once

#include <boost/json/object.hpp>
#include <fmt/format.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cascade/grammar/source.hpp"

namespace cascade::diag {

enum class Severity : std::uint8_t { Error, Warning, Note };

enum class Code : std::uint16_t {
#define CASCADE_DIAG(id, code, severity, name, message, hint) id,
#include "cascade/compiler/diagnostics.def"
#undef CASCADE_DIAG
};

struct Info {
  Code id;
  std::string_view code;  // "E0300"
  Severity severity;
  std::string_view name;  // "type-mismatch"
  std::string_view message;
  std::string_view hint;
};

// The table, in declaration order.
std::span<const Info> table();
const Info& info(Code code);
std::string_view to_string(Severity s);

struct Label {
  source::SourceSpan span;
  std::string message;
};

struct Diagnostic {
  Code code;
  Severity severity;  // the table's, or Error when --werror promoted a warning
  source::SourceSpan span;
  bool has_span = true;  // false for whole-run problems (no project file, unreadable path)
  std::string message;
  std::string hint;
  std::vector<Label> notes;  // secondary places ("first defined here")
  boost::json::object data;  // structured extras for JSON/SARIF
};

namespace detail {
std::string vformat_template(std::string_view tmpl, fmt::format_args args);
}

// Builds a diagnostic from the table entry, filling {0}, {1}, … in message and hint.
template <typename... Args>
Diagnostic make(Code code, source::SourceSpan span, const Args&... args) {
  const Info& i = info(code);
  auto store = fmt::make_format_args(args...);
  Diagnostic d{code, i.severity, span, true, detail::vformat_template(i.message, store),
               detail::vformat_template(i.hint, store), {}, {}};
  return d;
}
// The same, for a problem that has no place in a source file.
template <typename... Args>
Diagnostic make_unplaced(Code code, const Args&... args) {
  Diagnostic d = make(code, source::SourceSpan{}, args...);
  d.has_span = false;
  return d;
}

class Diagnostics {
 public:
  void add(Diagnostic d) { items_.push_back(std::move(d)); }
  void append(Diagnostics other);
  const std::vector<Diagnostic>& items() const { return items_; }
  std::vector<Diagnostic>& items() { return items_; }
  std::size_t error_count() const;
  std::size_t warning_count() const;
  bool has_errors() const { return error_count() > 0; }
  // Promote every warning to an error (--werror).
  void promote_warnings();
  // Stable order for output: by file, then offset, then code.
  void sort();

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace cascade::diag
