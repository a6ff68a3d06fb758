// Rendering diagnostics for people and for tools.
//
// text:  clang/rustc style — `file:line:col: error[E0300]: message`, the source line,
//        carets under the span, `hint: …`; colour only when asked (the CLI asks when
//        stdout is a terminal and NO_COLOR is unset).
// json:  one JSON document: {"diagnostics":[{code, severity, name, message, hint, file,
//        line, column, end_line, end_column, data…}], "errors":N, "warnings":N}
// sarif: SARIF 2.1.0 with the tool's name, version and every rule from the table; results
//        with physical locations and regions (columns in Unicode code points).
#pragma once

#include <string>

#include "cascade/compiler/diagnostics.hpp"
#include "cascade/grammar/source.hpp"

namespace cascade::diag {

struct TextOptions {
  bool color = false;
};

std::string render_text(const Diagnostics& diags, const source::SourceMap& sources, TextOptions options = {});
std::string render_json(const Diagnostics& diags, const source::SourceMap& sources);
std::string render_sarif(const Diagnostics& diags, const source::SourceMap& sources, std::string_view tool_version);

// docs/diagnostics.md, generated from the table and the golden examples.
std::string render_reference_markdown();

}  // namespace cascade::diag
