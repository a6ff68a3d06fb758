// docs/diagnostics.md, generated from the diagnostics table and the golden cases.
//
// The file is generated whole (tests compare it byte for byte), so the prose about the
// output formats lives here too. Examples are not invented: each is a golden case's source
// and its expected text output, so the reference can never show output that cascade does
// not really produce.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <regex>
#include <sstream>
#include <system_error>
#include <vector>

#include "cascade/compiler/render.hpp"
#include "render_common.hpp"

namespace cascade::diag {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kWholeFileLines = 30;  // longer sources are shown around the diagnostic
constexpr std::uint32_t kContext = 8;

std::optional<std::string> slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return std::move(buffer).str();
}

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(start, end - start));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = end + 1;
  }
  return lines;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Markdown for one line of prose: code spans (`…`) kept verbatim, the characters Markdown
// would interpret escaped elsewhere. With unbalanced backticks everything is escaped.
std::string md_inline(std::string_view text) {
  const bool balanced = std::count(text.begin(), text.end(), '`') % 2 == 0;
  std::string out;
  bool in_code = false;
  for (const char c : text) {
    if (c == '`' && balanced) {
      in_code = !in_code;
      out += c;
      continue;
    }
    if (!in_code && std::string_view("\\`*_<>[]|#").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::string fenced(std::string_view language, std::string_view body) {
  std::size_t longest = 0, run = 0;
  for (const char c : body) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  const std::string fence(std::max<std::size_t>(3, longest + 1), '`');
  std::string out = fence + std::string(language) + "\n" + std::string(body);
  if (!body.empty() && body.back() != '\n') out += '\n';
  return out + fence + "\n";
}

std::string anchor(const Info& i) {
  return lower(i.code) + "-" + std::string(i.name);
}

// A golden case, laid out as tests/golden/check/README.md says: X.cascade directly in the
// folder, or X/main.cascade (whose folder may hold its own cascade.yaml and imports).
struct Case {
  std::string name;   // X
  fs::path source;    // the .cascade file
  fs::path expected;  // its .expected
};

std::vector<Case> golden_cases(const fs::path& dir) {
  std::vector<Case> cases;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    Case c;
    std::error_code ignored;
    if (p.extension() == ".cascade" && fs::is_regular_file(p, ignored)) {
      c = {p.stem().string(), p, p};
    } else if (fs::is_regular_file(p / "main.cascade", ignored)) {
      c = {p.filename().string(), p / "main.cascade", p / "main.cascade"};
    } else {
      continue;
    }
    c.expected.replace_extension(".expected");
    if (fs::is_regular_file(c.expected, ignored)) cases.push_back(std::move(c));
  }
  std::sort(cases.begin(), cases.end(), [](const Case& a, const Case& b) {
    return a.source.generic_string() < b.source.generic_string();
  });
  return cases;
}

// A case named after the code (E0300.cascade, E0300-type-mismatch/main.cascade), else the
// first case whose expected output reports the code.
std::optional<Case> case_for(const Info& i, const std::vector<Case>& cases) {
  const std::string code = lower(i.code);
  for (const Case& c : cases) {
    const std::string name = lower(c.name);
    if (name.rfind(code, 0) == 0 &&
        (name.size() == code.size() || !std::isdigit(static_cast<unsigned char>(name[code.size()]))))
      return c;
  }
  const std::string tag = fmt::format("[{}]", i.code);
  for (const Case& c : cases) {
    const auto text = slurp(c.expected);
    if (text && text->find(tag) != std::string::npos) return c;
  }
  return std::nullopt;
}

struct Example {
  std::string output;        // the diagnostic's block of the expected text
  std::string source_label;  // the file shown
  std::string range;         // ", lines 3–19" when only part of it is shown
  std::string source;        // its excerpt
  std::string language;
};

std::optional<Example> example_for(const Info& i, const Case& c) {
  const auto expected = slurp(c.expected);
  if (!expected) return std::nullopt;
  const std::vector<std::string> lines = lines_of(*expected);
  const std::string tag = fmt::format("[{}]:", i.code);
  auto first = std::find_if(lines.begin(), lines.end(),
                            [&](const std::string& l) { return l.find(tag) != std::string::npos; });
  if (first == lines.end()) return std::nullopt;
  auto last = std::find_if(first, lines.end(), [](const std::string& l) { return l.empty(); });

  Example ex;
  for (auto l = first; l != last; ++l) ex.output += detail::printable(*l) + "\n";

  // The header names the file and line the diagnostic points at; show that file (it may be
  // a cascade.yaml) around that line.
  static const std::regex kHeader(R"(^(.+):([0-9]+):([0-9]+): [a-z]+\[)");
  std::smatch m;
  fs::path shown = c.source;
  std::uint32_t line = 1;
  if (std::regex_search(*first, m, kHeader)) {
    std::error_code ec;
    if (fs::is_regular_file(fs::path(m[1].str()), ec)) shown = m[1].str();
    line = static_cast<std::uint32_t>(std::min<unsigned long>(std::stoul(m[2].str()), 1u << 30));
  }
  const auto text = slurp(shown);
  if (!text) return std::nullopt;
  const std::vector<std::string> source = lines_of(*text);
  std::size_t from = 0, to = source.size();
  if (source.size() > kWholeFileLines) {
    from = line > kContext ? line - 1 - kContext : 0;
    to = std::min<std::size_t>(source.size(), std::size_t{line} + kContext);
    from = std::min(from, to);
  }
  for (std::size_t k = from; k < to; ++k) ex.source += detail::printable(source[k]) + "\n";
  ex.source_label = shown.generic_string();
  if (from > 0 || to < source.size()) ex.range = fmt::format(", lines {}–{}", from + 1, to);
  ex.language = shown.extension() == ".yaml" || shown.extension() == ".yml" ? "yaml" : "cascade";
  return ex;
}

struct Group {
  std::string_view prefix;  // "E00"
  std::string_view title;
};

constexpr Group kGroups[] = {
    {"E00", "Syntax"},         {"E01", "The project file"},   {"E02", "Names and imports"},
    {"E03", "Types"},          {"E04", "Scenario structure"}, {"E05", "Channels and outcomes"},
    {"E09", "Limits and I/O"}, {"W", "Warnings (lints)"},
};

std::string_view group_of(std::string_view code) {
  for (const Group& g : kGroups)
    if (code.rfind(g.prefix, 0) == 0) return g.title;
  return "Other";
}

constexpr std::string_view kIntro = R"(# Diagnostics reference

<!-- Generated by scripts/gen-docs.sh (`cascade __gen-docs`) from
     compiler/include/cascade/compiler/diagnostics.def and the golden cases in
     tests/golden/check/. Do not edit: a test fails when this file differs. -->

Every problem `cascade check` reports has a stable code: `E…` for errors, `W…` for
warnings (lints). Codes are never renumbered or reused. Errors make `cascade check` exit
with 1; warnings do not, unless `--werror` turns them into errors.

## Output formats

**Text** (the default, written to standard error):

```text
path:line:column: error[E0300]: message
  12 | the source line
     |     ^~~~~~
path:line:column: note: a related place, if there is one
   3 | its source line
     | ^~~
hint: what to do about it
```

The carets (`^~~~~~`) underline the span. Lines and columns are 1-based; columns count
Unicode code points, so a caret under Cyrillic text lands under the right letter. A span over several lines is underlined on
its first line and ends in `…`. A diagnostic with no place in a file starts with
`cascade:` instead. Every diagnostic is followed by a blank line, and the output ends with
a summary such as `2 errors, 1 warning generated.`; a clean run prints nothing. Colour is
used when standard error is a terminal and `NO_COLOR` is not set (`--color
auto|always|never` overrides).

**JSON** (`--format json`, written to standard output): one document,

```json
{
  "version": 1,
  "diagnostics": [
    {"code": "E0300", "severity": "error", "name": "type-mismatch", "message": "…",
     "hint": "…", "file": "…", "line": 12, "column": 5, "end_line": 12, "end_column": 10,
     "notes": [{"message": "…", "file": "…", "line": 3, "column": 1, "end_line": 3, "end_column": 4}],
     "data": {}}
  ],
  "errors": 1,
  "warnings": 0
}
```

`end_column` is one past the last character. `hint` is `null` when there is none; `file`,
`line` and the columns are `null` for a diagnostic with no place. `data` carries
structured facts of some diagnostics (the SMS lint's `encoding`, `characters` and
`segments`).

**SARIF 2.1.0** (`--format sarif`, written to standard output) for code-scanning tools such
as GitHub code scanning: every code below is a rule of the `cascade` driver; results carry
a location relative to `%SRCROOT%` (the directory `cascade` ran in) and a region in code
points (`columnKind: unicodeCodePoints`). Diagnostics with no place in a file are reported
as tool execution notifications.

**Exit codes** of `cascade check`: 0 when there are no errors, 1 when there are, 2 for a
usage or I/O problem (an unknown option, an unreadable path, no project file).

The messages below show the parts that depend on the code as `…`.
)";

}  // namespace

std::string render_reference_markdown() {
  return render_reference_markdown("tests/golden/check");
}

std::string render_reference_markdown(const fs::path& golden_dir) {
  const std::vector<Case> cases = golden_cases(golden_dir);
  std::string out(kIntro);

  out += "\n## Index\n\n| Code | Severity | Name |\n| --- | --- | --- |\n";
  for (const Info& i : table())
    out += fmt::format("| [{}](#{}) | {} | `{}` |\n", i.code, anchor(i), to_string(i.severity), i.name);

  std::string_view group;
  for (const Info& i : table()) {
    if (group_of(i.code) != group) {
      group = group_of(i.code);
      out += fmt::format("\n## {}\n", group);
    }
    out += fmt::format("\n### {} {}\n\n", i.code, i.name);
    out += fmt::format("**Severity:** {}  \n", to_string(i.severity));
    out += fmt::format("**Message:** {}", md_inline(detail::describe_template(i.message)));
    const std::string hint = detail::describe_template(i.hint);
    if (!hint.empty() && hint != "…") out += fmt::format("  \n**Hint:** {}", md_inline(hint));
    out += "\n\n";

    const std::optional<Case> c = case_for(i, cases);
    const std::optional<Example> ex = c ? example_for(i, *c) : std::nullopt;
    if (!ex) {
      out += "No example in the golden suite.\n";
      continue;
    }
    out += fmt::format("Example (`{}`{}):\n\n", ex->source_label, ex->range);
    out += fenced(ex->language, ex->source);
    out += "\n";
    out += fenced("text", ex->output);
  }
  return out;
}

}  // namespace cascade::diag
