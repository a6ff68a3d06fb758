// The instruction set of .cbc code: the enum, the per-opcode facts and the decoder, all
// expanded from opcodes.def (the one place an opcode is declared).
//
// An instruction is one opcode byte followed by its operands, little-endian, with no
// padding. Operand sizes are fixed per operand kind except Targets (a u8 count followed by
// that many u32 targets). decode() never reads past the end it is given and reports an
// unknown opcode or a truncated operand as an error: it is safe on hostile bytes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace cascade::bytecode {

// The operand kinds. Each names what the operand indexes, which is what the verifier checks.
enum class Operand : std::uint8_t {
  Const,     // u16  constant pool index
  Field,     // u16  field path table index
  Local,     // u8   local register
  Builtin,   // u8   builtin id (builtins.def order)
  Count,     // u8   argument / element count (the variable stack effect)
  Target,    // u32  absolute code offset, inside the same function
  Targets,   // u8 n, then n × u32 targets (SPLIT: one per branch)
  Channel,   // u8   channel table index
  Slot,      // u8   send slot
  Template,  // u16  template table index
  Split,     // u16  split table index
  Event,     // u16  event table index
  Func,      // u16  function index, or kNoFunction
  Outcome,   // u8   0 delivered, 1 opened, 2 clicked
  EndKind,   // u8   0 completed, 1 stopped
};

inline constexpr std::uint16_t kNoFunction = 0xFFFF;
inline constexpr int kVar = -1;  // "pops the Count operand's value"

// Opcode flags (see opcodes.def).
inline constexpr std::uint8_t kStop = 1;
inline constexpr std::uint8_t kSettle = 2;
inline constexpr std::uint8_t kMain = 4;
inline constexpr std::uint8_t kExpr = 8;

enum class Op : std::uint8_t {
#define CASCADE_OP(name, str, operands, pops, pushes, flags, doc) name,
#include "cascade/bytecode/opcodes.def"
#undef CASCADE_OP
};

inline constexpr std::size_t kOpCount = 0
#define CASCADE_OP(name, str, operands, pops, pushes, flags, doc) +1
#include "cascade/bytecode/opcodes.def"
#undef CASCADE_OP
    ;

inline constexpr std::size_t kMaxOperands = 4;

struct OpInfo {
  Op op;
  std::string_view name;
  std::array<Operand, kMaxOperands> operands;
  std::uint8_t operand_count;
  int pops;  // or kVar
  int pushes;
  std::uint8_t flags;
  std::string_view doc;
};

// The facts of an opcode byte, or nullptr for a byte that is no opcode.
const OpInfo* info(std::uint8_t opcode);
const OpInfo& info(Op op);
std::span<const OpInfo> all_ops();

// The encoded size of a fixed-size operand kind (Targets: the size of its count byte).
std::size_t operand_size(Operand k);
std::string_view operand_name(Operand k);

std::string_view outcome_name(std::uint32_t outcome);  // "delivered" … or "?"
std::string_view end_kind_name(std::uint32_t kind);    // "completed" / "stopped" or "?"

// One decoded instruction. Operand values are widened to u32; a Targets operand is kept as
// (targets_pc, targets_count) and read with target_at().
struct Instr {
  Op op{};
  std::uint32_t pc = 0;
  std::uint32_t size = 0;
  std::array<std::uint32_t, kMaxOperands> operand{};
  std::uint32_t targets_pc = 0;  // offset of the first u32 target of a Targets operand
  std::uint8_t targets_count = 0;

  std::uint32_t target_at(std::span<const std::uint8_t> code, std::size_t i) const;
};

// Decodes the instruction at pc, not reading at or past `end` (≤ code.size()). On failure
// returns nullopt and sets *error ("unknown opcode 0xNN", "truncated operands of jump").
std::optional<Instr> decode(std::span<const std::uint8_t> code, std::size_t pc, std::size_t end,
                            std::string* error);

// The number of values an instruction pops (resolving kVar from its Count operand).
int pops_of(const Instr& in);

// The opcode section of docs/bytecode.md, rendered from the table (a test checks that the
// committed file holds exactly this between its markers).
std::string render_opcode_markdown();

}  // namespace cascade::bytecode
