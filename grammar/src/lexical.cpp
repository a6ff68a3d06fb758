#include "lexical.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

namespace cascade::grammar::lex {

namespace {

// clang-format off
// Sorted, for binary search. Keep in step with the comment in lexical.hpp.
constexpr std::array<std::string_view, 37> kReserved = {
    "and", "as", "audience", "cascade", "clicked", "control", "delivered", "else",
    "every", "false", "goal", "if", "import", "in", "let", "limit", "manual", "not",
    "opened", "or", "quiet", "reentry", "scenario", "segment", "send", "split", "stop",
    "template", "then", "trigger", "true", "until", "urgent", "wait", "where", "with",
    "within",
};
// clang-format on

bool one_of(std::string_view w, std::initializer_list<std::string_view> words) {
  return std::find(words.begin(), words.end(), w) != words.end();
}

// Length of the valid UTF-8 sequence at p, or 0 when the bytes there are not UTF-8
// (overlong forms, surrogates and code points above U+10FFFF are rejected).
std::size_t utf8_length(const unsigned char* p, const unsigned char* end) {
  const unsigned char c = p[0];
  if (c < 0x80) return 1;
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (static_cast<std::size_t>(end - p) < n) return 0;
  for (std::size_t i = 1; i < n; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

std::string hex_byte(unsigned char b) {
  char buf[3];
  std::snprintf(buf, sizeof buf, "%02X", b);
  return buf;
}

}  // namespace

bool is_reserved(std::string_view word) {
  return std::binary_search(kReserved.begin(), kReserved.end(), word);
}

std::string_view word_at(const char* p, const char* end) {
  if (p >= end || !is_ident_start(*p)) return {};
  const char* q = p + 1;
  while (q < end && is_ident_char(*q)) ++q;
  return std::string_view(p, static_cast<std::size_t>(q - p));
}

bool starts_setting(const char* p, const char* end) {
  const auto w = word_at(p, end);
  if (one_of(w, {"trigger", "audience", "goal", "quiet", "limit", "reentry", "control", "urgent"})) return true;
  if (w == "stop") {
    const char* q = skip_space(p + w.size(), end);
    return word_at(q, end) == "on";
  }
  return false;
}

bool starts_statement(const char* p, const char* end) {
  return one_of(word_at(p, end), {"send", "wait", "if", "cascade", "split", "let", "stop"});
}

bool starts_declaration(const char* p, const char* end) {
  return one_of(word_at(p, end), {"import", "segment", "scenario"});
}

const char* skip_space(const char* p, const char* end) {
  while (p < end) {
    const char c = *p;
    if (is_blank(c) || c == '\n') {
      ++p;
    } else if (c == '/' && p + 1 < end && p[1] == '/') {
      p += 2;
      while (p < end && *p != '\n') ++p;
    } else if (c == '/' && p + 1 < end && p[1] == '*') {
      p += 2;
      while (p < end && !(*p == '*' && p + 1 < end && p[1] == '/')) ++p;
      p = p < end ? p + 2 : end;
    } else {
      break;
    }
  }
  return p;
}

const char* skip_space_same_line(const char* p, const char* end, bool& crossed) {
  crossed = false;
  while (p < end) {
    const char c = *p;
    if (is_blank(c)) {
      ++p;
    } else if (c == '\n') {
      crossed = true;
      return p;
    } else if (c == '/' && p + 1 < end && p[1] == '/') {
      p += 2;
      while (p < end && *p != '\n') ++p;
    } else if (c == '/' && p + 1 < end && p[1] == '*') {
      const char* q = p + 2;
      while (q < end && !(*q == '*' && q + 1 < end && q[1] == '/')) {
        if (*q == '\n') {
          crossed = true;
          return p;
        }
        ++q;
      }
      p = q < end ? q + 2 : end;
    } else {
      break;
    }
  }
  return p;
}

std::string clip(std::string_view text) {
  constexpr std::size_t kMax = 48;
  if (text.size() <= kMax) return std::string(text);
  std::size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 characters
  return std::string(text.substr(0, cut)) + "…";
}

std::string describe_token(const char* /*base*/, const char* p, const char* end, const char*& token_end) {
  token_end = p;
  if (p >= end) return "end of file";
  const char c = *p;
  if (c == '\n' || (c == '\r' && p + 1 < end && p[1] == '\n')) {
    token_end = p + 1;
    return "a newline";
  }
  if (is_ident_start(c)) {
    const auto w = word_at(p, end);
    token_end = p + w.size();
    return "'" + clip(w) + "'";
  }
  if (is_digit(c)) {
    const char* q = p;
    while (q < end && (is_ident_char(*q) || *q == '%' || *q == ':' || (*q == '.' && q + 1 < end && is_digit(q[1]))))
      ++q;
    token_end = q;
    return "'" + clip(std::string_view(p, static_cast<std::size_t>(q - p))) + "'";
  }
  if (c == '"') {
    token_end = p + 1;
    return "a string";
  }
  if (p + 1 < end) {
    const std::string_view two(p, 2);
    if (one_of(two, {"==", "!=", "<=", ">=", "??", "..", "\\\""})) {
      token_end = p + 2;
      return "'" + std::string(two) + "'";
    }
  }
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x80) {
    const std::size_t n = utf8_length(reinterpret_cast<const unsigned char*>(p), reinterpret_cast<const unsigned char*>(end));
    if (n == 0) {
      token_end = p + 1;
      return "a byte 0x" + hex_byte(u);
    }
    token_end = p + n;
    return "'" + std::string(p, n) + "'";
  }
  token_end = p + 1;
  if (u < 0x20 || u == 0x7F) return "a control character 0x" + hex_byte(u);
  return "'" + std::string(1, c) + "'";
}

bool is_unexpected_character(const char* p, const char* end) {
  if (p >= end) return false;
  const char c = *p;
  if (is_ident_start(c) || is_digit(c) || is_blank(c) || c == '\n') return false;
  static constexpr std::string_view kPunct = "\"{}()[],.:=<>!?+-*/\\";
  return kPunct.find(c) == std::string_view::npos;
}

PreScan prescan(std::string_view text, source::FileId file) {
  PreScan out;
  const char* const base = text.data();
  const char* const end = base + text.size();
  const char* p = base;
  if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") {
    out.bom = 3;
    p += 3;
  }
  enum class Mode { Code, String, EscapedString } mode = Mode::Code;
  // What each open `{` returns to when it closes: a plain code brace, or the string
  // (plain or \"-delimited) whose interpolation it opened.
  std::vector<Mode> stack;
  bool bad_utf8_reported = false;
  auto off = [&](const char* q) { return static_cast<std::uint32_t>(q - base); };
  std::uint32_t depth = 0, max_depth = 0, thens = 0;
  auto open = [&] { max_depth = std::max(max_depth, ++depth); };
  auto close = [&] {
    if (depth > 0) --depth;
  };
  // Steps over one character inside a comment. Invalid bytes inside comments are still
  // invalid UTF-8: the first one is reported.
  auto skip_comment_char = [&](const char* q) -> const char* {
    const auto b = static_cast<unsigned char>(*q);
    if (b < 0x80) return q + 1;
    const std::size_t n =
        utf8_length(reinterpret_cast<const unsigned char*>(q), reinterpret_cast<const unsigned char*>(end));
    if (n != 0) return q + n;
    if (!bad_utf8_reported) {
      bad_utf8_reported = true;
      out.errors.push_back(SyntaxError{SyntaxErrorKind::InvalidUtf8, {file, off(q), off(q) + 1}, "", hex_byte(b)});
    }
    return q + 1;
  };

  while (p < end) {
    const char c = *p;
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      const std::size_t n = utf8_length(reinterpret_cast<const unsigned char*>(p), reinterpret_cast<const unsigned char*>(end));
      if (n == 0) {
        if (!bad_utf8_reported) {
          bad_utf8_reported = true;
          out.errors.push_back(SyntaxError{SyntaxErrorKind::InvalidUtf8, {file, off(p), off(p) + 1}, "", hex_byte(u)});
        }
        ++p;
      } else {
        p += n;
      }
      continue;
    }
    if (mode == Mode::Code) {
      if (c == '/' && p + 1 < end && p[1] == '/') {
        const char* q = p + 2;
        while (q < end && *q != '\n') {
          q = skip_comment_char(q);
        }
        // A trailing \r belongs to the line ending, not to the comment.
        const char* text_end = (q > p + 2 && q[-1] == '\r') ? q - 1 : q;
        out.comments.push_back(ast::Comment{{file, off(p), off(text_end)}, std::string(p, text_end), false});
        p = q;
        continue;
      }
      if (c == '/' && p + 1 < end && p[1] == '*') {
        const char* q = p + 2;
        while (q < end && !(*q == '*' && q + 1 < end && q[1] == '/')) {
          q = skip_comment_char(q);
        }
        if (q >= end) {
          out.unterminated_comment = off(p);
          out.errors.push_back(SyntaxError{SyntaxErrorKind::UnterminatedComment, {file, off(p), off(p) + 2}, "'*/'",
                                           "end of file"});
          out.comments.push_back(ast::Comment{{file, off(p), off(end)}, std::string(p, end), true});
          p = end;
          break;
        }
        q += 2;
        out.comments.push_back(ast::Comment{{file, off(p), off(q)}, std::string(p, q), true});
        p = q;
        continue;
      }
      if (c == '"') {
        mode = Mode::String;
      } else if (c == '\\' && p + 1 < end && p[1] == '"' && !stack.empty()) {
        mode = Mode::EscapedString;
        ++p;
      } else if (c == '{') {
        stack.push_back(Mode::Code);
        open();
      } else if (c == '}') {
        close();
        if (!stack.empty()) {
          mode = stack.back();
          stack.pop_back();
        }
      } else if (c == '(' || c == '[') {
        open();
      } else if (c == ')' || c == ']') {
        close();
      } else if (is_ident_start(c)) {
        const auto w = word_at(p, end);
        if (w == "then") ++thens;
        p += w.size();
        continue;
      }
      ++p;
      continue;
    }
    // Inside a string.
    if (c == '\n') {
      // Strings end at the line's end (the grammar reports the unterminated string).
      mode = Mode::Code;
      stack.clear();
      ++p;
      continue;
    }
    if (c == '\\') {
      if (mode == Mode::EscapedString && p + 1 < end && p[1] == '"') {
        mode = Mode::Code;
        p += 2;
        continue;
      }
      // Skip the escaped character unless it is a line break (or a multibyte
      // character, which the UTF-8 check above must see).
      if (p + 1 < end && p[1] != '\n' && static_cast<unsigned char>(p[1]) < 0x80) {
        p += 2;
      } else {
        ++p;
      }
      continue;
    }
    if (c == '"' && mode == Mode::String) {
      mode = Mode::Code;
    } else if (c == '{') {
      stack.push_back(mode);
      mode = Mode::Code;
      open();
    }
    ++p;
  }
  out.recursion_estimate = max_depth + thens;
  return out;
}

namespace {

bool accepts(Resume what, const char* p, const char* end) {
  switch (what) {
    case Resume::Declaration:
      return starts_declaration(p, end);
    case Resume::Setting:
    case Resume::Statement:
      return starts_setting(p, end) || starts_statement(p, end) || starts_declaration(p, end);
    case Resume::Step: {
      if (starts_statement(p, end) || starts_declaration(p, end)) return true;
      const auto w = word_at(p, end);
      return !w.empty() && !is_reserved(w);
    }
    case Resume::Branch:
      return is_digit(*p) || starts_statement(p, end) || starts_declaration(p, end);
  }
  return false;
}

}  // namespace

const char* resume_point(Resume what, const char* from, const char* not_before, const char* end) {
  const char* p = from;
  int depth = 0;
  bool line_start = false;
  while (p < end) {
    const char c = *p;
    if (c == '\n') {
      line_start = true;
      ++p;
      continue;
    }
    if (is_blank(c)) {
      ++p;
      continue;
    }
    if (c == '/' && p + 1 < end && p[1] == '/') {
      while (p < end && *p != '\n') ++p;
      continue;
    }
    if (c == '/' && p + 1 < end && p[1] == '*') {
      p += 2;
      while (p < end && !(*p == '*' && p + 1 < end && p[1] == '/')) {
        if (*p == '\n') line_start = true;
        ++p;
      }
      p = p < end ? p + 2 : end;
      continue;
    }
    // p is at the first byte of a token.
    const bool first_on_line = line_start;
    line_start = false;
    if (p >= not_before && p > from && depth == 0) {
      if (c == '}' && what != Resume::Declaration) return p;
      if (first_on_line && accepts(what, p, end)) return p;
    }
    if (c == '"') {
      // A string runs to its closing quote or the end of the line.
      ++p;
      while (p < end && *p != '"' && *p != '\n') p += (*p == '\\' && p + 1 < end && p[1] != '\n') ? 2 : 1;
      if (p < end && *p == '"') ++p;
      continue;
    }
    if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (depth > 0) --depth;
    }
    if (is_ident_start(c)) {
      p += word_at(p, end).size();
    } else {
      ++p;
    }
  }
  return end;
}

namespace {

// The scan behind after_headless_block. Sets `scanned` to how far it looked.
const char* headless_block_end(const char* base, const char* start, const char* error_at, const char* end,
                               const char*& scanned) {
  auto line_begin = [&](const char* p) {
    while (p > base && p[-1] != '\n') --p;
    return p;
  };
  const char* const stmt_line = line_begin(start);
  // Only when the statement is the first thing on its line.
  for (const char* q = stmt_line; q < start; ++q)
    if (!is_blank(*q)) return nullptr;
  const auto column = start - stmt_line;
  // In unindented code the enclosing block's `}` is in column 0 too: no guessing there.
  if (column == 0) return nullptr;

  const char* p = start;
  int depth = 0;
  bool line_start = false;
  bool past_error_line = false;
  const char* found = nullptr;
  while (p < end && found == nullptr) {
    const char c = *p;
    if (c == '\n') {
      if (p >= error_at && !past_error_line) {
        if (depth != 0) break;  // the error is inside braces opened on its line
        past_error_line = true;
      }
      line_start = true;
      ++p;
      continue;
    }
    if (is_blank(c)) {
      ++p;
      continue;
    }
    if (c == '/' && p + 1 < end && p[1] == '/') {
      while (p < end && *p != '\n') ++p;
      continue;
    }
    if (c == '/' && p + 1 < end && p[1] == '*') {
      p += 2;
      while (p < end && !(*p == '*' && p + 1 < end && p[1] == '/')) ++p;
      p = p < end ? p + 2 : end;
      continue;
    }
    const bool first_on_line = line_start;
    line_start = false;
    if (!past_error_line) {
      // Up to the end of the error's line: a `{` after the error means the block was
      // opened after all (the usual recovery skips it).
      if (c == '{') {
        if (p >= error_at) break;
        ++depth;
      } else if (c == '}' && depth > 0) {
        --depth;
      }
      if (p >= error_at && depth != 0) break;
    } else {
      if (first_on_line && depth == 0) {
        const auto col = p - line_begin(p);
        if (col < column) break;
        if (col == column) {
          if (c == '}') found = p + 1;
          break;
        }
      }
      if (c == '{') {
        ++depth;
      } else if (c == '}') {
        if (depth == 0) break;
        --depth;
      }
    }
    if (c == '"') {
      ++p;
      while (p < end && *p != '"' && *p != '\n') p += (*p == '\\' && p + 1 < end && p[1] != '\n') ? 2 : 1;
      if (p < end && *p == '"') ++p;
      continue;
    }
    p += is_ident_start(c) ? word_at(p, end).size() : 1;
  }
  scanned = p;
  return found;
}

}  // namespace

const char* after_headless_block(const char* base, const char* start, const char* error_at, const char* end,
                                 std::size_t& budget) {
  if (budget == 0 || !one_of(word_at(start, end), {"if", "cascade", "split"})) return nullptr;
  const char* limit = static_cast<std::size_t>(end - start) > budget ? start + budget : end;
  const char* scanned = start;
  const char* found = headless_block_end(base, start, error_at, limit, scanned);
  const auto cost = static_cast<std::size_t>(scanned - start) + 1;
  budget = cost >= budget ? 0 : budget - cost;
  return found;
}

std::string canonical_duration(std::string_view token) {
  // Units in output order.
  static constexpr std::string_view kUnits = "wdhms";
  std::array<std::uint64_t, 5> sums{};
  std::uint64_t n = 0;
  for (const char c : token) {
    if (is_digit(c)) {
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    } else {
      const auto i = kUnits.find(c);
      if (i != std::string_view::npos) sums[i] += n;
      n = 0;
    }
  }
  std::string out;
  for (std::size_t i = 0; i < kUnits.size(); ++i) {
    if (sums[i] != 0) {
      out += std::to_string(sums[i]);
      out += kUnits[i];
    }
  }
  return out.empty() ? "0s" : out;
}

}  // namespace cascade::grammar::lex
