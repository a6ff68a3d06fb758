// The daemon's durable store: one SQLite file (WAL) in the data directory, plus snapshot files
// beside it (docs/daemon-design.md, "The store").
//
// It owns the input log (the truth: every accepted input, in sequence order, de-duplicated by an
// optional id), the outbox of effects together with the applier's watermark, the deployed
// scenario versions, and the engine snapshots. It stores bytes and JSON text and knows nothing
// of the compiler or the engine.
//
// Writes: one writer thread owns the write connection. Every write (appends, outbox puts with
// the watermark, outbox state changes, scenario deploys, snapshot rows) is queued to it; it
// drains everything queued into one BEGIN IMMEDIATE … COMMIT (group commit: concurrent requests
// share one fsync) and only then calls each completion. If the transaction fails, every job in
// it gets the error and nothing of it is applied. A logical operation is never split across
// transactions, so a crash (kill -9, power loss with sync = full) never leaves half of one.
// Completions run on the writer thread: they must be quick and must not call the synchronous
// wrappers (those return an error there rather than deadlock); one that throws is counted in
// Stats and does not stop the writer.
//
// Reads (replay, pending outbox rows, counts, scenarios, snapshots) use a small pool of read
// connections and see the last committed state; they never wait for the writer.
//
// Errors are values (Error, naming the file); the store does not throw.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace cascade::store {

struct Error {
  std::string message;  // names the file (and the operation) it is about
};

template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Error error) : v_(std::move(error)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// The outcome of an operation that returns nothing: an empty optional is success.
using Status = std::optional<Error>;

enum class Sync {
  full,    // fsync the WAL at every commit: an acknowledged write survives power loss
  normal,  // fsync only at checkpoints: survives a process crash, may lose the last commits on power loss
};

struct Options {
  Sync sync = Sync::full;
  // Snapshots kept after a save (the newest ones by watermark); at least 1.
  int snapshots_kept = 2;
  // Upper bound on the jobs one transaction takes, so a flood of work cannot make one commit
  // (and every waiter's latency) unbounded. A job is never split.
  std::size_t max_jobs_per_transaction = 4096;
  // A bound on the database file (0: none), e.g. a quota below the disk's size: a transaction
  // that would grow the file past it fails ("database or disk is full") as on a full disk.
  std::int64_t max_database_bytes = 0;
};

// One input for the log. `at` is the input's instant in the caller's unit (the daemon: ms since
// the Unix epoch); `body` is the input as received (JSON text), stored as bytes.
struct NewInput {
  std::string kind;
  std::int64_t at = 0;
  std::optional<std::string> dedupe_id;
  std::string body;
};

// The result for one appended input: its new seq, or, when its dedupe id was seen before (in an
// earlier batch or earlier in the same one), the seq of that first input and duplicate = true.
struct Appended {
  std::int64_t seq = 0;
  bool duplicate = false;
  friend bool operator==(const Appended&, const Appended&) = default;
};

// One input read back. The views point into SQLite's row buffer: valid only during the callback.
struct InputView {
  std::int64_t seq = 0;
  std::string_view kind;
  std::int64_t at = 0;
  std::optional<std::string_view> dedupe_id;
  std::string_view body;
};

// An effect to hand to a provider, created by applying the input `created_seq`.
struct OutboxRow {
  std::string message_id;
  std::string idempotency_key;
  std::string provider;
  std::string payload;  // JSON text
  std::int64_t created_seq = 0;
};

enum class OutboxState { pending = 0, acknowledged = 1, failed = 2 };

struct OutboxEntry {
  OutboxRow row;
  OutboxState state = OutboxState::pending;
  std::int64_t attempts = 0;
  std::optional<std::string> provider_id;  // when acknowledged
  std::optional<std::string> reason;       // when failed
};

struct OutboxCounts {
  std::int64_t pending = 0, acknowledged = 0, failed = 0;
};

struct NewScenario {
  std::string name;
  std::string program_hash;
  std::vector<std::uint8_t> cbc;
  std::int64_t deployed_at = 0;
};

struct Deployed {
  std::int64_t version = 0;
  bool created = false;  // false: the newest version already had this program hash
};

struct ScenarioVersion {
  std::string name;
  std::int64_t version = 0;
  std::string program_hash;
  std::int64_t deployed_at = 0;
  std::int64_t size = 0;  // bytes of the .cbc
};

// A loaded snapshot: its bytes are a read-only mapping of the file (no copy; pre-faulted), valid
// as long as any copy of `mapping` lives — also after a later save drops the file.
struct Snapshot {
  std::int64_t watermark = 0;   // the engine state after applying inputs up to this seq
  std::int64_t created_at = 0;  // ms since the Unix epoch
  std::span<const std::uint8_t> bytes;
  std::shared_ptr<const void> mapping;
};

struct SnapshotInfo {
  std::int64_t id = 0, watermark = 0, created_at = 0, size = 0;
  std::filesystem::path file;
};

// Counters for /metrics and for tests (group commit: transactions far below jobs).
struct Stats {
  std::uint64_t transactions = 0;  // committed transactions
  std::uint64_t failed_transactions = 0;
  std::uint64_t jobs = 0;          // completed jobs (an append batch is one job)
  std::uint64_t inputs = 0;        // new log rows
  std::uint64_t duplicates = 0;    // inputs acknowledged as duplicates
  std::uint64_t completion_exceptions = 0;  // completions that threw (caught: the writer goes on)
};

class Store {
 public:
  using AppendDone = std::function<void(Result<std::vector<Appended>>)>;
  using Done = std::function<void(Status)>;

  // Opens (creating when missing) the store in `dir`: `dir/cascade.db` and `dir/snapshots/`.
  // Fails with an Error naming the file when the directory cannot be created or written, the
  // file is not a cascade store, its schema is newer than this build, or another process (or
  // another Store in this one) has it open.
  static Result<std::unique_ptr<Store>> open(const std::filesystem::path& dir, const Options& options = {});

  // Finishes every queued job, then closes.
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& store_id() const;  // 32 hex digits, random, fixed at creation
  const std::filesystem::path& file() const;
  // `store id:message id`: the same key for every retry of one message, distinct across stores.
  std::string idempotency_key(std::string_view message_id) const;

  // ---- the input log ----
  // Queues a batch; `done` runs on the writer thread after the commit that holds it, with one
  // Appended per input in order. Callable from any thread.
  void append_async(std::vector<NewInput> batch, AppendDone done);
  Result<std::vector<Appended>> append(std::vector<NewInput> batch);  // waits for the commit
  // Calls `fn` for every input with seq > after, in seq order, until it returns false. Returns
  // the number of inputs visited.
  Result<std::int64_t> replay(std::int64_t after, const std::function<bool(const InputView&)>& fn) const;
  Result<std::int64_t> last_seq() const;

  // ---- the outbox and the watermark ----
  // In one transaction: inserts the rows (a message id already present is left as it is, so a
  // replay re-creating the same rows is harmless) and raises the watermark to `watermark` (it
  // never goes down). Rejected, with nothing written, when a row's created seq is above
  // `watermark` or `watermark` is above the last seq of the log.
  void put_outbox_async(std::int64_t watermark, std::vector<OutboxRow> rows, Done done);
  Status put_outbox(std::int64_t watermark, std::vector<OutboxRow> rows);
  Result<std::int64_t> watermark() const;
  // State changes apply to pending rows only; the result says whether the row changed (false: no
  // such message, or it is no longer pending).
  Result<bool> mark_acknowledged(std::string_view message_id, std::string_view provider_id);
  Result<bool> mark_failed(std::string_view message_id, std::string_view reason);
  Result<bool> count_attempt(std::string_view message_id);
  // The provider's final answer for a message, queued like an append (no waiting: the daemon's
  // provider threads must not block on a commit each). `done` runs on the writer thread.
  struct Settlement {
    std::string message_id;
    bool acknowledged = true;
    std::string detail;  // the provider's id when acknowledged, the reason when failed
  };
  void settle_async(std::vector<Settlement> settlements, Done done);
  // Pending rows in creation order (for dispatch after a restart), at most `limit`.
  Result<std::vector<OutboxEntry>> pending(std::size_t limit = static_cast<std::size_t>(-1)) const;
  Result<std::optional<OutboxEntry>> outbox_entry(std::string_view message_id) const;
  Result<OutboxCounts> outbox_counts() const;  // O(1): kept by triggers in the same transactions

  // ---- scenarios ----
  // Assigns the next version of the name, unless the newest version has the same program hash.
  Result<Deployed> put_scenario(NewScenario scenario);
  Result<std::vector<ScenarioVersion>> scenarios() const;  // by name, then version
  Result<std::optional<std::vector<std::uint8_t>>> scenario_bytes(std::string_view name, std::int64_t version) const;

  // ---- snapshots ----
  // Writes the bytes to a file beside the database (temporary name, fsync, rename, fsync of the
  // directory), then records it and deletes all but the newest `snapshots_kept` in one
  // transaction. Blocks the calling thread for the file write, not the writer thread.
  Result<SnapshotInfo> save_snapshot(std::int64_t watermark, std::span<const std::uint8_t> bytes);
  // The same with the bytes in parts, written one after the other (a header and a large body
  // need not be copied into one buffer first).
  Result<SnapshotInfo> save_snapshot_parts(std::int64_t watermark,
                                           std::span<const std::span<const std::uint8_t>> parts);
  // The newest snapshot (by watermark), or nothing when there is none yet. Its file is mapped
  // (MAP_POPULATE: read from disk now, not at the first touch) after checking its size.
  Result<std::optional<Snapshot>> load_snapshot() const;
  Result<std::vector<SnapshotInfo>> snapshots() const;  // newest first

  Stats stats() const;

  struct Impl;

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cascade::store
