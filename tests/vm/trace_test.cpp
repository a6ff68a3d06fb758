// The trace writer (runtime/vm/src/trace.cpp) against a plain one-byte-at-a-time reference:
// JSON string escaping (written eight bytes at a time there) for every byte value at every
// position and length, and the record's instants (remembered between records there) for
// instants before and after each other, far years included.
#define BOOST_TEST_MODULE trace
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <random>
#include <string>

#include "cascade/vm/engine.hpp"
#include "cascade/vm/record.hpp"

namespace vm = cascade::vm;

namespace {

std::string reference_quoted(std::string_view s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += ch;
        }
    }
  }
  return out + "\"";
}

std::string quoted(std::string_view s) {
  std::string out = "prefix";
  vm::append_json_string(out, s);
  return out.substr(6);
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_byte_at_every_position_is_escaped_as_the_reference_does) {
  for (int b = 0; b < 256; ++b) {
    for (std::size_t len = 1; len <= 19; ++len) {
      for (std::size_t at = 0; at < len; ++at) {
        std::string s(len, 'a');
        s[at] = static_cast<char>(b);
        BOOST_TEST(quoted(s) == reference_quoted(s), "byte " << b << " at " << at << " of " << len);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(random_and_long_strings_match_the_reference) {
  std::mt19937 rng(7);
  // Mostly plain text with a few bytes that need escaping, and UTF-8 (Cyrillic) in between.
  const std::string alphabet = std::string("abc XYZ019\"\\\n\r\t\x01\x1f\x7f") + "Привет";
  for (int round = 0; round < 2000; ++round) {
    std::string s;
    const std::size_t len = rng() % (round < 1000 ? 40 : 700);  // past the writer's 256-byte fast path too
    for (std::size_t k = 0; k < len; ++k) s += alphabet[rng() % alphabet.size()];
    BOOST_TEST(quoted(s) == reference_quoted(s), s);
  }
  const std::string plain(5000, 'x');
  BOOST_TEST(quoted(plain) == reference_quoted(plain));
  BOOST_TEST(quoted("") == "\"\"");
}

BOOST_AUTO_TEST_CASE(instants_are_written_whatever_came_before) {
  // Each record's "at" and "until" as format_time_utc writes them, in an order that makes the
  // writer's remembered instants wrong if it reused them when it must not.
  const vm::Time times[] = {1772445600, 1772445600, 1772445601, 1772445600, 0,           -1,
                            -86400,     253402300799, 253402300800, -62167219200, -62167219201,
                            1772445600, 4102444800, 4102444800};
  std::string all, expected;
  for (std::size_t k = 0; k < std::size(times); ++k) {
    vm::TraceRecord r;
    r.at = times[k];
    r.until = times[std::size(times) - 1 - k];
    r.action = vm::Action::Wait;
    r.recipient = "u1";
    r.scenario = "s";
    r.instance = 3;
    r.wait_for = "time";
    std::string line;
    vm::append_json(r, "₽", line);
    all += line;
    expected += "{\"at\":\"" + vm::format_time_utc(r.at) + "\",\"recipient\":\"u1\",\"scenario\":\"s\",\"instance\":3,"
                "\"action\":\"wait\",\"for\":\"time\",\"until\":\"" + vm::format_time_utc(r.until) + "\"}\n";
  }
  BOOST_TEST(all == expected);
}
