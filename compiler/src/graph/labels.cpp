#include "graph/labels.hpp"

#include <fmt/format.h>

#include "check/text.hpp"

namespace cascade::graph::labels {
namespace {

// The byte length of the UTF-8 sequence starting at s[i] (display() has made it valid).
std::size_t sequence_length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
  return i + n <= s.size() ? n : s.size() - i;
}

}  // namespace

std::vector<std::string> wrap(std::string_view text, std::size_t width, std::size_t max_lines) {
  if (width == 0) width = 1;
  if (max_lines == 0) max_lines = 1;
  // Enough for every line plus the marker that something was cut.
  const std::string clean = check::text::display(text, width * max_lines + 1);

  // Words as (byte offset, byte length, code points).
  struct Word {
    std::size_t begin, bytes, chars;
  };
  std::vector<Word> words;
  for (std::size_t i = 0; i < clean.size();) {
    if (clean[i] == ' ') {
      ++i;
      continue;
    }
    Word w{i, 0, 0};
    while (i < clean.size() && clean[i] != ' ') {
      const std::size_t n = sequence_length(clean, i);
      i += n;
      w.bytes += n;
      ++w.chars;
    }
    words.push_back(w);
  }

  std::vector<std::string> lines;
  std::string line;
  std::size_t line_chars = 0;
  bool cut = false;
  auto flush = [&] {
    if (lines.size() == max_lines) {
      cut = true;
      return;
    }
    lines.push_back(std::move(line));
    line.clear();
    line_chars = 0;
  };
  for (const Word& w : words) {
    if (cut) break;
    if (line_chars > 0 && line_chars + 1 + w.chars > width) flush();
    if (cut) break;
    if (line_chars > 0) {
      line += ' ';
      ++line_chars;
    }
    // A word longer than a line is cut into line-sized pieces.
    for (std::size_t i = w.begin; i < w.begin + w.bytes && !cut;) {
      if (line_chars == width) flush();
      if (cut) break;
      const std::size_t n = sequence_length(clean, i);
      line.append(clean, i, n);
      ++line_chars;
      i += n;
    }
  }
  if (!cut && line_chars > 0) flush();
  if (cut && !lines.empty()) {
    std::string& last = lines.back();
    // Make room for the marker; never split a UTF-8 sequence.
    std::size_t chars = 0;
    for (std::size_t i = 0; i < last.size(); i += sequence_length(last, i)) ++chars;
    if (chars >= width) {
      std::size_t i = last.size();
      while (i > 0 && (static_cast<unsigned char>(last[i - 1]) & 0xC0) == 0x80) --i;
      if (i > 0) --i;
      last.resize(i);
    }
    if (last.size() >= 3 && last.compare(last.size() - 3, 3, "…") == 0) return lines;
    last += "…";
  }
  return lines;
}

std::string duration(std::int64_t seconds) {
  if (seconds == 0) return "0s";
  std::string out;
  // -INT64_MIN overflows: count in unsigned.
  std::uint64_t left = seconds < 0 ? 0 - static_cast<std::uint64_t>(seconds) : static_cast<std::uint64_t>(seconds);
  if (seconds < 0) out += '-';
  constexpr std::pair<std::uint64_t, char> units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  for (const auto& [size, unit] : units) {
    if (left >= size) {
      out += fmt::format("{}{}", left / size, unit);
      left %= size;
    }
  }
  return out;
}

std::string clock(std::int32_t minutes) { return fmt::format("{:02}:{:02}", minutes / 60, minutes % 60); }

std::string money(std::int64_t micros, std::string_view currency) {
  const bool negative = micros < 0;
  const std::uint64_t v = negative ? 0 - static_cast<std::uint64_t>(micros) : static_cast<std::uint64_t>(micros);
  std::string out = negative ? "-" : "";
  out += fmt::format("{}", v / 1'000'000);
  std::uint64_t frac = v % 1'000'000;
  if (frac != 0) {
    std::string digits = fmt::format("{:06}", frac);
    while (digits.size() > 2 && digits.back() == '0') digits.pop_back();
    out += '.' + digits;
  }
  if (!currency.empty()) out += ' ' + std::string(currency);
  return out;
}

}  // namespace cascade::graph::labels
