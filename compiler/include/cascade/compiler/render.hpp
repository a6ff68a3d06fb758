// Rendering diagnostics for people and for tools.
//
// text:  clang/rustc style — `file:line:col: error[E0300]: message`, the source line under
//        a gutter (`  12 | …`), carets under the span (`^~~~`, multi-line spans underline
//        their first line and end in `…`), `note:` lines with their own place and source
//        line, then `hint: …`. A blank line follows every diagnostic, and a summary
//        (`2 errors, 1 warning generated.`) ends the output; a clean run renders as
//        nothing at all. A diagnostic without a place starts `cascade: error[E0100]: …`.
//        Colour only when asked (the CLI asks when stderr is a terminal and NO_COLOR is
//        unset). Control characters and invalid UTF-8 from the source are shown as U+FFFD.
// json:  one document, two-space indented, keys in a fixed order:
//        {"version":1, "diagnostics":[{code, severity, name, message, hint, file, line,
//        column, end_line, end_column, notes:[{message, file, line, column, end_line,
//        end_column}], data:{…}}], "errors":N, "warnings":N}. Lines and columns are
//        1-based, columns in code points, end_column one past the last character (as in
//        SARIF). A diagnostic without a place has null file/line/columns; a missing hint
//        is null.
// sarif: SARIF 2.1.0 with the tool's name, version and every rule of the table; results
//        with physical locations (URIs relative to %SRCROOT%, the current directory, when
//        the file is below it) and regions (columns in Unicode code points). Diagnostics
//        without a place are tool execution notifications, not results, because code
//        scanning needs a location on every result.
//
// Every renderer is total: any Diagnostics value renders, whatever its spans say.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "cascade/compiler/diagnostics.hpp"
#include "cascade/grammar/source.hpp"

namespace cascade::diag {

struct TextOptions {
  bool color = false;
};

std::string render_text(const Diagnostics& diags, const source::SourceMap& sources, TextOptions options = {});
std::string render_json(const Diagnostics& diags, const source::SourceMap& sources);
std::string render_sarif(const Diagnostics& diags, const source::SourceMap& sources,
                         std::string_view tool_version);

// `2 errors, 1 warning generated.`; empty when there are neither.
std::string summary_line(const Diagnostics& diags);

struct SarifOptions {
  std::string tool_version;
  // Paths below this folder become URIs relative to %SRCROOT%; others become absolute
  // file:// URIs. Empty: the current directory.
  std::filesystem::path source_root;
  // Whether originalUriBaseIds gives %SRCROOT% as an absolute file:// URI. Off makes the
  // output independent of where it was produced (tests); it then carries a description only.
  bool absolute_root = true;
};
std::string render_sarif(const Diagnostics& diags, const source::SourceMap& sources,
                         const SarifOptions& options);

// The URI of a file for SARIF: relative and percent-encoded when it is below root, else
// an absolute file:// URI. `relative` says which.
std::string sarif_uri(const std::string& path, const std::filesystem::path& root, bool& relative);

// docs/diagnostics.md, generated from the table and the golden examples: a section per
// code with its severity, name, message and hint, and an example from the golden case for
// that code (the case named <CODE>…: X.cascade or X/main.cascade, else any case whose
// .expected mentions [CODE]): its source excerpt and its expected text output. golden_dir
// is read as given; the paths inside .expected files are relative to the repository root,
// which must be the current directory.
std::string render_reference_markdown(const std::filesystem::path& golden_dir);
// The same with golden_dir = "tests/golden/check".
std::string render_reference_markdown();

}  // namespace cascade::diag
