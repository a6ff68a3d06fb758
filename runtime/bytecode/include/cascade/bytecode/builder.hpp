// A small assembler for modules: interned strings and tables, labels and jump fix-ups, spans.
//
// Lowering (and the tests, which build modules by hand) emit code through it instead of
// writing bytes. It does not verify: call verify() on the finished module. Misuse (an unbound
// label, emitting outside a function, an operand that does not fit its encoding) is a bug in
// the caller and throws std::logic_error.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include "cascade/bytecode/module.hpp"

namespace cascade::bytecode {

struct Label {
  std::uint32_t id = 0;
};

class Builder {
 public:
  // Tables (interned: the same name gives the same index).
  std::uint32_t str(std::string_view s);
  std::uint16_t constant(const Constant& c);
  std::uint16_t k_int(std::int64_t v) { return constant({ConstKind::Int, v, 0}); }
  std::uint16_t k_decimal(std::int64_t units, std::uint8_t scale) {
    return constant({ConstKind::Decimal, units, scale});
  }
  std::uint16_t k_duration(std::int64_t s) { return constant({ConstKind::Duration, s, 0}); }
  std::uint16_t k_time(std::int64_t unix_s) { return constant({ConstKind::Time, unix_s, 0}); }
  std::uint16_t k_clock(int minutes) { return constant({ConstKind::Clock, minutes, 0}); }
  std::uint16_t k_bool(bool b) { return constant({ConstKind::Bool, b ? 1 : 0, 0}); }
  std::uint16_t k_string(std::string_view s) { return constant({ConstKind::String, str(s), 0}); }
  std::uint16_t field(std::string_view path);
  std::uint8_t channel(std::string_view name, std::string_view kind);
  std::uint16_t event(std::string_view name, std::initializer_list<std::string_view> fields = {});
  std::uint16_t templ(std::string_view name, std::initializer_list<std::string_view> args = {});
  std::uint16_t split(std::string_view name,
                      std::initializer_list<std::pair<std::string_view, std::uint16_t>> branches);
  std::uint32_t source(std::string_view name, std::uint64_t hash);
  std::uint8_t slot();   // a new send slot
  std::uint8_t local();  // a new local

  // Code. Functions are emitted one after another; the first must be the main body.
  std::uint16_t begin_function(FunctionKind kind, std::string_view name);
  void end_function();
  Label label();
  void bind(Label l);
  // Emits op with its operands in table order; a Target operand takes a Label's id.
  void emit(Op op, std::initializer_list<std::uint32_t> operands = {}) {
    emit(op, std::span<const std::uint32_t>(operands.begin(), operands.size()));
  }
  void emit(Op op, std::span<const std::uint32_t> operands);
  void emit_split(std::uint16_t split, std::initializer_list<Label> targets);
  // The source span of the instructions emitted from now on.
  void at(std::uint32_t line, std::uint32_t column, std::uint32_t end_line, std::uint32_t end_column,
          std::uint32_t file = 0);
  std::uint32_t pc() const { return static_cast<std::uint32_t>(m_.code.size()); }

  Scenario& scenario() { return m_.scenario; }
  Module& module() { return m_; }
  // Resolves the labels and returns the module.
  Module finish();

 private:
  struct Fixup {
    std::uint32_t at;
    std::uint32_t label;
  };
  void put(std::uint64_t v, std::size_t n);
  void note_span();
  Module m_;
  std::vector<std::int64_t> labels_;  // bound offset, or -1
  std::vector<Fixup> fixups_;
  bool in_function_ = false;
  Span span_{};
  bool have_span_ = false;
};

}  // namespace cascade::bytecode
