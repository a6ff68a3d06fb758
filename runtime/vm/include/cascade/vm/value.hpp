// The runtime's values: what the step stack, locals, profiles and event payloads hold.
//
// A Value is 16 bytes and trivially copyable. Strings and lists do not own their bytes: they
// point into storage that outlives the value — the module's string table, a Record's arena
// (profiles, event payloads), the engine's intern pool (locals kept across suspensions), or
// the step's scratch Arena (temporaries of one step). That is what lets an instance be a flat
// struct with no per-instance heap allocation.
//
// Numbers: int is int64; decimal is int64 units with a scale (value = units / 10^scale,
// scale ≤ 18); duration is int64 seconds; time is int64 Unix seconds (UTC); clock is minutes
// after midnight. Arithmetic that overflows int64 yields null (checked, never UB).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cascade::vm {

using Time = std::int64_t;  // Unix seconds, UTC

enum class Kind : std::uint8_t { Null, Bool, Int, Decimal, Duration, Time, Clock, String, List };

struct Value {
  Kind kind = Kind::Null;
  std::uint8_t scale = 0;  // Decimal only
  std::uint32_t size = 0;  // String: bytes; List: elements
  union {
    std::int64_t i = 0;  // Bool (0/1), Int, Decimal units, Duration, Time, Clock
    const char* s;       // String
    const Value* list;   // List
  };

  static Value null() { return {}; }
  static Value boolean(bool b) { return make(Kind::Bool, b ? 1 : 0); }
  static Value integer(std::int64_t v) { return make(Kind::Int, v); }
  static Value decimal(std::int64_t units, std::uint8_t scale) {
    Value v = make(Kind::Decimal, units);
    v.scale = scale;
    return v;
  }
  static Value duration(std::int64_t seconds) { return make(Kind::Duration, seconds); }
  static Value time(Time t) { return make(Kind::Time, t); }
  static Value clock(std::int64_t minutes) { return make(Kind::Clock, minutes); }
  // `text` must outlive the value (see the header comment).
  static Value string(std::string_view text) {
    Value v;
    v.kind = Kind::String;
    v.size = static_cast<std::uint32_t>(text.size());
    v.s = text.data();
    return v;
  }
  static Value list_of(const Value* elements, std::uint32_t n) {
    Value v;
    v.kind = Kind::List;
    v.size = n;
    v.list = elements;
    return v;
  }

  bool is_null() const { return kind == Kind::Null; }
  bool truthy() const { return kind == Kind::Bool && i != 0; }
  std::string_view str() const { return kind == Kind::String ? std::string_view(s, size) : std::string_view(); }

 private:
  static Value make(Kind k, std::int64_t v) {
    Value x;
    x.kind = k;
    x.i = v;
    return x;
  }
};
static_assert(sizeof(Value) == 16);

// Storage for the strings and lists made during one step (concatenation, builtins). Cleared
// between steps; blocks are kept, so a warm arena allocates nothing.
class Arena {
 public:
  std::string_view copy(std::string_view text);
  // A cleared string that stays valid (and in place) until clear(): a result is built in it
  // and then viewed, with no copy (concatenation, lower/upper, str).
  std::string& scratch();
  // Space for n values; the returned pointer stays valid until clear().
  Value* values(std::size_t n);
  void clear();

 private:
  std::deque<std::string> strings_;
  std::size_t used_strings_ = 0;
  std::deque<std::vector<Value>> lists_;
  std::size_t used_lists_ = 0;
};

// Strings that must outlive a step (a `let` kept across a suspension, a profile update):
// interned once, never freed, so equal strings share one copy.
class InternPool {
 public:
  std::string_view intern(std::string_view text);
  // A copy of v whose string / list storage lives in this pool.
  Value keep(const Value& v);
  std::size_t memory_bytes() const { return bytes_; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const;
  };
  std::deque<std::string> store_;
  std::vector<std::string_view> index_;  // open addressing over store_, by Hash
  std::size_t count_ = 0;
  std::size_t bytes_ = 0;
  std::deque<std::vector<Value>> lists_;
};

}  // namespace cascade::vm
