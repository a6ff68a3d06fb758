// Byte-level helpers for the format tests: little-endian patching and re-sealing a file (the
// program hash and checksum recomputed) so a test can reach the checks behind them.
#pragma once

#include <cstdint>
#include <vector>

#include "cascade/bytecode/io.hpp"

namespace cascade::bytecode::testing {

inline std::uint64_t get_le(const std::vector<std::uint8_t>& b, std::size_t at, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{b[at + i]} << (8 * i);
  return v;
}

inline void put_le(std::vector<std::uint8_t>& b, std::size_t at, std::uint64_t v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) b[at + i] = static_cast<std::uint8_t>(v >> (8 * i));
}

// The directory entry of section id: (offset, length).
inline std::pair<std::size_t, std::size_t> section(const std::vector<std::uint8_t>& b, SectionId id) {
  const std::size_t e = 20 + 12 * (static_cast<std::size_t>(id) - 1);
  return {get_le(b, e + 4, 4), get_le(b, e + 8, 4)};
}

// Recomputes the program hash (from the directory as it stands) and the checksum.
inline void reseal(std::vector<std::uint8_t>& b) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::uint16_t id = 1; id <= kSectionCount; ++id) {
    if (id == static_cast<std::uint16_t>(SectionId::Spans) ||
        id == static_cast<std::uint16_t>(SectionId::Sources))
      continue;
    auto [off, len] = section(b, static_cast<SectionId>(id));
    if (off > b.size() || len > b.size() - off) continue;  // the reader refuses it before the hash
    std::vector<std::uint8_t> head(6);
    put_le(head, 0, id, 2);
    put_le(head, 2, len, 4);
    h = fnv1a64(head, h);
    h = fnv1a64(std::span<const std::uint8_t>(b).subspan(off, len), h);
  }
  put_le(b, 8, h, 8);
  put_le(b, b.size() - 8, fnv1a64(std::span<const std::uint8_t>(b).first(b.size() - 8)), 8);
}

}  // namespace cascade::bytecode::testing
