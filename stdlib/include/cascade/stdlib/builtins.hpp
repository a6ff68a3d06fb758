// The builtin functions and values, declared once.
//
// One table gives each builtin its name, its overloads (parameter and result types) and a
// one-line description; the checker resolves calls against it and docs list it. The VM's
// implementations will be added to the same table when the runtime lands.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cascade/stdlib/types.hpp"

namespace cascade::builtins {

enum class Id : std::uint16_t {
#define CASCADE_BUILTIN(id, name, doc) id,
#include "cascade/stdlib/builtins.def"
#undef CASCADE_BUILTIN
};

// In the table, a parameter or element of kind Error stands for "any type": the T of
// len(list<T>) and contains(list<T>, T), and the argument of has() and str(), whose
// real rules are in resolve().
struct Overload {
  std::vector<types::Type>
      params;  // exact parameter types (an optional arg is allowed where the param is optional)
  types::Type result;
};

struct Builtin {
  Id id;
  std::string_view name;
  std::string_view doc;
  std::vector<Overload> overloads;
  // Special rules the table cannot say as plain overloads:
  //  has(x): x must be an optional field access; result bool; narrows x in the guarded branch.
  //  contains(list<T>, T) is generic in T; len(list<T>) too.
  bool generic = false;
};

std::span<const Builtin> all();
const Builtin* find(std::string_view name);

// Resolves a call: the result type for these argument types, or nullopt when no overload
// fits. For generic builtins the element type is matched structurally. A required
// parameter takes only a required argument (the checker reports an optional argument
// as "may be absent"); has() takes only an optional one. An argument of the Error type
// matches anything, and when the arguments still fit no form the first form's result is
// returned, so one mistake never causes a second diagnostic.
std::optional<types::Type> resolve(const Builtin& b, std::span<const types::Type> args);

// The number of arguments every form of b takes (all forms of one builtin agree).
std::size_t arity(const Builtin& b);

// The forms b accepts, for a hint: "(string) or (list<T>)".
std::string forms(const Builtin& b);

// Builtin values usable as bare names in expressions: `now` (time).
std::optional<types::Type> value_type(std::string_view name);

}  // namespace cascade::builtins
