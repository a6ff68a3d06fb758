// The timing wheel: placement, cascading and the free-list pool. See timers.hpp.
#include "cascade/vm/timers.hpp"

#include <algorithm>
#include <bit>

namespace cascade::vm {

TimerWheel::TimerWheel(Time start) : now_(start) {
    std::fill(std::begin(heads_), std::end(heads_), kNil);
    std::fill(std::begin(slot_min_), std::end(slot_min_), Time{0});
    std::fill(std::begin(min_exact_), std::end(min_exact_), true);
}

std::uint32_t TimerWheel::alloc() {
    if (free_ != kNil) {
        const std::uint32_t i = free_;
        free_ = nodes_[i].next;
        return i;
    }
    nodes_.push_back(Node{0, 0, kNil, kNil, kFree});
    return static_cast<std::uint32_t>(nodes_.size() - 1);
}

void TimerWheel::release(std::uint32_t i) {
    Node& n = nodes_[i];
    // A new generation makes every outstanding handle to this node stale.
    n.meta = (((gen_of(n) + 1) << kSlotBits)) | kFree;
    n.next = free_;
    n.prev = kNil;
    free_ = i;
}

void TimerWheel::link(std::uint32_t i, std::uint32_t list) {
    Node& n = nodes_[i];
    n.meta = (n.meta & ~kSlotMask) | list;
    n.prev = kNil;
    n.next = heads_[list];
    if (list < kDueList) {
        const auto level = list / kSlotsPerLevel;
        if (level > 0) {
            if (n.next == kNil) {
                slot_min_[list] = n.when;
                min_exact_[list] = true;
            } else if (n.when < slot_min_[list]) {
                // Below a lower bound, hence the true minimum.
                slot_min_[list] = n.when;
                min_exact_[list] = true;
            }
        }
        occupied_[level] |= std::uint64_t{1} << (list % kSlotsPerLevel);
    }
    if (n.next != kNil) nodes_[n.next].prev = i;
    heads_[list] = i;
}

void TimerWheel::unlink(std::uint32_t i) {
    Node& n = nodes_[i];
    const std::uint32_t list = list_of(n);
    if (n.prev != kNil) nodes_[n.prev].next = n.next;
    else heads_[list] = n.next;
    if (n.next != kNil) nodes_[n.next].prev = n.prev;
    if (list < kDueList) {
        const auto level = list / kSlotsPerLevel;
        if (heads_[list] == kNil) occupied_[level] &= ~(std::uint64_t{1} << (list % kSlotsPerLevel));
        else if (level > 0 && n.when == slot_min_[list]) min_exact_[list] = false;
    }
    n.next = n.prev = kNil;
}

void TimerWheel::place(std::uint32_t i) {
    const Time when = nodes_[i].when;
    if (when <= now_) {
        link(i, kDueList);
        return;
    }
    // The level is the highest 6-bit group where `when` differs from the clock; the slot is
    // `when`'s group at that level. Every entry at level k is later than every entry below k.
    const std::uint64_t k = key(when);
    const std::uint64_t diff = k ^ key(now_);
    const int level = (63 - std::countl_zero(diff)) / kLevelBits;
    const auto slot = static_cast<std::uint32_t>((k >> (level * kLevelBits)) & (kSlotsPerLevel - 1));
    link(i, static_cast<std::uint32_t>(level) * kSlotsPerLevel + slot);
}

TimerHandle TimerWheel::schedule(Id id, Time when) {
    const std::uint32_t i = alloc();
    Node& n = nodes_[i];
    n.when = when;
    n.id = id;
    place(i);
    ++size_;
    return TimerHandle{i, gen_of(nodes_[i])};
}

bool TimerWheel::pending(TimerHandle h) const {
    if (h.index >= nodes_.size()) return false;
    const Node& n = nodes_[h.index];
    return gen_of(n) == h.gen && list_of(n) != kFree;
}

bool TimerWheel::cancel(TimerHandle h) {
    if (!pending(h)) return false;
    // A firing-batch entry is in no list; releasing it bumps its generation so advance() skips it.
    if (list_of(nodes_[h.index]) != kFiring) unlink(h.index);
    release(h.index);
    --size_;
    return true;
}

bool TimerWheel::reschedule(TimerHandle h, Time when) {
    if (!pending(h)) return false;
    // A firing-batch entry is in no list; once re-placed, advance() skips its stale batch record.
    if (list_of(nodes_[h.index]) != kFiring) unlink(h.index);
    nodes_[h.index].when = when;
    place(h.index);
    return true;
}

std::uint32_t TimerWheel::first_slot() const {
    for (int level = 0; level < kLevels; ++level) {
        if (occupied_[level] != 0) {
            return static_cast<std::uint32_t>(level * kSlotsPerLevel + std::countr_zero(occupied_[level]));
        }
    }
    return kNil;
}

TimerWheel::Time TimerWheel::slot_start(std::uint32_t slot) const {
    const int level = static_cast<int>(slot / kSlotsPerLevel);
    const int shift = level * kLevelBits;
    const int above = shift + kLevelBits;  // bits of the clock kept as they are
    const std::uint64_t keep = above >= 64 ? 0 : ~((std::uint64_t{1} << above) - 1);
    return from_key((key(now_) & keep) | (std::uint64_t{slot % kSlotsPerLevel} << shift));
}

void TimerWheel::cascade(std::uint32_t slot) {
    now_ = slot_start(slot);
    std::uint32_t i = heads_[slot];
    heads_[slot] = kNil;
    occupied_[slot / kSlotsPerLevel] &= ~(std::uint64_t{1} << (slot % kSlotsPerLevel));
    while (i != kNil) {
        const std::uint32_t next = nodes_[i].next;
        place(i);  // strictly lower level (or due): the clock now shares this slot's prefix
        i = next;
    }
}

void TimerWheel::collect_due(Time limit) {
    std::uint32_t i = heads_[kDueList];
    while (i != kNil) {
        const std::uint32_t next = nodes_[i].next;
        Node& n = nodes_[i];
        if (n.when <= limit) {
            unlink(i);
            n.meta = (n.meta & ~kSlotMask) | kFiring;
            firing_.push_back(Firing{n.when, n.id, i, gen_of(n)});
        }
        i = next;
    }
    std::sort(firing_.begin(), firing_.end(), [](const Firing& a, const Firing& b) {
        return a.when != b.when ? a.when < b.when : a.id != b.id ? a.id < b.id : a.index < b.index;
    });
}

std::optional<TimerWheel::Time> TimerWheel::next_deadline() const {
    if (heads_[kDueList] != kNil) {
        // Due entries are all at or before the clock, hence before anything in the wheel.
        Time best = std::numeric_limits<Time>::max();
        for (std::uint32_t i = heads_[kDueList]; i != kNil; i = nodes_[i].next) best = std::min(best, nodes_[i].when);
        return best;
    }
    const std::uint32_t slot = first_slot();
    if (slot == kNil) return std::nullopt;
    if (slot < kSlotsPerLevel) return slot_start(slot);  // a level-0 slot is one instant
    if (!min_exact_[slot]) {
        // Only after the slot's minimum was cancelled; the rescan is cached until that happens again.
        Time best = std::numeric_limits<Time>::max();
        for (std::uint32_t i = heads_[slot]; i != kNil; i = nodes_[i].next) best = std::min(best, nodes_[i].when);
        slot_min_[slot] = best;
        min_exact_[slot] = true;
    }
    return slot_min_[slot];
}

std::size_t TimerWheel::memory_bytes() const {
    return sizeof(*this) + nodes_.capacity() * sizeof(Node) + firing_.capacity() * sizeof(Firing);
}

static_assert(sizeof(TimerHandle) == 8);

}  // namespace cascade::vm
