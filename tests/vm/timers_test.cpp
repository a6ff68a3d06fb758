// The timing wheel against its contract: (when, id) order, cancel/reschedule, far-future and
// past deadlines, exact next_deadline, lazy cancellation (revived nodes, sweeps, bounded memory),
// and randomized differential tests against an ordered-map model, one with re-entrant callbacks.
#define BOOST_TEST_MODULE vm_timers
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include "cascade/vm/timers.hpp"

using cascade::vm::TimerHandle;
using cascade::vm::TimerWheel;
using Fired = std::vector<std::pair<std::int64_t, std::uint32_t>>;

namespace {
Fired run(TimerWheel& w, std::int64_t now) {
    Fired out;
    w.advance(now, [&](std::uint32_t id, std::int64_t when) { out.emplace_back(when, id); });
    return out;
}
constexpr std::int64_t kYear = 365LL * 24 * 3600;
constexpr std::int64_t k2026 = 1'790'000'000;  // a 2026 UTC instant
}  // namespace

BOOST_AUTO_TEST_CASE(equal_times_fire_by_id) {
    TimerWheel w(k2026);
    for (std::uint32_t id : {7u, 3u, 9u, 1u, 5u}) w.schedule(id, k2026 + 100);
    w.schedule(2, k2026 + 50);
    w.schedule(8, k2026 + 100 + 64 * 64);  // a different level, same low bits
    BOOST_TEST(w.size() == 7u);
    const Fired f = run(w, k2026 + 100);
    const Fired want{{k2026 + 50, 2}, {k2026 + 100, 1}, {k2026 + 100, 3}, {k2026 + 100, 5},
                     {k2026 + 100, 7}, {k2026 + 100, 9}};
    BOOST_TEST(f == want);
    BOOST_TEST(w.size() == 1u);
    BOOST_TEST(w.now() == k2026 + 100);
    BOOST_TEST(*w.next_deadline() == k2026 + 100 + 64 * 64);
}

BOOST_AUTO_TEST_CASE(cancel_and_reschedule) {
    TimerWheel w(0);
    const TimerHandle a = w.schedule(1, 10);
    const TimerHandle b = w.schedule(2, 20);
    const TimerHandle c = w.schedule(3, 30);
    BOOST_TEST(w.cancel(b));
    BOOST_TEST(!w.cancel(b));  // stale: no-op
    BOOST_TEST(!w.pending(b));
    BOOST_TEST(w.reschedule(c, 5));
    BOOST_TEST(w.pending(c));
    BOOST_TEST(*w.next_deadline() == 5);
    const Fired f = run(w, 100);
    BOOST_TEST((f == Fired{{5, 3}, {10, 1}}));
    BOOST_TEST(!w.cancel(a));  // fired: stale
    BOOST_TEST(!w.reschedule(a, 200));
    BOOST_TEST(w.empty());
    BOOST_TEST(!w.next_deadline());
    BOOST_TEST(!w.cancel(TimerHandle{}));
    // A reused node does not revive the old handle.
    const TimerHandle d = w.schedule(4, 300);
    BOOST_TEST(!w.cancel(b));
    BOOST_TEST(w.pending(d));
}

BOOST_AUTO_TEST_CASE(far_future_and_extremes) {
    TimerWheel w(k2026);
    w.schedule(1, k2026 + 30 * kYear + 17);
    w.schedule(2, INT64_MAX);
    BOOST_TEST(*w.next_deadline() == k2026 + 30 * kYear + 17);
    BOOST_TEST(run(w, k2026 + 30 * kYear + 16).empty());
    BOOST_TEST(*w.next_deadline() == k2026 + 30 * kYear + 17);
    BOOST_TEST((run(w, k2026 + 30 * kYear + 17) == Fired{{k2026 + 30 * kYear + 17, 1}}));
    BOOST_TEST(*w.next_deadline() == INT64_MAX);
    BOOST_TEST((run(w, INT64_MAX) == Fired{{INT64_MAX, 2}}));
    TimerWheel neg(INT64_MIN);
    neg.schedule(3, -5);
    neg.schedule(4, INT64_MIN + 1);
    BOOST_TEST(*neg.next_deadline() == INT64_MIN + 1);
    BOOST_TEST((run(neg, 0) == Fired{{INT64_MIN + 1, 4}, {-5, 3}}));
}

BOOST_AUTO_TEST_CASE(past_deadlines_fire_at_once) {
    TimerWheel w(1000);
    w.schedule(2, 999);
    w.schedule(1, 10);
    w.schedule(3, 1000);
    BOOST_TEST(*w.next_deadline() == 10);
    BOOST_TEST((run(w, 1000) == Fired{{10, 1}, {999, 2}, {1000, 3}}));
    // Time never goes backwards, but what is due still fires.
    w.schedule(5, 500);
    BOOST_TEST((run(w, 0) == Fired{{500, 5}}));
    BOOST_TEST(w.now() == 1000);
}

BOOST_AUTO_TEST_CASE(callbacks_schedule_and_cancel) {
    TimerWheel w(0);
    TimerHandle later = w.schedule(2, 10);
    w.schedule(1, 10);
    w.schedule(3, 40);
    Fired out;
    w.advance(100, [&](std::uint32_t id, std::int64_t when) {
        out.emplace_back(when, id);
        if (id == 1) {
            BOOST_TEST(w.cancel(later));   // same batch, not yet fired
            w.schedule(4, when + 5);       // inside this advance: fires in order
            w.schedule(5, when - 3);       // in the past: fires right after this batch
        }
    });
    BOOST_TEST((out == Fired{{10, 1}, {7, 5}, {15, 4}, {40, 3}}));
    BOOST_TEST(w.empty());
}

BOOST_AUTO_TEST_CASE(next_deadline_after_cancelling_the_minimum) {
    TimerWheel w(0);
    // All in one level-3 slot (4096..262143 seconds away share a slot only by prefix).
    std::vector<TimerHandle> hs;
    for (int i = 0; i < 50; ++i) hs.push_back(w.schedule(static_cast<std::uint32_t>(i), 300000 + i * 7));
    BOOST_TEST(*w.next_deadline() == 300000);
    for (int i = 0; i < 49; ++i) {
        BOOST_TEST(w.cancel(hs[static_cast<std::size_t>(i)]));
        BOOST_TEST(*w.next_deadline() == 300000 + (i + 1) * 7);
    }
}

BOOST_AUTO_TEST_CASE(differential_against_multimap) {
    std::mt19937_64 rng(20261123);
    TimerWheel w(k2026);
    // Reference: (when, id) -> live; handles map 1:1 to keys because ids are unique here.
    std::map<std::pair<std::int64_t, std::uint32_t>, TimerHandle> ref;
    std::vector<std::pair<std::int64_t, std::uint32_t>> keys;
    std::int64_t now = k2026;
    std::uint32_t next_id = 0;
    auto random_when = [&]() -> std::int64_t {
        switch (rng() % 6) {
        case 0: return now - static_cast<std::int64_t>(rng() % 100);        // past
        case 1: return now + static_cast<std::int64_t>(rng() % 64);         // level 0
        case 2: return now + static_cast<std::int64_t>(rng() % 86400);      // a day
        case 3: return now + static_cast<std::int64_t>(rng() % (30 * 86400));
        case 4: return now + static_cast<std::int64_t>(rng() % (5 * kYear));
        default: return now + static_cast<std::int64_t>(rng() % 8);        // many equal times
        }
    };
    for (int op = 0; op < 100000; ++op) {
        const auto r = rng() % 100;
        if (r < 45) {
            const std::int64_t when = random_when();
            const std::uint32_t id = next_id++;
            ref.emplace(std::make_pair(when, id), w.schedule(id, when));
            keys.emplace_back(when, id);
        } else if (r < 65 && !keys.empty()) {
            const std::size_t k = rng() % keys.size();
            const auto it = ref.find(keys[k]);
            const bool live = it != ref.end();
            if (live) {
                BOOST_REQUIRE(w.cancel(it->second));
                ref.erase(it);
            }
            keys[k] = keys.back();
            keys.pop_back();
        } else if (r < 75 && !keys.empty()) {
            const std::size_t k = rng() % keys.size();
            const auto it = ref.find(keys[k]);
            if (it != ref.end()) {
                const std::int64_t when = random_when();
                const TimerHandle h = it->second;
                BOOST_REQUIRE(w.reschedule(h, when));
                const std::uint32_t id = it->first.second;
                ref.erase(it);
                ref.emplace(std::make_pair(when, id), h);
                keys[k] = {when, id};
            }
        } else if (r < 95) {
            const auto nd = w.next_deadline();
            BOOST_REQUIRE_EQUAL(nd.has_value(), !ref.empty());
            if (nd) BOOST_REQUIRE_EQUAL(*nd, ref.begin()->first.first);
        } else {
            now += static_cast<std::int64_t>(rng() % (r == 99 ? 40 * 86400 : 3600));
            Fired want;
            while (!ref.empty() && ref.begin()->first.first <= now) {
                want.push_back(ref.begin()->first);
                ref.erase(ref.begin());
            }
            const Fired got = run(w, now);
            BOOST_REQUIRE(got == want);
        }
        BOOST_REQUIRE_EQUAL(w.size(), ref.size());
    }
    BOOST_TEST(w.memory_bytes() > 0u);
}

BOOST_AUTO_TEST_CASE(revived_node_keeps_old_handle_stale) {
    // A cancelled node stays linked and is revived by the next schedule into its slot: same
    // index, new generation. The old handle must stay stale and the new one must work.
    TimerWheel w(0);
    const TimerHandle a = w.schedule(1, 100000);
    const TimerHandle keep = w.schedule(9, 100500);
    BOOST_TEST(w.cancel(a));
    const TimerHandle b = w.schedule(2, 100001);  // same level-2 slot as `a`
    BOOST_TEST(b.index == a.index);
    BOOST_TEST(b.gen != a.gen);
    BOOST_TEST(!w.pending(a));
    BOOST_TEST(!w.cancel(a));
    BOOST_TEST(!w.reschedule(a, 5));
    BOOST_TEST(w.pending(b));
    BOOST_TEST(*w.next_deadline() == 100001);
    BOOST_TEST(w.reschedule(b, 200000));
    BOOST_TEST(*w.next_deadline() == 100500);
    BOOST_TEST((run(w, 300000) == Fired{{100500, 9}, {200000, 2}}));
    BOOST_TEST(!w.pending(keep));
    BOOST_TEST(w.empty());
}

BOOST_AUTO_TEST_CASE(churn_keeps_memory_bounded_and_deadlines_exact) {
    // Cancel far timers, schedule near ones: dead nodes pile up in slots that get no new entries,
    // so only sweeps reclaim them. The pool must stay near the pending count.
    std::mt19937_64 rng(7);
    TimerWheel w(0);
    std::map<std::pair<std::int64_t, std::uint32_t>, TimerHandle> ref;
    std::vector<std::pair<std::int64_t, std::uint32_t>> keys;
    std::uint32_t id = 0;
    for (int i = 0; i < 5000; ++i) {
        const std::int64_t when = 1'000'000 + static_cast<std::int64_t>(rng() % 1'000'000);
        ref.emplace(std::make_pair(when, id), w.schedule(id, when));
        keys.emplace_back(when, id++);
    }
    const std::size_t fresh = w.memory_bytes();
    for (int op = 0; op < 200000; ++op) {
        const std::size_t k = rng() % keys.size();
        const auto it = ref.find(keys[k]);
        BOOST_REQUIRE(w.cancel(it->second));
        BOOST_REQUIRE(!w.cancel(it->second));
        ref.erase(it);
        // Mostly near (slots the far cancels do not refill), so revival cannot absorb the dead.
        const std::int64_t when = op % 4 == 0 ? 1'000'000 + static_cast<std::int64_t>(rng() % 1'000'000)
                                              : 10 + static_cast<std::int64_t>(rng() % 200'000);
        ref.emplace(std::make_pair(when, id), w.schedule(id, when));
        keys[k] = {when, id++};
        if (op % 997 == 0) BOOST_REQUIRE_EQUAL(*w.next_deadline(), ref.begin()->first.first);
    }
    BOOST_TEST(w.size() == 5000u);
    BOOST_TEST(w.memory_bytes() < fresh + 5000 * 24 + 64 * 1024);
    Fired want;
    for (const auto& [k, h] : ref) want.push_back(k);
    BOOST_TEST(run(w, 3'000'000) == want);
    BOOST_TEST(w.empty());
    BOOST_TEST(!w.next_deadline());
}

BOOST_AUTO_TEST_CASE(differential_with_reentrant_callbacks) {
    // Callbacks cancel random pending timers (including later ones of the same batch), schedule
    // new ones after the advance target, and reschedule; every fired entry must be the model's
    // minimum at that moment, and next_deadline() must match the model between advances.
    std::mt19937_64 rng(424242);
    TimerWheel w(k2026);
    w.set_sweep_slack(16);  // sweep often, also from inside callbacks
    std::map<std::pair<std::int64_t, std::uint32_t>, TimerHandle> ref;
    std::vector<std::pair<std::int64_t, std::uint32_t>> keys;  // may hold fired/cancelled keys
    std::int64_t now = k2026;
    std::uint32_t next_id = 0;
    auto random_after = [&](std::int64_t t) -> std::int64_t {
        switch (rng() % 5) {
        case 0: return t + 1 + static_cast<std::int64_t>(rng() % 64);
        case 1: return t + 1 + static_cast<std::int64_t>(rng() % 86400);
        case 2: return t + 1 + static_cast<std::int64_t>(rng() % (30 * 86400));
        case 3: return t + 1 + static_cast<std::int64_t>(rng() % (3 * kYear));
        default: return t + 1 + static_cast<std::int64_t>(rng() % 4);
        }
    };
    auto add = [&](std::int64_t when) {
        const std::uint32_t id = next_id++;
        ref.emplace(std::make_pair(when, id), w.schedule(id, when));
        keys.emplace_back(when, id);
    };
    auto cancel_random = [&]() {
        if (keys.empty()) return;
        const std::size_t k = rng() % keys.size();
        const auto it = ref.find(keys[k]);
        if (it != ref.end()) {
            BOOST_REQUIRE(w.cancel(it->second));
            BOOST_REQUIRE(!w.pending(it->second));
            ref.erase(it);
        }
        keys[k] = keys.back();
        keys.pop_back();
    };
    auto reschedule_random = [&](std::int64_t after) {
        if (keys.empty()) return;
        const std::size_t k = rng() % keys.size();
        const auto it = ref.find(keys[k]);
        if (it == ref.end()) return;
        const std::int64_t when = random_after(after);
        const TimerHandle h = it->second;
        BOOST_REQUIRE(w.reschedule(h, when));
        const std::uint32_t id = it->first.second;
        ref.erase(it);
        ref.emplace(std::make_pair(when, id), h);
        keys[k] = {when, id};
    };
    for (int op = 0; op < 60000; ++op) {
        const auto r = rng() % 100;
        if (r < 40) {
            add(random_after(now) - (rng() % 8 == 0 ? 50 : 0));  // some already due
        } else if (r < 65) {
            cancel_random();
        } else if (r < 72) {
            reschedule_random(now);
        } else if (r < 90) {
            const auto nd = w.next_deadline();
            BOOST_REQUIRE_EQUAL(nd.has_value(), !ref.empty());
            if (nd) BOOST_REQUIRE_EQUAL(*nd, ref.begin()->first.first);
        } else {
            now += static_cast<std::int64_t>(rng() % (r == 99 ? 40 * 86400 : 7200));
            const std::int64_t target = now;
            std::size_t fired = 0;
            const std::size_t n = w.advance(target, [&](std::uint32_t id, std::int64_t when) {
                BOOST_REQUIRE(!ref.empty());
                const auto first = ref.begin()->first;
                BOOST_REQUIRE_EQUAL(first.first, when);
                BOOST_REQUIRE_EQUAL(first.second, id);
                BOOST_REQUIRE(when <= target);
                BOOST_REQUIRE(!w.pending(ref.begin()->second));  // stale once fired
                ref.erase(ref.begin());
                ++fired;
                switch (rng() % 6) {
                case 0: cancel_random(); break;
                case 1: cancel_random(); cancel_random(); break;
                case 2: add(random_after(target)); break;
                case 3: reschedule_random(target); break;
                default: break;
                }
            });
            BOOST_REQUIRE_EQUAL(n, fired);
            BOOST_REQUIRE(ref.empty() || ref.begin()->first.first > target);
        }
        BOOST_REQUIRE_EQUAL(w.size(), ref.size());
    }
    // Memory stays bounded despite ~15,000 cancellations: well under 64 bytes per entry ever live.
    BOOST_TEST(w.memory_bytes() < sizeof(TimerWheel) + 64u * next_id);
}
