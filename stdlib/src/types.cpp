// Type values: construction, structural equality, printing, and the type names of
// cascade.yaml.
#include "cascade/stdlib/types.hpp"

#include <cctype>

namespace cascade::types {

Type Type::list(Type element) {
  Type t = of(Kind::List);
  t.element = std::make_shared<const Type>(std::move(element));
  return t;
}

Type Type::record(std::vector<Field> fields) {
  Type t = of(Kind::Record);
  t.fields = std::make_shared<const std::vector<Field>>(std::move(fields));
  return t;
}

Type Type::as_optional() const {
  Type t = *this;
  // The error type stays required: "may be absent" on top of "already reported" would
  // only produce a second, misleading diagnostic.
  t.optional = kind != Kind::Error;
  return t;
}

Type Type::as_required() const {
  Type t = *this;
  t.optional = false;
  return t;
}

const Type* Type::field(std::string_view name) const {
  if (kind != Kind::Record || !fields) return nullptr;
  for (const Field& f : *fields) {
    if (f.name == name) return &f.type;
  }
  return nullptr;
}

bool operator==(const Type& a, const Type& b) {
  if (a.kind != b.kind || a.optional != b.optional) return false;
  switch (a.kind) {
    case Kind::List:
      if (!a.element || !b.element) return a.element == b.element;
      return *a.element == *b.element;
    case Kind::Record: {
      static const std::vector<Field> kNone;
      const auto& fa = a.fields ? *a.fields : kNone;
      const auto& fb = b.fields ? *b.fields : kNone;
      if (fa.size() != fb.size()) return false;
      for (std::size_t i = 0; i < fa.size(); ++i) {
        if (fa[i].name != fb[i].name || !(fa[i].type == fb[i].type)) return false;
      }
      return true;
    }
    default:
      return true;
  }
}

namespace {

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::Error:
      return "error";
    case Kind::Null:
      return "null";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::Decimal:
      return "decimal";
    case Kind::String:
      return "string";
    case Kind::Time:
      return "time";
    case Kind::Duration:
      return "duration";
    case Kind::Clock:
      return "clock";
    case Kind::Percent:
      return "percent";
    case Kind::List:
      return "list";
    case Kind::Record:
      return "record";
  }
  return "error";
}

}  // namespace

std::string to_string(const Type& t) {
  std::string out;
  switch (t.kind) {
    case Kind::List:
      out = "list<";
      out += t.element ? to_string(*t.element) : std::string("error");
      out += '>';
      break;
    case Kind::Record:
      if (!t.fields || t.fields->empty()) {
        out = "{}";
        break;
      }
      out = "{ ";
      for (std::size_t i = 0; i < t.fields->size(); ++i) {
        if (i) out += ", ";
        out += (*t.fields)[i].name;
        out += ": ";
        out += to_string((*t.fields)[i].type);
      }
      out += " }";
      break;
    default:
      out = kind_name(t.kind);
  }
  if (t.optional) out += '?';
  return out;
}

namespace {

// A small recursive-descent reader over the type-name grammar:
//   type   = base [ "?" ]
//   base   = "bool" | "int" | "decimal" | "string" | "time" | "duration" | "list" "<" elem ">"
//   elem   = type without "?"   (a list holds values, never holes)
// Whitespace may appear between any two tokens. Nesting is bounded so hostile input
// (list<list<list<…) cannot exhaust the stack.
class TypeNameReader {
 public:
  explicit TypeNameReader(std::string_view text) : text_(text) {}

  std::optional<Type> read_all() {
    auto t = read_type(0);
    skip_space();
    if (!t || pos_ != text_.size()) return std::nullopt;
    return t;
  }

 private:
  static constexpr int kMaxDepth = 16;

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  bool eat(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  std::string_view word() {
    skip_space();
    const std::size_t begin = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
      ++pos_;
    return text_.substr(begin, pos_ - begin);
  }

  std::optional<Type> read_type(int depth) {
    if (depth > kMaxDepth) return std::nullopt;
    const std::string_view w = word();
    std::optional<Type> t;
    if (w == "bool")
      t = Type::of(Kind::Bool);
    else if (w == "int")
      t = Type::of(Kind::Int);
    else if (w == "decimal")
      t = Type::of(Kind::Decimal);
    else if (w == "string")
      t = Type::of(Kind::String);
    else if (w == "time")
      t = Type::of(Kind::Time);
    else if (w == "duration")
      t = Type::of(Kind::Duration);
    else if (w == "list") {
      if (!eat('<')) return std::nullopt;
      auto element = read_type(depth + 1);
      if (!element || element->optional) return std::nullopt;
      if (!eat('>')) return std::nullopt;
      t = Type::list(std::move(*element));
    } else {
      return std::nullopt;
    }
    if (eat('?')) t = t->as_optional();
    return t;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

std::optional<Type> parse_type_name(std::string_view text) {
  return TypeNameReader(text).read_all();
}

}  // namespace cascade::types
