// The text renderer: what a person reads in a terminal or a CI log.
//
//   examples/cart.cascade:12:5: error[E0300]: `customer.age` is `int?`, not `int`
//     12 |   if customer.age > 45 {
//        |      ^~~~~~~~~~~~
//   examples/cart.cascade:3:1: note: declared here
//      3 | …
//        | ^~~
//   hint: give a default with `customer.age ?? …`
//
// then a blank line, and after the last diagnostic `2 errors, 1 warning generated.`
// (nothing at all when there is nothing to report).
//
// Header columns are code points, as everywhere. The caret line is laid out for a
// terminal: the text before the span is copied as blanks with its tabs kept (so the caret
// lands under the same character whatever the tab width), and characters that a terminal
// draws two cells wide (CJK, most emoji) get two blanks or two carets.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cascade/compiler/render.hpp"
#include "render_common.hpp"

namespace cascade::diag {
namespace {

using detail::Location;

// Terminal cells of a code point: 0 for combining marks and joiners, 2 for East Asian
// wide characters and emoji, 1 otherwise. A compact approximation of wcwidth() that does
// not depend on the locale of the machine that renders.
int cell_width(char32_t cp) {
  struct Range {
    char32_t first, last;
  };
  static constexpr Range kZero[] = {
      {0x0300, 0x036F}, {0x0483, 0x0489},   {0x0591, 0x05BD},   {0x0610, 0x061A}, {0x064B, 0x065F},
      {0x200B, 0x200F}, {0x2060, 0x2064},   {0x20D0, 0x20FF},   {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F},
      {0xFEFF, 0xFEFF}, {0x1F3FB, 0x1F3FF}, {0xE0100, 0xE01EF},
  };
  static constexpr Range kWide[] = {
      {0x1100, 0x115F},   {0x231A, 0x231B},   {0x2329, 0x232A},   {0x23E9, 0x23EC},   {0x23F0, 0x23F0},
      {0x23F3, 0x23F3},   {0x25FD, 0x25FE},   {0x2614, 0x2615},   {0x2648, 0x2653},   {0x267F, 0x267F},
      {0x2693, 0x2693},   {0x26A1, 0x26A1},   {0x26AA, 0x26AB},   {0x26BD, 0x26BE},   {0x26C4, 0x26C5},
      {0x26CE, 0x26CE},   {0x26D4, 0x26D4},   {0x26EA, 0x26EA},   {0x26F2, 0x26F3},   {0x26F5, 0x26F5},
      {0x26FA, 0x26FA},   {0x26FD, 0x26FD},   {0x2705, 0x2705},   {0x270A, 0x270B},   {0x2728, 0x2728},
      {0x274C, 0x274C},   {0x274E, 0x274E},   {0x2753, 0x2755},   {0x2757, 0x2757},   {0x2795, 0x2797},
      {0x27B0, 0x27B0},   {0x27BF, 0x27BF},   {0x2B1B, 0x2B1C},   {0x2B50, 0x2B50},   {0x2B55, 0x2B55},
      {0x2E80, 0x303E},   {0x3041, 0x33FF},   {0x3400, 0x4DBF},   {0x4E00, 0x9FFF},   {0xA000, 0xA4CF},
      {0xA960, 0xA97F},   {0xAC00, 0xD7A3},   {0xF900, 0xFAFF},   {0xFE10, 0xFE19},   {0xFE30, 0xFE6F},
      {0xFF00, 0xFF60},   {0xFFE0, 0xFFE6},   {0x16FE0, 0x16FE4}, {0x17000, 0x18AFF}, {0x1B000, 0x1B2FF},
      {0x1F004, 0x1F004}, {0x1F0CF, 0x1F0CF}, {0x1F18E, 0x1F18E}, {0x1F191, 0x1F19A}, {0x1F200, 0x1F251},
      {0x1F300, 0x1F64F}, {0x1F680, 0x1F6FF}, {0x1F7E0, 0x1F7EB}, {0x1F90C, 0x1F9FF}, {0x1FA70, 0x1FAFF},
      {0x20000, 0x3FFFD},
  };
  const auto in = [cp](const auto& ranges) {
    return std::any_of(std::begin(ranges), std::end(ranges),
                       [cp](const Range& r) { return cp >= r.first && cp <= r.last; });
  };
  if (in(kZero)) return 0;
  if (in(kWide)) return 2;
  return 1;
}

// One character of a source line as the terminal will show it.
struct Cell {
  std::uint32_t begin = 0;  // byte offsets within the line
  std::uint32_t end = 0;
  std::string shown;  // the bytes, or U+FFFD for invalid UTF-8 and control characters
  int width = 1;
  bool tab = false;
};

// Splits a line into cells. An invalid byte and any continuation bytes after it form one
// cell shown as U+FFFD, which matches SourceFile::locate()'s column counting (every byte
// that is not a continuation byte starts a column).
std::vector<Cell> cells_of(std::string_view line) {
  std::vector<Cell> cells;
  for (std::uint32_t i = 0; i < line.size();) {
    const detail::Decoded d = detail::decode_utf8(line, i);
    Cell c;
    c.begin = i;
    c.end = i + d.length;
    if (!d.valid) {
      while (c.end < line.size() && (static_cast<unsigned char>(line[c.end]) & 0xC0) == 0x80) ++c.end;
    }
    if (d.valid && d.code_point == U'\t') {
      c.shown = "\t";
      c.tab = true;
    } else {
      const std::string_view bytes = line.substr(c.begin, c.end - c.begin);
      c.shown = detail::printable(bytes);
      c.width = d.valid && c.shown == bytes ? cell_width(d.code_point) : 1;  // U+FFFD is one cell
    }
    i = c.end;
    cells.push_back(std::move(c));
  }
  return cells;
}

struct Style {
  bool color = false;
  std::string paint(std::string_view code, std::string_view text) const {
    if (!color) return std::string(text);
    return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
  }
};

constexpr std::string_view kBold = "1";
constexpr std::string_view kRed = "1;31";
constexpr std::string_view kYellow = "1;33";
constexpr std::string_view kCyan = "1;36";
constexpr std::string_view kGreen = "1;32";

std::string_view severity_color(Severity s) {
  switch (s) {
    case Severity::Error:
      return kRed;
    case Severity::Warning:
      return kYellow;
    case Severity::Note:
      return kBold;
  }
  return kRed;
}

int digits(std::uint32_t n) {
  int d = 1;
  while (n >= 10) n /= 10, ++d;
  return d;
}

// The source line and the caret line under it, with a gutter `width` digits wide.
void render_snippet(const Location& loc, int width, const Style& style, std::string& out) {
  const source::SourceFile& file = *loc.file;
  const std::uint32_t line_no = loc.start.line;
  const std::uint32_t line_start = file.line_start(line_no);
  const std::string_view line = file.line_text(line_no);
  const auto content_end = static_cast<std::uint32_t>(line.size());

  // A span that runs on past the line terminator is shown on its first line only, with
  // "…" after the carets. One that stops at the start of the next line (a whole line
  // including its newline) still counts as one line.
  const bool multi_line =
      loc.stop.line > line_no && !(loc.stop.line == line_no + 1 && loc.end == file.line_start(line_no + 1));
  const std::uint32_t u_begin = std::min(loc.begin - line_start, content_end);
  const std::uint32_t u_end = multi_line ? content_end : std::min(loc.end - line_start, content_end);

  const std::vector<Cell> cells = cells_of(line);
  std::string shown;
  std::string carets;
  std::string pad;
  bool started = false;
  for (const Cell& c : cells) {
    shown += c.shown;
    if (c.end <= u_begin) {
      pad += c.tab ? std::string("\t") : std::string(static_cast<std::size_t>(c.width), ' ');
    } else if (c.begin < u_end) {
      if (!started) {
        carets += '^';
        carets.append(static_cast<std::size_t>(std::max(c.width, 1) - 1), '~');
        started = true;
      } else if (c.tab) {
        carets += '\t';
      } else {
        carets.append(static_cast<std::size_t>(c.width), '~');
      }
    }
  }
  if (!started) carets = "^";  // an empty span, or one at the end of the line
  if (multi_line) carets += "…";
  while (!shown.empty() && (shown.back() == ' ' || shown.back() == '\t')) shown.pop_back();

  const std::string number = fmt::format("{:>{}}", line_no, width);
  const std::string blank(static_cast<std::size_t>(width), ' ');
  out += fmt::format("  {} |", number);
  if (!shown.empty()) out += ' ' + shown;
  out += '\n';
  out += fmt::format("  {} | {}{}\n", blank, pad, style.paint(kGreen, carets));
}

std::string header_location(const Location& loc) {
  return fmt::format("{}:{}:{}: ", detail::printable(loc.file->path()), loc.start.line, loc.start.column);
}

void render_one(const Diagnostic& d, const source::SourceMap& sources, const Style& style, std::string& out) {
  const std::optional<Location> primary = d.has_span ? detail::locate(sources, d.span) : std::nullopt;
  std::vector<std::optional<Location>> notes;
  std::uint32_t max_line = primary ? primary->start.line : 1;
  for (const Label& n : d.notes) {
    notes.push_back(detail::locate(sources, n.span));
    if (notes.back()) max_line = std::max(max_line, notes.back()->start.line);
  }
  const int width = digits(max_line);

  const std::string_view code = info(d.code).code;
  const std::string label = fmt::format("{}[{}]:", to_string(d.severity), code);
  out += style.paint(kBold, primary ? header_location(*primary) : std::string("cascade: "));
  out += style.paint(severity_color(d.severity), label);
  out += style.paint(kBold, " " + detail::printable(d.message));
  out += '\n';
  if (primary) render_snippet(*primary, width, style, out);

  for (std::size_t i = 0; i < d.notes.size(); ++i) {
    const std::optional<Location>& loc = notes[i];
    out += style.paint(kBold, loc ? header_location(*loc) : std::string("cascade: "));
    out += style.paint(kBold, "note:");
    out += " " + detail::printable(d.notes[i].message) + "\n";
    if (loc) render_snippet(*loc, width, style, out);
  }
  if (!d.hint.empty()) {
    out += style.paint(kCyan, "hint:");
    out += " " + detail::printable(d.hint) + "\n";
  }
}

}  // namespace

std::string summary_line(const Diagnostics& diags) {
  const std::size_t errors = diags.error_count();
  const std::size_t warnings = diags.warning_count();
  const auto count = [](std::size_t n, std::string_view what) {
    return fmt::format("{} {}{}", n, what, n == 1 ? "" : "s");
  };
  if (errors && warnings)
    return fmt::format("{}, {} generated.", count(errors, "error"), count(warnings, "warning"));
  if (errors) return count(errors, "error") + " generated.";
  if (warnings) return count(warnings, "warning") + " generated.";
  return {};
}

std::string render_text(const Diagnostics& diags, const source::SourceMap& sources, TextOptions options) {
  const Style style{options.color};
  std::string out;
  for (const Diagnostic& d : diags.items()) {
    render_one(d, sources, style, out);
    out += '\n';
  }
  const std::string summary = summary_line(diags);
  if (!summary.empty()) out += summary + "\n";
  return out;
}

}  // namespace cascade::diag
