// The writer and reader: round trip, determinism, bundles, and the reader's structural errors.
#include <boost/test/unit_test.hpp>

#include "cascade/bytecode/io.hpp"
#include "cascade/bytecode/verify.hpp"
#include "helpers.hpp"
#include "sample.hpp"

using namespace cascade::bytecode;
using namespace cascade::bytecode::testing;

namespace {

// Reads bytes that must be rejected; returns the error message.
std::string rejected(const std::vector<std::uint8_t>& bytes) {
  auto r = read(bytes);
  BOOST_REQUIRE_MESSAGE(!r.ok(), "the reader accepted a malformed file");
  return r.error().message;
}

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(format)

BOOST_AUTO_TEST_CASE(rich_module_verifies) {
  const Module m = rich_module();
  const VerifyResult v = verify(m);
  BOOST_TEST(v.ok(), v.to_string());
  // Every opcode is used by the sample (the mutation tests rely on it).
  std::vector<bool> seen(kOpCount);
  std::string why;
  for (std::size_t pc = 0; pc < m.code.size();) {
    auto in = decode(m.code, pc, m.code.size(), &why);
    BOOST_REQUIRE(in);
    seen[static_cast<std::size_t>(in->op)] = true;
    pc += in->size;
  }
  for (std::size_t i = 0; i < kOpCount; ++i) BOOST_TEST(seen[i], "opcode unused: " << all_ops()[i].name);
}

BOOST_AUTO_TEST_CASE(round_trip) {
  for (const Module& m : {rich_module(), minimal_module()}) {
    const auto bytes = write(m);
    auto r = read(bytes);
    BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
    BOOST_TEST((r.value() == m));
    BOOST_TEST((write(r.value()) == bytes));
    BOOST_TEST(load(bytes).ok());
  }
}

BOOST_AUTO_TEST_CASE(deterministic_bytes_and_hash) {
  const auto a = write(rich_module()), b = write(rich_module());
  BOOST_TEST((a == b));
  BOOST_TEST(program_hash(rich_module()) == get_le(a, 8, 8));
  BOOST_TEST(program_hash(rich_module()) != program_hash(minimal_module()));
  // Magic and version are where the docs say.
  BOOST_TEST(a[0] == 'C');
  BOOST_TEST(a[1] == 'B');
  BOOST_TEST(a[2] == 'C');
  BOOST_TEST(a[3] == 0);
  BOOST_TEST(get_le(a, 4, 2) == kFormatVersion);
}

BOOST_AUTO_TEST_CASE(program_hash_ignores_spans_but_not_code) {
  Module m = rich_module();
  const std::uint64_t h = program_hash(m);
  for (Span& s : m.spans) s.line += 3;  // an edit above the scenario moved every line
  m.sources[0].hash ^= 1;
  BOOST_TEST(program_hash(m) == h);
  m.constants[0].value += 1;  // wait 1h → wait 1h0m1s changes behaviour
  BOOST_TEST(program_hash(m) != h);
}

BOOST_AUTO_TEST_CASE(bundle_round_trip) {
  const std::vector<Module> mods = {rich_module(), minimal_module()};
  const auto bytes = write_bundle(mods);
  BOOST_TEST(is_bundle(bytes));
  BOOST_TEST(!is_bundle(write(mods[0])));
  auto r = read_bundle(bytes);
  BOOST_REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message));
  BOOST_TEST((r.value() == mods));
  // Truncated anywhere: rejected, never a crash.
  for (std::size_t n = 0; n < bytes.size(); ++n)
    BOOST_TEST(!read_bundle(std::span<const std::uint8_t>(bytes).first(n)).ok());
  auto lying = bytes;
  put_le(lying, 8, 0x7fffffff, 4);  // module count
  BOOST_TEST(contains(read_bundle(lying).error().message, "absurd count"));
  // An error inside a module points into the bundle.
  auto bad = bytes;
  bad[bad.size() - 1] ^= 1;
  auto e = read_bundle(bad);
  BOOST_REQUIRE(!e.ok());
  BOOST_TEST(contains(e.error().message, "module 1: bad checksum"));
  BOOST_TEST(e.error().offset == bytes.size() - 8);
}

BOOST_AUTO_TEST_CASE(bad_magic_and_version) {
  auto b = write(minimal_module());
  auto m = b;
  m[0] = 'X';
  BOOST_TEST(contains(rejected(m), "bad magic"));
  auto v = b;
  put_le(v, 4, kFormatVersion + 1, 2);
  reseal(v);
  BOOST_TEST(contains(rejected(v), "unsupported format version " + std::to_string(kFormatVersion + 1)));
  BOOST_TEST(contains(rejected({}), "bad magic"));
}

BOOST_AUTO_TEST_CASE(bad_checksum) {
  auto b = write(rich_module());
  b[b.size() / 2] ^= 0x40;
  const auto r = read(b);
  BOOST_REQUIRE(!r.ok());
  BOOST_TEST(contains(r.error().message, "bad checksum"));
  BOOST_TEST(r.error().offset == b.size() - 8);
}

BOOST_AUTO_TEST_CASE(bad_program_hash) {
  auto b = write(rich_module());
  b[8] ^= 1;
  put_le(b, b.size() - 8, fnv1a64(std::span<const std::uint8_t>(b).first(b.size() - 8)), 8);
  BOOST_TEST(contains(rejected(b), "program hash"));
}

BOOST_AUTO_TEST_CASE(truncation) {
  const auto b = write(rich_module());
  for (std::size_t n = 0; n < b.size(); ++n) {
    auto r = read(std::span<const std::uint8_t>(b).first(n));
    BOOST_TEST(!r.ok(), "truncated at " << n);
  }
  // Without the checksum to catch it, a shortened file is still refused by its structure.
  auto cut = b;
  cut.resize(b.size() - 9);
  cut.resize(cut.size() + 8);
  reseal(cut);
  BOOST_TEST(!read(cut).ok());
}

BOOST_AUTO_TEST_CASE(section_out_of_range_and_overlap) {
  const auto b = write(rich_module());
  auto far = b;
  put_le(far, 20 + 12 * 2 + 4, 0xFFFFFF00, 4);  // code section offset
  reseal(far);
  BOOST_TEST(contains(rejected(far), "outside the file"));
  auto over = b;
  auto [off, len] = section(b, SectionId::Constants);
  put_le(over, 20 + 12 * 1 + 4, off - 2, 4);  // constants overlap strings
  reseal(over);
  BOOST_TEST(contains(rejected(over), "overlaps"));
  auto gap = b;
  put_le(gap, 20 + 12 * 1 + 4, off + 1, 4);
  put_le(gap, 20 + 12 * 1 + 8, len - 1, 4);
  reseal(gap);
  BOOST_TEST(contains(rejected(gap), "gap of 1 bytes before section constants"));
  auto unknown = b;
  put_le(unknown, 20 + 12 * 3, 77, 2);
  reseal(unknown);
  BOOST_TEST(contains(rejected(unknown), "unknown section id 77"));
}

BOOST_AUTO_TEST_CASE(absurd_counts_are_refused_before_allocating) {
  const auto b = write(rich_module());
  auto strings = b;
  put_le(strings, section(b, SectionId::Strings).first, 0xFFFFFFFF, 4);
  reseal(strings);
  BOOST_TEST(contains(rejected(strings), "absurd count"));
  auto spans = b;
  put_le(spans, section(b, SectionId::Spans).first, 0x40000000, 4);
  reseal(spans);
  BOOST_TEST(contains(rejected(spans), "absurd count"));
  auto code = b;
  auto [coff, clen] = section(b, SectionId::Code);
  const std::size_t nfn = get_le(b, coff + 4, 2);
  put_le(code, coff + 6 + 13 * nfn, 0xFFFFFFF0, 4);  // code length
  reseal(code);
  BOOST_TEST(contains(rejected(code), "above the limit"));
}

BOOST_AUTO_TEST_CASE(bad_utf8_string) {
  Module m = minimal_module();
  m.strings.push_back("ok");
  const auto b0 = write(m);
  auto b = b0;
  // The last string's bytes "ok" sit just before the constants section.
  const std::size_t at = section(b, SectionId::Constants).first - 2;
  b[at] = 0xC0;  // an overlong encoding's lead byte
  b[at + 1] = 0x80;
  reseal(b);
  BOOST_TEST(contains(rejected(b), "not valid UTF-8"));
  BOOST_TEST(valid_utf8("Брошенная корзина ✓ 𝄞"));
  BOOST_TEST(!valid_utf8("\xED\xA0\x80"));      // a surrogate
  BOOST_TEST(!valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  BOOST_TEST(!valid_utf8("\xE2\x82"));          // truncated
}

BOOST_AUTO_TEST_CASE(section_must_be_consumed_exactly) {
  auto b = write(minimal_module());
  // Grow the fields section by one byte (its count stays 0): "unread bytes".
  auto [off, len] = section(b, SectionId::Fields);
  b.insert(b.begin() + static_cast<std::ptrdiff_t>(off + len), 0);
  put_le(b, 20 + 12 * 6 + 8, len + 1, 4);
  for (std::uint16_t id = 8; id <= kSectionCount; ++id) {
    const std::size_t e = 20 + 12 * (id - 1) + 4;
    put_le(b, e, get_le(b, e, 4) + 1, 4);
  }
  reseal(b);
  BOOST_TEST(contains(rejected(b), "1 unread bytes at the end of section fields"));
}

BOOST_AUTO_TEST_SUITE_END()
