// The builtin table: builtins.def gives ids, names and docs; the overloads are here.
#include "cascade/stdlib/builtins.hpp"

#include <algorithm>

namespace cascade::builtins {
namespace {

using types::Kind;
using types::Type;

Type T(Kind k) {
  return Type::of(k);
}
Type any() {
  return Type::error();
}  // "any type" placeholder, see builtins.hpp

std::vector<Overload> overloads_of(Id id) {
  const Type b = T(Kind::Bool), i = T(Kind::Int), d = T(Kind::Decimal), s = T(Kind::String);
  const Type tm = T(Kind::Time), du = T(Kind::Duration);
  switch (id) {
    case Id::DaysSince:
      return {{{tm}, i}};
    case Id::HoursSince:
      return {{{tm}, i}};
    case Id::FormatTime:
      return {{{tm, s}, s}};
    case Id::Has:
      return {{{any()}, b}};
    case Id::Len:
      return {{{s}, i}, {{Type::list(any())}, i}};
    case Id::Lower:
      return {{{s}, s}};
    case Id::Upper:
      return {{{s}, s}};
    case Id::Contains:
      return {{{s, s}, b}, {{Type::list(any()), any()}, b}};
    case Id::StartsWith:
      return {{{s, s}, b}};
    case Id::Min:
    case Id::Max:
      return {{{i, i}, i}, {{d, d}, d}, {{i, d}, d}, {{d, i}, d}, {{du, du}, du}, {{tm, tm}, tm}};
    case Id::Round:
      return {{{d, i}, d}};
    case Id::Str:
      return {{{any()}, s}};
    case Id::Link:
      return {{{s}, s}};
    case Id::Hours:
      return {{{i}, du}, {{d}, du}};
    case Id::Days:
      return {{{i}, du}};
  }
  return {};
}

std::vector<Builtin> make_table() {
  std::vector<Builtin> out;
#define CASCADE_BUILTIN(id_, name_, doc_) \
  out.push_back(                          \
      Builtin{Id::id_, name_, doc_, overloads_of(Id::id_), Id::id_ == Id::Len || Id::id_ == Id::Contains});
#include "cascade/stdlib/builtins.def"
#undef CASCADE_BUILTIN
  return out;
}

const std::vector<Builtin>& table() {
  static const std::vector<Builtin> kTable = make_table();
  return kTable;
}

// Whether an argument of type `arg` may be passed where `param` is expected. Error on
// either side matches anything (on the parameter side it is the table's "any type").
bool fits(const Type& param, const Type& arg) {
  if (arg.is_error() || param.is_error()) return true;
  if (param.kind != arg.kind) return false;
  if (arg.optional && !param.optional) return false;
  if (param.kind == Kind::List) {
    if (!param.element || !arg.element) return true;
    return fits(*param.element, *arg.element) && !arg.element->optional;
  }
  if (param.kind == Kind::Record) return param.as_required() == arg.as_required();
  return true;
}

bool fits_all(const Overload& o, std::span<const Type> args) {
  if (o.params.size() != args.size()) return false;
  for (std::size_t k = 0; k < args.size(); ++k) {
    if (!fits(o.params[k], args[k])) return false;
  }
  return true;
}

std::optional<Type> resolve_strict(const Builtin& b, std::span<const Type> args) {
  switch (b.id) {
    case Id::Has:
      // has() asks about a value that may be absent; on an always-present value the
      // checker reports has-needs-optional.
      if (args.size() == 1 && (args[0].optional || args[0].is_error())) return T(Kind::Bool);
      return std::nullopt;
    case Id::Str:
      if (args.size() != 1) return std::nullopt;
      if (args[0].is_error()) return T(Kind::String);
      if (args[0].optional || args[0].kind == Kind::List || args[0].kind == Kind::Record) return std::nullopt;
      return T(Kind::String);
    case Id::Contains:
      if (args.size() == 2 && args[0].kind == Kind::List && !args[0].optional && args[0].element) {
        // contains(list<T>, T): the element type binds T; the needle must be a T.
        const Type& element = *args[0].element;
        if (fits(element, args[1])) return T(Kind::Bool);
        return std::nullopt;
      }
      break;
    default:
      break;
  }
  for (const Overload& o : b.overloads) {
    if (fits_all(o, args)) return o.result;
  }
  return std::nullopt;
}

std::string param_text(const Type& t) {
  if (t.is_error()) return "T";
  if (t.kind == Kind::List && t.element && t.element->is_error()) return t.optional ? "list<T>?" : "list<T>";
  return types::to_string(t);
}

}  // namespace

std::span<const Builtin> all() {
  return table();
}

const Builtin* find(std::string_view name) {
  for (const Builtin& b : table()) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

std::size_t arity(const Builtin& b) {
  return b.overloads.empty() ? 0 : b.overloads.front().params.size();
}

std::string forms(const Builtin& b) {
  if (b.id == Id::Has) return "(an optional field)";
  if (b.id == Id::Str) return "(any value but a list or a record)";
  std::string out;
  for (std::size_t k = 0; k < b.overloads.size(); ++k) {
    if (k) out += k + 1 == b.overloads.size() ? " or " : ", ";
    out += '(';
    const auto& params = b.overloads[k].params;
    for (std::size_t p = 0; p < params.size(); ++p) {
      if (p) out += ", ";
      out += param_text(params[p]);
    }
    out += ')';
  }
  return out;
}

std::optional<Type> resolve(const Builtin& b, std::span<const Type> args) {
  if (auto r = resolve_strict(b, args)) return r;
  const bool any_error = std::any_of(args.begin(), args.end(), [](const Type& t) { return t.is_error(); });
  if (any_error && !b.overloads.empty()) return b.overloads.front().result;
  return std::nullopt;
}

std::optional<Type> value_type(std::string_view name) {
  if (name == "now") return T(Kind::Time);
  return std::nullopt;
}

}  // namespace cascade::builtins
