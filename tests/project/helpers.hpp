// Test helpers: load a cascade.yaml text and read its diagnostics as "E0105 at 3:18 `fax`".
#pragma once

#include <memory>
#include <string>

#include "cascade/compiler/project.hpp"

namespace project_test {

using namespace cascade;

struct Loaded {
  std::unique_ptr<source::SourceMap> sources = std::make_unique<source::SourceMap>();
  project::LoadResult result;

  const std::vector<diag::Diagnostic>& diags() const { return result.diagnostics.items(); }
};

inline Loaded load(std::string text, std::string path = "cascade.yaml") {
  Loaded l;
  l.result = project::load_text(path, std::move(text), *l.sources);
  return l;
}

// "E0105 3:18 `fax`": code, 1-based line:column of the span, and the spanned text.
inline std::string describe(const Loaded& l, const diag::Diagnostic& d) {
  std::string out(diag::info(d.code).code);
  if (!d.has_span) return out + " (no place)";
  const source::SourceFile& f = l.sources->file(d.span.file);
  const source::LineCol lc = f.locate(d.span.begin);
  out += " " + std::to_string(lc.line) + ":" + std::to_string(lc.column);
  out += " `" + f.text().substr(d.span.begin, d.span.end - d.span.begin) + "`";
  return out;
}

// Every diagnostic, described, separated by " | ".
inline std::string all(const Loaded& l) {
  std::string out;
  for (const auto& d : l.diags()) {
    if (!out.empty()) out += " | ";
    out += describe(l, d);
  }
  return out;
}

// The codes only: "E0108 E0108".
inline std::string codes(const Loaded& l) {
  std::string out;
  for (const auto& d : l.diags()) {
    if (!out.empty()) out += " ";
    out += diag::info(d.code).code;
  }
  return out;
}

}  // namespace project_test
