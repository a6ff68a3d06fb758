// Source files and positions.
//
// A SourceSpan is a pair of byte offsets into one file of a SourceMap, like clang's
// SourceLocation: cheap to store on every AST node, turned into line and column only
// when a diagnostic is rendered. Columns are 1-based and counted in Unicode code points
// (so a caret under Cyrillic text lands under the right letter); SARIF output says so
// with "columnKind": "unicodeCodePoints".
//
// This module owns reading files into memory and the line table; it does not decode or
// validate UTF-8 beyond what column counting needs (the grammar reports invalid UTF-8).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cascade::source {

using FileId = std::uint32_t;

struct SourceSpan {
  FileId file = 0;
  std::uint32_t begin = 0;  // byte offset of the first byte
  std::uint32_t end = 0;    // byte offset one past the last byte (== begin for a point)

  friend bool operator==(const SourceSpan&, const SourceSpan&) = default;
};

// A span covering both a and b (same file assumed).
SourceSpan cover(SourceSpan a, SourceSpan b);

struct LineCol {
  std::uint32_t line = 1;    // 1-based
  std::uint32_t column = 1;  // 1-based, in code points
};

class SourceFile {
 public:
  SourceFile(std::string path, std::string text);

  const std::string& path() const { return path_; }
  const std::string& text() const { return text_; }
  LineCol locate(std::uint32_t offset) const;
  std::uint32_t line_count() const { return static_cast<std::uint32_t>(line_starts_.size()); }
  // The text of a 1-based line, without its line terminator.
  std::string_view line_text(std::uint32_t line) const;
  std::uint32_t line_start(std::uint32_t line) const { return line_starts_.at(line - 1); }

 private:
  std::string path_;
  std::string text_;
  std::vector<std::uint32_t> line_starts_;
};

// Every file of one compilation. FileIds index into it; files are never removed, so an id
// stays valid for the life of the map.
class SourceMap {
 public:
  FileId add(std::string path, std::string text);
  const SourceFile& file(FileId id) const { return files_.at(id); }
  std::size_t size() const { return files_.size(); }
  // Returns the id of an already added file with this path, or -1.
  std::int64_t find(std::string_view path) const;

 private:
  std::vector<SourceFile> files_;
};

// Reads a whole file. Returns false and sets error (strerror text) when it cannot.
bool read_file(const std::string& path, std::string& out, std::string& error);

}  // namespace cascade::source
