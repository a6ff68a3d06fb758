// The store's speed (issue 6, items 3 and 7): durably acknowledged appends per second with
// sync = full — one waiter at a time, 64 concurrent waiters (group commit), batches of 500 —,
// the acknowledgement latency of single appends, replay speed, and snapshot save/load speed
// (file beside the database, as the store does it, against the same bytes as an SQLite blob
// written in chunks with sqlite3_blob, the alternative the design weighed). Loading a snapshot
// is timed up to one pass over the bytes (a decoder reads each once) in both cases; the store
// maps the file with MAP_POPULATE, the blob is read into a buffer.
//
// Usage: bench_store DIR MODE [N]
//   MODE: single | concurrent | batch [inputs, 200,000] | replay [inputs, 1,000,000] |
//         snapshot [MB, 256] | all (the defaults)
// Prints one JSON line per measurement. DIR is emptied first.
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "cascade/store/store.hpp"

namespace fs = std::filesystem;
using namespace cascade::store;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A track event as the HTTP layer would log it (about 170 bytes), with a Segment messageId.
NewInput event(std::int64_t n) {
  return NewInput{"event", 1'763'000'000'000 + n, fmt::format("evt-{:012}", n),
                  fmt::format(R"({{"type":"cart_abandoned","recipient":"user-{:08}","at":"2026-11-23T03:00:00Z",)"
                              R"("properties":{{"cart_value":129.90,"items":3,"currency":"EUR","sku":"SKU-{}"}}}})",
                              n % 1'000'000, n % 9973)};
}

std::unique_ptr<Store> fresh(const fs::path& dir, Sync sync = Sync::full) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  auto s = Store::open(dir, Options{.sync = sync});
  if (!s) {
    std::fprintf(stderr, "bench_store: %s\n", s.error().message.c_str());
    std::exit(1);
  }
  return std::move(s.value());
}

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "bench_store: %s failed\n", what);
    std::exit(1);
  }
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// `waiters` threads, each appending one input at a time and waiting for its commit, for `secs`.
void appends(const fs::path& dir, int waiters, double secs, const char* name) {
  auto s = fresh(dir);
  std::atomic<std::int64_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex m;
  std::vector<double> lat_us;
  std::vector<std::thread> threads;
  const auto t0 = Clock::now();
  for (int w = 0; w < waiters; ++w) {
    threads.emplace_back([&] {
      std::vector<double> mine;
      while (!stop.load(std::memory_order_relaxed)) {
        const auto a = Clock::now();
        auto r = s->append({event(next.fetch_add(1))});
        require(r.ok(), "append");
        mine.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
      }
      std::lock_guard lk(m);
      lat_us.insert(lat_us.end(), mine.begin(), mine.end());
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(secs));
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = seconds_since(t0);
  const Stats st = s->stats();
  std::printf("%s\n", fmt::format(R"({{"bench":"store_{}","sync":"full","waiters":{},"inputs":{},"seconds":{:.2f},)"
                                  R"("inputs_per_s":{:.0f},"transactions":{},"inputs_per_transaction":{:.1f},)"
                                  R"("p50_us":{:.0f},"p99_us":{:.0f}}})",
                                  name, waiters, lat_us.size(), elapsed, static_cast<double>(lat_us.size()) / elapsed,
                                  st.transactions,
                                  static_cast<double>(st.inputs) / static_cast<double>(std::max<std::uint64_t>(1, st.transactions)),
                                  percentile(lat_us, 0.50), percentile(lat_us, 0.99))
                          .c_str());
  std::fflush(stdout);
}

// Batches of 500 from `waiters` threads (one HTTP NDJSON batch each).
void batches(const fs::path& dir, std::int64_t total, int waiters) {
  auto s = fresh(dir);
  constexpr int kBatch = 500;
  std::atomic<std::int64_t> next{0};
  std::vector<double> lat_us;
  std::mutex m;
  const auto t0 = Clock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < waiters; ++w) {
    threads.emplace_back([&] {
      for (;;) {
        const std::int64_t first = next.fetch_add(kBatch);
        if (first >= total) break;
        std::vector<NewInput> b;
        b.reserve(kBatch);
        for (int i = 0; i < kBatch; ++i) b.push_back(event(first + i));
        const auto a = Clock::now();
        auto r = s->append(std::move(b));
        require(r.ok(), "append batch");
        std::lock_guard lk(m);
        lat_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - a).count());
      }
    });
  }
  for (auto& t : threads) t.join();
  const double elapsed = seconds_since(t0);
  const Stats st = s->stats();
  std::printf("%s\n", fmt::format(R"({{"bench":"store_batch","sync":"full","batch":{},"waiters":{},"inputs":{},)"
                                  R"("seconds":{:.2f},"inputs_per_s":{:.0f},"transactions":{},"p50_batch_ms":{:.1f},)"
                                  R"("p99_batch_ms":{:.1f}}})",
                                  kBatch, waiters, st.inputs, elapsed, static_cast<double>(st.inputs) / elapsed,
                                  st.transactions, percentile(lat_us, 0.5) / 1000, percentile(lat_us, 0.99) / 1000)
                          .c_str());
  std::fflush(stdout);
}

void replay(const fs::path& dir, std::int64_t n) {
  auto s = fresh(dir, Sync::normal);  // filling is not what is measured
  const auto t_fill = Clock::now();
  constexpr std::int64_t kChunk = 20'000;
  for (std::int64_t first = 0; first < n; first += kChunk) {
    std::vector<NewInput> b;
    for (std::int64_t i = first; i < std::min(n, first + kChunk); ++i) b.push_back(event(i));
    require(s->append(std::move(b)).ok(), "fill");
  }
  const double fill = seconds_since(t_fill);
  s.reset();
  // A restart: open the store again and read the whole log, touching every body.
  const auto t0 = Clock::now();
  auto r = Store::open(dir);
  require(r.ok(), "reopen");
  std::uint64_t bytes = 0, sum = 0;
  auto count = r.value()->replay(0, [&](const InputView& v) {
    bytes += v.body.size();
    sum += static_cast<unsigned char>(v.body.back()) + static_cast<std::uint64_t>(v.at);
    return true;
  });
  require(count.ok() && count.value() == n, "replay");
  const double secs = seconds_since(t0);
  std::printf("%s\n", fmt::format(R"({{"bench":"store_replay","inputs":{},"seconds":{:.3f},"inputs_per_s":{:.0f},)"
                                  R"("body_mb_per_s":{:.0f},"fill_inputs_per_s_sync_normal":{:.0f},"db_mb":{:.0f},"check":{}}})",
                                  n, secs, static_cast<double>(n) / secs, static_cast<double>(bytes) / 1e6 / secs,
                                  static_cast<double>(n) / fill,
                                  static_cast<double>(fs::file_size(dir / "cascade.db")) / 1e6, sum % 10)
                          .c_str());
  std::fflush(stdout);
}

std::uint64_t word_sum(std::span<const std::uint8_t> b) {
  std::uint64_t sum = 0, w = 0;
  for (std::size_t i = 0; i + 8 <= b.size(); i += 8) {
    std::memcpy(&w, b.data() + i, 8);
    sum += w;
  }
  return sum;
}

// The alternative to snapshot files: the blob in SQLite, written and read in 4 MB chunks with
// sqlite3_blob (no second copy in memory), with synchronous = FULL, then a checkpoint (the
// bytes are written twice: WAL, then the database).
std::pair<double, double> blob_in_sqlite(const fs::path& dir, const std::vector<std::uint8_t>& bytes) {
  sqlite3* db = nullptr;
  require(sqlite3_open((dir / "blob.db").c_str(), &db) == SQLITE_OK, "open blob db");
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE s(id INTEGER PRIMARY KEY, b BLOB);",
               nullptr, nullptr, nullptr);
  constexpr std::size_t kChunk = 4u << 20;
  const auto t0 = Clock::now();
  sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO s(id, b) VALUES (1, zeroblob(?1))", -1, &ins, nullptr);
  sqlite3_bind_int64(ins, 1, static_cast<sqlite3_int64>(bytes.size()));
  require(sqlite3_step(ins) == SQLITE_DONE, "insert zeroblob");
  sqlite3_finalize(ins);
  sqlite3_blob* blob = nullptr;
  require(sqlite3_blob_open(db, "main", "s", "b", 1, 1, &blob) == SQLITE_OK, "blob open");
  for (std::size_t off = 0; off < bytes.size(); off += kChunk) {
    const int n = static_cast<int>(std::min(kChunk, bytes.size() - off));
    require(sqlite3_blob_write(blob, bytes.data() + off, n, static_cast<int>(off)) == SQLITE_OK, "blob write");
  }
  sqlite3_blob_close(blob);
  require(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK, "commit blob");
  sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  const double save = seconds_since(t0);
  const auto t1 = Clock::now();
  std::vector<std::uint8_t> back(bytes.size());
  require(sqlite3_blob_open(db, "main", "s", "b", 1, 0, &blob) == SQLITE_OK, "blob open for read");
  for (std::size_t off = 0; off < bytes.size(); off += kChunk) {
    const int n = static_cast<int>(std::min(kChunk, bytes.size() - off));
    require(sqlite3_blob_read(blob, back.data() + off, n, static_cast<int>(off)) == SQLITE_OK, "blob read");
  }
  sqlite3_blob_close(blob);
  require(word_sum(back) == word_sum(bytes), "blob pass");
  const double load = seconds_since(t1);
  require(back == bytes, "blob round trip");
  sqlite3_close(db);
  return {save, load};
}

void snapshot(const fs::path& dir, std::size_t mb) {
  auto s = fresh(dir);
  require(s->append({event(0)}).ok(), "append");
  std::vector<std::uint8_t> bytes(mb << 20);
  std::uint64_t x = 88172645463325252ull;  // xorshift: incompressible, like a packed engine image
  for (std::size_t i = 0; i + 8 <= bytes.size(); i += 8) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    std::memcpy(bytes.data() + i, &x, 8);
  }
  const auto t0 = Clock::now();
  require(s->save_snapshot(1, bytes).ok(), "save snapshot");
  const double save = seconds_since(t0);
  const auto t1 = Clock::now();
  auto loaded = s->load_snapshot();
  require(loaded.ok() && loaded.value(), "load snapshot");
  const std::uint64_t pass = word_sum(loaded.value()->bytes);  // what a decoder does, once
  const double load = seconds_since(t1);
  require(pass == word_sum(bytes), "snapshot pass");
  require(std::equal(loaded.value()->bytes.begin(), loaded.value()->bytes.end(), bytes.begin(), bytes.end()),
          "load snapshot");
  loaded = Error{};  // free before the peer measurement
  auto [bsave, bload] = blob_in_sqlite(dir, bytes);
  const double m = static_cast<double>(mb);
  std::printf("%s\n", fmt::format(R"({{"bench":"store_snapshot","mb":{},"save_mb_per_s":{:.0f},"load_mb_per_s":{:.0f},)"
                                  R"("save_s":{:.3f},"load_s":{:.3f},"sqlite_blob_save_mb_per_s":{:.0f},)"
                                  R"("sqlite_blob_load_mb_per_s":{:.0f}}})",
                                  mb, m / save, m / load, save, load, m / bsave, m / bload)
                          .c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench_store DIR single|concurrent|batch|replay|snapshot|all [N]\n");
    return 2;
  }
  const fs::path dir = argv[1];
  const std::string mode = argv[2];
  // N applies to the one mode named (inputs in batches, inputs replayed, snapshot MB).
  const auto arg = [&](std::int64_t def) { return argc > 3 && mode != "all" ? std::atoll(argv[3]) : def; };
  const bool all = mode == "all";
  if (all || mode == "single") appends(dir / "single", 1, 3.0, "single");
  if (all || mode == "concurrent") appends(dir / "concurrent", 64, 4.0, "concurrent");
  if (all || mode == "batch") batches(dir / "batch", arg(200'000), 4);
  if (all || mode == "replay") replay(dir / "replay", arg(1'000'000));
  if (all || mode == "snapshot") snapshot(dir / "snapshot", static_cast<std::size_t>(arg(256)));
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
