// A profile or trigger payload that may still be an image in the snapshot the engine restored
// from.
//
// A daemon restarting with 10 M recipients spent most of its restore copying their profiles
// out of the mapped snapshot into fresh heap blocks — gigabytes of memory touched for the first
// time, on a machine where that costs more than the copy. A restore that keeps the mapping
// alive (Engine::restore with a keep-alive) checks every image and leaves it where it is; the
// profile is copied out (Record::from_image, which cannot fail on a checked image) the first
// time the engine reads it. A profile that is never read before the next snapshot is written
// to it as the same bytes, without a copy.
//
// Only the engine's thread touches recipients, so the copy on first read needs no lock.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cascade/vm/record.hpp"

namespace cascade::vm::engine_detail {

class LazyRecord {
 public:
  LazyRecord() = default;
  explicit LazyRecord(Record r) : owned_(std::move(r)) {}
  LazyRecord(LazyRecord&& other) noexcept
      : owned_(std::move(other.owned_)), image_(std::exchange(other.image_, nullptr)) {}
  LazyRecord& operator=(LazyRecord&& other) noexcept {
    owned_ = std::move(other.owned_);
    image_ = std::exchange(other.image_, nullptr);
    return *this;
  }
  LazyRecord& operator=(Record r) {
    owned_ = std::move(r);
    image_ = nullptr;
    return *this;
  }

  // Leaves the record as the checked image at `image`, which must outlive it.
  void borrow(const std::uint8_t* image) {
    owned_ = Record();
    image_ = image;
  }
  bool borrowed() const { return image_ != nullptr; }

  const Record& record() const {
    if (image_) [[unlikely]]
      materialize();
    return owned_;
  }
  const Value& get(int i) const { return record().get(i); }
  std::span<const Value> values() const { return record().values(); }

  // A string leaf without copying a borrowed image out (the restore's time zones).
  std::string_view string_at(int i) const {
    if (image_) return Record::image_string(image_, i);
    const Value& v = owned_.get(i);
    return v.kind == Kind::String ? v.str() : std::string_view();
  }
  // The bytes a snapshot's image of this record takes at most (the writer sizes its buffer).
  std::size_t image_bytes_bound() const { return image_ ? Record::image_size(image_) : owned_.memory_bytes(); }
  // Heap bytes held (a borrowed image is in the mapping, not the heap).
  std::size_t memory_bytes() const { return owned_.memory_bytes(); }
  void append_image(std::vector<std::uint8_t>& out) const {
    if (image_)
      out.insert(out.end(), image_, image_ + Record::image_size(image_));  // what append_image would give
    else
      owned_.append_image(out);
  }

 private:
  void materialize() const {
    std::string error;
    Record::from_image({image_, Record::image_size(image_)}, owned_, error);  // checked: cannot fail
    image_ = nullptr;
  }

  mutable Record owned_;
  mutable const std::uint8_t* image_ = nullptr;  // a checked image, or null: owned_ holds it
};
static_assert(sizeof(LazyRecord) == 16, "two pointers: one per recipient and per payload");

}  // namespace cascade::vm::engine_detail
