// Timer structure benchmark: the runtime's TimerWheel against what an engineer would write first
// (std::multimap<int64, uint32>, cancel by iterator) and a std::priority_queue with lazy deletion.
//   bench_timers <wheel|multimap|pqueue> <pending> [ops]
// One structure and size per process, so the RSS delta (from /proc/self/statm) is not blurred by
// memory an earlier run left in the allocator. Prints one JSON object.
//   fill: schedule `pending` timers spread over 30 days (ns per schedule);
//   schedule+cancel: `ops` times, cancel a random pending timer and schedule a fresh one (size
//     stays at `pending`), ns per pair;
//   fire: step a virtual clock deadline to deadline until empty, firing everything; the
//     schedule+fire figure is (fill + fire) / pending.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <queue>
#include <string>
#include <tuple>
#include <vector>

#include <unistd.h>

#include "cascade/vm/timers.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::int64_t kStart = 1'790'000'000;
constexpr std::int64_t kSpan = 30LL * 86400;

struct Rng {  // xorshift64*: cheap enough not to dominate a 50 ns operation
    std::uint64_t s = 0x9E3779B97F4A7C15ull;
    std::uint64_t operator()() {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        return s * 0x2545F4914F6CDD1Dull;
    }
};

long rss_bytes() {
    long size = 0, resident = 0;
    if (FILE* f = std::fopen("/proc/self/statm", "r")) {
        if (std::fscanf(f, "%ld %ld", &size, &resident) != 2) resident = 0;
        std::fclose(f);
    }
    return resident * sysconf(_SC_PAGESIZE);
}

double ns_since(Clock::time_point t0) {
    return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
}

struct Result {
    double fill_ns = 0, pair_ns = 0, fire_ns = 0;
    double model_bytes = 0;  // what the structure says it holds, per pending timer
    long rss_delta = 0;
    std::uint64_t checksum = 0;  // keeps the optimizer honest; also equal across structures
};

Result run_wheel(std::size_t n, std::size_t ops) {
    Result r;
    Rng rng;
    const long rss0 = rss_bytes();
    cascade::vm::TimerWheel w(kStart);
    std::vector<cascade::vm::TimerHandle> handles(n);
    auto t0 = Clock::now();
    for (std::size_t i = 0; i < n; ++i)
        handles[i] = w.schedule(static_cast<std::uint32_t>(i), kStart + 1 + static_cast<std::int64_t>(rng() % kSpan));
    r.fill_ns = ns_since(t0);
    r.rss_delta = rss_bytes() - rss0 - static_cast<long>(handles.capacity() * sizeof(handles[0]));
    r.model_bytes = static_cast<double>(w.memory_bytes()) / static_cast<double>(n);
    t0 = Clock::now();
    for (std::size_t k = 0; k < ops; ++k) {
        const std::size_t i = rng() % n;
        w.cancel(handles[i]);
        handles[i] = w.schedule(static_cast<std::uint32_t>(i), kStart + 1 + static_cast<std::int64_t>(rng() % kSpan));
    }
    r.pair_ns = ns_since(t0);
    t0 = Clock::now();
    while (auto d = w.next_deadline())
        w.advance(*d, [&](std::uint32_t id, std::int64_t when) { r.checksum = r.checksum * 31 + id + static_cast<std::uint64_t>(when); });
    r.fire_ns = ns_since(t0);
    return r;
}

Result run_multimap(std::size_t n, std::size_t ops) {
    Result r;
    Rng rng;
    const long rss0 = rss_bytes();
    std::multimap<std::int64_t, std::uint32_t> m;
    using It = std::multimap<std::int64_t, std::uint32_t>::iterator;
    std::vector<It> handles(n);
    auto t0 = Clock::now();
    // Inserting at upper_bound keeps equal times in id order only if ids arrive in order; the
    // fair comparison is the plain insert an engineer would write.
    for (std::size_t i = 0; i < n; ++i)
        handles[i] = m.emplace(kStart + 1 + static_cast<std::int64_t>(rng() % kSpan), static_cast<std::uint32_t>(i));
    r.fill_ns = ns_since(t0);
    r.rss_delta = rss_bytes() - rss0 - static_cast<long>(handles.capacity() * sizeof(handles[0]));
    r.model_bytes = 48.0;  // libstdc++ red-black node: 32-byte header + 16-byte value
    t0 = Clock::now();
    for (std::size_t k = 0; k < ops; ++k) {
        const std::size_t i = rng() % n;
        m.erase(handles[i]);
        handles[i] = m.emplace(kStart + 1 + static_cast<std::int64_t>(rng() % kSpan), static_cast<std::uint32_t>(i));
    }
    r.pair_ns = ns_since(t0);
    t0 = Clock::now();
    while (!m.empty()) {
        const auto it = m.begin();
        r.checksum = r.checksum * 31 + it->second + static_cast<std::uint64_t>(it->first);
        m.erase(it);
    }
    r.fire_ns = ns_since(t0);
    return r;
}

Result run_pqueue(std::size_t n, std::size_t ops) {
    Result r;
    Rng rng;
    const long rss0 = rss_bytes();
    // (when, id, seq); cancel marks seq dead, pop skips dead entries.
    using E = std::tuple<std::int64_t, std::uint32_t, std::uint32_t>;
    std::vector<E> storage;
    storage.reserve(n);
    std::priority_queue<E, std::vector<E>, std::greater<E>> q(std::greater<E>{}, std::move(storage));
    std::vector<bool> dead;
    std::vector<std::uint32_t> handles(n);
    std::uint32_t seq = 0;
    auto push = [&](std::uint32_t id) {
        q.emplace(kStart + 1 + static_cast<std::int64_t>(rng() % kSpan), id, seq);
        dead.push_back(false);
        return seq++;
    };
    auto t0 = Clock::now();
    for (std::size_t i = 0; i < n; ++i) handles[i] = push(static_cast<std::uint32_t>(i));
    r.fill_ns = ns_since(t0);
    r.rss_delta = rss_bytes() - rss0 - static_cast<long>(handles.capacity() * sizeof(handles[0]));
    t0 = Clock::now();
    for (std::size_t k = 0; k < ops; ++k) {
        const std::size_t i = rng() % n;
        dead[handles[i]] = true;
        handles[i] = push(static_cast<std::uint32_t>(i));
    }
    r.pair_ns = ns_since(t0);
    // Dead entries still occupy the heap: that is the price of lazy deletion.
    r.model_bytes = static_cast<double>(q.size() * sizeof(E)) / static_cast<double>(n);
    t0 = Clock::now();
    while (!q.empty()) {
        const auto [when, id, s] = q.top();
        q.pop();
        if (dead[s]) continue;
        r.checksum = r.checksum * 31 + id + static_cast<std::uint64_t>(when);
    }
    r.fire_ns = ns_since(t0);
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: bench_timers <wheel|multimap|pqueue> <pending> [ops]\n");
        return 2;
    }
    const std::string which = argv[1];
    const std::size_t n = std::strtoull(argv[2], nullptr, 10);
    const std::size_t ops = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 2'000'000;
    if (n == 0 || n > 100'000'000) {
        std::fprintf(stderr, "pending must be in 1..100000000\n");
        return 2;
    }
    Result r;
    if (which == "wheel") r = run_wheel(n, ops);
    else if (which == "multimap") r = run_multimap(n, ops);
    else if (which == "pqueue") r = run_pqueue(n, ops);
    else {
        std::fprintf(stderr, "unknown structure '%s'\n", which.c_str());
        return 2;
    }
    const double dn = static_cast<double>(n);
    std::printf("{\"structure\":\"%s\",\"pending\":%zu,\"ops\":%zu,\"schedule_ns\":%.1f,\"schedule_cancel_ns\":%.1f,"
                "\"schedule_fire_ns\":%.1f,\"model_bytes_per_timer\":%.1f,\"rss_bytes_per_timer\":%.1f,\"checksum\":%llu}\n",
                which.c_str(), n, ops, r.fill_ns / dn, r.pair_ns / static_cast<double>(ops ? ops : 1),
                (r.fill_ns + r.fire_ns) / dn, r.model_bytes, static_cast<double>(r.rss_delta) / dn,
                static_cast<unsigned long long>(r.checksum));
    return 0;
}
