#pragma once
// The runtime's one timer structure: every wake-up of every instance (waits, `within` deadlines,
// quiet-hour resumes) is an entry here. It is a hierarchical timing wheel over int64 seconds
// (UTC instants): 11 levels of 64 slots cover the whole int64 range, so there is no overflow
// list and schedule/cancel are O(1). Occupancy bitmaps make "which slot is next" a count of
// trailing zeros, so next_deadline() never steps over empty slots, even years ahead.
//
// Determinism: advance() fires entries in (when, id) order — equal instants fire by ascending
// instance id — so two runs produce byte-identical traces.
//
// Memory: one 24-byte node per timer in a free-list pool (huge-page backed once large),
// intrusive doubly-linked slot lists with uint32 links; no per-entry heap allocation.
// Generations are 22 bits, so a handle kept across 4M reuses of the same node could alias; the
// VM drops handles on fire.
//
// Cancellation is lazy, because with millions of pending timers its cost is cache misses: an
// eager unlink touches the node and both list neighbours (random places in a pool of tens of
// MB). cancel() touches only the node: it bumps the generation (the handle goes stale at once)
// and marks the node dead, leaving it linked, and pushes it on its slot's stack of dead nodes.
// schedule() into a slot first revives the slot's most recently killed node in place — it is
// already linked there and usually still cached — so a cancel + schedule pair touches one cold
// node. Dead nodes are otherwise freed when their slot is cascaded or the due list collected,
// or by a sweep: once dead nodes exceed a quarter of the pending ones (plus a constant), one
// sequential pass over the pool rebuilds every list and the free list. So the pool holds at
// most ~1.25 nodes per pending timer (plus the constant). reschedule() unlinks eagerly.
//
// next_deadline() is exact: occupancy bits and per-slot counts cover live entries only, level 0
// slots are single instants, and higher slots keep their minimum (rescanned once only after
// that minimum itself is cancelled — exact, amortised).
#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <optional>
#include <vector>

namespace cascade::vm {

// A scheduled timer. The generation makes a handle to a fired or cancelled timer stale, so
// cancelling it twice (or after it fired) is a harmless no-op instead of corrupting a reused node.
struct TimerHandle {
    std::uint32_t index = std::numeric_limits<std::uint32_t>::max();
    std::uint32_t gen = 0;
    friend bool operator==(TimerHandle, TimerHandle) = default;
};

// Allocator for the node pool: blocks of 2 MiB and more are 2 MiB-aligned and advised as huge
// pages, so a random node access at millions of pending timers costs a cache miss, not also a
// page walk (a 4 KiB-page TLB covers a few MiB; the pool is 24 MB per million timers).
template <class T>
struct HugePageAllocator {
    using value_type = T;
    HugePageAllocator() = default;
    template <class U>
    HugePageAllocator(const HugePageAllocator<U>&) noexcept {}
    T* allocate(std::size_t n);
    void deallocate(T* p, std::size_t n) noexcept;
    template <class U>
    friend bool operator==(const HugePageAllocator&, const HugePageAllocator<U>&) noexcept { return true; }
};
void* huge_page_allocate(std::size_t bytes);
void huge_page_deallocate(void* p, std::size_t bytes) noexcept;
template <class T>
T* HugePageAllocator<T>::allocate(std::size_t n) {
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(huge_page_allocate(n * sizeof(T)));
}
template <class T>
void HugePageAllocator<T>::deallocate(T* p, std::size_t n) noexcept {
    huge_page_deallocate(p, n * sizeof(T));
}

class TimerWheel {
public:
    using Time = std::int64_t;  // seconds, UTC
    using Id = std::uint32_t;   // instance index

    // `start` is the wheel's current time; entries at or before it are due at the next advance().
    explicit TimerWheel(Time start = 0);

    TimerHandle schedule(Id id, Time when);
    // False when the handle is stale (already fired, cancelled, or never issued).
    bool cancel(TimerHandle h);
    // Moves a pending timer to a new instant in place; the handle stays valid. False when stale.
    bool reschedule(TimerHandle h, Time when);
    bool pending(TimerHandle h) const;
    // The instant a pending timer fires at; nothing when the handle is stale.
    std::optional<Time> deadline(TimerHandle h) const;

    // Fires every entry with when <= now, in (when, id) order, calling cb(id, when). The clock
    // steps event to event, so a callback may schedule (even at or before `now`, which fires in
    // this same call after the current batch) and cancel (including not-yet-fired entries of the
    // current batch). Time never goes backwards: a `now` before the current time fires only what
    // is already due. Callbacks must not call advance() themselves. Returns the number fired.
    template <class Callback>
    std::size_t advance(Time now, Callback&& cb) {
        return advance(now, cb, [](std::uint32_t, int) {});
    }
    // The same, and ahead(id, distance) is called for the entries kAheadFar and kAheadNear places
    // after the one about to fire (distance 2 and 1), which may have been cancelled meanwhile: a
    // host starts loading their state, so a batch of wake-ups on random instances waits less
    // on memory. It must not change anything.
    static constexpr std::size_t kAheadFar = 8, kAheadNear = 3;
    template <class Callback, class Ahead>
    std::size_t advance(Time now, Callback&& cb, Ahead&& ahead);

    // The earliest pending instant, or nothing when empty. Exact (not a slot boundary).
    std::optional<Time> next_deadline() const;

    // Calls f(id, when) for every pending timer, in no particular order (snapshots).
    template <class F>
    void for_each_pending(F&& f) const {
        for (const Node& n : nodes_)
            if (list_of(n) < kLists) f(n.id, n.when);
    }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    Time now() const { return now_; }

    // Bytes held: the node pool's capacity, the slot arrays and the firing buffer.
    std::size_t memory_bytes() const;
    void reserve(std::size_t n) { nodes_.reserve(n); }
    // Dead nodes tolerated beyond a quarter of the pending ones before a sweep (default
    // kSweepSlack); tests lower it to make sweeps frequent.
    void set_sweep_slack(std::size_t n) { sweep_slack_ = n; }

    static constexpr std::size_t kKeepFiring = 4096;  // firing-buffer entries kept between batches
    static constexpr int kLevelBits = 6;
    static constexpr int kSlotsPerLevel = 1 << kLevelBits;
    static constexpr int kLevels = 11;  // 11 * 6 >= 64 bits
    static constexpr std::uint32_t kNil = std::numeric_limits<std::uint32_t>::max();

private:
    // 24 bytes: the timer itself plus its links. `meta` packs the list it is in (a wheel slot,
    // the due list, the firing batch, dead, or free) in the low 10 bits and the generation above.
    // A dead node is still physically linked in the list it was in when cancelled.
    struct Node {
        Time when;
        Id id;
        std::uint32_t next;
        std::uint32_t prev;
        std::uint32_t meta;
    };
    static_assert(sizeof(Node) == 24, "the per-timer budget is 24 bytes");
    static constexpr std::uint32_t kSlotBits = 10;
    static constexpr std::uint32_t kSlotMask = (1u << kSlotBits) - 1;
    static constexpr std::uint32_t kDueList = kLevels * kSlotsPerLevel;  // 704
    static constexpr std::uint32_t kFiring = kDueList + 1;
    static constexpr std::uint32_t kFree = kDueList + 2;
    static constexpr std::uint32_t kDead = kDueList + 3;
    static_assert(kDead <= kSlotMask);
    // Dead nodes tolerated beyond a quarter of the pending ones before a sweep, so small wheels
    // do not sweep on every other cancel.
    static constexpr std::size_t kSweepSlack = 1024;
    static constexpr std::uint32_t kLists = kDueList + 1;  // wheel slots + due list have heads

    struct Firing {
        Time when;
        Id id;
        std::uint32_t index;
        std::uint32_t gen;
    };

    static std::uint32_t list_of(const Node& n) { return n.meta & kSlotMask; }
    static std::uint32_t gen_of(const Node& n) { return n.meta >> kSlotBits; }
    // Order-preserving map of a signed instant to unsigned, so bit groups compare like times.
    static std::uint64_t key(Time t) { return static_cast<std::uint64_t>(t) ^ (std::uint64_t{1} << 63); }
    static Time from_key(std::uint64_t k) { return static_cast<Time>(k ^ (std::uint64_t{1} << 63)); }

    std::uint32_t alloc();
    void release(std::uint32_t i);
    void link(std::uint32_t i, std::uint32_t list);
    void unlink(std::uint32_t i);
    void place(std::uint32_t i);  // into the due list or the slot its `when` belongs to
    std::uint32_t list_for(Time when) const;  // the due list or the slot `when` belongs to
    void count_live(std::uint32_t list, Time when);  // bookkeeping for one more live entry
    void free_dead(std::uint32_t i);  // a dead node just taken off its list joins the free list
    // Rebuilds every list without its dead nodes in one pass over the pool (see the top).
    void sweep();
    // The lowest non-empty wheel slot (level * 64 + slot), or kNil.
    std::uint32_t first_slot() const;
    Time slot_start(std::uint32_t slot) const;
    // Moves the clock to the start of `slot` and redistributes its entries one level down.
    void cascade(std::uint32_t slot);
    // Moves due entries with when <= limit into firing_, sorted by (when, id).
    void collect_due(Time limit);

    std::vector<Node, HugePageAllocator<Node>> nodes_;
    std::uint32_t free_ = kNil;
    std::uint32_t heads_[kLists];
    // Live (not dead) entries per list; a wheel slot's occupancy bit is set iff its count > 0.
    std::uint32_t live_[kLists] = {};
    std::uint64_t occupied_[kLevels] = {};
    // Per wheel slot above level 0: a lower bound of the entries' `when`, exact unless the
    // minimum was cancelled (then `min_exact_` is false and next_deadline() rescans once).
    mutable Time slot_min_[kDueList];
    mutable bool min_exact_[kDueList];
    std::vector<Firing> firing_;
    // Per wheel slot: dead nodes still linked there, most recent last, with their generation
    // (so reviving one needs no read of the cold node). Cleared when the slot is cascaded.
    struct DeadRef {
        std::uint32_t index;
        std::uint32_t gen;
    };
    std::vector<DeadRef> dead_in_[kDueList];
    Time now_;
    std::size_t size_ = 0;
    std::size_t dead_ = 0;  // cancelled nodes still linked
    std::size_t sweep_slack_ = kSweepSlack;
};

template <class Callback, class Ahead>
std::size_t TimerWheel::advance(Time now, Callback&& cb, Ahead&& ahead) {
    std::size_t fired = 0;
    if (now < now_) now = now_;  // the clock never goes backwards
    for (;;) {
        if (heads_[kDueList] != kNil) {
            collect_due(now);
            if (!firing_.empty()) {
                // Entries are still owned (kFiring) so a callback may cancel a later one of
                // this batch; each is freed just before its callback runs.
                for (std::size_t k = 0; k < firing_.size(); ++k) {
                    if (k + kAheadFar < firing_.size()) ahead(firing_[k + kAheadFar].id, 2);
                    if (k + kAheadNear < firing_.size()) ahead(firing_[k + kAheadNear].id, 1);
                    const Firing f = firing_[k];
                    Node& n = nodes_[f.index];
                    if (gen_of(n) != f.gen || list_of(n) != kFiring) continue;  // cancelled meanwhile
                    release(f.index);
                    --size_;
                    ++fired;
                    cb(f.id, f.when);
                }
                firing_.clear();
                // A million-timer batch (everyone's "wait 1h" ending at once) must not leave a
                // million-entry buffer behind for the rest of the run.
                if (firing_.capacity() > kKeepFiring) std::vector<Firing>().swap(firing_);
                continue;
            }
        }
        const std::uint32_t slot = first_slot();
        if (slot == kNil || slot_start(slot) > now) break;
        cascade(slot);
    }
    now_ = now;
    return fired;
}

}  // namespace cascade::vm
