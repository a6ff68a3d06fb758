// The module assembler (see builder.hpp).
#include "cascade/bytecode/builder.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

namespace cascade::bytecode {

namespace {
template <class T>
T checked(std::size_t v, const char* what) {
  if (v > static_cast<std::size_t>(std::numeric_limits<T>::max()))
    throw std::logic_error(std::string("bytecode builder: too many ") + what);
  return static_cast<T>(v);
}
}  // namespace

std::uint32_t Builder::str(std::string_view s) {
  auto it = std::find(m_.strings.begin(), m_.strings.end(), s);
  if (it != m_.strings.end()) return static_cast<std::uint32_t>(it - m_.strings.begin());
  m_.strings.emplace_back(s);
  return checked<std::uint32_t>(m_.strings.size() - 1, "strings");
}

std::uint16_t Builder::constant(const Constant& c) {
  auto it = std::find(m_.constants.begin(), m_.constants.end(), c);
  if (it != m_.constants.end()) return static_cast<std::uint16_t>(it - m_.constants.begin());
  m_.constants.push_back(c);
  return checked<std::uint16_t>(m_.constants.size() - 1, "constants");
}

std::uint16_t Builder::field(std::string_view path) {
  const std::uint32_t s = str(path);
  auto it = std::find(m_.fields.begin(), m_.fields.end(), s);
  if (it != m_.fields.end()) return static_cast<std::uint16_t>(it - m_.fields.begin());
  m_.fields.push_back(s);
  return checked<std::uint16_t>(m_.fields.size() - 1, "fields");
}

std::uint8_t Builder::channel(std::string_view name, std::string_view kind) {
  const std::uint32_t n = str(name);
  for (std::size_t i = 0; i < m_.channels.size(); ++i)
    if (m_.channels[i].name == n) return static_cast<std::uint8_t>(i);
  m_.channels.push_back({n, str(kind)});
  return checked<std::uint8_t>(m_.channels.size() - 1, "channels");
}

std::uint16_t Builder::event(std::string_view name, std::initializer_list<std::string_view> fields) {
  const std::uint32_t n = str(name);
  for (std::size_t i = 0; i < m_.events.size(); ++i)
    if (m_.events[i].name == n) return static_cast<std::uint16_t>(i);
  Event e{n, {}};
  for (auto f : fields) e.fields.push_back(str(f));
  m_.events.push_back(std::move(e));
  return checked<std::uint16_t>(m_.events.size() - 1, "events");
}

std::uint16_t Builder::templ(std::string_view name, std::initializer_list<std::string_view> args) {
  Template t{str(name), {}};
  for (auto a : args) t.args.push_back(str(a));
  auto it = std::find(m_.templates.begin(), m_.templates.end(), t);
  if (it != m_.templates.end()) return static_cast<std::uint16_t>(it - m_.templates.begin());
  m_.templates.push_back(std::move(t));
  return checked<std::uint16_t>(m_.templates.size() - 1, "templates");
}

std::uint16_t Builder::split(std::string_view name,
                             std::initializer_list<std::pair<std::string_view, std::uint16_t>> branches) {
  Split s{str(name), {}};
  for (auto& [b, share] : branches) s.branches.push_back({str(b), share});
  m_.splits.push_back(std::move(s));
  return checked<std::uint16_t>(m_.splits.size() - 1, "splits");
}

std::uint32_t Builder::source(std::string_view name, std::uint64_t hash) {
  m_.sources.push_back({str(name), hash});
  return static_cast<std::uint32_t>(m_.sources.size() - 1);
}

std::uint8_t Builder::slot() {
  return checked<std::uint8_t>(m_.slots++, "slots");
}
std::uint8_t Builder::local() {
  return checked<std::uint8_t>(m_.locals++, "locals");
}

std::uint16_t Builder::begin_function(FunctionKind kind, std::string_view name) {
  if (in_function_) end_function();
  m_.functions.push_back({kind, str(name), pc(), 0});
  in_function_ = true;
  return checked<std::uint16_t>(m_.functions.size() - 1, "functions");
}

void Builder::end_function() {
  if (!in_function_) return;
  Function& f = m_.functions.back();
  f.length = pc() - f.offset;
  in_function_ = false;
}

Label Builder::label() {
  labels_.push_back(-1);
  return Label{static_cast<std::uint32_t>(labels_.size() - 1)};
}

void Builder::bind(Label l) {
  labels_.at(l.id) = pc();
}

void Builder::put(std::uint64_t v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) m_.code.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// A new span entry only where the span changes: runs of instructions share one entry.
void Builder::note_span() {
  if (!have_span_) return;
  Span s = span_;
  s.offset = pc();
  if (!m_.spans.empty()) {
    Span last = m_.spans.back();
    last.offset = s.offset;
    if (last == s) return;
  }
  m_.spans.push_back(s);
}

void Builder::emit(Op op, std::span<const std::uint32_t> operands) {
  if (!in_function_) throw std::logic_error("bytecode builder: emit outside a function");
  const OpInfo& oi = info(op);
  if (operands.size() != oi.operand_count || op == Op::Split)
    throw std::logic_error("bytecode builder: wrong operand count for " + std::string(oi.name));
  note_span();
  put(static_cast<std::uint8_t>(op), 1);
  std::size_t i = 0;
  for (std::uint32_t v : operands) {
    const Operand k = oi.operands[i++];
    const std::size_t n = operand_size(k);
    if (k == Operand::Target) {
      fixups_.push_back({pc(), v});
      put(0, 4);
      continue;
    }
    if (n < 4 && v >= (1u << (8 * n)))
      throw std::logic_error("bytecode builder: operand does not fit in " + std::string(oi.name));
    put(v, n);
  }
}

void Builder::emit_split(std::uint16_t split, std::initializer_list<Label> targets) {
  if (!in_function_) throw std::logic_error("bytecode builder: emit outside a function");
  if (targets.size() > 255) throw std::logic_error("bytecode builder: too many split branches");
  note_span();
  put(static_cast<std::uint8_t>(Op::Split), 1);
  put(split, 2);
  put(targets.size(), 1);
  for (Label l : targets) {
    fixups_.push_back({pc(), l.id});
    put(0, 4);
  }
}

void Builder::at(std::uint32_t line, std::uint32_t column, std::uint32_t end_line, std::uint32_t end_column,
                 std::uint32_t file) {
  span_ = Span{0, file, line, column, end_line, end_column};
  have_span_ = true;
}

Module Builder::finish() {
  end_function();
  for (const Fixup& f : fixups_) {
    const std::int64_t to = labels_.at(f.label);
    if (to < 0) throw std::logic_error("bytecode builder: unbound label");
    for (std::size_t i = 0; i < 4; ++i) m_.code[f.at + i] = static_cast<std::uint8_t>(to >> (8 * i));
  }
  fixups_.clear();
  return m_;
}

}  // namespace cascade::bytecode
