// Growable arrays for the engine's per-instance tables, in fixed pages instead of one block.
//
// A std::vector doubles: with a million instances it holds up to twice what it needs, and the
// copy on growth briefly needs three times. Pages of a fixed size grow one page at a time, never
// move an element (pointers into them stay valid), and waste at most one page — which is what
// lets "bytes per waiting instance" be the size of the instance, not of the vector's slack.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace cascade::vm {

// Elements by index, kPage per page; new elements are value-initialised.
template <class T, std::size_t kPage = 4096>
class Paged {
 public:
  T& operator[](std::size_t i) { return pages_[i / kPage][i % kPage]; }
  const T& operator[](std::size_t i) const { return pages_[i / kPage][i % kPage]; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  T& push_back(const T& value) {
    if (size_ == pages_.size() * kPage) pages_.push_back(std::make_unique<T[]>(kPage));
    T& slot = (*this)[size_++];
    slot = value;
    return slot;
  }

  T& push_back(T&& value) {
    if (size_ == pages_.size() * kPage) pages_.push_back(std::make_unique<T[]>(kPage));
    T& slot = (*this)[size_++];
    slot = std::move(value);
    return slot;
  }

  // Grows to n elements (value-initialised), so they can be filled by index — by several
  // threads at once, as a snapshot restore does.
  void resize(std::size_t n) {
    while (pages_.size() * kPage < n) pages_.push_back(std::make_unique<T[]>(kPage));
    if (n > size_) size_ = n;
  }

  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < size_; ++i) f((*this)[i]);
  }

  std::size_t memory_bytes() const { return pages_.size() * kPage * sizeof(T) + pages_.capacity() * sizeof(void*); }

 private:
  std::vector<std::unique_ptr<T[]>> pages_;
  std::size_t size_ = 0;
};

// Fixed-size blocks of `width` elements (an instance's locals, or its slots), kBlocks per page,
// each block contiguous. Freed blocks are reused before a new one is made.
template <class T, std::size_t kBlocks = 1024>
class BlockPool {
 public:
  explicit BlockPool(std::size_t width = 0) : width_(width == 0 ? 1 : width) {}

  T* at(std::uint32_t block) { return &pages_[block / kBlocks][(block % kBlocks) * width_]; }

  // A zeroed block.
  std::uint32_t take() {
    std::uint32_t b;
    if (!free_.empty()) {
      b = free_.back();
      free_.pop_back();
    } else {
      if (count_ == pages_.size() * kBlocks) pages_.push_back(std::make_unique<T[]>(kBlocks * width_));
      b = count_++;
    }
    T* p = at(b);
    for (std::size_t k = 0; k < width_; ++k) p[k] = T{};
    return b;
  }
  void give_back(std::uint32_t block) { free_.push_back(block); }
  // The allocation state, for snapshots: blocks ever made, and the free ones in reuse order.
  std::uint32_t blocks() const { return count_; }
  std::size_t width() const { return width_; }
  const std::vector<std::uint32_t>& free_blocks() const { return free_; }
  // Makes `count` zeroed blocks with `free` as the free list (a restored pool).
  void reset_to(std::uint32_t count, std::vector<std::uint32_t> free) {
    pages_.clear();
    count_ = 0;
    for (std::uint32_t b = 0; b < count; ++b) {
      if (count_ == pages_.size() * kBlocks) pages_.push_back(std::make_unique<T[]>(kBlocks * width_));
      T* p = at(count_++);
      for (std::size_t k = 0; k < width_; ++k) p[k] = T{};
    }
    free_ = std::move(free);
  }

  std::size_t memory_bytes() const {
    return pages_.size() * kBlocks * width_ * sizeof(T) + pages_.capacity() * sizeof(void*) +
           free_.capacity() * sizeof(std::uint32_t);
  }

 private:
  std::size_t width_;
  std::vector<std::unique_ptr<T[]>> pages_;
  std::vector<std::uint32_t> free_;
  std::uint32_t count_ = 0;
};

}  // namespace cascade::vm
