// The opcode table expanded from opcodes.def, the operand sizes, and the decoder.
#include "cascade/bytecode/opcodes.hpp"

#include <fmt/format.h>

namespace cascade::bytecode {

namespace {

#define CASCADE_UNPAREN(...) __VA_ARGS__
constexpr std::array<Operand, kMaxOperands> pad(std::initializer_list<Operand> ops) {
  std::array<Operand, kMaxOperands> out{};
  std::size_t i = 0;
  for (Operand o : ops) out[i++] = o;
  return out;
}

constexpr std::uint8_t size_of(std::initializer_list<Operand> ops) {
  return static_cast<std::uint8_t>(ops.size());
}

using enum Operand;

// clang-format off
constexpr OpInfo kOps[] = {
#define CASCADE_OP(name, str, operands, pops, pushes, flags, doc) \
  OpInfo{Op::name, str, pad({CASCADE_UNPAREN operands}), size_of({CASCADE_UNPAREN operands}), pops, pushes, flags, doc},
#include "cascade/bytecode/opcodes.def"
#undef CASCADE_OP
};
// clang-format on
#undef CASCADE_UNPAREN

static_assert(sizeof(kOps) / sizeof(kOps[0]) == kOpCount);
static_assert(kOpCount <= 256);

std::uint32_t read_le(std::span<const std::uint8_t> code, std::size_t at, std::size_t n) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v |= static_cast<std::uint32_t>(code[at + i]) << (8 * i);
  return v;
}

}  // namespace

const OpInfo* info(std::uint8_t opcode) {
  return opcode < kOpCount ? &kOps[opcode] : nullptr;
}
const OpInfo& info(Op op) {
  return kOps[static_cast<std::size_t>(op)];
}
std::span<const OpInfo> all_ops() {
  return kOps;
}

std::size_t operand_size(Operand k) {
  switch (k) {
    case Const:
    case Field:
    case Template:
    case Split:
    case Event:
    case Func:
      return 2;
    case Target:
      return 4;
    case Local:
    case Builtin:
    case Count:
    case Targets:
    case Channel:
    case Slot:
    case Outcome:
    case EndKind:
      return 1;
  }
  return 1;
}

std::string_view operand_name(Operand k) {
  switch (k) {
    case Const:
      return "const";
    case Field:
      return "field";
    case Local:
      return "local";
    case Builtin:
      return "builtin";
    case Count:
      return "count";
    case Target:
      return "target";
    case Targets:
      return "targets";
    case Channel:
      return "channel";
    case Slot:
      return "slot";
    case Template:
      return "template";
    case Split:
      return "split";
    case Event:
      return "event";
    case Func:
      return "func";
    case Outcome:
      return "outcome";
    case EndKind:
      return "end";
  }
  return "?";
}

std::string_view outcome_name(std::uint32_t outcome) {
  switch (outcome) {
    case 0:
      return "delivered";
    case 1:
      return "opened";
    case 2:
      return "clicked";
    default:
      return "?";
  }
}

std::string_view end_kind_name(std::uint32_t kind) {
  switch (kind) {
    case 0:
      return "completed";
    case 1:
      return "stopped";
    default:
      return "?";
  }
}

std::uint32_t Instr::target_at(std::span<const std::uint8_t> code, std::size_t i) const {
  return read_le(code, targets_pc + 4 * i, 4);
}

std::optional<Instr> decode(std::span<const std::uint8_t> code, std::size_t pc, std::size_t end,
                            std::string* error) {
  if (end > code.size()) end = code.size();
  if (pc >= end) {
    *error = "code ends before an instruction";
    return std::nullopt;
  }
  const OpInfo* oi = info(code[pc]);
  if (!oi) {
    *error = fmt::format("unknown opcode 0x{:02x}", code[pc]);
    return std::nullopt;
  }
  Instr in;
  in.op = oi->op;
  in.pc = static_cast<std::uint32_t>(pc);
  std::size_t at = pc + 1;
  for (std::size_t i = 0; i < oi->operand_count; ++i) {
    const Operand k = oi->operands[i];
    const std::size_t n = operand_size(k);
    if (end - at < n) {
      *error = fmt::format("truncated operands of {}", oi->name);
      return std::nullopt;
    }
    in.operand[i] = read_le(code, at, n);
    at += n;
    if (k == Targets) {
      in.targets_count = static_cast<std::uint8_t>(in.operand[i]);
      in.targets_pc = static_cast<std::uint32_t>(at);
      if ((end - at) / 4 < in.targets_count) {
        *error = fmt::format("truncated operands of {}", oi->name);
        return std::nullopt;
      }
      at += 4u * in.targets_count;
    }
  }
  in.size = static_cast<std::uint32_t>(at - pc);
  return in;
}

int pops_of(const Instr& in) {
  const OpInfo& oi = info(in.op);
  if (oi.pops != kVar) return oi.pops;
  for (std::size_t i = 0; i < oi.operand_count; ++i)
    if (oi.operands[i] == Count) return static_cast<int>(in.operand[i]);
  return 0;  // unreachable for a well-formed table (a test checks every kVar op has a Count)
}

std::string render_opcode_markdown() {
  std::string out =
      "| # | opcode | operands | pops | pushes | flags | what it does |\n"
      "|---|--------|----------|------|--------|-------|--------------|\n";
  for (const OpInfo& oi : kOps) {
    std::string operands;
    for (std::size_t i = 0; i < oi.operand_count; ++i) {
      if (i) operands += ", ";
      const Operand k = oi.operands[i];
      operands += k == Targets ? std::string("n:u8, n × target:u32")
                               : fmt::format("{}:u{}", operand_name(k), 8 * operand_size(k));
    }
    std::string flags;
    auto flag = [&](std::uint8_t bit, std::string_view name) {
      if (!(oi.flags & bit)) return;
      if (!flags.empty()) flags += " ";
      flags += name;
    };
    flag(kStop, "stop");
    flag(kSettle, "settle");
    flag(kMain, "main");
    flag(kExpr, "expr");
    std::string doc(oi.doc);
    for (std::size_t p = 0; (p = doc.find('|', p)) != std::string::npos; p += 2) doc.replace(p, 1, "\\|");
    out += fmt::format("| {} | `{}` | {} | {} | {} | {} | {} |\n", static_cast<int>(oi.op), oi.name,
                       operands.empty() ? "—" : operands, oi.pops == kVar ? "count" : std::to_string(oi.pops),
                       oi.pushes, flags.empty() ? "—" : flags, doc);
  }
  return out;
}

}  // namespace cascade::bytecode
