// Little-endian bytes: the writer and the bounds-checked reader behind every binary format of
// the runtime (the .cbc file, the engine's snapshots).
//
// The reader takes untrusted bytes. Every read checks what is left; the first problem is kept
// as an Error with its byte offset and every later read returns zero, so a decoder can read a
// whole structure and check failed() once, and a lying count never sizes an allocation
// (count() rejects a count the remaining bytes cannot hold).
#pragma once

#include <bit>
#include <cstddef>
#include <cstring>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cascade/bytecode/io.hpp"

namespace cascade::bytecode {

class ByteWriter {
 public:
  std::vector<std::uint8_t> bytes;
  void u8(std::uint64_t v) { bytes.push_back(static_cast<std::uint8_t>(v)); }
  void le(std::uint64_t v, std::size_t n) {
    if constexpr (std::endian::native == std::endian::little) {
      const std::size_t at = bytes.size();
      bytes.resize(at + n);
      std::memcpy(bytes.data() + at, &v, n);  // a snapshot is gigabytes of these
    } else {
      for (std::size_t i = 0; i < n; ++i) bytes.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
  }
  // Overwrites n bytes at `at` (a length written before what it measures was known).
  void patch(std::size_t at, std::uint64_t v, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) bytes[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
  }
  void u16(std::uint64_t v) { le(v, 2); }
  void u32(std::uint64_t v) { le(v, 4); }
  void u64(std::uint64_t v) { le(v, 8); }
  void i64(std::int64_t v) { le(static_cast<std::uint64_t>(v), 8); }
  void uvar(std::uint64_t v) {
    while (v >= 0x80) {
      u8((v & 0x7f) | 0x80);
      v >>= 7;
    }
    u8(v);
  }
  void svar(std::int64_t v) {
    uvar((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
  }
};

class ByteReader {
 public:
  ByteReader(std::span<const std::uint8_t> bytes, std::size_t begin, std::size_t end)
      : b_(bytes), pos_(begin), end_(end) {}

  bool failed() const { return error_.has_value(); }
  const Error& error() const { return *error_; }
  std::size_t pos() const { return pos_; }
  std::size_t left() const { return failed() ? 0 : end_ - pos_; }

  void fail(std::size_t at, std::string message) {
    if (!error_) error_ = Error{at, std::move(message)};
  }

  // The fast path is inline and branch-light (a snapshot is hundreds of millions of reads);
  // every failure takes the out-of-line path.
  std::uint64_t le(std::size_t n, const char* what) {
    if (failed() || end_ - pos_ < n) [[unlikely]] {
      truncated(n, what);
      return 0;
    }
    std::uint64_t v = 0;
    if constexpr (std::endian::native == std::endian::little)
      std::memcpy(&v, b_.data() + pos_, n);
    else
      for (std::size_t i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(b_[pos_ + i]) << (8 * i);
    pos_ += n;
    return v;
  }
  std::uint8_t u8(const char* what) { return static_cast<std::uint8_t>(le(1, what)); }
  std::uint16_t u16(const char* what) { return static_cast<std::uint16_t>(le(2, what)); }
  std::uint32_t u32(const char* what) { return static_cast<std::uint32_t>(le(4, what)); }
  std::uint64_t u64(const char* what) { return le(8, what); }
  std::int64_t i64(const char* what) { return static_cast<std::int64_t>(le(8, what)); }

  std::uint64_t uvar(const char* what) {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const std::size_t at = pos_;
      const std::uint8_t byte = u8(what);
      if (failed()) return 0;
      if (shift == 63 && byte > 1) {
        fail(at, fmt::format("{}: varint overflows 64 bits", what));
        return 0;
      }
      v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
    }
    fail(pos_, fmt::format("{}: varint longer than 10 bytes", what));
    return 0;
  }
  std::uint32_t uvar32(const char* what) {
    const std::size_t at = pos_;
    const std::uint64_t v = uvar(what);
    if (v > 0xFFFFFFFFu) fail(at, fmt::format("{} {} does not fit in 32 bits", what, v));
    return static_cast<std::uint32_t>(v);
  }
  std::int64_t svar(const char* what) {
    const std::uint64_t z = uvar(what);
    return static_cast<std::int64_t>(z >> 1) ^ -static_cast<std::int64_t>(z & 1);
  }

  // A count of elements of at least min_size bytes each: rejected (and 0) when the bytes left
  // cannot hold that many, so no allocation is ever sized by a lying count.
  std::size_t count(std::uint64_t n, std::size_t min_size, std::size_t at, const char* what) {
    if (failed()) return 0;
    if (n > left() / min_size) {
      fail(at, fmt::format("absurd count: {} {} cannot fit in the {} bytes left", n, what, left()));
      return 0;
    }
    return static_cast<std::size_t>(n);
  }
  std::size_t count16(std::size_t min_size, const char* what) {
    const std::size_t at = pos_;
    return count(u16(what), min_size, at, what);
  }
  std::size_t count32(std::size_t min_size, const char* what) {
    const std::size_t at = pos_;
    return count(u32(what), min_size, at, what);
  }
  std::size_t count8(std::size_t min_size, const char* what) {
    const std::size_t at = pos_;
    return count(u8(what), min_size, at, what);
  }

  // The bytes not read yet (nothing after a failure), for a decoder that says how many it took.
  std::span<const std::uint8_t> rest() const {
    if (failed()) return {};
    return b_.subspan(pos_, end_ - pos_);
  }

  std::span<const std::uint8_t> take(std::size_t n, const char* what) {
    if (failed() || end_ - pos_ < n) [[unlikely]] {
      truncated(n, what);
      return {};
    }
    auto s = b_.subspan(pos_, n);
    pos_ += n;
    return s;
  }

  // A one-byte enum or bool with `limit` values.
  std::uint8_t small(std::uint8_t limit, const char* what) {
    const std::size_t at = pos_;
    const std::uint8_t v = u8(what);
    if (!failed() && v >= limit) fail(at, fmt::format("bad {} {}", what, v));
    return v;
  }

 private:
  [[gnu::cold, gnu::noinline]] void truncated(std::size_t n, const char* what) {
    if (!failed()) fail(pos_, fmt::format("truncated: {} needs {} bytes, {} left", what, n, end_ - pos_));
  }

  std::span<const std::uint8_t> b_;
  std::size_t pos_, end_;
  std::optional<Error> error_;
};

}  // namespace cascade::bytecode
