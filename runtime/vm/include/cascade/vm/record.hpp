// Profiles and event payloads at run time: a schema flattened to dense field indexes, and a
// record of values in that order that owns its strings.
//
// A Shape numbers every leaf of a record type by its dotted path ("consent.email" → 7), so a
// LOAD_PROFILE or LOAD_TRIGGER resolves its field once, when a program is loaded, and reads a
// slot at run time. A Record holds one Value per leaf (null when absent) and the bytes of its
// strings and lists, in one allocation; moving a Record keeps every pointer valid.
//
// decode() turns JSON into a Record against a Shape and reports the first problem with a JSON
// pointer ("/consent/email: expected bool, got string"). JSON forms: bool, int (an integral
// number), decimal (any number, kept exactly as written: 0.1 stays 1/10), string, time (an ISO
// 8601 string with Z or ±HH:MM offset), duration (a string in the language's form, "1h30m"),
// clock ("HH:MM"), list<T> (an array), records (objects). A missing or null field is null —
// an error only when the schema says the field is required. Fields not in the schema are
// ignored (a CDP may send more than the project declares).
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/fwd.hpp>

#include "cascade/stdlib/types.hpp"
#include "cascade/vm/value.hpp"

namespace cascade::vm {

class Shape {
 public:
  Shape() = default;
  // `record` must be a Record type; nested records become dotted leaves.
  static Shape of(const types::Type& record);

  // The index of a leaf by dotted path, or -1.
  int index(std::string_view dotted) const;
  std::size_t size() const { return leaves_.size(); }
  std::string_view path(std::size_t i) const { return leaves_[i].path; }
  const types::Type& type(std::size_t i) const { return leaves_[i].type; }

 private:
  struct Leaf {
    std::string path;
    types::Type type;
  };
  std::vector<Leaf> leaves_;
  types::Type record_;
  friend struct ShapeAccess;
};

class Record {
 public:
  Record() = default;
  Record(Record&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  Record& operator=(Record&& other) noexcept;
  ~Record();

  // The value of leaf i (null when absent or out of range).
  const Value& get(int i) const;
  std::size_t size() const;
  std::span<const Value> values() const;
  // A record owning copies of `values` (their strings and lists), e.g. rebuilt from a snapshot
  // or from a decoder's scratch: the values may point into buffers the caller then reuses.
  static Record copy_of(std::span<const Value> values);
  // Bytes held (values and owned storage), for memory accounting.
  std::size_t memory_bytes() const;

  // The record as a position-independent image, for snapshots (docs/runtime.md): a header (u32
  // values, u32 list elements, u32 string bytes), then every value as 16 bytes (u8 kind, u8
  // scale, u16 zero, u32 size, u64 number — or, for a string, its offset in the string bytes, for
  // a list, the index of its first element), then the string bytes; little-endian. Restoring an
  // image is a copy and one pass over its values, not a parse.
  void append_image(std::vector<std::uint8_t>& out) const;
  // Reads the image at the front of `bytes` into `out`: the bytes it took, or 0 with `error` set.
  // Every kind, offset and list is checked (lists point forward and nest at most 8 deep), so
  // hostile bytes give an error, never a wild pointer or a cycle.
  static std::size_t from_image(std::span<const std::uint8_t> bytes, Record& out, std::string& error);
  // The same checks without the copy: the image's length, or 0 with `error` set. An engine that
  // keeps its snapshot mapped checks every image at restore and copies each only when first read.
  static std::size_t check_image(std::span<const std::uint8_t> bytes, std::string& error);
  // Leaf i of a checked image when it is a string (else empty): a view into the image.
  static std::string_view image_string(const std::uint8_t* image, int i);
  // The length of a checked image.
  static std::size_t image_size(const std::uint8_t* image);

 private:
  // One heap block per record: a header, the values, then the bytes of their strings and list
  // elements. A million profiles are a million allocations, not four million (the engine's
  // restore and memory per recipient are dominated by them).
  struct Block;
  Block* block_ = nullptr;
};

struct DecodeError {
  std::string pointer;  // JSON pointer into the decoded value, "" for the whole value
  std::string message;  // "expected bool, got string", "missing required field"
};

// Decodes `json` (an object) against `shape`. On success fills `out` and returns nullopt.
std::optional<DecodeError> decode(const Shape& shape, const boost::json::value& json, Record& out);

// The inverse of decode(), for inspection (the daemon's GET /v1/recipients): the record's set
// leaves as nested JSON in the forms decode() reads (times as RFC 3339, durations like "1h30m",
// times of day like "09:30", decimals as numbers). Null leaves are left out.
boost::json::object encode(const Shape& shape, const Record& record);

// The JSON kind of v in words, for messages: "null", "bool", "number", "string", "array", "object".
const char* json_kind(const boost::json::value& v);

// Parses the language's duration form ("90s", "1h30m", "7d", "2w") into seconds.
std::optional<std::int64_t> parse_duration(std::string_view text);
// Parses an ISO 8601 instant ("2026-03-02T10:00:00Z", "2026-03-02T13:00:00+03:00",
// fractional seconds truncated) into Unix seconds.
std::optional<Time> parse_time(std::string_view text);
// Formats Unix seconds as "2026-03-02T10:00:00Z".
std::string format_time_utc(Time t);

}  // namespace cascade::vm
