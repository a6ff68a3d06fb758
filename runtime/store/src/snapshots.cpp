// Snapshots: files beside the database, referenced by rows of `snapshots`.
//
// Why files and not blobs (docs/daemon-design.md, "The store"): a snapshot of hundreds of MB
// written inside a transaction would hold the single writer — and every waiting request — for
// the whole write, and go to disk twice (WAL, then checkpoint). As a file it is written once, by
// the caller's thread, while appends keep committing; only a small row goes through the writer.
// Loading maps the file (pre-faulted): no copy, no fresh anonymous pages to fault in.
//
// Crash safety: the file is complete and fsynced under its final name (rename, fsync of the
// directory) before its row commits; old files are unlinked only after the row that drops them
// commits. A crash in between leaves an unreferenced file, removed at the next open.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "store_impl.hpp"

namespace cascade::store {

namespace fs = std::filesystem;

namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

Error sys_error(const fs::path& p, std::string_view what) {
  return Error{fmt::format("{}: {}: {}", p.string(), what, std::strerror(errno))};
}

Status write_all(int fd, const std::uint8_t* p, std::size_t n, const fs::path& path) {
  while (n > 0) {
    // Linux caps one write at about 2 GB; smaller pieces also keep the page cache flowing.
    ssize_t w = ::write(fd, p, std::min<std::size_t>(n, std::size_t{64} << 20));
    if (w < 0) {
      if (errno == EINTR) continue;
      return sys_error(path, "writing a snapshot");
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return std::nullopt;
}

Status fsync_dir(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) return sys_error(dir, "syncing the snapshot directory");
  return std::nullopt;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Status Store::Impl::clean_snapshot_dir() {
  std::set<std::string> referenced;
  {
    sqlite3_stmt* s = wprepare("SELECT file FROM snapshots");
    if (s == nullptr) return sql_error(wdb.get(), "listing snapshots");
    sql::Use use(s);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) referenced.emplace(sql::column_text(s, 0));
    if (rc != SQLITE_DONE) return sql_error(wdb.get(), "listing snapshots");
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(snap_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!referenced.contains(name)) fs::remove(entry.path(), ec);
  }
  return std::nullopt;
}

Result<SnapshotInfo> Store::save_snapshot(std::int64_t watermark, std::span<const std::uint8_t> bytes) {
  const std::span<const std::uint8_t> one[] = {bytes};
  return save_snapshot_parts(watermark, one);
}

Result<SnapshotInfo> Store::save_snapshot_parts(std::int64_t watermark,
                                               std::span<const std::span<const std::uint8_t>> parts) {
  Impl& impl = *impl_;
  std::size_t total = 0;
  for (const auto& part : parts) total += part.size();
  const std::int64_t created = now_ms();
  const std::string name = fmt::format("snapshot-{:012}-{}-{}.bin", watermark, created,
                                       impl.snapshot_seq.fetch_add(1, std::memory_order_relaxed));
  const fs::path final_path = impl.snap_dir / name;
  const fs::path tmp_path = impl.snap_dir / (name + ".tmp");
  {
    Fd fd(::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (fd.get() < 0) return sys_error(tmp_path, "creating a snapshot");
    Status st;
    for (const auto& part : parts) {
      if (!st) st = write_all(fd.get(), part.data(), part.size(), tmp_path);
    }
    if (!st && ::fsync(fd.get()) != 0) st = sys_error(tmp_path, "syncing a snapshot");
    if (!st && ::close(fd.release()) != 0) st = sys_error(tmp_path, "closing a snapshot");
    if (st) {
      ::unlink(tmp_path.c_str());
      return *st;
    }
  }
  if (::rename(tmp_path.c_str(), final_path.c_str()) != 0) {
    Error e = sys_error(final_path, "renaming a snapshot");
    ::unlink(tmp_path.c_str());
    return e;
  }
  if (auto e = fsync_dir(impl.snap_dir)) {
    ::unlink(final_path.c_str());
    return *e;
  }

  SnapshotInfo info{0, watermark, created, static_cast<std::int64_t>(total), final_path};
  std::vector<std::string> dropped;
  Status st = impl.run_sync([&](Impl& w) -> Impl::Outcome {
    using Outcome = Impl::Outcome;
    sqlite3* db = w.wdb.get();
    sqlite3_stmt* last = w.wprepare("SELECT coalesce(max(seq), 0) FROM inputs");
    sqlite3_stmt* ins =
        w.wprepare("INSERT INTO snapshots(watermark, file, size, created_at) VALUES (?1, ?2, ?3, ?4)");
    sqlite3_stmt* old = w.wprepare(
        "SELECT id, file FROM snapshots ORDER BY watermark DESC, id DESC LIMIT -1 OFFSET ?1");
    sqlite3_stmt* del = w.wprepare("DELETE FROM snapshots WHERE id = ?1");
    if (last == nullptr || ins == nullptr || old == nullptr || del == nullptr) {
      return Outcome::fail(w.sql_error(db, "preparing a snapshot save"));
    }
    {
      sql::Use use(last);
      if (sqlite3_step(last) != SQLITE_ROW) return Outcome::fail(w.sql_error(db, "reading the last seq"));
      const std::int64_t max_seq = sqlite3_column_int64(last, 0);
      if (watermark < 0 || watermark > max_seq) {
        return Outcome::reject(Error{fmt::format("{}: snapshot watermark {} is outside the input log (last seq {})",
                                                 w.file.string(), watermark, max_seq)});
      }
    }
    {
      sql::Use use(ins);
      sql::bind(ins, 1, watermark);
      sql::bind_text(ins, 2, name);
      sql::bind(ins, 3, static_cast<std::int64_t>(total));
      sql::bind(ins, 4, created);
      if (auto o = w.step_done(ins, "recording a snapshot"); o.kind != Outcome::ok) return o;
      info.id = sqlite3_last_insert_rowid(db);
    }
    std::vector<std::int64_t> ids;
    dropped.clear();
    {
      sql::Use use(old);
      sql::bind(old, 1, static_cast<std::int64_t>(w.options.snapshots_kept));
      int rc;
      while ((rc = sqlite3_step(old)) == SQLITE_ROW) {
        ids.push_back(sqlite3_column_int64(old, 0));
        dropped.emplace_back(sql::column_text(old, 1));
      }
      if (rc != SQLITE_DONE) return Outcome::fail(w.sql_error(db, "listing old snapshots"));
    }
    for (std::int64_t id : ids) {
      sql::Use use(del);
      sql::bind(del, 1, id);
      if (auto o = w.step_done(del, "dropping an old snapshot"); o.kind != Outcome::ok) return o;
    }
    return {};
  });
  if (st) {
    ::unlink(final_path.c_str());
    return *st;
  }
  for (const std::string& f : dropped) ::unlink((impl.snap_dir / f).c_str());
  return info;
}

Result<std::vector<SnapshotInfo>> Store::snapshots() const {
  auto l = impl_->lease();
  if (!l) return l.error();
  Error err;
  sqlite3_stmt* s = l.value()->prepare(
      "SELECT id, watermark, created_at, size, file FROM snapshots ORDER BY watermark DESC, id DESC", err,
      impl_->file);
  if (s == nullptr) return err;
  sql::Use use(s);
  std::vector<SnapshotInfo> out;
  for (;;) {
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return impl_->sql_error(l.value()->db.get(), "listing snapshots");
    out.push_back({sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2),
                   sqlite3_column_int64(s, 3), impl_->snap_dir / std::string(sql::column_text(s, 4))});
  }
  return out;
}

Result<std::optional<Snapshot>> Store::load_snapshot() const {
  auto list = snapshots();
  if (!list) return list.error();
  if (list.value().empty()) return std::optional<Snapshot>{};
  const SnapshotInfo& info = list.value().front();
  Fd fd(::open(info.file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return sys_error(info.file, "opening the newest snapshot");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return sys_error(info.file, "reading the newest snapshot");
  if (st.st_size != info.size) {
    return Error{fmt::format("{}: the snapshot has {} bytes, its row says {}: the file was changed outside cascade",
                             info.file.string(), st.st_size, info.size)};
  }
  Snapshot snap{info.watermark, info.created_at, {}, {}};
  if (info.size == 0) return std::optional<Snapshot>(std::move(snap));
  const auto size = static_cast<std::size_t>(info.size);
  // A mapping, not a read into a new buffer: faulting in fresh anonymous memory cost more than
  // the copy itself (docs/daemon-design.md, "The store").
  void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd.get(), 0);
  if (m == MAP_FAILED) return sys_error(info.file, "mapping the newest snapshot");
  snap.mapping = std::shared_ptr<const void>(m, [size](const void* p) { ::munmap(const_cast<void*>(p), size); });
  snap.bytes = {static_cast<const std::uint8_t*>(m), size};
  return std::optional<Snapshot>(std::move(snap));
}

}  // namespace cascade::store
