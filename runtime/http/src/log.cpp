#include "cascade/http/log.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <vector>

namespace cascade::http {

namespace {

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_local_char(char c) {
  return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '\'' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool is_domain_char(char c) { return is_alnum(c) || c == '.' || c == '-' || static_cast<unsigned char>(c) >= 0x80; }

struct Range {
  std::size_t begin;
  std::size_t end;
};

std::vector<Range> find_emails(std::string_view s) {
  std::vector<Range> out;
  std::size_t from = 0;
  while (true) {
    const std::size_t at = s.find('@', from);
    if (at == std::string_view::npos) break;
    from = at + 1;
    if (!out.empty() && at < out.back().end) continue;
    std::size_t l = at;
    const std::size_t floor = out.empty() ? 0 : out.back().end;
    while (l > floor && is_local_char(s[l - 1])) --l;
    std::size_t r = at + 1;
    while (r < s.size() && is_domain_char(s[r])) ++r;
    while (r > at + 1 && (s[r - 1] == '.' || s[r - 1] == '-')) --r;  // "write to a@b.ru." ends a sentence
    const std::string_view domain = s.substr(at + 1, r - at - 1);
    const std::size_t dot = domain.rfind('.');
    if (l == at || domain.empty() || dot == std::string_view::npos || dot == 0 || dot + 1 == domain.size()) continue;
    out.push_back({l, r});
    from = r;
  }
  return out;
}

void mask_email(std::string& out, std::string_view e) {
  const std::size_t at = e.find('@');
  const std::string_view domain = e.substr(at + 1);
  out += e[0];
  out += "***@";
  out += domain[0];
  out += "***";
  out += domain.substr(domain.rfind('.'));
}

// A phone starting at i: returns its end (exclusive), or i when there is none.
std::size_t phone_end(std::string_view s, std::size_t i) {
  if (i > 0) {
    const char p = s[i - 1];
    if (is_alnum(p) || p == '_' || p == '+') return i;
  }
  std::size_t k = i;
  if (s[k] == '+') ++k;
  if (k >= s.size() || !(is_digit(s[k]) || s[k] == '(')) return i;
  std::size_t digits = 0;
  std::size_t last_digit_end = k;
  char prev = '\0';
  for (; k < s.size(); ++k) {
    const char c = s[k];
    if (is_digit(c)) {
      ++digits;
      last_digit_end = k + 1;
    } else if (c == ' ' || c == '-' || c == '(' || c == ')') {
      // Two separators in a row end the number, except ") " and " (" around an area code.
      const bool pair_ok = (prev == ')' && c == ' ') || (prev == ' ' && c == '(') || (prev == '-' && c == '(');
      if (!is_digit(prev) && prev != '\0' && !pair_ok) break;
    } else {
      break;
    }
    prev = c;
  }
  if (digits < 10 || digits > 15) return i;
  if (last_digit_end < s.size() && (is_alnum(s[last_digit_end]) || s[last_digit_end] == '_')) return i;
  return last_digit_end;
}

void mask_phone(std::string& out, std::string_view p) {
  std::size_t total = 0;
  for (char c : p) total += is_digit(c);
  std::size_t seen = 0;
  for (char c : p) {
    if (!is_digit(c)) {
      out += c;
      continue;
    }
    ++seen;
    out += (seen <= 4 || seen > total - 2) ? c : '*';
  }
}

}  // namespace

std::string mask_pii(std::string_view s) {
  // Cheap exit: most logged values have neither '@' nor a digit run.
  bool maybe = false;
  for (char c : s) {
    if (c == '@' || is_digit(c)) {
      maybe = true;
      break;
    }
  }
  if (!maybe) return std::string{s};
  const std::vector<Range> emails = find_emails(s);
  std::string out;
  out.reserve(s.size());
  std::size_t next_email = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    if (next_email < emails.size() && emails[next_email].begin == i) {
      mask_email(out, s.substr(i, emails[next_email].end - i));
      i = emails[next_email].end;
      ++next_email;
      continue;
    }
    const std::size_t limit = next_email < emails.size() ? emails[next_email].begin : s.size();
    if (is_digit(s[i]) || s[i] == '+' || s[i] == '(') {
      const std::size_t end = phone_end(s.substr(0, limit), i);
      if (end > i) {
        mask_phone(out, s.substr(i, end - i));
        i = end;
        continue;
      }
    }
    out += s[i];
    ++i;
  }
  return out;
}

std::string_view level_name(Level level) {
  switch (level) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warn";
    case Level::Error: return "error";
  }
  return "?";
}

Logger::Logger(Level min_level, Sink sink) : min_level_(min_level), sink_(std::move(sink)) {}

namespace {

void append_string(std::string& out, std::string_view s) {
  out += boost::json::serialize(boost::json::string_view{s.data(), s.size()});
}

std::string now_rfc3339() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
}

}  // namespace

std::string Logger::format_line(Level level, std::string_view msg, std::initializer_list<LogField> fields) {
  std::string line = "{\"time\":\"";
  line += now_rfc3339();
  line += "\",\"level\":\"";
  line += level_name(level);
  line += "\",\"msg\":";
  append_string(line, mask_pii(msg));
  for (const LogField& f : fields) {
    line += ',';
    append_string(line, f.key);
    line += ':';
    if (const auto* s = std::get_if<std::string_view>(&f.value)) {
      append_string(line, mask_pii(*s));
    } else if (const auto* i = std::get_if<std::int64_t>(&f.value)) {
      line += fmt::format("{}", *i);
    } else if (const auto* d = std::get_if<double>(&f.value)) {
      line += std::isfinite(*d) ? fmt::format("{}", *d) : std::string{"null"};
    } else {
      line += std::get<bool>(f.value) ? "true" : "false";
    }
  }
  line += "}\n";
  return line;
}

void Logger::log(Level level, std::string_view msg, std::initializer_list<LogField> fields) {
  if (!enabled(level)) return;
  const std::string line = format_line(level, msg, fields);
  std::lock_guard lock(mutex_);
  if (sink_) {
    sink_(line);
  } else {
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
  }
}

}  // namespace cascade::http
