// Crash safety, for real: a child process appends inputs from several threads and writes outbox
// rows with the watermark, reporting every acknowledged result on a pipe; the parent kills it with
// SIGKILL at a random instant, reopens the store and checks that nothing acknowledged was lost or
// changed and that no logical write was left half-done (snapshots included). Many times over.
#define BOOST_TEST_MODULE store_crash
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "cascade/store/store.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using namespace cascade::store;

namespace {

constexpr int kIterations = 60;
constexpr int kAppenders = 3;

// The body of input `n`: its length varies so rows span pages differently.
std::string body_of(std::int64_t n) {
  return "{\"n\":" + std::to_string(n) + ",\"pad\":\"" + std::string(static_cast<std::size_t>(n % 300), 'a' + n % 26) +
         "\"}";
}

std::int64_t counter_of(std::string_view body) {
  auto p = body.find("\"n\":");
  if (p == std::string_view::npos) return -1;
  return std::stoll(std::string(body.substr(p + 4, body.find(',', p) - p - 4)));
}

// The snapshot saved at watermark `w`: its size and contents follow from `w`.
std::vector<std::uint8_t> snapshot_of(std::int64_t w) {
  std::vector<std::uint8_t> b(static_cast<std::size_t>(16384 + (w % 1000) * 37));
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(w * 31 + static_cast<std::int64_t>(i));
  return b;
}

void report(int fd, const std::string& line) {
  // One write(2) of less than PIPE_BUF bytes: a kill never splits it.
  [[maybe_unused]] ssize_t w = ::write(fd, line.data(), line.size());
}

[[noreturn]] void child(const fs::path& dir, int iteration, int fd) {
  auto opened = Store::open(dir);
  if (!opened) {
    report(fd, "E " + opened.error().message + "\n");
    ::_exit(3);
  }
  Store& s = *opened.value();
  std::atomic<std::int64_t> max_acked{s.last_seq().value()};
  std::int64_t watermark = s.watermark().value();
  int applies = 0;

  auto appender = [&](int th) {
    std::mt19937 rng(static_cast<unsigned>(iteration * 31 + th));
    for (int i = 0;; ++i) {
      std::vector<NewInput> batch;
      const int size = 1 + static_cast<int>(rng() % 4);
      std::vector<std::int64_t> counters;
      for (int k = 0; k < size; ++k) {
        const std::int64_t n = std::int64_t{iteration} * 10'000'000 + th * 1'000'000 + i * 10 + k;
        std::optional<std::string> id;
        // Every third batch carries an id that the batch three later repeats; the very first
        // one repeats an id of the previous run (a duplicate if that run got it acknowledged).
        if (k == 0 && i % 3 == 0) id = "d" + std::to_string(iteration) + "-" + std::to_string(th) + "-" + std::to_string(i / 6);
        if (k == 1 && i == 0 && iteration > 0) id = "d" + std::to_string(iteration - 1) + "-" + std::to_string(th) + "-0";
        batch.push_back({"event", n, id, body_of(n)});
        counters.push_back(n);
      }
      auto ids = batch;
      auto r = s.append(std::move(batch));
      if (!r) {
        report(fd, "E " + r.error().message + "\n");
        ::_exit(4);
      }
      std::string lines;
      std::int64_t top = 0;
      for (std::size_t k = 0; k < r.value().size(); ++k) {
        const Appended& a = r.value()[k];
        lines += "A " + std::to_string(a.seq) + " " + std::to_string(counters[k]) + " " + (a.duplicate ? "1" : "0") +
                 " " + ids[k].dedupe_id.value_or("-") + "\n";
        top = std::max(top, a.seq);
      }
      report(fd, lines);
      std::int64_t cur = max_acked.load();
      while (top > cur && !max_acked.compare_exchange_weak(cur, top)) {
      }
    }
  };
  std::vector<std::thread> threads;
  for (int th = 0; th < kAppenders; ++th) threads.emplace_back(appender, th);
  // The applier: outbox rows for every seq up to what is acknowledged, with that watermark.
  for (;;) {
    const std::int64_t target = max_acked.load();
    if (target > watermark) {
      std::vector<OutboxRow> rows;
      for (std::int64_t q = watermark + 1; q <= target; ++q) {
        const std::string id = "m" + std::to_string(q);
        rows.push_back({id, s.idempotency_key(id), "file", "{\"seq\":" + std::to_string(q) + "}", q});
      }
      if (auto e = s.put_outbox(target, std::move(rows))) {
        report(fd, "E " + e->message + "\n");
        ::_exit(5);
      }
      report(fd, "W " + std::to_string(target) + "\n");
      watermark = target;
      // Now and then a snapshot at that watermark (file, rename, row, old files dropped).
      if (++applies % 8 == 0) {
        auto saved = s.save_snapshot(watermark, snapshot_of(watermark));
        if (!saved) {
          report(fd, "E " + saved.error().message + "\n");
          ::_exit(6);
        }
        report(fd, "S " + std::to_string(watermark) + "\n");
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

struct Acked {
  std::int64_t counter = 0;
  bool duplicate = false;
  std::string id;
};

}  // namespace

BOOST_AUTO_TEST_CASE(acknowledged_writes_survive_kill_9_at_random_instants) {
  cascade::store::test::TempDir t;
  const fs::path dir = t.path() / "data";
  const unsigned seed = std::random_device{}();
  BOOST_TEST_MESSAGE("seed " << seed);
  std::mt19937 rng(seed);
  std::map<std::int64_t, Acked> acked;  // seq → what the child was told, over every run
  std::int64_t acked_watermark = 0;
  std::int64_t acked_snapshot = 0;
  std::int64_t total_rows = 0;
  int killed_while_running = 0;

  for (int it = 0; it < kIterations; ++it) {
    int fds[2];
    BOOST_REQUIRE(::pipe(fds) == 0);
    pid_t pid = ::fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      child(dir, it, fds[1]);
    }
    ::close(fds[1]);
    // From "still opening" to a few hundred commits in.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(rng() % 150'000);
    std::string out;
    char buf[65536];
    bool killed = false;
    for (;;) {
      const auto now = std::chrono::steady_clock::now();
      if (!killed && now >= deadline) {
        ::kill(pid, SIGKILL);
        killed = true;
      }
      const int wait_ms =
          killed ? 1000 : static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count());
      pollfd p{fds[0], POLLIN, 0};
      if (::poll(&p, 1, wait_ms) > 0) {
        ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n <= 0) break;  // every writer is gone
        out.append(buf, static_cast<std::size_t>(n));
      }
    }
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    BOOST_REQUIRE_MESSAGE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                          "iteration " << it << ": the child ended by itself: " << out.substr(0, 500));

    std::istringstream lines(out);
    std::string tag;
    while (lines >> tag) {
      if (tag == "A") {
        std::int64_t seq = 0;
        Acked a;
        int dup = 0;
        lines >> seq >> a.counter >> dup >> a.id;
        a.duplicate = dup != 0;
        if (a.duplicate) {
          // The first input with that id: its seq's row must carry the id (checked below).
          acked.try_emplace(seq, Acked{-1, true, a.id});
        } else {
          auto [pos, fresh] = acked.insert_or_assign(seq, a);
          BOOST_REQUIRE_MESSAGE(fresh || pos->second.counter == -1, "seq " << seq << " acknowledged twice");
        }
        ++killed_while_running;
      } else if (tag == "S") {
        std::int64_t w = 0;
        lines >> w;
        acked_snapshot = std::max(acked_snapshot, w);
      } else if (tag == "W") {
        std::int64_t w = 0;
        lines >> w;
        acked_watermark = std::max(acked_watermark, w);
      } else {
        std::string rest;
        std::getline(lines, rest);
        BOOST_FAIL("iteration " << it << ": unexpected report: " << tag << rest);
      }
    }

    // Reopen (SQLite recovers the WAL) and check everything.
    auto opened = Store::open(dir);
    BOOST_REQUIRE_MESSAGE(opened.ok(), "iteration " << it << ": " << (opened.ok() ? "" : opened.error().message));
    Store& s = *opened.value();
    std::int64_t expect = 1;
    std::set<std::string> ids;
    std::map<std::int64_t, std::string> id_of;
    bool ok = true;
    auto n = s.replay(0, [&](const InputView& v) {
      if (v.seq != expect) {
        BOOST_ERROR("iteration " << it << ": seq " << v.seq << " where " << expect << " was expected (gap or disorder)");
        return ok = false;
      }
      ++expect;
      const std::int64_t c = counter_of(v.body);
      if (v.body != body_of(c) || v.at != c) {
        BOOST_ERROR("iteration " << it << ": seq " << v.seq << " has a damaged body");
        return ok = false;
      }
      if (auto a = acked.find(v.seq); a != acked.end() && a->second.counter >= 0 && a->second.counter != c) {
        BOOST_ERROR("iteration " << it << ": seq " << v.seq << " holds input " << c << ", acknowledged as "
                                 << a->second.counter);
        return ok = false;
      }
      if (v.dedupe_id) {
        if (!ids.emplace(*v.dedupe_id).second) {
          BOOST_ERROR("iteration " << it << ": dedupe id " << *v.dedupe_id << " twice in the log");
          return ok = false;
        }
        id_of.emplace(v.seq, std::string(*v.dedupe_id));
      }
      return true;
    });
    BOOST_REQUIRE(n.ok());
    BOOST_REQUIRE(ok);
    const std::int64_t last = expect - 1;
    BOOST_REQUIRE(s.last_seq().value() == last);
    const std::int64_t top_acked = acked.empty() ? 0 : acked.rbegin()->first;
    BOOST_REQUIRE_MESSAGE(top_acked <= last,
                          "iteration " << it << ": acknowledged seq " << top_acked << " lost (log ends at " << last << ")");
    for (const auto& [seq, a] : acked) {
      if (a.id != "-" && id_of[seq] != a.id) {
        BOOST_FAIL("iteration " << it << ": seq " << seq << " was acknowledged with id " << a.id << ", the log has '"
                                << id_of[seq] << "'");
      }
    }
    total_rows = last;

    // The outbox and the watermark were written together: rows for exactly seqs 1..watermark.
    const std::int64_t w = s.watermark().value();
    BOOST_REQUIRE_MESSAGE(w >= acked_watermark, "iteration " << it << ": watermark " << w << " below the acknowledged "
                                                               << acked_watermark);
    BOOST_REQUIRE(w <= last);
    auto pending = s.pending().value();
    BOOST_REQUIRE_MESSAGE(static_cast<std::int64_t>(pending.size()) == w,
                          "iteration " << it << ": " << pending.size() << " outbox rows for watermark " << w);
    for (std::size_t i = 0; i < pending.size(); ++i) {
      const auto q = static_cast<std::int64_t>(i + 1);
      BOOST_REQUIRE(pending[i].row.created_seq == q);
      BOOST_REQUIRE(pending[i].row.message_id == "m" + std::to_string(q));
      BOOST_REQUIRE(pending[i].row.idempotency_key == s.idempotency_key(pending[i].row.message_id));
    }
    BOOST_REQUIRE(s.outbox_counts().value().pending == w);

    // Snapshots: the newest is whole and at least as new as the last acknowledged save; no file
    // is left beyond the kept ones (a crash's left-overs go at open).
    auto snap = s.load_snapshot();
    BOOST_REQUIRE_MESSAGE(snap.ok(), "iteration " << it << ": " << (snap.ok() ? "" : snap.error().message));
    if (acked_snapshot > 0) {
      BOOST_REQUIRE_MESSAGE(snap.value().has_value(), "iteration " << it << ": acknowledged snapshot lost");
    }
    if (snap.value()) {
      const Snapshot& sn = *snap.value();
      BOOST_REQUIRE(sn.watermark >= acked_snapshot);
      BOOST_REQUIRE(sn.watermark <= w);
      const auto expect_bytes = snapshot_of(sn.watermark);
      BOOST_REQUIRE_MESSAGE(std::equal(sn.bytes.begin(), sn.bytes.end(), expect_bytes.begin(), expect_bytes.end()),
                            "iteration " << it << ": snapshot at " << sn.watermark << " damaged");
    }
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir / "snapshots")) ++files;
    BOOST_REQUIRE_MESSAGE(files == s.snapshots().value().size() && files <= 2,
                          "iteration " << it << ": " << files << " snapshot files");
  }
  BOOST_TEST_MESSAGE(kIterations << " kills; " << total_rows << " inputs in the log; " << acked.size()
                                 << " seqs acknowledged; watermark " << acked_watermark << "; snapshot at "
                                 << acked_snapshot);
  BOOST_TEST(total_rows > 0);
  BOOST_TEST(killed_while_running > 0);
}
