// SMS segment counting, exactly as operators bill.
//
// GSM 03.38: text made only of the basic table (plus the extension table, whose
// characters take two septets) is GSM-7: one segment holds 160 septets, a multi-part
// message 153 per part. Anything else is UCS-2: 70 UTF-16 code units in one segment,
// 67 per part; a character outside the BMP takes two code units.
#pragma once

#include <string_view>

namespace cascade::sms {

enum class Encoding : std::uint8_t { Gsm7, Ucs2 };

struct Count {
  Encoding encoding = Encoding::Gsm7;
  int characters = 0;  // code points of the text
  int units = 0;       // septets (GSM-7) or UTF-16 code units (UCS-2)
  int segments = 0;    // 0 for an empty text
  bool valid_utf8 = true;
};

// Counts a UTF-8 text. Invalid UTF-8 is counted as UCS-2 replacement characters and
// flagged.
Count count(std::string_view utf8);
std::string_view to_string(Encoding e);  // "GSM-7", "UCS-2"

// The length of a tracked link as an SMS will carry it (the daemon's short redirect):
// link(url) counts as this many GSM-7 characters toward the segment count.
inline constexpr int kTrackedLinkLength = 23;

}  // namespace cascade::sms
