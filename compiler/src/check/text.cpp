#include "check/text.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace cascade::check::text {

std::string_view span_text(const source::SourceMap& sources, source::SourceSpan span) {
  if (span.file >= sources.size()) return {};
  const std::string& t = sources.file(span.file).text();
  if (span.begin > span.end || span.end > t.size()) return {};
  return std::string_view(t).substr(span.begin, span.end - span.begin);
}

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not valid.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) n = 2, cp = c & 0x1F;
  else if (c >= 0xE0 && c <= 0xEF) n = 3, cp = c & 0x0F;
  else if (c >= 0xF0 && c <= 0xF4) n = 4, cp = c & 0x07;
  else return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

}  // namespace

std::string display(std::string_view s, std::size_t max_chars) {
  std::string out;
  out.reserve(std::min<std::size_t>(s.size(), max_chars * 2) + 4);
  std::size_t chars = 0;
  bool last_space = false;
  for (std::size_t i = 0; i < s.size();) {
    if (chars == max_chars) {
      out += "…";
      break;
    }
    const char c = s[i];
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      if (!last_space) {
        out += ' ';
        ++chars;
      }
      last_space = true;
      ++i;
      continue;
    }
    last_space = false;
    const std::size_t n = utf8_length(s, i);
    if (n == 0 || (n == 1 && static_cast<unsigned char>(c) < 0x20)) {
      out += fmt::format("\\x{:02X}", static_cast<unsigned char>(c));
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
    ++chars;
  }
  return out;
}

std::string percent(std::int64_t bp) {
  const bool negative = bp < 0;
  // Negating INT64_MIN is UB; no literal can reach it, but stay defined anyway.
  const std::uint64_t v = negative ? std::uint64_t(0) - static_cast<std::uint64_t>(bp) : static_cast<std::uint64_t>(bp);
  std::string out = negative ? "-" : "";
  out += std::to_string(v / 100);
  if (std::uint64_t frac = v % 100) {
    out += '.';
    out += static_cast<char>('0' + frac / 10);
    if (frac % 10) out += static_cast<char>('0' + frac % 10);
  }
  out += '%';
  return out;
}

std::string count_noun(std::size_t n, std::string_view singular, std::string_view plural) {
  return fmt::format("{} {}", n, n == 1 ? singular : plural);
}

std::uint32_t line_of(const source::SourceMap& sources, source::SourceSpan span) {
  if (span.file >= sources.size()) return 0;
  return sources.file(span.file).locate(span.begin).line;
}

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t limit) {
  const std::size_t la = a.size(), lb = b.size();
  if ((la > lb ? la - lb : lb - la) > limit) return limit + 1;
  // Three rows of the optimal-string-alignment table; names are short, so this is cheap.
  std::vector<std::size_t> prev2(lb + 1), prev(lb + 1), cur(lb + 1);
  for (std::size_t j = 0; j <= lb; ++j) prev[j] = j;
  for (std::size_t i = 1; i <= la; ++i) {
    cur[0] = i;
    std::size_t row_min = cur[0];
    for (std::size_t j = 1; j <= lb; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > limit) return limit + 1;
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[lb];
}

std::string_view closest(std::string_view name, const std::vector<std::string_view>& candidates) {
  const std::size_t limit = name.size() <= 3 ? 1 : 2;
  std::string_view best;
  std::size_t best_d = limit + 1;
  for (std::string_view c : candidates) {
    if (c == name) continue;
    const std::size_t d = edit_distance(name, c, limit);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

std::string did_you_mean(std::string_view name, const std::vector<std::string_view>& candidates,
                         std::string_view list_intro, std::string_view none_text) {
  if (std::string_view c = closest(name, candidates); !c.empty()) return fmt::format("did you mean `{}`?", c);
  if (candidates.empty()) return std::string(none_text);
  constexpr std::size_t kMaxListed = 12;
  std::string out(list_intro);
  out += ' ';
  for (std::size_t i = 0; i < candidates.size() && i < kMaxListed; ++i) {
    if (i) out += ", ";
    out += candidates[i];
  }
  if (candidates.size() > kMaxListed) out += ", …";
  return out;
}

}  // namespace cascade::check::text
