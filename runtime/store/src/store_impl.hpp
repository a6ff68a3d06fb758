// The store's private state, shared by store.cpp and snapshots.cpp: the write connection and its
// statements (writer thread only, after open), the job queue, the read pool, the counters.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "cascade/store/store.hpp"
#include "sqlite.hpp"

namespace cascade::store {

struct Store::Impl {
  // What a job's run() did inside the transaction: ok; rejected (this job only, it wrote
  // nothing, the transaction goes on); failed (SQLite error: the whole transaction rolls back).
  struct Outcome {
    enum Kind { ok, rejected, failed } kind = ok;
    Error error;
    static Outcome reject(Error e) { return {rejected, std::move(e)}; }
    static Outcome fail(Error e) { return {failed, std::move(e)}; }
  };

  struct Job {
    virtual ~Job() = default;
    virtual Outcome run(Impl& impl) = 0;  // on the writer thread, inside BEGIN IMMEDIATE … COMMIT
    // After the commit (status empty, or this job's rejection) or the rollback (the error,
    // fatal = true).
    virtual void complete(Status status, bool fatal) = 0;
  };

  struct ReadConn {
    sql::Db db;
    std::map<const char*, sql::Stmt> cache;  // keyed by the query's (static) text pointer
    sqlite3_stmt* prepare(const char* text, Error& error, const std::filesystem::path& file);
  };

  // A read connection borrowed from the pool; returned on destruction.
  class Lease {
   public:
    Lease(const Impl* impl, std::unique_ptr<ReadConn> c) : impl_(impl), conn_(std::move(c)) {}
    Lease(Lease&& o) noexcept : impl_(o.impl_), conn_(std::move(o.conn_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    ReadConn* operator->() const { return conn_.get(); }

   private:
    const Impl* impl_;
    std::unique_ptr<ReadConn> conn_;
  };

  ~Impl();

  Error sql_error(sqlite3* db, std::string_view what) const;
  Status exec(sqlite3* db, const char* sql, std::string_view what) const;
  Result<sql::Db> connect(bool writer) const;
  Result<Lease> lease() const;
  Result<std::int64_t> read_int(const char* query, std::string_view what) const;
  sqlite3_stmt* wprepare(const char* text);  // writer thread (or open) only
  Outcome step_done(sqlite3_stmt* s, std::string_view what);

  void enqueue(std::unique_ptr<Job> job);
  void writer_loop();
  void run_transaction(std::vector<std::unique_ptr<Job>>& jobs);
  // Runs `body` as a job and waits for its commit.
  Status run_sync(std::function<Outcome(Impl&)> body);
  Result<bool> update_one(const char* text, std::string_view id, std::optional<std::string_view> arg,
                          std::string_view what);

  Status clean_snapshot_dir();  // at open: removes temporary and unreferenced snapshot files

  std::filesystem::path dir, file, snap_dir;
  Options options;
  std::string store_id;
  int lock_fd = -1;

  sql::Db wdb;
  std::map<const char*, sql::Stmt> wstmts;

  mutable std::mutex pool_mu;
  mutable std::vector<std::unique_ptr<ReadConn>> pool;

  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::unique_ptr<Job>> queue;
  bool stopping = false;
  std::thread writer;
  std::thread::id writer_id;

  std::atomic<std::uint64_t> transactions{0}, failed_transactions{0}, jobs_done{0}, inputs_added{0}, duplicates{0},
      completion_exceptions{0};
  std::atomic<std::uint64_t> snapshot_seq{0};  // makes snapshot file names unique within a process
};

}  // namespace cascade::store
