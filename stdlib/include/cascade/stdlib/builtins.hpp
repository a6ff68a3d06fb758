// The builtin functions and values, declared once.
//
// One table gives each builtin its name, its overloads (parameter and result types) and a
// one-line description; the checker resolves calls against it and docs list it. The VM's
// implementations will be added to the same table when the runtime lands.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "cascade/stdlib/types.hpp"

namespace cascade::builtins {

enum class Id : std::uint16_t {
#define CASCADE_BUILTIN(id, name, doc) id,
#include "cascade/stdlib/builtins.def"
#undef CASCADE_BUILTIN
};

struct Overload {
  std::vector<types::Type> params;  // exact parameter types (an optional arg is allowed where the param is optional)
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
// fits. For generic builtins the element type is matched structurally.
std::optional<types::Type> resolve(const Builtin& b, std::span<const types::Type> args);

// Builtin values usable as bare names in expressions: `now` (time).
std::optional<types::Type> value_type(std::string_view name);

}  // namespace cascade::builtins
