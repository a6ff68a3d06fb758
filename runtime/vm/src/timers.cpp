// The timing wheel: placement, cascading and the free-list pool. See timers.hpp.
#include "cascade/vm/timers.hpp"

#include <algorithm>
#include <bit>

#include <cstdlib>
#include <new>
#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace cascade::vm {

namespace {
constexpr std::size_t kHugePage = std::size_t{2} << 20;
}

void* huge_page_allocate(std::size_t bytes) {
    if (bytes < kHugePage) {
        void* p = std::malloc(bytes == 0 ? 1 : bytes);
        if (p == nullptr) throw std::bad_alloc();
        return p;
    }
    const std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    void* p = std::aligned_alloc(kHugePage, rounded);
    if (p == nullptr) throw std::bad_alloc();
#if defined(MADV_HUGEPAGE)
    (void)madvise(p, rounded, MADV_HUGEPAGE);  // advice only: failure leaves 4 KiB pages
#endif
    return p;
}

void huge_page_deallocate(void* p, std::size_t) noexcept { std::free(p); }

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

void TimerWheel::free_dead(std::uint32_t i) {
    Node& n = nodes_[i];
    // cancel() already bumped the generation; LIFO so the next schedule reuses a cached node.
    n.meta = (n.meta & ~kSlotMask) | kFree;
    n.next = free_;
    n.prev = kNil;
    free_ = i;
    --dead_;
}

void TimerWheel::count_live(std::uint32_t list, Time when) {
    if (list < kDueList) {
        const auto level = list / kSlotsPerLevel;
        if (level > 0 && (live_[list] == 0 || when < slot_min_[list])) {
            // The first live entry, or below a lower bound: either way the true minimum.
            slot_min_[list] = when;
            min_exact_[list] = true;
        }
        occupied_[level] |= std::uint64_t{1} << (list % kSlotsPerLevel);
    }
    ++live_[list];
}

void TimerWheel::link(std::uint32_t i, std::uint32_t list) {
    Node& n = nodes_[i];
    n.meta = (n.meta & ~kSlotMask) | list;
    n.prev = kNil;
    n.next = heads_[list];
    count_live(list, n.when);
    // The old head was linked recently (schedules cluster in a few slots), so this is a hit.
    if (n.next != kNil) nodes_[n.next].prev = i;
    heads_[list] = i;
}

void TimerWheel::unlink(std::uint32_t i) {
    Node& n = nodes_[i];
    const std::uint32_t list = list_of(n);
    if (n.prev != kNil) nodes_[n.prev].next = n.next;
    else heads_[list] = n.next;
    if (n.next != kNil) nodes_[n.next].prev = n.prev;
    --live_[list];
    if (list < kDueList) {
        const auto level = list / kSlotsPerLevel;
        if (live_[list] == 0) occupied_[level] &= ~(std::uint64_t{1} << (list % kSlotsPerLevel));
        else if (level > 0 && n.when == slot_min_[list]) min_exact_[list] = false;
    }
    n.next = n.prev = kNil;
}

std::uint32_t TimerWheel::list_for(Time when) const {
    if (when <= now_) return kDueList;
    // The level is the highest 6-bit group where `when` differs from the clock; the slot is
    // `when`'s group at that level. Every entry at level k is later than every entry below k.
    const std::uint64_t k = key(when);
    const std::uint64_t diff = k ^ key(now_);
    const int level = (63 - std::countl_zero(diff)) / kLevelBits;
    const auto slot = static_cast<std::uint32_t>((k >> (level * kLevelBits)) & (kSlotsPerLevel - 1));
    return static_cast<std::uint32_t>(level) * kSlotsPerLevel + slot;
}

void TimerWheel::place(std::uint32_t i) { link(i, list_for(nodes_[i].when)); }

TimerHandle TimerWheel::schedule(Id id, Time when) {
    const std::uint32_t list = list_for(when);
    ++size_;
    if (list < kDueList && !dead_in_[list].empty()) {
        // Revive a dead node of this slot in place: it is already linked here.
        const DeadRef d = dead_in_[list].back();
        dead_in_[list].pop_back();
        --dead_;
        Node& n = nodes_[d.index];
        n.when = when;
        n.id = id;
        n.meta = (d.gen << kSlotBits) | list;
        count_live(list, when);
        return TimerHandle{d.index, d.gen};
    }
    const std::uint32_t i = alloc();
    Node& n = nodes_[i];
    n.when = when;
    n.id = id;
    link(i, list);
    return TimerHandle{i, gen_of(n)};
}

bool TimerWheel::pending(TimerHandle h) const {
    if (h.index >= nodes_.size()) return false;
    const Node& n = nodes_[h.index];
    // A dead or free node has a newer generation than any handle issued for it, but a handle
    // can alias after 2^22 reuses; the list check keeps even that case from reviving a corpse.
    return gen_of(n) == h.gen && list_of(n) != kFree && list_of(n) != kDead;
}

std::optional<TimerWheel::Time> TimerWheel::deadline(TimerHandle h) const {
    if (!pending(h)) return std::nullopt;
    return nodes_[h.index].when;
}

bool TimerWheel::cancel(TimerHandle h) {
    if (!pending(h)) return false;
    Node& n = nodes_[h.index];
    const std::uint32_t list = list_of(n);
    --size_;
    if (list == kFiring) {
        // In no list; releasing it bumps its generation so advance() skips its batch record.
        release(h.index);
        return true;
    }
    // Lazy: only this node is touched (see the top of timers.hpp). Its neighbours keep pointing
    // at it until a cascade, a due-list collection or a sweep takes it off the list.
    n.meta = ((gen_of(n) + 1) << kSlotBits) | kDead;
    ++dead_;
    if (list < kDueList) dead_in_[list].push_back(DeadRef{h.index, gen_of(n)});
    if (--live_[list] == 0) {
        if (list < kDueList) occupied_[list / kSlotsPerLevel] &= ~(std::uint64_t{1} << (list % kSlotsPerLevel));
    } else if (list >= kSlotsPerLevel && list < kDueList && n.when == slot_min_[list]) {
        min_exact_[list] = false;
    }
    if (dead_ > size_ / 4 + sweep_slack_) sweep();
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

void TimerWheel::sweep() {
    // One pass over the pool, back to front: live nodes are pushed onto fresh lists (each list
    // ends up in ascending index order), dead and free ones onto the free list (so allocation
    // walks the pool upwards, neighbour after neighbour). Firing-batch nodes are in no list and
    // stay as they are. Slot minima come out exact as a by-product.
    std::fill(std::begin(heads_), std::end(heads_), kNil);
    std::fill(std::begin(slot_min_), std::end(slot_min_), std::numeric_limits<Time>::max());
    std::fill(std::begin(min_exact_), std::end(min_exact_), true);
    for (auto& d : dead_in_) d.clear();
    free_ = kNil;
    for (auto i = static_cast<std::uint32_t>(nodes_.size()); i-- > 0;) {
        Node& n = nodes_[i];
        const std::uint32_t list = list_of(n);
        if (list == kFiring) continue;
        if (list == kFree || list == kDead) {
            n.meta = (n.meta & ~kSlotMask) | kFree;
            n.next = free_;
            n.prev = kNil;
            free_ = i;
            continue;
        }
        n.prev = kNil;
        n.next = heads_[list];
        if (n.next != kNil) nodes_[n.next].prev = i;
        heads_[list] = i;
        if (list < kDueList) slot_min_[list] = std::min(slot_min_[list], n.when);
    }
    dead_ = 0;
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
    live_[slot] = 0;
    dead_in_[slot].clear();  // every dead node of the slot is freed below
    occupied_[slot / kSlotsPerLevel] &= ~(std::uint64_t{1} << (slot % kSlotsPerLevel));
    while (i != kNil) {
        const std::uint32_t next = nodes_[i].next;
        if (list_of(nodes_[i]) == kDead) free_dead(i);
        else place(i);  // strictly lower level (or due): the clock now shares this slot's prefix
        i = next;
    }
}

void TimerWheel::collect_due(Time limit) {
    std::uint32_t i = heads_[kDueList];
    while (i != kNil) {
        Node& n = nodes_[i];
        const std::uint32_t next = n.next;
        if (list_of(n) == kDead) {
            // Take the corpse off the due list (its neighbours are in the same list).
            if (n.prev != kNil) nodes_[n.prev].next = n.next;
            else heads_[kDueList] = n.next;
            if (n.next != kNil) nodes_[n.next].prev = n.prev;
            free_dead(i);
        } else if (n.when <= limit) {
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
    if (live_[kDueList] != 0) {
        // Due entries are all at or before the clock, hence before anything in the wheel.
        Time best = std::numeric_limits<Time>::max();
        for (std::uint32_t i = heads_[kDueList]; i != kNil; i = nodes_[i].next)
            if (list_of(nodes_[i]) == kDueList) best = std::min(best, nodes_[i].when);
        return best;
    }
    const std::uint32_t slot = first_slot();
    if (slot == kNil) return std::nullopt;
    if (slot < kSlotsPerLevel) return slot_start(slot);  // a level-0 slot with a live entry is one instant
    if (!min_exact_[slot]) {
        // Only after the slot's minimum was cancelled; the rescan is cached until that happens again.
        Time best = std::numeric_limits<Time>::max();
        for (std::uint32_t i = heads_[slot]; i != kNil; i = nodes_[i].next)
            if (list_of(nodes_[i]) == slot) best = std::min(best, nodes_[i].when);
        slot_min_[slot] = best;
        min_exact_[slot] = true;
    }
    return slot_min_[slot];
}

std::size_t TimerWheel::memory_bytes() const {
    std::size_t dead_refs = 0;
    for (const auto& d : dead_in_) dead_refs += d.capacity();
    return sizeof(*this) + nodes_.capacity() * sizeof(Node) + firing_.capacity() * sizeof(Firing) +
           dead_refs * sizeof(DeadRef);
}

static_assert(sizeof(TimerHandle) == 8);

}  // namespace cascade::vm
