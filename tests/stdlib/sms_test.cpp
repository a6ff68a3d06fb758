// SMS segments, counted as operators bill them (sms.hpp).
#include "cascade/stdlib/sms.hpp"

#include <boost/test/unit_test.hpp>
#include <random>
#include <string>

using namespace cascade::sms;

namespace {
std::string repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(sms_segments)

BOOST_AUTO_TEST_CASE(empty_text_is_no_segment) {
  const Count c = count("");
  BOOST_TEST(c.segments == 0);
  BOOST_TEST(c.characters == 0);
  BOOST_TEST(c.units == 0);
  BOOST_TEST(to_string(c.encoding) == "GSM-7");
  BOOST_TEST(c.valid_utf8);
}

BOOST_AUTO_TEST_CASE(gsm7_single_and_multi_boundaries) {
  BOOST_TEST(count(repeat("a", 1)).segments == 1);
  BOOST_TEST(count(repeat("a", 160)).segments == 1);
  const Count c161 = count(repeat("a", 161));
  BOOST_TEST(c161.segments == 2);
  BOOST_TEST(c161.units == 161);
  BOOST_TEST(c161.characters == 161);
  BOOST_TEST(count(repeat("a", 153 * 2)).segments == 2);
  BOOST_TEST(count(repeat("a", 153 * 2 + 1)).segments == 3);
  BOOST_TEST(count(repeat("a", 153 * 3)).segments == 3);
}

BOOST_AUTO_TEST_CASE(ucs2_single_and_multi_boundaries) {
  const Count c70 = count(repeat("ж", 70));
  BOOST_TEST(to_string(c70.encoding) == "UCS-2");
  BOOST_TEST(c70.segments == 1);
  BOOST_TEST(c70.characters == 70);
  BOOST_TEST(c70.units == 70);
  BOOST_TEST(count(repeat("ж", 71)).segments == 2);
  BOOST_TEST(count(repeat("ж", 67 * 2)).segments == 2);
  BOOST_TEST(count(repeat("ж", 67 * 2 + 1)).segments == 3);
  // One Cyrillic letter turns a Latin text into UCS-2.
  const Count mixed = count(repeat("a", 69) + "ё");
  BOOST_TEST(to_string(mixed.encoding) == "UCS-2");
  BOOST_TEST(mixed.segments == 1);
  BOOST_TEST(count(repeat("a", 70) + "ё").segments == 2);
}

BOOST_AUTO_TEST_CASE(extension_characters_take_two_septets) {
  const Count euro = count("€");
  BOOST_TEST(to_string(euro.encoding) == to_string(Encoding::Gsm7));
  BOOST_TEST(euro.characters == 1);
  BOOST_TEST(euro.units == 2);
  BOOST_TEST(euro.segments == 1);
  const Count all_ext = count("\f^{}\\[~]|€");
  BOOST_TEST(to_string(all_ext.encoding) == to_string(Encoding::Gsm7));
  BOOST_TEST(all_ext.characters == 10);
  BOOST_TEST(all_ext.units == 20);
  // 158 + 2 = 160 still fits one segment; 159 + 2 = 161 does not.
  BOOST_TEST(count(repeat("a", 158) + "€").segments == 1);
  BOOST_TEST(count(repeat("a", 159) + "€").segments == 2);
  BOOST_TEST(count(repeat("{", 80)).segments == 1);
  BOOST_TEST(count(repeat("{", 81)).segments == 2);
}

BOOST_AUTO_TEST_CASE(extension_character_is_never_split_across_parts) {
  // 152 + 2 + 152 = 306 septets = 2 x 153, but the "€" cannot straddle the parts:
  // part one holds 152 septets, part two "€" and 151 letters, part three the last letter.
  const Count c = count(repeat("a", 152) + "€" + repeat("a", 152));
  BOOST_TEST(c.units == 306);
  BOOST_TEST(c.segments == 3);
  // When the "€" ends exactly at 153 it stays in part one.
  BOOST_TEST(count(repeat("a", 151) + "€" + repeat("a", 153)).segments == 2);
}

BOOST_AUTO_TEST_CASE(characters_outside_the_bmp_take_two_units) {
  const Count one = count("😀");
  BOOST_TEST(to_string(one.encoding) == to_string(Encoding::Ucs2));
  BOOST_TEST(one.characters == 1);
  BOOST_TEST(one.units == 2);
  BOOST_TEST(one.segments == 1);
  BOOST_TEST(count(repeat("😀", 35)).segments == 1);  // 70 units
  const Count c36 = count(repeat("😀", 36));          // 72 units
  BOOST_TEST(c36.units == 72);
  BOOST_TEST(c36.segments == 2);
}

BOOST_AUTO_TEST_CASE(surrogate_pair_is_never_split_across_parts) {
  // 2 + 66 x 2 = 134 units = 2 x 67, but part one can hold "жж" and 32 emoji (66 units);
  // the 33rd would need units 67 and 68. So 32 + 33 + 1 emoji: three parts.
  const Count c = count("жж" + repeat("😀", 66));
  BOOST_TEST(c.units == 134);
  BOOST_TEST(c.segments == 3);
  BOOST_TEST(count("ж" + repeat("😀", 66)).segments == 2);  // 67 + 66
}

BOOST_AUTO_TEST_CASE(the_full_basic_table_is_gsm7) {
  const std::string basic =
      "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1B"
      "ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
      "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  const Count c = count(basic);
  BOOST_TEST(to_string(c.encoding) == to_string(Encoding::Gsm7));
  BOOST_TEST(c.characters == 128);
  BOOST_TEST(c.units == 128);
  BOOST_TEST(c.segments == 1);
}

BOOST_AUTO_TEST_CASE(characters_outside_gsm_force_ucs2) {
  for (const char* s : {"`", "ç", "â", "ё", "€ё", "Ā", "\t", "…", "«", "—", "\xC2\xA0"}) {
    BOOST_TEST_CONTEXT(s) {
      BOOST_TEST(to_string(count(s).encoding) == "UCS-2");
    }
  }
  const Count c = count("Hello ё!");
  BOOST_TEST((c.first_non_gsm == U'ё'));
  BOOST_TEST(c.first_non_gsm_offset == 6u);
  BOOST_TEST((count("Hello").first_non_gsm == 0));
  BOOST_TEST(gsm7_septets(U'a') == 1);
  BOOST_TEST(gsm7_septets(U'€') == 2);
  BOOST_TEST(gsm7_septets(U'ё') == 0);
}

BOOST_AUTO_TEST_CASE(russian_texts_of_the_brief) {
  const Count cart = count("Товар ждёт в корзине: ");
  BOOST_TEST(to_string(cart.encoding) == to_string(Encoding::Ucs2));
  BOOST_TEST(cart.characters == 22);
  BOOST_TEST(cart.units == 22);
  BOOST_TEST(cart.segments == 1);
  BOOST_TEST(to_string(count("Баллы сгорают ").encoding) == to_string(Encoding::Ucs2));
  BOOST_TEST(count("Операция  ₽").characters == 11);
  const Count long_text = count(
      "Здравствуйте! Ваша корзина ждёт вас: товары зарезервированы ещё на сутки, успейте оформить заказ.");
  BOOST_TEST(to_string(long_text.encoding) == to_string(Encoding::Ucs2));
  BOOST_TEST(long_text.characters == 97);
  BOOST_TEST(long_text.segments == 2);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_counted_and_flagged) {
  const Count c = count("ab\xFF\xFE");
  BOOST_TEST(!c.valid_utf8);
  BOOST_TEST(c.characters == 4);
  BOOST_TEST(to_string(c.encoding) == to_string(Encoding::Ucs2));
  BOOST_TEST(c.units == 4);
  BOOST_TEST((c.first_non_gsm == U'\uFFFD'));
  for (const char* bad :
       {"\xD0", "\xE2\x82", "\xF0\x9F\x98", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\x80"}) {
    BOOST_TEST_CONTEXT(bad) {
      const Count b = count(bad);
      BOOST_TEST(!b.valid_utf8);
      BOOST_TEST(b.segments == 1);
    }
  }
  BOOST_TEST(count("ok").valid_utf8);
}

BOOST_AUTO_TEST_CASE(random_bytes_never_crash) {
  std::mt19937 rng(42);
  for (int round = 0; round < 500; ++round) {
    std::string s(rng() % 400, '\0');
    for (auto& ch : s) ch = static_cast<char>(rng() & 0xFF);
    const Count c = count(s);
    BOOST_TEST(c.characters <= static_cast<int>(s.size()));
    BOOST_TEST((c.segments > 0) == !s.empty());
  }
}

BOOST_AUTO_TEST_SUITE_END()
