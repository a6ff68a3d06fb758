#include "render_common.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>

namespace cascade::diag::detail {

Decoded decode_utf8(std::string_view text, std::size_t pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char b0 = byte(pos);
  if (b0 < 0x80) return {b0, 1, true};
  std::uint32_t length = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    length = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    length = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    length = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return {U'\uFFFD', 1, false};  // a continuation byte or 0xF8..0xFF where a character starts
  }
  if (pos + length > text.size()) return {U'\uFFFD', 1, false};
  for (std::uint32_t i = 1; i < length; ++i) {
    const unsigned char b = byte(pos + i);
    if ((b & 0xC0) != 0x80) return {U'\uFFFD', 1, false};
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {U'\uFFFD', 1, false};
  return {cp, length, true};
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

namespace {

// C0 and C1 controls, and the line separators and bidirectional overrides that can make a
// line read differently from what the compiler sees ("Trojan Source").
bool is_control(char32_t cp) {
  return (cp < 0x20 && cp != U'\t') || (cp >= 0x7F && cp < 0xA0) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

std::string clean(std::string_view text, bool controls) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const Decoded d = decode_utf8(text, i);
    if (!d.valid || (controls && is_control(d.code_point))) {
      append_utf8(out, U'\uFFFD');
    } else {
      out.append(text.substr(i, d.length));
    }
    i += d.length;
  }
  return out;
}

void pretty(const boost::json::value& v, std::string& out, int indent) {
  const auto newline = [&](int level) {
    out += '\n';
    out.append(static_cast<std::size_t>(level) * 2, ' ');
  };
  if (v.is_object()) {
    const auto& o = v.get_object();
    if (o.empty()) {
      out += "{}";
      return;
    }
    out += '{';
    bool first = true;
    for (const auto& kv : o) {
      if (!first) out += ',';
      first = false;
      newline(indent + 1);
      out += boost::json::serialize(boost::json::string_view(kv.key()));
      out += ": ";
      pretty(kv.value(), out, indent + 1);
    }
    newline(indent);
    out += '}';
  } else if (v.is_array()) {
    const auto& a = v.get_array();
    if (a.empty()) {
      out += "[]";
      return;
    }
    out += '[';
    bool first = true;
    for (const auto& e : a) {
      if (!first) out += ',';
      first = false;
      newline(indent + 1);
      pretty(e, out, indent + 1);
    }
    newline(indent);
    out += ']';
  } else {
    out += boost::json::serialize(v);
  }
}

}  // namespace

std::string valid_utf8(std::string_view text) {
  return clean(text, false);
}

std::string printable(std::string_view text) {
  return clean(text, true);
}

std::optional<Location> locate(const source::SourceMap& sources, const source::SourceSpan& span) {
  if (span.file >= sources.size()) return std::nullopt;
  const source::SourceFile& file = sources.file(span.file);
  const auto size = static_cast<std::uint32_t>(file.text().size());
  Location loc;
  loc.file = &file;
  loc.begin = std::min({span.begin, span.end, size});
  loc.end = std::min(std::max(span.begin, span.end), size);
  loc.start = file.locate(loc.begin);
  loc.stop = file.locate(loc.end);
  return loc;
}

boost::json::value sanitized(const boost::json::value& v) {
  if (v.is_string()) {
    const auto& s = v.get_string();
    return boost::json::string(valid_utf8(std::string_view(s.data(), s.size())));
  }
  if (v.is_array()) {
    boost::json::array out;
    for (const auto& e : v.get_array()) out.push_back(sanitized(e));
    return out;
  }
  if (v.is_object()) {
    boost::json::object out;
    for (const auto& kv : v.get_object()) {
      out[valid_utf8(std::string_view(kv.key().data(), kv.key().size()))] = sanitized(kv.value());
    }
    return out;
  }
  return v;
}

std::string pretty_json(const boost::json::value& v) {
  std::string out;
  pretty(v, out, 0);
  out += '\n';
  return out;
}

std::string describe_template(std::string_view tmpl) {
  std::string out;
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    const char c = tmpl[i];
    if (c == '{' && i + 1 < tmpl.size() && tmpl[i + 1] == '{') {
      out += '{';
      ++i;
    } else if (c == '}' && i + 1 < tmpl.size() && tmpl[i + 1] == '}') {
      out += '}';
      ++i;
    } else if (c == '{') {
      const std::size_t close = tmpl.find('}', i);
      if (close == std::string_view::npos) {
        out.append(tmpl.substr(i));
        break;
      }
      // Adjacent placeholders ("{0}{1}") read as one unknown part.
      if (!out.ends_with("…")) out += "…";
      i = close;
    } else {
      out += c;
    }
  }
  return out;
}

std::string pascal_case(std::string_view kebab) {
  std::string out;
  bool upper = true;
  for (const char c : kebab) {
    if (c == '-' || c == '_') {
      upper = true;
      continue;
    }
    out += upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    upper = false;
  }
  return out;
}

}  // namespace cascade::diag::detail
