// cascade::http logs: JSON lines (one object a line: time, level, msg, then fields) for the
// daemon's access and application log, with personal data masked. Every string that reaches a
// line — the message and each string field — goes through mask_pii first, so an e-mail address
// or a phone number inside a path, an error message or an echoed body never reaches the log.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <string>
#include <string_view>
#include <variant>

namespace cascade::http {

// Masks e-mail addresses (alice@example.ru → a***@e***.ru) and phone numbers (10 to 15 digits,
// an optional leading '+', single spaces, dashes or brackets between groups: +79161234567 →
// +7916*****67, keeping the first four and the last two digits) anywhere in `text`. Errs toward
// masking: a long digit run that is not a phone is masked too.
std::string mask_pii(std::string_view text);

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };
std::string_view level_name(Level level);

struct LogField {
  std::string_view key;
  std::variant<std::string_view, std::int64_t, double, bool> value;
};

class Logger {
 public:
  using Sink = std::function<void(std::string_view line)>;  // a whole line, '\n' included
  // The default sink writes to stderr.
  explicit Logger(Level min_level = Level::Info, Sink sink = {});

  bool enabled(Level level) const { return level >= min_level_; }
  void log(Level level, std::string_view msg, std::initializer_list<LogField> fields = {});
  void info(std::string_view msg, std::initializer_list<LogField> fields = {}) { log(Level::Info, msg, fields); }
  void warn(std::string_view msg, std::initializer_list<LogField> fields = {}) { log(Level::Warn, msg, fields); }
  void error(std::string_view msg, std::initializer_list<LogField> fields = {}) { log(Level::Error, msg, fields); }

  // The line log() would write (without a sink), for tests and for callers that batch lines.
  static std::string format_line(Level level, std::string_view msg, std::initializer_list<LogField> fields);

 private:
  Level min_level_;
  Sink sink_;
  std::mutex mutex_;
};

}  // namespace cascade::http
