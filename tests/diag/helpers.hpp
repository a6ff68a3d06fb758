// Small helpers for the diagnostics tests.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "cascade/grammar/source.hpp"

namespace cascade::test {

// The span of the first occurrence of `needle` in a file of the map.
inline source::SourceSpan span_of(const source::SourceMap& sources, source::FileId id,
                                  std::string_view needle) {
  const std::string& text = sources.file(id).text();
  const std::size_t at = text.find(needle);
  if (at == std::string::npos) throw std::logic_error("span_of: text not found: " + std::string(needle));
  return {id, static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(at + needle.size())};
}

}  // namespace cascade::test
