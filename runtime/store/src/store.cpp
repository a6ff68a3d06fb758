// The store: schema, open/identity checks, the group-committing writer thread, the read pool,
// and every operation of store.hpp. Snapshot files are in snapshots.cpp.
#include "cascade/store/store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "store_impl.hpp"

namespace cascade::store {

namespace fs = std::filesystem;

namespace {

// 'CSCD': marks the SQLite file as a cascade store (PRAGMA application_id).
constexpr std::int32_t kApplicationId = 0x43534344;
// Bump with every schema change, and teach open() to migrate from the older versions.
constexpr std::int64_t kSchemaVersion = 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value ANY) WITHOUT ROWID;
CREATE TABLE inputs(
  seq INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  at INTEGER NOT NULL,
  dedupe_id TEXT,
  body BLOB NOT NULL);
CREATE UNIQUE INDEX inputs_dedupe ON inputs(dedupe_id) WHERE dedupe_id IS NOT NULL;
CREATE TABLE outbox(
  message_id TEXT PRIMARY KEY,
  idempotency_key TEXT NOT NULL,
  provider TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_seq INTEGER NOT NULL,
  state INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  provider_id TEXT,
  reason TEXT);
CREATE INDEX outbox_pending ON outbox(created_seq, message_id) WHERE state = 0;
CREATE TABLE outbox_counts(state INTEGER PRIMARY KEY, n INTEGER NOT NULL);
INSERT INTO outbox_counts VALUES (0, 0), (1, 0), (2, 0);
CREATE TRIGGER outbox_count_insert AFTER INSERT ON outbox BEGIN
  UPDATE outbox_counts SET n = n + 1 WHERE state = NEW.state;
END;
CREATE TRIGGER outbox_count_update AFTER UPDATE OF state ON outbox WHEN OLD.state <> NEW.state BEGIN
  UPDATE outbox_counts SET n = n - 1 WHERE state = OLD.state;
  UPDATE outbox_counts SET n = n + 1 WHERE state = NEW.state;
END;
CREATE TRIGGER outbox_count_delete AFTER DELETE ON outbox BEGIN
  UPDATE outbox_counts SET n = n - 1 WHERE state = OLD.state;
END;
CREATE TABLE scenarios(
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  program_hash TEXT NOT NULL,
  cbc BLOB NOT NULL,
  deployed_at INTEGER NOT NULL,
  PRIMARY KEY(name, version));
CREATE TABLE snapshots(
  id INTEGER PRIMARY KEY,
  watermark INTEGER NOT NULL,
  file TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  created_at INTEGER NOT NULL);
)sql";

std::string random_store_id() {
  std::random_device rd;  // getrandom(2) on Linux
  std::string id;
  for (int i = 0; i < 4; ++i) id += fmt::format("{:08x}", static_cast<std::uint32_t>(rd()));
  return id;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Waits on the calling thread for one job's completion (the synchronous wrappers).
struct Waiter {
  std::mutex m;
  std::condition_variable cv;
  bool finished = false;
  Status status;
  void finish(Status s) {
    std::lock_guard lk(m);
    status = std::move(s);
    finished = true;
    cv.notify_one();
  }
  Status wait() {
    std::unique_lock lk(m);
    cv.wait(lk, [&] { return finished; });
    return std::move(status);
  }
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Errors and statements

Error Store::Impl::sql_error(sqlite3* db, std::string_view what) const {
  return Error{fmt::format("{}: {}: {}", file.string(), what, sqlite3_errmsg(db))};
}

Status Store::Impl::exec(sqlite3* db, const char* sql, std::string_view what) const {
  char* msg = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    Error e{fmt::format("{}: {}: {}", file.string(), what, msg ? msg : sqlite3_errmsg(db))};
    sqlite3_free(msg);
    return e;
  }
  return std::nullopt;
}

Result<sql::Db> Store::Impl::connect(bool writer) const {
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;  // a connection is used by one thread at a time
  if (writer) flags |= SQLITE_OPEN_CREATE;
  int rc = sqlite3_open_v2(file.c_str(), &raw, flags, nullptr);
  sql::Db db(raw);
  if (rc != SQLITE_OK) {
    return Error{fmt::format("{}: cannot open: {}", file.string(), raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc))};
  }
  sqlite3_extended_result_codes(raw, 1);
  // Readers wait out a checkpoint or WAL recovery rather than fail; the writer never contends.
  sqlite3_busy_timeout(raw, 5000);
  return db;
}

sqlite3_stmt* Store::Impl::ReadConn::prepare(const char* text, Error& error, const fs::path& file) {
  auto it = cache.find(text);
  if (it != cache.end()) return it->second.get();
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v3(db.get(), text, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) {
    error = Error{fmt::format("{}: preparing a query: {}", file.string(), sqlite3_errmsg(db.get()))};
    return nullptr;
  }
  cache.emplace(text, sql::Stmt(s));
  return s;
}

Result<Store::Impl::Lease> Store::Impl::lease() const {
  {
    std::lock_guard lk(pool_mu);
    if (!pool.empty()) {
      auto c = std::move(pool.back());
      pool.pop_back();
      return Lease(this, std::move(c));
    }
  }
  auto db = connect(false);
  if (!db) return db.error();
  auto c = std::make_unique<ReadConn>();
  c->db = std::move(db.value());
  if (auto e = exec(c->db.get(), "PRAGMA query_only = 1", "opening a reader")) return *e;
  return Lease(this, std::move(c));
}

Store::Impl::Lease::~Lease() {
  if (conn_) {
    std::lock_guard lk(impl_->pool_mu);
    impl_->pool.push_back(std::move(conn_));
  }
}

sqlite3_stmt* Store::Impl::wprepare(const char* text) {
  auto it = wstmts.find(text);
  if (it != wstmts.end()) return it->second.get();
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v3(wdb.get(), text, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) return nullptr;
  wstmts.emplace(text, sql::Stmt(s));
  return s;
}

// ---------------------------------------------------------------------------------------------
// The writer thread

void Store::Impl::enqueue(std::unique_ptr<Job> job) {
  {
    std::lock_guard lk(mu);
    queue.push_back(std::move(job));
  }
  cv.notify_one();
}

void Store::Impl::writer_loop() {
  std::vector<std::unique_ptr<Job>> jobs;
  for (;;) {
    jobs.clear();
    {
      std::unique_lock lk(mu);
      cv.wait(lk, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) return;  // stopping, and everything queued is done
      while (!queue.empty() && jobs.size() < options.max_jobs_per_transaction) {
        jobs.push_back(std::move(queue.front()));
        queue.pop_front();
      }
    }
    run_transaction(jobs);
  }
}

void Store::Impl::run_transaction(std::vector<std::unique_ptr<Job>>& jobs) {
  sqlite3* db = wdb.get();
  Status fatal = exec(db, "BEGIN IMMEDIATE", "beginning a transaction");
  std::vector<Status> own(jobs.size());
  if (!fatal) {
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      Outcome r = jobs[i]->run(*this);
      if (r.kind == Outcome::failed) {
        fatal = std::move(r.error);
        break;
      }
      if (r.kind == Outcome::rejected) own[i] = std::move(r.error);
    }
  }
  if (!fatal) fatal = exec(db, "COMMIT", "committing");
  if (fatal) {
    // A failed COMMIT may leave the transaction open (e.g. SQLITE_BUSY); otherwise SQLite has
    // already rolled back. Either way nothing of this transaction is applied.
    if (sqlite3_get_autocommit(db) == 0) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    failed_transactions.fetch_add(1, std::memory_order_relaxed);
  } else {
    transactions.fetch_add(1, std::memory_order_relaxed);
  }
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    // Counted before the completion, so a waiter that reads stats() after it sees its own job.
    jobs_done.fetch_add(1, std::memory_order_relaxed);
    // A completion that throws must not take the writer (and every later request) with it.
    try {
      jobs[i]->complete(fatal ? fatal : std::move(own[i]), fatal.has_value());
    } catch (...) {
      completion_exceptions.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

Status Store::Impl::run_sync(std::function<Outcome(Impl&)> body) {
  if (std::this_thread::get_id() == writer_id) {
    return Error{fmt::format("{}: a synchronous store call from the writer thread (a completion) would deadlock",
                             file.string())};
  }
  Waiter w;
  struct FnJob final : Job {
    std::function<Outcome(Impl&)> body;
    Waiter* w = nullptr;
    Outcome run(Impl& impl) override { return body(impl); }
    void complete(Status s, bool) override { w->finish(std::move(s)); }
  };
  auto job = std::make_unique<FnJob>();
  job->body = std::move(body);
  job->w = &w;
  enqueue(std::move(job));
  return w.wait();
}

Store::Impl::Outcome Store::Impl::step_done(sqlite3_stmt* s, std::string_view what) {
  int rc = sqlite3_step(s);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return Outcome::fail(sql_error(wdb.get(), what));
  return {};
}

// ---------------------------------------------------------------------------------------------
// Open

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Store::Impl::~Impl() {
  if (writer.joinable()) {
    {
      std::lock_guard lk(mu);
      stopping = true;
    }
    cv.notify_one();
    writer.join();
  }
  pool.clear();
  wstmts.clear();
  wdb.reset();
  if (lock_fd >= 0) ::close(lock_fd);
}

Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(const fs::path& dir, const Options& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (impl->options.snapshots_kept < 1) impl->options.snapshots_kept = 1;
  if (impl->options.max_jobs_per_transaction < 1) impl->options.max_jobs_per_transaction = 1;
  impl->dir = dir;
  impl->file = dir / "cascade.db";
  impl->snap_dir = dir / "snapshots";

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir, ec)) {
    return Error{fmt::format("{}: cannot create the data directory: {}", dir.string(),
                             ec ? ec.message() : "not a directory")};
  }
  fs::create_directories(impl->snap_dir, ec);
  if (ec) return Error{fmt::format("{}: cannot create the snapshot directory: {}", impl->snap_dir.string(), ec.message())};

  // One process at a time: the single-writer design (and the snapshot clean-up at open) assume it.
  const fs::path lock_path = dir / "cascade.lock";
  impl->lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (impl->lock_fd < 0) {
    return Error{fmt::format("{}: cannot create the lock file: {}", lock_path.string(), std::strerror(errno))};
  }
  if (::flock(impl->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    return Error{fmt::format("{}: the store is in use (another process or Store holds {})", impl->file.string(),
                             lock_path.string())};
  }

  auto db = impl->connect(true);
  if (!db) return db.error();
  impl->wdb = std::move(db.value());
  sqlite3* w = impl->wdb.get();

  // Identity before any write: a foreign database must be left exactly as it was.
  std::int64_t app_id = 0, version = 0, objects = 0;
  {
    auto read_int = [&](const char* q, std::int64_t& out) -> Status {
      sqlite3_stmt* raw = nullptr;
      if (sqlite3_prepare_v2(w, q, -1, &raw, nullptr) != SQLITE_OK) {
        return impl->sql_error(w, "not a cascade store");
      }
      sql::Stmt s(raw);
      int rc = sqlite3_step(raw);
      if (rc == SQLITE_ROW) {
        out = sqlite3_column_int64(raw, 0);
      } else if (rc != SQLITE_DONE) {
        return impl->sql_error(w, "not a cascade store");
      }
      return std::nullopt;
    };
    if (auto e = read_int("PRAGMA application_id", app_id)) return *e;
    if (auto e = read_int("PRAGMA user_version", version)) return *e;
    if (auto e = read_int("SELECT count(*) FROM sqlite_schema", objects)) return *e;
  }
  const bool fresh = app_id == 0 && objects == 0;
  if (!fresh) {
    if (app_id != kApplicationId) {
      return Error{fmt::format("{}: not a cascade store (an SQLite database of another application)", impl->file.string())};
    }
    if (version > kSchemaVersion) {
      return Error{fmt::format("{}: schema version {} is newer than this cascade supports ({}); upgrade cascade",
                               impl->file.string(), version, kSchemaVersion)};
    }
    if (version < 1) return Error{fmt::format("{}: not a cascade store (no schema version)", impl->file.string())};
  }

  // WAL: readers never block the writer, and a commit is one sequential append + one fsync.
  {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(w, "PRAGMA journal_mode = WAL", -1, &raw, nullptr) != SQLITE_OK) {
      return impl->sql_error(w, "setting WAL mode");
    }
    sql::Stmt s(raw);
    if (sqlite3_step(raw) != SQLITE_ROW) return impl->sql_error(w, "setting WAL mode");
    if (sql::column_text(raw, 0) != "wal") {
      return Error{fmt::format("{}: cannot use WAL mode (journal mode stays {}): is the directory writable?",
                               impl->file.string(), sql::column_text(raw, 0))};
    }
  }
  const char* sync = options.sync == Sync::full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";
  if (auto e = impl->exec(w, sync, "setting the sync mode")) return *e;
  if (options.max_database_bytes > 0) {
    // Pages of 4096 bytes (SQLite's default, and this store never changes it).
    const std::string q = fmt::format("PRAGMA max_page_count = {}", std::max<std::int64_t>(1, options.max_database_bytes / 4096));
    if (auto e = impl->exec(w, q.c_str(), "bounding the database size")) return *e;
  }

  if (fresh) {
    if (auto e = impl->exec(w, "BEGIN IMMEDIATE", "creating the store")) return *e;
    std::string create = kSchema;
    create += fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {};\n", kApplicationId, kSchemaVersion);
    create += fmt::format(
        "INSERT INTO meta VALUES ('schema_version', {}), ('store_id', '{}'), ('applied_seq', 0), ('created_at', {});\n",
        kSchemaVersion, random_store_id(), now_ms());
    create += "COMMIT;";
    if (auto e = impl->exec(w, create.c_str(), "creating the store")) {
      sqlite3_exec(w, "ROLLBACK", nullptr, nullptr, nullptr);
      return *e;
    }
  }

  {
    sqlite3_stmt* s = impl->wprepare("SELECT value FROM meta WHERE key = 'store_id'");
    if (s == nullptr) return impl->sql_error(w, "reading the store id");
    sql::Use use(s);
    if (sqlite3_step(s) != SQLITE_ROW) {
      return Error{fmt::format("{}: not a cascade store (no store id in meta)", impl->file.string())};
    }
    impl->store_id = std::string(sql::column_text(s, 0));
  }

  if (auto e = impl->clean_snapshot_dir()) return *e;

  Impl* raw_impl = impl.get();
  impl->writer = std::thread([raw_impl] { raw_impl->writer_loop(); });
  impl->writer_id = impl->writer.get_id();
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

const std::string& Store::store_id() const { return impl_->store_id; }
const fs::path& Store::file() const { return impl_->file; }
std::string Store::idempotency_key(std::string_view message_id) const {
  return fmt::format("{}:{}", impl_->store_id, message_id);
}

Stats Store::stats() const {
  Stats s;
  s.transactions = impl_->transactions.load(std::memory_order_relaxed);
  s.failed_transactions = impl_->failed_transactions.load(std::memory_order_relaxed);
  s.jobs = impl_->jobs_done.load(std::memory_order_relaxed);
  s.inputs = impl_->inputs_added.load(std::memory_order_relaxed);
  s.duplicates = impl_->duplicates.load(std::memory_order_relaxed);
  s.completion_exceptions = impl_->completion_exceptions.load(std::memory_order_relaxed);
  return s;
}

// ---------------------------------------------------------------------------------------------
// The input log

namespace {

struct AppendJob final : Store::Impl::Job {
  std::vector<NewInput> batch;
  Store::AppendDone done;
  std::vector<Appended> results;
  std::uint64_t added = 0, dups = 0;

  Store::Impl::Outcome run(Store::Impl& impl) override {
    using Outcome = Store::Impl::Outcome;
    sqlite3_stmt* ins = impl.wprepare(
        "INSERT INTO inputs(kind, at, dedupe_id, body) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT(dedupe_id) WHERE dedupe_id IS NOT NULL DO NOTHING");
    sqlite3_stmt* find = impl.wprepare("SELECT seq FROM inputs WHERE dedupe_id = ?1");
    if (ins == nullptr || find == nullptr) return Outcome::fail(impl.sql_error(impl.wdb.get(), "preparing an append"));
    results.clear();
    results.reserve(batch.size());
    added = dups = 0;
    sqlite3* db = impl.wdb.get();
    for (const NewInput& in : batch) {
      {
        sql::Use use(ins);
        sql::bind_text(ins, 1, in.kind);
        sql::bind(ins, 2, in.at);
        sql::bind_opt_text(ins, 3, in.dedupe_id);
        sql::bind_blob(ins, 4, in.body.data(), in.body.size());
        if (sqlite3_step(ins) != SQLITE_DONE) return Outcome::fail(impl.sql_error(db, "appending an input"));
      }
      if (sqlite3_changes(db) == 1) {
        results.push_back({sqlite3_last_insert_rowid(db), false});
        ++added;
        continue;
      }
      // Only a dedupe id can make the insert do nothing: the input is a repeat.
      sql::Use use(find);
      sql::bind_text(find, 1, *in.dedupe_id);
      if (sqlite3_step(find) != SQLITE_ROW) return Outcome::fail(impl.sql_error(db, "looking up a dedupe id"));
      results.push_back({sqlite3_column_int64(find, 0), true});
      ++dups;
    }
    return {};
  }

  void complete(Status status, bool fatal) override;
  Store::Impl* impl = nullptr;
};

void AppendJob::complete(Status status, bool) {
  if (status) {
    done(std::move(*status));
    return;
  }
  impl->inputs_added.fetch_add(added, std::memory_order_relaxed);
  impl->duplicates.fetch_add(dups, std::memory_order_relaxed);
  done(std::move(results));
}

}  // namespace

void Store::append_async(std::vector<NewInput> batch, AppendDone done) {
  auto job = std::make_unique<AppendJob>();
  job->batch = std::move(batch);
  job->done = std::move(done);
  job->impl = impl_.get();
  impl_->enqueue(std::move(job));
}

Result<std::vector<Appended>> Store::append(std::vector<NewInput> batch) {
  if (std::this_thread::get_id() == impl_->writer_id) {
    return Error{fmt::format("{}: a synchronous append from the writer thread (a completion) would deadlock",
                             impl_->file.string())};
  }
  struct Slot {
    std::mutex m;
    std::condition_variable cv;
    std::optional<Result<std::vector<Appended>>> r;
  } slot;
  append_async(std::move(batch), [&slot](Result<std::vector<Appended>> r) {
    std::lock_guard lk(slot.m);
    slot.r.emplace(std::move(r));
    slot.cv.notify_one();
  });
  std::unique_lock lk(slot.m);
  slot.cv.wait(lk, [&] { return slot.r.has_value(); });
  return std::move(*slot.r);
}

Result<std::int64_t> Store::replay(std::int64_t after, const std::function<bool(const InputView&)>& fn) const {
  auto lease = impl_->lease();
  if (!lease) return lease.error();
  Error err;
  sqlite3_stmt* s = lease.value()->prepare(
      "SELECT seq, kind, at, dedupe_id, body FROM inputs WHERE seq > ?1 ORDER BY seq", err, impl_->file);
  if (s == nullptr) return err;
  sql::Use use(s);
  sql::bind(s, 1, after);
  std::int64_t n = 0;
  InputView v;
  for (;;) {
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return impl_->sql_error(lease.value()->db.get(), "replaying the input log");
    v.seq = sqlite3_column_int64(s, 0);
    v.kind = sql::column_text(s, 1);
    v.at = sqlite3_column_int64(s, 2);
    if (sqlite3_column_type(s, 3) == SQLITE_NULL) {
      v.dedupe_id.reset();
    } else {
      v.dedupe_id = sql::column_text(s, 3);
    }
    v.body = sql::column_blob(s, 4);
    ++n;
    if (!fn(v)) break;
  }
  return n;
}

Result<std::int64_t> Store::Impl::read_int(const char* query, std::string_view what) const {
  auto l = lease();
  if (!l) return l.error();
  Error err;
  sqlite3_stmt* s = l.value()->prepare(query, err, file);
  if (s == nullptr) return err;
  sql::Use use(s);
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) return sqlite3_column_int64(s, 0);
  if (rc == SQLITE_DONE) return std::int64_t{0};
  return sql_error(l.value()->db.get(), what);
}

Result<std::int64_t> Store::last_seq() const {
  return impl_->read_int("SELECT coalesce(max(seq), 0) FROM inputs", "reading the last seq");
}

// ---------------------------------------------------------------------------------------------
// The outbox

namespace {

struct OutboxJob final : Store::Impl::Job {
  std::int64_t watermark = 0;
  std::vector<OutboxRow> rows;
  Store::Done done;

  Store::Impl::Outcome run(Store::Impl& impl) override {
    using Outcome = Store::Impl::Outcome;
    sqlite3* db = impl.wdb.get();
    // Checks first: a rejected job writes nothing, so the others in the transaction go on.
    for (const OutboxRow& r : rows) {
      if (r.created_seq > watermark) {
        return Outcome::reject(Error{fmt::format("{}: outbox row {} was created at seq {}, above the watermark {}",
                                                 impl.file.string(), r.message_id, r.created_seq, watermark)});
      }
    }
    sqlite3_stmt* last = impl.wprepare("SELECT coalesce(max(seq), 0) FROM inputs");
    sqlite3_stmt* ins = impl.wprepare(
        "INSERT INTO outbox(message_id, idempotency_key, provider, payload, created_seq) VALUES (?1, ?2, ?3, ?4, ?5) "
        "ON CONFLICT(message_id) DO NOTHING");
    sqlite3_stmt* mark = impl.wprepare("UPDATE meta SET value = max(value, ?1) WHERE key = 'applied_seq'");
    if (last == nullptr || ins == nullptr || mark == nullptr) {
      return Outcome::fail(impl.sql_error(db, "preparing an outbox write"));
    }
    {
      sql::Use use(last);
      if (sqlite3_step(last) != SQLITE_ROW) return Outcome::fail(impl.sql_error(db, "reading the last seq"));
      std::int64_t max_seq = sqlite3_column_int64(last, 0);
      if (watermark > max_seq || watermark < 0) {
        return Outcome::reject(Error{fmt::format("{}: watermark {} is outside the input log (last seq {})",
                                                 impl.file.string(), watermark, max_seq)});
      }
    }
    for (const OutboxRow& r : rows) {
      sql::Use use(ins);
      sql::bind_text(ins, 1, r.message_id);
      sql::bind_text(ins, 2, r.idempotency_key);
      sql::bind_text(ins, 3, r.provider);
      sql::bind_text(ins, 4, r.payload);
      sql::bind(ins, 5, r.created_seq);
      if (auto o = impl.step_done(ins, "writing an outbox row"); o.kind != Outcome::ok) return o;
    }
    sql::Use use(mark);
    sql::bind(mark, 1, watermark);
    return impl.step_done(mark, "raising the watermark");
  }
  void complete(Status status, bool) override { done(std::move(status)); }
};

}  // namespace

void Store::put_outbox_async(std::int64_t watermark, std::vector<OutboxRow> rows, Done done) {
  auto job = std::make_unique<OutboxJob>();
  job->watermark = watermark;
  job->rows = std::move(rows);
  job->done = std::move(done);
  impl_->enqueue(std::move(job));
}

Status Store::put_outbox(std::int64_t watermark, std::vector<OutboxRow> rows) {
  OutboxJob job;
  job.watermark = watermark;
  job.rows = std::move(rows);
  return impl_->run_sync([&job](Impl& impl) { return job.run(impl); });
}

Result<std::int64_t> Store::watermark() const {
  return impl_->read_int("SELECT value FROM meta WHERE key = 'applied_seq'", "reading the watermark");
}

Result<bool> Store::Impl::update_one(const char* text, std::string_view id, std::optional<std::string_view> arg,
                                     std::string_view what) {
  bool changed = false;
  Status s = run_sync([&](Impl& impl) -> Outcome {
    sqlite3_stmt* st = impl.wprepare(text);
    if (st == nullptr) return Outcome::fail(impl.sql_error(impl.wdb.get(), what));
    sql::Use use(st);
    sql::bind_text(st, 1, id);
    if (arg) sql::bind_text(st, 2, *arg);
    if (auto o = impl.step_done(st, what); o.kind != Outcome::ok) return o;
    changed = sqlite3_changes(impl.wdb.get()) > 0;
    return {};
  });
  if (s) return *s;
  return changed;
}

void Store::settle_async(std::vector<Settlement> settlements, Done done) {
  struct SettleJob final : Impl::Job {
    std::vector<Settlement> rows;
    Done done;
    Impl::Outcome run(Impl& impl) override {
      sqlite3_stmt* ack = impl.wprepare("UPDATE outbox SET state = 1, provider_id = ?2 WHERE message_id = ?1 AND state = 0");
      sqlite3_stmt* fail = impl.wprepare("UPDATE outbox SET state = 2, reason = ?2 WHERE message_id = ?1 AND state = 0");
      if (ack == nullptr || fail == nullptr) return Impl::Outcome::fail(impl.sql_error(impl.wdb.get(), "settling outbox rows"));
      for (const Settlement& r : rows) {
        sqlite3_stmt* st = r.acknowledged ? ack : fail;
        sql::Use use(st);
        sql::bind_text(st, 1, r.message_id);
        sql::bind_text(st, 2, r.detail);
        if (auto o = impl.step_done(st, "settling an outbox row"); o.kind != Impl::Outcome::ok) return o;
      }
      return {};
    }
    void complete(Status s, bool) override {
      if (done) done(std::move(s));
    }
  };
  auto job = std::make_unique<SettleJob>();
  job->rows = std::move(settlements);
  job->done = std::move(done);
  impl_->enqueue(std::move(job));
}

Result<bool> Store::mark_acknowledged(std::string_view message_id, std::string_view provider_id) {
  return impl_->update_one("UPDATE outbox SET state = 1, provider_id = ?2 WHERE message_id = ?1 AND state = 0",
                           message_id, provider_id, "acknowledging an outbox row");
}
Result<bool> Store::mark_failed(std::string_view message_id, std::string_view reason) {
  return impl_->update_one("UPDATE outbox SET state = 2, reason = ?2 WHERE message_id = ?1 AND state = 0", message_id,
                           reason, "failing an outbox row");
}
Result<bool> Store::count_attempt(std::string_view message_id) {
  return impl_->update_one("UPDATE outbox SET attempts = attempts + 1 WHERE message_id = ?1 AND state = 0",
                           message_id, std::nullopt, "counting an attempt");
}

namespace {
constexpr const char* kOutboxColumns =
    "message_id, idempotency_key, provider, payload, created_seq, state, attempts, provider_id, reason";

OutboxEntry read_entry(sqlite3_stmt* s) {
  OutboxEntry e;
  e.row.message_id = std::string(sql::column_text(s, 0));
  e.row.idempotency_key = std::string(sql::column_text(s, 1));
  e.row.provider = std::string(sql::column_text(s, 2));
  e.row.payload = std::string(sql::column_text(s, 3));
  e.row.created_seq = sqlite3_column_int64(s, 4);
  e.state = static_cast<OutboxState>(sqlite3_column_int64(s, 5));
  e.attempts = sqlite3_column_int64(s, 6);
  e.provider_id = sql::column_opt_text(s, 7);
  e.reason = sql::column_opt_text(s, 8);
  return e;
}
}  // namespace

Result<std::vector<OutboxEntry>> Store::pending(std::size_t limit) const {
  static const std::string q =
      fmt::format("SELECT {} FROM outbox WHERE state = 0 ORDER BY created_seq, message_id LIMIT ?1", kOutboxColumns);
  auto l = impl_->lease();
  if (!l) return l.error();
  Error err;
  sqlite3_stmt* s = l.value()->prepare(q.c_str(), err, impl_->file);
  if (s == nullptr) return err;
  sql::Use use(s);
  sql::bind(s, 1, limit > static_cast<std::size_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(limit));
  std::vector<OutboxEntry> out;
  for (;;) {
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return impl_->sql_error(l.value()->db.get(), "listing pending outbox rows");
    out.push_back(read_entry(s));
  }
  return out;
}

Result<std::optional<OutboxEntry>> Store::outbox_entry(std::string_view message_id) const {
  static const std::string q = fmt::format("SELECT {} FROM outbox WHERE message_id = ?1", kOutboxColumns);
  auto l = impl_->lease();
  if (!l) return l.error();
  Error err;
  sqlite3_stmt* s = l.value()->prepare(q.c_str(), err, impl_->file);
  if (s == nullptr) return err;
  sql::Use use(s);
  sql::bind_text(s, 1, message_id);
  int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE) return std::optional<OutboxEntry>{};
  if (rc != SQLITE_ROW) return impl_->sql_error(l.value()->db.get(), "reading an outbox row");
  return std::optional<OutboxEntry>(read_entry(s));
}

Result<OutboxCounts> Store::outbox_counts() const {
  auto l = impl_->lease();
  if (!l) return l.error();
  Error err;
  sqlite3_stmt* s = l.value()->prepare("SELECT state, n FROM outbox_counts", err, impl_->file);
  if (s == nullptr) return err;
  sql::Use use(s);
  OutboxCounts c;
  for (;;) {
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return impl_->sql_error(l.value()->db.get(), "counting outbox rows");
    std::int64_t n = sqlite3_column_int64(s, 1);
    switch (sqlite3_column_int64(s, 0)) {
      case 0: c.pending = n; break;
      case 1: c.acknowledged = n; break;
      case 2: c.failed = n; break;
      default: break;
    }
  }
  return c;
}

// ---------------------------------------------------------------------------------------------
// Scenarios

Result<Deployed> Store::put_scenario(NewScenario sc) {
  Deployed d;
  Status st = impl_->run_sync([&](Impl& impl) -> Impl::Outcome {
    using Outcome = Impl::Outcome;
    sqlite3* db = impl.wdb.get();
    sqlite3_stmt* newest =
        impl.wprepare("SELECT version, program_hash FROM scenarios WHERE name = ?1 ORDER BY version DESC LIMIT 1");
    sqlite3_stmt* ins = impl.wprepare(
        "INSERT INTO scenarios(name, version, program_hash, cbc, deployed_at) VALUES (?1, ?2, ?3, ?4, ?5)");
    if (newest == nullptr || ins == nullptr) return Outcome::fail(impl.sql_error(db, "preparing a deploy"));
    std::int64_t version = 0;
    {
      sql::Use use(newest);
      sql::bind_text(newest, 1, sc.name);
      int rc = sqlite3_step(newest);
      if (rc == SQLITE_ROW) {
        version = sqlite3_column_int64(newest, 0);
        if (sql::column_text(newest, 1) == sc.program_hash) {
          d = {version, false};
          return {};
        }
      } else if (rc != SQLITE_DONE) {
        return Outcome::fail(impl.sql_error(db, "reading scenario versions"));
      }
    }
    sql::Use use(ins);
    sql::bind_text(ins, 1, sc.name);
    sql::bind(ins, 2, version + 1);
    sql::bind_text(ins, 3, sc.program_hash);
    sql::bind_blob(ins, 4, sc.cbc.data(), sc.cbc.size());
    sql::bind(ins, 5, sc.deployed_at);
    if (auto o = impl.step_done(ins, "deploying a scenario"); o.kind != Outcome::ok) return o;
    d = {version + 1, true};
    return {};
  });
  if (st) return *st;
  return d;
}

Result<std::vector<ScenarioVersion>> Store::scenarios() const {
  auto l = impl_->lease();
  if (!l) return l.error();
  Error err;
  sqlite3_stmt* s = l.value()->prepare(
      "SELECT name, version, program_hash, deployed_at, length(cbc) FROM scenarios ORDER BY name, version", err,
      impl_->file);
  if (s == nullptr) return err;
  sql::Use use(s);
  std::vector<ScenarioVersion> out;
  for (;;) {
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return impl_->sql_error(l.value()->db.get(), "listing scenarios");
    out.push_back({std::string(sql::column_text(s, 0)), sqlite3_column_int64(s, 1),
                   std::string(sql::column_text(s, 2)), sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 4)});
  }
  return out;
}

Result<std::optional<std::vector<std::uint8_t>>> Store::scenario_bytes(std::string_view name,
                                                                      std::int64_t version) const {
  auto l = impl_->lease();
  if (!l) return l.error();
  Error err;
  sqlite3_stmt* s =
      l.value()->prepare("SELECT cbc FROM scenarios WHERE name = ?1 AND version = ?2", err, impl_->file);
  if (s == nullptr) return err;
  sql::Use use(s);
  sql::bind_text(s, 1, name);
  sql::bind(s, 2, version);
  int rc = sqlite3_step(s);
  if (rc == SQLITE_DONE) return std::optional<std::vector<std::uint8_t>>{};
  if (rc != SQLITE_ROW) return impl_->sql_error(l.value()->db.get(), "reading a scenario");
  std::string_view b = sql::column_blob(s, 0);
  return std::optional<std::vector<std::uint8_t>>(std::vector<std::uint8_t>(b.begin(), b.end()));
}

}  // namespace cascade::store
