// Shapes, records and the JSON decoder for profiles and event payloads (see record.hpp), plus
// the strict text forms of time, duration and clock values.
//
// Decimal numbers: Boost.JSON has already turned a JSON number into int64, uint64 or double by
// the time decode() sees it, and the source text is gone. An integral number keeps its exact
// int64 value. A double is turned back into text with std::to_chars' shortest round-trip form
// and that text's digits become the decimal: "0.1" → 1/10, "35000.50" → 3500050/100 as
// 35000.5. This equals the written number whenever it has at most 15 significant digits (any
// double-parsable text of ≤ 15 digits round-trips), which covers money and counters; longer
// mantissas come back as the shortest text of the nearest double.
//
// Allocation: decode() builds in a per-thread scratch and copies the result into the record's
// single block (see "storage" below). Errors build
// their JSON pointer while the recursion unwinds, so the success path never touches it.
#include "cascade/vm/record.hpp"
#include "cascade/stdlib/units.hpp"

#include <algorithm>
#include <bit>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <limits>
#include <new>

#include <fmt/format.h>

#include "values_internal.hpp"

namespace cascade::vm {

namespace json = boost::json;

// --- storage -------------------------------------------------------------------------------
// decode() works in a per-thread scratch (a value vector and a bump allocator over blocks kept
// across calls), then copies the result into the record's one block: decoding line after line
// allocates one block per record and nothing else once warm.

namespace {

struct Scratch {
  struct Chunk {
    std::unique_ptr<std::byte[]> data;
    std::size_t size = 0;
  };
  std::vector<Value> values;
  std::vector<Chunk> chunks;
  std::size_t current = 0;  // the chunk being filled
  std::size_t used = 0;     // bytes used in it

  void reset() {
    current = 0;
    used = 0;
  }

  void* alloc(std::size_t n, std::size_t align) {
    while (current < chunks.size()) {
      const std::size_t at = (used + align - 1) & ~(align - 1);
      if (at <= chunks[current].size && n <= chunks[current].size - at) {
        used = at + n;
        return chunks[current].data.get() + at;
      }
      ++current;
      used = 0;
    }
    const std::size_t last = chunks.empty() ? 0 : chunks.back().size;
    const std::size_t size = std::max({n, std::size_t{4096}, std::min<std::size_t>(last * 2, 1 << 20)});
    chunks.push_back(Chunk{std::unique_ptr<std::byte[]>(new std::byte[size]), size});  // aligned for max_align_t
    current = chunks.size() - 1;
    used = n;
    return chunks.back().data.get();
  }

  std::string_view copy(std::string_view text) {
    if (text.empty()) return std::string_view("", 0);
    auto* p = static_cast<char*>(alloc(text.size(), 1));
    std::memcpy(p, text.data(), text.size());
    return std::string_view(p, text.size());
  }

  Value* make_values(std::size_t n) {
    auto* p = static_cast<Value*>(alloc(std::max<std::size_t>(n, 1) * sizeof(Value), alignof(Value)));
    for (std::size_t k = 0; k < n; ++k) new (p + k) Value();
    return p;
  }
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// Bytes a deep copy of v needs beyond its own Value: list elements first (aligned), strings after.
void measure(const Value& v, std::size_t& element_count, std::size_t& string_bytes) {
  if (v.kind == Kind::String) string_bytes += v.size;
  if (v.kind != Kind::List) return;
  element_count += v.size;
  for (std::uint32_t k = 0; k < v.size; ++k) measure(v.list[k], element_count, string_bytes);
}

}  // namespace

struct Record::Block {
  std::uint32_t count = 0;     // values
  std::uint32_t elements = 0;  // list elements, after the values
  std::uint32_t bytes = 0;     // the whole block, header included
  std::uint32_t reserved = 0;
  Value* values() { return reinterpret_cast<Value*>(this + 1); }
  const Value* values() const { return reinterpret_cast<const Value*>(this + 1); }
};

Record& Record::operator=(Record&& other) noexcept {
  if (this != &other) {
    ::operator delete(block_);
    block_ = std::exchange(other.block_, nullptr);
  }
  return *this;
}

Record::~Record() { ::operator delete(block_); }

std::size_t Record::size() const { return block_ ? block_->count : 0; }

std::span<const Value> Record::values() const {
  if (!block_) return {};
  return {block_->values(), block_->count};
}

const Value& Record::get(int i) const {
  static const Value null_value;
  if (i < 0 || static_cast<std::size_t>(i) >= size()) return null_value;
  return block_->values()[i];
}

std::size_t Record::memory_bytes() const { return block_ ? block_->bytes : 0; }

Record Record::copy_of(std::span<const Value> values) {
  static_assert(sizeof(Block) % alignof(Value) == 0 && alignof(Block) <= alignof(std::max_align_t));
  std::size_t elements = 0, string_bytes = 0;
  for (const Value& v : values) measure(v, elements, string_bytes);
  const std::size_t total = sizeof(Block) + (values.size() + elements) * sizeof(Value) + string_bytes;
  Record r;
  r.block_ = new (::operator new(total))
      Block{static_cast<std::uint32_t>(values.size()), static_cast<std::uint32_t>(elements), static_cast<std::uint32_t>(total), 0};
  Value* out = r.block_->values();
  Value* next_element = out + values.size();
  char* next_byte = reinterpret_cast<char*>(next_element + elements);
  // Copies v's strings and elements into the block's tail, depth first.
  auto copy = [&](auto& self, const Value& v) -> Value {
    if (v.kind == Kind::String) {
      if (v.size) std::memcpy(next_byte, v.s, v.size);
      Value c = Value::string(std::string_view(next_byte, v.size));
      next_byte += v.size;
      return c;
    }
    if (v.kind != Kind::List) return v;
    Value* list = next_element;
    next_element += v.size;
    for (std::uint32_t k = 0; k < v.size; ++k) new (list + k) Value(self(self, v.list[k]));
    return Value::list_of(list, v.size);
  };
  for (std::size_t k = 0; k < values.size(); ++k) new (out + k) Value(copy(copy, values[k]));
  return r;
}

namespace {

constexpr std::size_t kImageHeader = 12;
constexpr std::size_t kImageValue = 16;
constexpr int kMaxImageDepth = 8;

void put_le(std::uint8_t* p, std::uint64_t v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint64_t get_le(const std::uint8_t* p, std::size_t n) {
  std::uint64_t v = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&v, p, n);
  } else {
    for (std::size_t i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(p[i]) << (8 * i);
  }
  return v;
}

}  // namespace

void Record::append_image(std::vector<std::uint8_t>& out) const {
  const std::uint32_t count = block_ ? block_->count : 0;
  const std::uint32_t elements = block_ ? block_->elements : 0;
  const Value* values = block_ ? block_->values() : nullptr;
  const char* strings = reinterpret_cast<const char*>(values + count + elements);
  const std::size_t string_bytes = block_ ? block_->bytes - sizeof(Block) - (count + elements) * sizeof(Value) : 0;
  const std::size_t at = out.size();
  out.resize(at + kImageHeader + (std::size_t{count} + elements) * kImageValue + string_bytes);
  std::uint8_t* p = out.data() + at;
  put_le(p, count, 4);
  put_le(p + 4, elements, 4);
  put_le(p + 8, string_bytes, 4);
  p += kImageHeader;
  for (std::size_t k = 0; k < std::size_t{count} + elements; ++k, p += kImageValue) {
    const Value& v = values[k];
    std::uint64_t number = static_cast<std::uint64_t>(v.i);
    if (v.kind == Kind::String) number = v.size ? static_cast<std::uint64_t>(v.s - strings) : 0;
    if (v.kind == Kind::List) number = static_cast<std::uint64_t>(v.list - values);
    p[0] = static_cast<std::uint8_t>(v.kind);
    p[1] = v.kind == Kind::Decimal ? v.scale : 0;
    put_le(p + 2, 0, 2);
    put_le(p + 4, v.kind == Kind::String || v.kind == Kind::List ? v.size : 0, 4);
    put_le(p + 8, v.kind == Kind::Null ? 0 : number, 8);
  }
  if (string_bytes) std::memcpy(p, strings, string_bytes);
}

namespace {

// An image's header: its counts, and what they make of its length and of a Record's block.
struct ImageHeader {
  std::uint64_t count = 0, elements = 0, string_bytes = 0;
  explicit ImageHeader(const std::uint8_t* image)
      : count(get_le(image, 4)), elements(get_le(image + 4, 4)), string_bytes(get_le(image + 8, 4)) {}
  std::uint64_t slots() const { return count + elements; }
  std::uint64_t length() const { return kImageHeader + slots() * kImageValue + string_bytes; }
  std::uint64_t block_bytes() const { return sizeof(Value) * (slots() + 1) + string_bytes; }  // header = one Value
};

// The header of the image at the front of `bytes` when it fits there and in a block, else
// nothing with `error` set.
std::optional<ImageHeader> image_header(std::span<const std::uint8_t> bytes, std::string& error) {
  if (bytes.size() < kImageHeader) {
    error = "truncated record";
    return std::nullopt;
  }
  const ImageHeader h(bytes.data());
  if (h.length() > bytes.size()) {
    error = fmt::format("truncated record: {} values, {} elements and {} string bytes need {} bytes, {} left", h.count,
                        h.elements, h.string_bytes, h.length(), bytes.size());
    return std::nullopt;
  }
  if (h.block_bytes() > 0xFFFFFFFFu) {
    error = "record too big";
    return std::nullopt;
  }
  return h;
}

// The checks of an image whose header image_header() accepted (and, when `values` is given,
// the copy into a block's values): every kind, every string inside the string bytes, every list
// pointing forward inside the element area and nested at most kMaxImageDepth deep. Returns the
// image's length, or 0 with `error`.
std::size_t walk_image(std::span<const std::uint8_t> bytes, const ImageHeader& h, Value* values, std::string& error) {
  const std::uint64_t count = h.count, elements = h.elements, string_bytes = h.string_bytes, slots = h.slots();
  char* strings = values ? reinterpret_cast<char*>(values + slots) : nullptr;
  const std::uint8_t* p = bytes.data() + kImageHeader;
  // The nesting depth of each element, known before it is reached because lists point forward.
  thread_local std::vector<std::uint8_t> depth;
  if (elements) depth.assign(slots, 0);
  for (std::uint64_t k = 0; k < slots; ++k, p += kImageValue) {
    const std::uint8_t kind = p[0];
    const std::uint32_t size = static_cast<std::uint32_t>(get_le(p + 4, 4));
    const std::uint64_t number = get_le(p + 8, 8);
    if (kind > static_cast<std::uint8_t>(Kind::List)) {
      error = fmt::format("record value {}: bad kind {}", k, kind);
      return 0;
    }
    Value v;
    v.kind = static_cast<Kind>(kind);
    switch (v.kind) {
      case Kind::Null: break;
      case Kind::String:
        if (number > string_bytes || size > string_bytes - number) {
          error = fmt::format("record value {}: string out of range", k);
          return 0;
        }
        v.size = size;
        v.s = strings ? strings + number : nullptr;
        break;
      case Kind::List: {
        // Elements after the list itself, inside the element area: no cycle, nothing outside.
        const std::uint8_t d = elements ? depth[k] : 0;
        if (number <= k || number < count || number > slots || size > slots - number || d >= kMaxImageDepth) {
          error = fmt::format("record value {}: list out of range", k);
          return 0;
        }
        for (std::uint64_t e = number; e < number + size; ++e) depth[e] = std::max<std::uint8_t>(depth[e], d + 1);
        v.size = size;
        v.list = values ? values + number : nullptr;
        break;
      }
      case Kind::Decimal:
        if (p[1] > 18) {
          error = fmt::format("record value {}: decimal scale {} is above 18", k, p[1]);
          return 0;
        }
        v.scale = p[1];
        v.i = static_cast<std::int64_t>(number);
        break;
      default: v.i = static_cast<std::int64_t>(number); break;
    }
    if (values) new (values + k) Value(v);
  }
  if (values && string_bytes) std::memcpy(strings, p, string_bytes);
  return static_cast<std::size_t>(h.length());
}

}  // namespace

std::size_t Record::from_image(std::span<const std::uint8_t> bytes, Record& out, std::string& error) {
  const std::optional<ImageHeader> h = image_header(bytes, error);
  if (!h) return 0;
  static_assert(sizeof(Block) == sizeof(Value), "ImageHeader::block_bytes counts the header as one Value");
  Record r;
  r.block_ = new (::operator new(h->block_bytes())) Block{static_cast<std::uint32_t>(h->count),
                                                          static_cast<std::uint32_t>(h->elements),
                                                          static_cast<std::uint32_t>(h->block_bytes()), 0};
  const std::size_t length = walk_image(bytes, *h, r.block_->values(), error);
  if (length != 0) out = std::move(r);  // else the block goes with r
  return length;
}

std::size_t Record::check_image(std::span<const std::uint8_t> bytes, std::string& error) {
  const std::optional<ImageHeader> h = image_header(bytes, error);
  return h ? walk_image(bytes, *h, nullptr, error) : 0;
}

std::size_t Record::image_size(const std::uint8_t* image) { return ImageHeader(image).length(); }

std::string_view Record::image_string(const std::uint8_t* image, int i) {
  const ImageHeader h(image);
  if (i < 0 || static_cast<std::uint64_t>(i) >= h.count) return {};
  const std::uint8_t* v = image + kImageHeader + static_cast<std::size_t>(i) * kImageValue;
  if (v[0] != static_cast<std::uint8_t>(Kind::String)) return {};
  const char* strings = reinterpret_cast<const char*>(image + kImageHeader + h.slots() * kImageValue);
  return {strings + get_le(v + 8, 8), static_cast<std::size_t>(get_le(v + 4, 4))};
}

// --- shape ---------------------------------------------------------------------------------

struct ShapeAccess {
  static const types::Type& record(const Shape& s) { return s.record_; }
  static void add(Shape& s, std::string path, types::Type type) {
    s.leaves_.push_back({std::move(path), std::move(type)});
  }
  static void set_record(Shape& s, const types::Type& t) { s.record_ = t; }
};

namespace {

// Leaves in declaration order, depth first — the same order decode() walks. A leaf under an
// optional record may be absent even when its own type is required, so it is marked optional.
void flatten(Shape& shape, const types::Type& record, const std::string& prefix, bool under_optional) {
  if (!record.fields) return;
  for (const types::Field& f : *record.fields) {
    std::string path = prefix.empty() ? f.name : prefix + "." + f.name;
    if (f.type.kind == types::Kind::Record) {
      flatten(shape, f.type, path, under_optional || f.type.optional);
    } else {
      ShapeAccess::add(shape, std::move(path), under_optional ? f.type.as_optional() : f.type);
    }
  }
}

}  // namespace

Shape Shape::of(const types::Type& record) {
  Shape s;
  if (record.kind != types::Kind::Record) return s;
  ShapeAccess::set_record(s, record);
  flatten(s, record, "", false);
  return s;
}

int Shape::index(std::string_view dotted) const {
  for (std::size_t k = 0; k < leaves_.size(); ++k) {
    if (leaves_[k].path == dotted) return static_cast<int>(k);
  }
  return -1;
}

// --- text forms ----------------------------------------------------------------------------

namespace {

bool digit(char c) {
  return c >= '0' && c <= '9';
}

// Exactly `n` digits at s[at…] into out.
bool fixed_digits(std::string_view s, std::size_t at, std::size_t n, unsigned& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (std::size_t k = at; k < at + n; ++k) {
    if (!digit(s[k])) return false;
    out = out * 10 + static_cast<unsigned>(s[k] - '0');
  }
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_duration(std::string_view text) { return units::parse_duration(text); }

std::optional<Time> parse_time(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)
  unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (s.size() < 20) return std::nullopt;
  if (!fixed_digits(s, 0, 4, y) || s[4] != '-' || !fixed_digits(s, 5, 2, mo) || s[7] != '-' ||
      !fixed_digits(s, 8, 2, d) || s[10] != 'T' || !fixed_digits(s, 11, 2, h) || s[13] != ':' ||
      !fixed_digits(s, 14, 2, mi) || s[16] != ':' || !fixed_digits(s, 17, 2, se))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > detail::days_in_month(y, mo) || h > 23 || mi > 59 || se > 59)
    return std::nullopt;
  std::size_t k = 19;
  if (s[k] == '.' || s[k] == ',') {
    const std::size_t begin = ++k;
    while (k < s.size() && digit(s[k])) ++k;
    if (k == begin) return std::nullopt;  // fractional seconds are truncated
  }
  std::int64_t offset = 0;
  if (k < s.size() && s[k] == 'Z') {
    ++k;
  } else if (k < s.size() && (s[k] == '+' || s[k] == '-')) {
    unsigned oh = 0, om = 0;
    if (!fixed_digits(s, k + 1, 2, oh) || k + 3 >= s.size() || s[k + 3] != ':' ||
        !fixed_digits(s, k + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset = (static_cast<std::int64_t>(oh) * 60 + om) * 60;
    if (s[k] == '-') offset = -offset;
    k += 6;
  } else {
    return std::nullopt;
  }
  if (k != s.size()) return std::nullopt;
  const std::int64_t days = detail::days_from_civil(y, mo, d);
  return days * 86400 + static_cast<std::int64_t>(h) * 3600 + mi * 60 + se - offset;
}

std::string format_time_utc(Time t) {
  std::string out;
  detail::append_time_utc(out, t);
  return out;
}

namespace {

std::optional<std::int64_t> parse_clock(std::string_view s) {
  const auto minutes = units::parse_clock(s);
  return minutes ? std::optional<std::int64_t>(*minutes) : std::nullopt;
}

// The digits of a finite double's shortest round-trip text as units and a scale ≤ 18.
enum class DecimalProblem { None, Range, Places };
DecimalProblem decimal_of_double(double x, std::int64_t& units, std::uint8_t& scale) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, x);
  if (r.ec != std::errc()) return DecimalProblem::Range;
  const char* p = buf;
  const char* end = r.ptr;
  bool negative = false;
  if (p < end && *p == '-') {
    negative = true;
    ++p;
  }
  std::uint64_t mantissa = 0;
  int digits = 0, frac = 0;
  bool point = false;
  for (; p < end && *p != 'e'; ++p) {
    if (*p == '.') {
      point = true;
      continue;
    }
    if (mantissa == 0 && *p == '0') {
      if (point) ++frac;  // leading zeros after the point still count as places
      continue;
    }
    if (++digits > 19) return DecimalProblem::Range;  // shortest form has ≤ 17
    mantissa = mantissa * 10 + static_cast<std::uint64_t>(*p - '0');
    if (point) ++frac;
  }
  int exponent = 0;
  if (p < end && *p == 'e') {
    ++p;
    const auto e = std::from_chars(p + (*p == '+' ? 1 : 0), end, exponent);
    if (e.ec != std::errc()) return DecimalProblem::Range;
  }
  int places = frac - exponent;
  if (mantissa == 0) places = std::clamp(places, 0, 18);
  // Trailing zeros of the mantissa cost no precision: drop them while there are places.
  while (places > 18 && mantissa % 10 == 0 && mantissa != 0) {
    mantissa /= 10;
    --places;
  }
  if (places > 18) return DecimalProblem::Places;
  while (places < 0) {
    if (mantissa > std::numeric_limits<std::uint64_t>::max() / 10) return DecimalProblem::Range;
    mantissa *= 10;
    ++places;
  }
  if (mantissa > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return DecimalProblem::Range;
  units = negative ? -static_cast<std::int64_t>(mantissa) : static_cast<std::int64_t>(mantissa);
  scale = static_cast<std::uint8_t>(places);
  return DecimalProblem::None;
}


std::string expected_name(const types::Type& t) {
  if (t.kind == types::Kind::Record) return "object";
  return types::to_string(t.as_required());
}

// A JSON string for a message: quoted, cut after 40 bytes on a UTF-8 boundary.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  if (s.size() > 40) {
    std::size_t cut = 40;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    out.append(s.substr(0, cut));
    out += "…";
  } else {
    out.append(s);
  }
  out += '"';
  return out;
}

void escape_token(std::string_view name, std::string& out) {
  for (char c : name) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
}

class Decoder {
 public:
  Decoder(std::vector<Value>& values, Scratch& storage) : values_(values), storage_(storage) {}

  std::optional<DecodeError> error;

  // The leaves of `record` from `obj` (null: the whole record is absent, leaves stay null).
  bool record(const types::Type& record, const json::object* obj) {
    if (!record.fields) return true;
    // Producers often write keys in schema order, so the member after the last one found is
    // tried first; only a miss pays for a search of the object.
    std::size_t next = 0;
    for (const types::Field& f : *record.fields) {
      const json::value* v = nullptr;
      if (obj) {
        if (next < obj->size() && (obj->begin() + next)->key() == f.name) {
          v = &(obj->begin() + next)->value();
          ++next;
        } else if (auto it = obj->find(f.name); it != obj->end()) {
          v = &it->value();
          next = static_cast<std::size_t>(it - obj->begin()) + 1;
        }
      }
      if (!field(f, v, obj != nullptr)) {
        std::string p = "/";
        escape_token(f.name, p);
        error->pointer.insert(0, p);
        return false;
      }
    }
    return true;
  }

 private:
  bool fail(std::string message) {
    error = DecodeError{"", std::move(message)};
    return false;
  }

  bool field(const types::Field& f, const json::value* v, bool parent_present) {
    const bool absent = v == nullptr || v->is_null();
    if (f.type.kind == types::Kind::Record) {
      if (absent) {
        if (parent_present && !f.type.optional)
          return fail(v ? "expected object, got null" : "missing required field");
        return record(f.type, nullptr);
      }
      if (!v->is_object()) return fail(std::string("expected object, got ") + json_kind(*v));
      return record(f.type, &v->get_object());
    }
    Value& slot = values_[leaf_++];
    slot = Value::null();
    if (absent) {
      if (parent_present && !f.type.optional)
        return fail(v ? "expected " + expected_name(f.type) + ", got null" : "missing required field");
      return true;
    }
    return leaf(f.type, *v, slot);
  }

  bool leaf(const types::Type& t, const json::value& v, Value& out) {
    using K = types::Kind;
    auto wrong = [&] { return fail("expected " + expected_name(t) + ", got " + json_kind(v)); };
    switch (t.kind) {
      case K::Bool:
        if (!v.is_bool()) return wrong();
        out = Value::boolean(v.get_bool());
        return true;
      case K::Int:
        if (v.is_int64()) {
          out = Value::integer(v.get_int64());
          return true;
        }
        if (v.is_uint64()) return fail("number out of range for int");
        if (v.is_double()) {
          const double d = v.get_double();
          if (!std::isfinite(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
            return fail("number out of range for int");
          if (std::trunc(d) != d) return fail("expected int, got a fractional number");
          out = Value::integer(static_cast<std::int64_t>(d));
          return true;
        }
        return wrong();
      case K::Decimal:
        if (v.is_int64()) {
          out = Value::decimal(v.get_int64(), 0);
          return true;
        }
        if (v.is_uint64()) return fail("number out of range for decimal");
        if (v.is_double()) {
          const double d = v.get_double();
          std::int64_t units = 0;
          std::uint8_t scale = 0;
          const DecimalProblem p =
              std::isfinite(d) ? decimal_of_double(d, units, scale) : DecimalProblem::Range;
          if (p == DecimalProblem::Range) return fail("number out of range for decimal");
          if (p == DecimalProblem::Places) return fail("decimal has more than 18 digits after the point");
          out = Value::decimal(units, scale);
          return true;
        }
        return wrong();
      case K::String: {
        if (!v.is_string()) return wrong();
        const json::string& s = v.get_string();
        if (s.size() > std::numeric_limits<std::uint32_t>::max()) return fail("string too long");
        out = Value::string(storage_.copy(std::string_view(s.data(), s.size())));
        return true;
      }
      case K::Time: {
        if (!v.is_string()) return wrong();
        const std::string_view s(v.get_string().data(), v.get_string().size());
        const auto time = parse_time(s);
        if (!time) return fail("expected a time like 2026-03-02T10:00:00Z, got " + quoted(s));
        out = Value::time(*time);
        return true;
      }
      case K::Duration: {
        if (!v.is_string()) return wrong();
        const std::string_view s(v.get_string().data(), v.get_string().size());
        const auto seconds = parse_duration(s);
        if (!seconds) return fail("expected a duration like 1h30m, got " + quoted(s));
        out = Value::duration(*seconds);
        return true;
      }
      case K::Clock: {
        if (!v.is_string()) return wrong();
        const std::string_view s(v.get_string().data(), v.get_string().size());
        const auto minutes = parse_clock(s);
        if (!minutes) return fail("expected a time of day like 09:30, got " + quoted(s));
        out = Value::clock(*minutes);
        return true;
      }
      case K::List: {
        if (!v.is_array()) return wrong();
        if (!t.element || t.element->kind == K::Record || t.element->kind == K::Error)
          return fail("lists of " + (t.element ? expected_name(*t.element) : std::string("?")) +
                      " are not supported");
        const json::array& a = v.get_array();
        if (a.size() > std::numeric_limits<std::uint32_t>::max()) return fail("list too long");
        Value* elements = storage_.make_values(a.size());
        for (std::size_t k = 0; k < a.size(); ++k) {
          const json::value& e = a[k];
          bool ok = true;
          if (e.is_null()) {
            if (!t.element->optional) ok = fail("expected " + expected_name(*t.element) + ", got null");
          } else {
            ok = leaf(*t.element, e, elements[k]);
          }
          if (!ok) {
            error->pointer.insert(0, "/" + std::to_string(k));
            return false;
          }
        }
        out = Value::list_of(elements, static_cast<std::uint32_t>(a.size()));
        return true;
      }
      default:
        return fail("fields of type " + types::to_string(t) + " are not supported");
    }
  }

  std::vector<Value>& values_;
  Scratch& storage_;
  std::size_t leaf_ = 0;
};

}  // namespace

const char* json_kind(const boost::json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "bool";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "number";
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "value";
}

std::optional<DecodeError> decode(const Shape& shape, const json::value& value, Record& out) {
  if (!value.is_object()) return DecodeError{"", std::string("expected object, got ") + json_kind(value)};
  Scratch& storage = scratch();
  storage.reset();
  std::vector<Value>& values = storage.values;
  values.assign(shape.size(), Value::null());
  Decoder d(values, storage);
  const types::Type& record = ShapeAccess::record(shape);
  if (record.kind == types::Kind::Record && !d.record(record, &value.get_object())) return d.error;
  out = Record::copy_of(values);
  return std::nullopt;
}

namespace {

json::value encode_value(const Value& v) {
  switch (v.kind) {
    case Kind::Null: return nullptr;
    case Kind::Bool: return v.i != 0;
    case Kind::Int: return v.i;
    case Kind::Decimal: {
      if (v.scale == 0) return v.i;  // 35000, not 3.5E4
      double d = static_cast<double>(v.i);
      for (int k = 0; k < v.scale; ++k) d /= 10;
      return d;
    }
    case Kind::Duration: {
      std::int64_t s = v.i;
      std::string out = s < 0 ? "-" : "";
      if (s < 0) s = -s;
      const std::pair<std::int64_t, char> units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
      for (const auto& [size, letter] : units) {
        if (s >= size) {
          out += std::to_string(s / size);
          out += letter;
          s %= size;
        }
      }
      return json::string(out.size() <= 1 ? std::string("0s") : out);
    }
    case Kind::Time: return json::string(format_time_utc(v.i));
    case Kind::Clock: {
      char buf[8];
      std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(v.i / 60 % 24), static_cast<int>(v.i % 60));
      return json::string(buf);
    }
    case Kind::String: return json::string(v.str());
    case Kind::List: {
      json::array a;
      for (std::uint32_t k = 0; k < v.size; ++k) a.push_back(encode_value(v.list[k]));
      return a;
    }
  }
  return nullptr;
}

}  // namespace

json::object encode(const Shape& shape, const Record& record) {
  json::object out;
  for (std::size_t i = 0; i < shape.size() && i < record.size(); ++i) {
    const Value& v = record.get(static_cast<int>(i));
    if (v.is_null()) continue;
    // "consent.email" → {"consent":{"email":…}}
    json::object* at = &out;
    std::string_view path = shape.path(i);
    for (std::size_t dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.')) {
      json::value& next = (*at)[path.substr(0, dot)];
      if (!next.is_object()) next = json::object();
      at = &next.get_object();
      path.remove_prefix(dot + 1);
    }
    (*at)[path] = encode_value(v);
  }
  return out;
}

}  // namespace cascade::vm
