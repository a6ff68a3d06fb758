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
// Memory: one 24-byte node per pending timer in a free-list pool (a std::vector), intrusive
// doubly-linked slot lists with uint32 links; no per-entry heap allocation. Generations are 22 bits,
// so a handle kept across 4M reuses of the same node could alias; the VM drops handles on fire.
//
// next_deadline() is exact: level 0 slots are single instants, and higher slots keep their
// minimum (rescanned once only after that minimum itself is cancelled).
#include <cstddef>
#include <cstdint>
#include <limits>
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

    // Fires every entry with when <= now, in (when, id) order, calling cb(id, when). The clock
    // steps event to event, so a callback may schedule (even at or before `now`, which fires in
    // this same call after the current batch) and cancel (including not-yet-fired entries of the
    // current batch). Time never goes backwards: a `now` before the current time fires only what
    // is already due. Callbacks must not call advance() themselves. Returns the number fired.
    template <class Callback>
    std::size_t advance(Time now, Callback&& cb);

    // The earliest pending instant, or nothing when empty. Exact (not a slot boundary).
    std::optional<Time> next_deadline() const;

    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    Time now() const { return now_; }

    // Bytes held: the node pool's capacity, the slot arrays and the firing buffer.
    std::size_t memory_bytes() const;
    void reserve(std::size_t n) { nodes_.reserve(n); }

    static constexpr int kLevelBits = 6;
    static constexpr int kSlotsPerLevel = 1 << kLevelBits;
    static constexpr int kLevels = 11;  // 11 * 6 >= 64 bits
    static constexpr std::uint32_t kNil = std::numeric_limits<std::uint32_t>::max();

private:
    // 24 bytes: the timer itself plus its links. `meta` packs the list it is in (a wheel slot,
    // the due list, the firing batch, or free) in the low 10 bits and the generation above.
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
    // The lowest non-empty wheel slot (level * 64 + slot), or kNil.
    std::uint32_t first_slot() const;
    Time slot_start(std::uint32_t slot) const;
    // Moves the clock to the start of `slot` and redistributes its entries one level down.
    void cascade(std::uint32_t slot);
    // Moves due entries with when <= limit into firing_, sorted by (when, id).
    void collect_due(Time limit);

    std::vector<Node> nodes_;
    std::uint32_t free_ = kNil;
    std::uint32_t heads_[kLists];
    std::uint64_t occupied_[kLevels] = {};
    // Per wheel slot above level 0: a lower bound of the entries' `when`, exact unless the
    // minimum was cancelled (then `min_exact_` is false and next_deadline() rescans once).
    mutable Time slot_min_[kDueList];
    mutable bool min_exact_[kDueList];
    std::vector<Firing> firing_;
    Time now_;
    std::size_t size_ = 0;
};

template <class Callback>
std::size_t TimerWheel::advance(Time now, Callback&& cb) {
    std::size_t fired = 0;
    if (now < now_) now = now_;  // the clock never goes backwards
    for (;;) {
        if (heads_[kDueList] != kNil) {
            collect_due(now);
            if (!firing_.empty()) {
                // Entries are still owned (kFiring) so a callback may cancel a later one of
                // this batch; each is freed just before its callback runs.
                for (std::size_t k = 0; k < firing_.size(); ++k) {
                    const Firing f = firing_[k];
                    Node& n = nodes_[f.index];
                    if (gen_of(n) != f.gen || list_of(n) != kFiring) continue;  // cancelled meanwhile
                    release(f.index);
                    --size_;
                    ++fired;
                    cb(f.id, f.when);
                }
                firing_.clear();
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
