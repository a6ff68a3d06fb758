// Hostile bytes: flip every byte of a real module (with several masks) and truncate it at every
// offset. The reader and verifier must reject the result or accept a module that verifies —
// never crash, hang or trip the sanitizers. With integrity checks on, every single-byte flip is
// caught by the checksum (FNV-1a's steps are bijective); with them off (the fuzzing mode), the
// mutation reaches the structural reader, the verifier and the disassembler.
#include <boost/test/unit_test.hpp>
#include <random>

#include "cascade/bytecode/disasm.hpp"
#include "cascade/bytecode/io.hpp"
#include "cascade/bytecode/verify.hpp"
#include "sample.hpp"

using namespace cascade::bytecode;
using namespace cascade::bytecode::testing;

namespace {

struct Tally {
  std::size_t rejected_by_reader = 0, rejected_by_verifier = 0, accepted = 0;
};

// Reads and verifies bytes; everything that passes must also list and round-trip.
void exercise(std::span<const std::uint8_t> bytes, const ReadOptions& opts, Tally& t) {
  auto r = read(bytes, opts);
  if (!r.ok()) {
    ++t.rejected_by_reader;
    BOOST_CHECK(!r.error().message.empty());
    BOOST_CHECK(r.error().offset <= bytes.size());
    return;
  }
  // The disassembler must be safe on unverified modules too.
  (void)disassemble(r.value());
  const VerifyResult v = verify(r.value());
  if (!v.ok()) {
    ++t.rejected_by_verifier;
    return;
  }
  ++t.accepted;
  const auto again = write(r.value());
  auto back = read(again);
  BOOST_REQUIRE(back.ok());
  BOOST_CHECK((back.value() == r.value()));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(mutation)

BOOST_AUTO_TEST_CASE(flip_every_byte) {
  const auto original = write(rich_module());
  BOOST_TEST_MESSAGE("module of " << original.size() << " bytes");
  Tally sealed, open;
  auto bytes = original;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (std::uint8_t mask : {0x01, 0x10, 0x80, 0xFF}) {
      bytes[i] ^= mask;
      auto r = read(bytes);
      BOOST_CHECK_MESSAGE(!r.ok(), "a flip at " << i << " passed the checksum");
      exercise(bytes, ReadOptions{false}, open);
      bytes[i] ^= mask;
    }
  }
  (void)sealed;
  BOOST_TEST_MESSAGE("unchecked: " << open.rejected_by_reader << " rejected by the reader, "
                                   << open.rejected_by_verifier << " by the verifier, " << open.accepted
                                   << " accepted");
  // The unchecked mode really reaches the verifier (the test would be hollow otherwise).
  BOOST_TEST(open.rejected_by_verifier > 0u);
  BOOST_TEST(open.accepted > 0u);
}

BOOST_AUTO_TEST_CASE(truncate_at_every_offset) {
  const auto bytes = write(rich_module());
  Tally t;
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    const auto cut = std::span<const std::uint8_t>(bytes).first(n);
    BOOST_CHECK(!read(cut).ok());
    exercise(cut, ReadOptions{false}, t);
  }
  BOOST_TEST(t.accepted == 0u);
}

BOOST_AUTO_TEST_CASE(random_multi_byte_mutations) {
  const auto original = write(rich_module());
  std::mt19937 rng(20240601);  // fixed: the test is deterministic
  Tally t;
  for (int round = 0; round < 2000; ++round) {
    auto bytes = original;
    const int flips = 1 + static_cast<int>(rng() % 6);
    for (int k = 0; k < flips; ++k) bytes[rng() % bytes.size()] = static_cast<std::uint8_t>(rng());
    exercise(bytes, ReadOptions{false}, t);
  }
  BOOST_TEST(t.rejected_by_reader + t.rejected_by_verifier + t.accepted == 2000u);
}

// Mutations of the code alone, through the in-memory path lowering will use (no reader).
BOOST_AUTO_TEST_CASE(code_mutations_in_memory) {
  const Module original = rich_module();
  std::size_t rejected = 0;
  for (std::size_t i = 0; i < original.code.size(); ++i) {
    for (std::uint8_t mask : {0x01, 0x04, 0x20, 0xFF}) {
      Module m = original;
      m.code[i] ^= mask;
      const VerifyResult v = verify(m);
      if (!v.ok()) ++rejected;
      (void)disassemble(m);
    }
  }
  BOOST_TEST(rejected > 0u);
}

BOOST_AUTO_TEST_SUITE_END()
