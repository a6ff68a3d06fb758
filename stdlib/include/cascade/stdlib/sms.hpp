// SMS segment counting, exactly as operators bill.
//
// GSM 03.38: text made only of the basic table (plus the extension table, whose
// characters take two septets) is GSM-7: one segment holds 160 septets, a multi-part
// message 153 per part. Anything else is UCS-2: 70 UTF-16 code units in one segment,
// 67 per part; a character outside the BMP takes two code units.
//
// Multi-part messages: each part carries a user-data header, hence 153 / 67. Operators
// never split a two-septet extension character (ESC + char) or a UTF-16 surrogate pair
// across two parts, so the segment count is found by packing whole characters greedily
// into parts of 153 septets / 67 code units. This can need one more part than
// ceil(units / 153) would say: 152 plain characters and a "€" make 154 septets, and the
// "€" cannot be cut, so part one holds 152 and part two the rest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cascade::sms {

enum class Encoding : std::uint8_t { Gsm7, Ucs2 };

struct Count {
  Encoding encoding = Encoding::Gsm7;
  int characters = 0;  // code points of the text
  int units = 0;       // septets (GSM-7) or UTF-16 code units (UCS-2)
  int segments = 0;    // 0 for an empty text
  bool valid_utf8 = true;
  // The first character that is not in GSM 03.38 and so made the text UCS-2 (0: none),
  // and its byte offset in the input: a lint can name it ("`ё` makes this UCS-2").
  char32_t first_non_gsm = 0;
  std::size_t first_non_gsm_offset = 0;
};

inline constexpr int kGsm7SingleSegment = 160;
inline constexpr int kGsm7PartSegment = 153;
inline constexpr int kUcs2SingleSegment = 70;
inline constexpr int kUcs2PartSegment = 67;

// Septets a code point takes in GSM-7: 1 for the basic table, 2 for the extension
// table, 0 when it is not representable.
int gsm7_septets(char32_t c);

// Counts a UTF-8 text. Invalid UTF-8 is counted as UCS-2 replacement characters and
// flagged.
Count count(std::string_view utf8);
std::string_view to_string(Encoding e);  // "GSM-7", "UCS-2"

// The length of a tracked link as an SMS will carry it (the daemon's short redirect):
// link(url) counts as this many GSM-7 characters toward the segment count.
inline constexpr int kTrackedLinkLength = 23;

}  // namespace cascade::sms
