// SMS segment counting (see sms.hpp for the billing rules and the packing of parts).
#include "cascade/stdlib/sms.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <vector>

namespace cascade::sms {
namespace {

// GSM 03.38 default alphabet, by septet value 0x00–0x7F. 0x1B is the escape to the
// extension table; as a character of the text it is counted as one septet, as the
// brief's table lists it.
// clang-format off
constexpr char32_t kBasic[128] = {
  U'@', U'£', U'$', U'¥', U'è', U'é', U'ù', U'ì', U'ò', U'Ç', U'\n', U'Ø', U'ø', U'\r', U'Å', U'å',
  U'Δ', U'_', U'Φ', U'Γ', U'Λ', U'Ω', U'Π', U'Ψ', U'Σ', U'Θ', U'Ξ', U'\x1B', U'Æ', U'æ', U'ß', U'É',
  U' ', U'!', U'"', U'#', U'¤', U'%', U'&', U'\'', U'(', U')', U'*', U'+', U',', U'-', U'.', U'/',
  U'0', U'1', U'2', U'3', U'4', U'5', U'6', U'7', U'8', U'9', U':', U';', U'<', U'=', U'>', U'?',
  U'¡', U'A', U'B', U'C', U'D', U'E', U'F', U'G', U'H', U'I', U'J', U'K', U'L', U'M', U'N', U'O',
  U'P', U'Q', U'R', U'S', U'T', U'U', U'V', U'W', U'X', U'Y', U'Z', U'Ä', U'Ö', U'Ñ', U'Ü', U'§',
  U'¿', U'a', U'b', U'c', U'd', U'e', U'f', U'g', U'h', U'i', U'j', U'k', U'l', U'm', U'n', U'o',
  U'p', U'q', U'r', U's', U't', U'u', U'v', U'w', U'x', U'y', U'z', U'ä', U'ö', U'ñ', U'ü', U'à',
};
// The extension table: each is sent as ESC + one septet.
constexpr char32_t kExtension[] = {U'\f', U'^', U'{', U'}', U'\\', U'[', U'~', U']', U'|', U'€'};
// clang-format on

// Decodes one code point from s at i (advancing i). Returns U+FFFD and sets ok=false for
// a byte that does not start a well-formed sequence (overlong forms, surrogates, values
// past U+10FFFF, truncated sequences); exactly one byte is consumed then, so every input
// byte is looked at once and decoding always makes progress.
char32_t decode(std::string_view s, std::size_t& i, bool& ok) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    ok = false;
    ++i;
    return 0xFFFD;
  }
  if (i + static_cast<std::size_t>(len) > s.size()) {
    ok = false;
    ++i;
    return 0xFFFD;
  }
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
    if ((b & 0xC0) != 0x80) {
      ok = false;
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ok = false;
    ++i;
    return 0xFFFD;
  }
  i += static_cast<std::size_t>(len);
  return cp;
}

int clamp_int(std::int64_t v) {
  return static_cast<int>(std::min<std::int64_t>(v, INT_MAX));
}

// Packs character widths greedily into parts of `part` units; a character never
// straddles two parts.
std::int64_t pack(const std::vector<std::uint8_t>& widths, int part) {
  std::int64_t parts = 1;
  int used = 0;
  for (std::uint8_t w : widths) {
    if (used + w > part) {
      ++parts;
      used = 0;
    }
    used += w;
  }
  return parts;
}

// Septets of each ASCII code point, computed once at compile time: counting a long text
// looks ASCII up directly and searches the tables only for the few non-ASCII letters.
constexpr std::array<std::uint8_t, 128> make_ascii_septets() {
  std::array<std::uint8_t, 128> out{};
  for (char32_t b : kBasic) {
    if (b < 128) out[b] = 1;
  }
  for (char32_t e : kExtension) {
    if (e < 128) out[e] = 2;
  }
  return out;
}
constexpr auto kAsciiSeptets = make_ascii_septets();

}  // namespace

int gsm7_septets(char32_t c) {
  if (c < 128) return kAsciiSeptets[c];
  for (char32_t b : kBasic) {
    if (b == c) return 1;
  }
  for (char32_t e : kExtension) {
    if (e == c) return 2;
  }
  return 0;
}

Count count(std::string_view utf8) {
  Count result;
  std::vector<std::uint8_t> septets;  // per character, while the text is still GSM-7
  std::vector<std::uint8_t> units16;  // per character, UTF-16 code units
  septets.reserve(utf8.size());
  units16.reserve(utf8.size());
  bool gsm = true;
  std::int64_t septet_total = 0, unit_total = 0, characters = 0;

  for (std::size_t i = 0; i < utf8.size();) {
    const std::size_t at = i;
    bool ok = true;
    const char32_t cp = decode(utf8, i, ok);
    if (!ok) result.valid_utf8 = false;
    ++characters;
    const std::uint8_t u16 = cp > 0xFFFF ? 2 : 1;
    units16.push_back(u16);
    unit_total += u16;
    if (gsm) {
      const int s = ok ? gsm7_septets(cp) : 0;
      if (s == 0) {
        gsm = false;
        result.first_non_gsm = cp;
        result.first_non_gsm_offset = at;
      } else {
        septets.push_back(static_cast<std::uint8_t>(s));
        septet_total += s;
      }
    }
  }

  result.characters = clamp_int(characters);
  if (characters == 0) return result;  // empty: GSM-7, 0 units, 0 segments
  if (gsm) {
    result.encoding = Encoding::Gsm7;
    result.units = clamp_int(septet_total);
    result.segments = clamp_int(septet_total <= kGsm7SingleSegment ? 1 : pack(septets, kGsm7PartSegment));
  } else {
    result.encoding = Encoding::Ucs2;
    result.units = clamp_int(unit_total);
    result.segments = clamp_int(unit_total <= kUcs2SingleSegment ? 1 : pack(units16, kUcs2PartSegment));
  }
  return result;
}

std::string_view to_string(Encoding e) {
  return e == Encoding::Gsm7 ? "GSM-7" : "UCS-2";
}

}  // namespace cascade::sms
