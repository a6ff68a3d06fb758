// The opcode table's own invariants, and docs/bytecode.md's generated opcode section.
//
// To regenerate the section after changing opcodes.def:
//   CASCADE_REGEN_DOCS=1 build/tests/bytecode/bytecode_tests --run_test=docs
#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cascade/bytecode/opcodes.hpp"

using namespace cascade::bytecode;

namespace {
constexpr std::string_view kBegin = "<!-- BEGIN GENERATED OPCODES (opcodes.def) -->\n";
constexpr std::string_view kEnd = "<!-- END GENERATED OPCODES -->";
}  // namespace

BOOST_AUTO_TEST_SUITE(docs)

BOOST_AUTO_TEST_CASE(opcode_table_is_consistent) {
  for (std::size_t i = 0; i < kOpCount; ++i) {
    const OpInfo& oi = all_ops()[i];
    BOOST_TEST(static_cast<std::size_t>(oi.op) == i);
    BOOST_TEST(info(static_cast<std::uint8_t>(i)) == &oi);
    BOOST_TEST(!oi.name.empty());
    BOOST_TEST(!oi.doc.empty());
    bool has_count = false;
    for (std::size_t k = 0; k < oi.operand_count; ++k) has_count |= oi.operands[k] == Operand::Count;
    if (oi.pops == kVar)
      BOOST_TEST(has_count, oi.name << " has a variable stack effect but no count operand");
    BOOST_TEST(!((oi.flags & kMain) && (oi.flags & kExpr)), oi.name);
  }
  BOOST_TEST(info(static_cast<std::uint8_t>(kOpCount)) == nullptr);
}

BOOST_AUTO_TEST_CASE(docs_bytecode_md_is_up_to_date) {
  const std::string path = std::string(CASCADE_SOURCE_DIR) + "/docs/bytecode.md";
  std::ifstream in(path, std::ios::binary);
  BOOST_REQUIRE_MESSAGE(in, "cannot read " << path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string doc = ss.str();
  const auto b = doc.find(kBegin), e = doc.find(kEnd);
  BOOST_REQUIRE_MESSAGE(b != std::string::npos && e != std::string::npos && b < e,
                        "docs/bytecode.md lacks the generated-opcodes markers");
  const std::size_t from = b + kBegin.size();
  const std::string generated = render_opcode_markdown();
  if (std::getenv("CASCADE_REGEN_DOCS")) {
    doc.replace(from, e - from, generated);
    std::ofstream(path, std::ios::binary) << doc;
    return;
  }
  BOOST_TEST(
      (doc.substr(from, e - from) == generated),
      "docs/bytecode.md's opcode section is stale: run CASCADE_REGEN_DOCS=1 bytecode_tests --run_test=docs");
}

BOOST_AUTO_TEST_SUITE_END()
