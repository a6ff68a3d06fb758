// The value types of the language: bool int decimal string time duration clock list<T>
// {record}, and T? for "may be absent".
//
// Types are small immutable values; list element and record field types are shared
// through shared_ptr<const …> so copying a Type is cheap. The checker, the project
// schema and the builtin signatures all speak this one vocabulary.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cascade::types {

enum class Kind : std::uint8_t {
  Error,  // the type of an expression that already has a diagnostic; unifies with anything
  Null,   // reserved; no literal has it today
  Bool,
  Int,
  Decimal,
  String,
  Time,  // a UTC instant
  Duration,
  Clock,    // a local time of day, HH:MM
  Percent,  // a share, 10%
  List,
  Record,
};

struct Type;
struct Field;

struct Type {
  Kind kind = Kind::Error;
  bool optional = false;                             // T?
  std::shared_ptr<const Type> element;               // List
  std::shared_ptr<const std::vector<Field>> fields;  // Record, in declaration order

  // (Built member by member: `Type{k}` would trip -Wmissing-field-initializers.)
  static Type error() { return of(Kind::Error); }
  static Type of(Kind k) {
    Type t;
    t.kind = k;
    return t;
  }
  static Type list(Type element);
  static Type record(std::vector<Field> fields);

  Type as_optional() const;
  Type as_required() const;
  bool is_error() const { return kind == Kind::Error; }
  bool is_numeric() const { return kind == Kind::Int || kind == Kind::Decimal; }
  // A field of a record type, or nullptr.
  const Type* field(std::string_view name) const;
};

struct Field {
  std::string name;
  Type type;
};

// Structural equality (optional flag included).
bool operator==(const Type& a, const Type& b);

// "int", "string?", "list<string>", "{ email: bool, sms: bool }"
std::string to_string(const Type& t);

// Parses a type as written in cascade.yaml: "int", "string?", "list<string>", "decimal".
// Records are given as YAML maps and built by the caller. Returns nullopt on a bad name.
std::optional<Type> parse_type_name(std::string_view text);

}  // namespace cascade::types
