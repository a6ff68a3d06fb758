// The storage behind Values: the step's Arena (reused between steps) and the InternPool
// (strings and lists that outlive a step). See value.hpp.
#include "cascade/vm/value.hpp"

#include <functional>

namespace cascade::vm {

// --- Arena ---------------------------------------------------------------------------------
// Slots are std::string / std::vector kept in deques: a deque never moves its elements when it
// grows at the back, so every view handed out stays valid until clear(); clear() only rewinds
// the counters, so the slots keep their capacity and a warm arena allocates nothing.

std::string& Arena::scratch() {
  if (used_strings_ == strings_.size()) strings_.emplace_back();
  std::string& s = strings_[used_strings_++];
  s.clear();
  return s;
}

std::string_view Arena::copy(std::string_view text) {
  std::string& s = scratch();
  s.assign(text.data(), text.size());
  return s;
}

Value* Arena::values(std::size_t n) {
  if (used_lists_ == lists_.size()) lists_.emplace_back();
  std::vector<Value>& v = lists_[used_lists_++];
  v.assign(n, Value::null());
  // An empty vector may have no storage; a list of zero elements never reads through the
  // pointer, but a stable non-null one is friendlier to callers.
  static Value empty;
  return n == 0 ? &empty : v.data();
}

void Arena::clear() {
  used_strings_ = 0;
  used_lists_ = 0;
}

// --- InternPool ----------------------------------------------------------------------------
// Open addressing (linear probing) over views into store_; the table doubles at half load so
// probes stay short. Views in index_ point into deque elements, which never move.

std::size_t InternPool::Hash::operator()(std::string_view s) const {
  return std::hash<std::string_view>{}(s);
}

std::string_view InternPool::intern(std::string_view text) {
  if ((count_ + 1) * 2 > index_.size()) {
    std::vector<std::string_view> bigger(index_.empty() ? 64 : index_.size() * 2);
    const std::size_t mask = bigger.size() - 1;
    for (std::string_view old : index_) {
      if (old.data() == nullptr) continue;
      std::size_t k = Hash{}(old)&mask;
      while (bigger[k].data() != nullptr) k = (k + 1) & mask;
      bigger[k] = old;
    }
    bytes_ += (bigger.size() - index_.size()) * sizeof(std::string_view);
    index_.swap(bigger);
  }
  const std::size_t mask = index_.size() - 1;
  std::size_t k = Hash{}(text)&mask;
  while (index_[k].data() != nullptr) {
    if (index_[k] == text) return index_[k];
    k = (k + 1) & mask;
  }
  const std::string& stored = store_.emplace_back(text);
  // A stored empty string still has a non-null data(), so it is a valid occupied slot.
  index_[k] = std::string_view(stored);
  ++count_;
  bytes_ += sizeof(std::string) + (stored.capacity() > 15 ? stored.capacity() + 1 : 0);
  return index_[k];
}

Value InternPool::keep(const Value& v) {
  switch (v.kind) {
    case Kind::String:
      return Value::string(intern(v.str()));
    case Kind::List: {
      std::vector<Value>& copy = lists_.emplace_back();
      copy.reserve(v.size);
      for (std::uint32_t k = 0; k < v.size; ++k) copy.push_back(keep(v.list[k]));
      bytes_ += sizeof(std::vector<Value>) + copy.capacity() * sizeof(Value);
      static const Value empty;
      return Value::list_of(copy.empty() ? &empty : copy.data(), v.size);
    }
    default:
      return v;
  }
}

}  // namespace cascade::vm
