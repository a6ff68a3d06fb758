// Thin RAII over the SQLite C API for the store: connections, prepared statements, and the
// few binding/reading helpers the store needs. Internal to cascade_store.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace cascade::store::sql {

struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, DbClose>;

struct StmtFinalize {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

// Resets a statement when the scope ends, so a cached statement never keeps a read transaction
// (and with it an old WAL snapshot) open after its caller is done.
class Use {
 public:
  explicit Use(sqlite3_stmt* s) : s_(s) {}
  ~Use() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  Use(const Use&) = delete;
  Use& operator=(const Use&) = delete;
  sqlite3_stmt* get() const { return s_; }

 private:
  sqlite3_stmt* s_;
};

inline void bind(sqlite3_stmt* s, int i, std::int64_t v) { sqlite3_bind_int64(s, i, v); }
// SQLITE_STATIC: every bound buffer outlives the statement's step in the store.
inline void bind_text(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.empty() ? "" : v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}
inline void bind_opt_text(sqlite3_stmt* s, int i, const std::optional<std::string>& v) {
  if (v) {
    bind_text(s, i, *v);
  } else {
    sqlite3_bind_null(s, i);
  }
}
// A zero-length blob stays a blob (a null pointer would bind NULL).
inline void bind_blob(sqlite3_stmt* s, int i, const void* data, std::size_t size) {
  static const char empty = 0;
  sqlite3_bind_blob64(s, i, size ? data : &empty, size, SQLITE_STATIC);
}

inline std::string_view column_text(sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  if (p == nullptr) return {};
  return {p, static_cast<std::size_t>(sqlite3_column_bytes(s, i))};
}
inline std::string_view column_blob(sqlite3_stmt* s, int i) {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(s, i));
  if (p == nullptr) return {};
  return {p, static_cast<std::size_t>(sqlite3_column_bytes(s, i))};
}
inline std::optional<std::string> column_opt_text(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  return std::string(column_text(s, i));
}

}  // namespace cascade::store::sql
