// The pre-scan of cascade.yaml (see prescan.hpp).
#include "project/prescan.hpp"

#include <vector>

namespace cascade::project::detail {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

class DepthScanner {
 public:
  DepthScanner(std::string_view text, int max_depth) : text_(text), max_(max_depth) {}

  std::optional<DepthProblem> run() {
    std::size_t line_begin = 0;
    while (line_begin <= text_.size() && !problem_) {
      std::size_t line_end = text_.find('\n', line_begin);
      if (line_end == std::string_view::npos) line_end = text_.size();
      scan_line(line_begin, line_end);
      line_begin = line_end + 1;
    }
    return problem_;
  }

 private:
  int depth() const { return static_cast<int>(indents_.size()) + flow_; }

  void check(std::size_t at) {
    if (!problem_ && depth() > max_) problem_ = DepthProblem{at, depth()};
  }

  void scan_line(std::size_t b, std::size_t e) {
    std::size_t i = b;
    if (quote_) {
      i = scan_quoted(i, e);
      if (quote_) return;  // the quoted scalar goes on to the next line
    } else {
      std::size_t indent = 0;
      while (b + indent < e && text_[b + indent] == ' ') ++indent;
      const std::size_t first = b + indent;
      bool blank = true;
      for (std::size_t k = first; k < e && blank; ++k) blank = is_space(text_[k]);
      if (block_scalar_indent_ >= 0) {
        // Lines of a `|` or `>` scalar: text, not structure, while indented deeper.
        if (blank || static_cast<long>(indent) > block_scalar_indent_) return;
        block_scalar_indent_ = -1;
      }
      if (blank || text_[first] == '#') return;
      if (flow_ == 0) {
        // A block line: its indentation nests it under every shallower open level.
        while (!indents_.empty() && indents_.back() >= indent) indents_.pop_back();
        indents_.push_back(indent);
        check(first);
        line_indent_ = static_cast<long>(indent);
        i = scan_block_entries(b, first, e);
      }
    }
    scan_flow(i, e);
  }

  // "- - key: value" and "? key": every entry indicator opens one more level; then the
  // token after them (and after a `key: `) may open a flow collection, a quoted scalar or
  // a block scalar.
  std::size_t scan_block_entries(std::size_t b, std::size_t i, std::size_t e) {
    if (i == b && text_.substr(i, 3) == "---" && (i + 3 == e || is_space(text_[i + 3]))) {
      i += 3;  // a document start; a value may follow on the same line
    }
    while (i < e && !problem_ && (text_[i] == '-' || text_[i] == '?') &&
           (i + 1 == e || is_space(text_[i + 1]))) {
      ++i;
      while (i < e && is_space(text_[i])) ++i;
      indents_.push_back(i - b);
      check(i);
    }
    if (problem_) return e;
    return scan_block_value(i, e);
  }

  // At a token start in block context. Returns where flow scanning should continue (e
  // when the rest of the line is plain text).
  std::size_t scan_block_value(std::size_t i, std::size_t e) {
    for (;;) {
      while (i < e && is_space(text_[i])) ++i;
      if (i >= e) return e;
      const char c = text_[i];
      if (c == '[' || c == '{') return i;  // scan_flow takes it from here
      if (c == '#') return e;
      if (c == '"' || c == '\'') {
        quote_ = c;
        i = scan_quoted(i + 1, e);
        if (quote_) return e;
        // After a quoted key, a `: value` may follow.
        while (i < e && is_space(text_[i])) ++i;
        if (i < e && text_[i] == ':') {
          ++i;
          continue;
        }
        return e;
      }
      if (c == '|' || c == '>') {
        block_scalar_indent_ = line_indent_;
        return e;
      }
      if (c == '&' || c == '!' || c == '*') {
        // Anchors, tags and aliases are one word; the value follows.
        while (i < e && !is_space(text_[i])) ++i;
        continue;
      }
      // A plain scalar: a key when `: ` follows on this line, then the value is a new token.
      for (; i < e; ++i) {
        if (text_[i] == ':' && (i + 1 == e || is_space(text_[i + 1]))) {
          ++i;
          break;
        }
        if (text_[i] == '#' && is_space(text_[i - 1])) return e;
      }
      if (i >= e) return e;
    }
  }

  // Inside a quoted scalar that opened with quote_; returns the offset after its end
  // (clearing quote_), or e when it goes on past this line.
  std::size_t scan_quoted(std::size_t i, std::size_t e) {
    for (; i < e; ++i) {
      const char c = text_[i];
      if (quote_ == '"' && c == '\\') {
        ++i;  // an escape: skip the escaped character
        continue;
      }
      if (c == quote_) {
        if (quote_ == '\'' && i + 1 < e && text_[i + 1] == '\'') {
          ++i;  // '' is an escaped quote
          continue;
        }
        quote_ = 0;
        return i + 1;
      }
    }
    return e;
  }

  // Flow context: brackets nest until the matching closers; quotes start at a token start
  // (after `[ { , : ?` or at the beginning of the collection's line).
  void scan_flow(std::size_t i, std::size_t e) {
    bool token_start = true;
    for (; i < e && !problem_; ++i) {
      const char c = text_[i];
      if (is_space(c)) continue;
      if (quote_) {
        i = scan_quoted(i, e);
        if (quote_) return;
        --i;
        token_start = false;
        continue;
      }
      if (c == '#' && (i == 0 || is_space(text_[i - 1]) || text_[i - 1] == '\n')) return;
      if (c == '[' || c == '{') {
        ++flow_;
        check(i);
        token_start = true;
        continue;
      }
      if (flow_ == 0) return;  // trailing text after a closed flow collection
      if (c == ']' || c == '}') {
        --flow_;
        token_start = false;
        if (flow_ == 0) return;
        continue;
      }
      if (c == ',' || c == ':' || c == '?') {
        token_start = true;
        continue;
      }
      if ((c == '"' || c == '\'') && token_start) {
        quote_ = c;
        const std::size_t after = scan_quoted(i + 1, e);
        if (quote_) return;
        i = after - 1;
        token_start = false;
        continue;
      }
      token_start = false;
    }
  }

  std::string_view text_;
  int max_;
  std::vector<std::size_t> indents_;  // open block levels, by column
  int flow_ = 0;                      // open flow collections
  char quote_ = 0;                    // inside a quoted scalar that spans lines
  long block_scalar_indent_ = -1;     // inside a block scalar of a line with this indent
  long line_indent_ = 0;
  std::optional<DepthProblem> problem_;
};

}  // namespace

std::optional<DepthProblem> find_excess_nesting(std::string_view text, int max_depth) {
  return DepthScanner(text, max_depth).run();
}

std::optional<std::size_t> find_invalid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0, min = 0;
    if ((b0 & 0xE0) == 0xC0)
      len = 2, cp = b0 & 0x1Fu, min = 0x80;
    else if ((b0 & 0xF0) == 0xE0)
      len = 3, cp = b0 & 0x0Fu, min = 0x800;
    else if ((b0 & 0xF8) == 0xF0)
      len = 4, cp = b0 & 0x07u, min = 0x10000;
    else
      return i;
    if (i + len > s.size()) return i;
    for (std::size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (b & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::nullopt;
}

}  // namespace cascade::project::detail
