// The JSON-lines form of a trace record: keys in one fixed order, so equal runs give equal
// bytes. docs/runtime.md lists the keys of each action.
//
// Formatting is on every host's hot path (`cascade run` writes 2–4 records per input line), so
// a record is written with raw pointer stores into a buffer known to be large enough — an upper
// bound of its length is computed first (every string byte may become a 6-byte \u escape) — and
// appended to the output in one copy, instead of one capacity check per character. Records of
// the common size go through a stack buffer; bigger ones are written straight into the grown
// output string. The last instant written is kept in its text form: records of one input share
// their instant, so most "at" values are a 20-byte copy.
#include <algorithm>
#include <charconv>
#include <cstring>

#include "cascade/vm/engine.hpp"
#include "values_internal.hpp"

namespace cascade::vm {

namespace {

// A cursor into a buffer the caller has sized for the whole record.
struct Cursor {
  char* p;
  void put(char c) { *p++ = c; }
  void put(std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  }
  template <std::size_t N>
  void lit(const char (&s)[N]) {  // a string literal, without its terminating NUL
    std::memcpy(p, s, N - 1);
    p += N - 1;
  }
};

constexpr std::size_t kEscapeWidth = 6;  // "\u001f": the longest escape of one byte

// True when one of the 8 bytes of w needs escaping: < 0x20, '"' or '\\'. The classic "has a
// zero byte" test, on w less 0x20 per byte and on w xor '"' and xor '\\': no false negatives;
// a false positive (a borrow after a true hit) only sends the word to the byte loop.
bool needs_escape(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighs = 0x8080808080808080ULL;
  const std::uint64_t quote = w ^ (kOnes * '"');
  const std::uint64_t slash = w ^ (kOnes * '\\');
  return (((w - kOnes * 0x20) & ~w) | ((quote - kOnes) & ~quote) | ((slash - kOnes) & ~slash)) & kHighs;
}

void quoted(Cursor& out, std::string_view s) {
  out.put('"');
  const char* p = s.data();
  const char* const end = p + s.size();
  const char* run = p;
  // Text is mostly plain (ids, channel names, Cyrillic UTF-8): copied in runs between the few
  // bytes that need escaping, which are looked for eight at a time.
  while (p != end) {
    while (end - p >= 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      if (needs_escape(w)) break;
      p += 8;
    }
    if (p == end) break;
    const auto c = static_cast<unsigned char>(*p);
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++p;
      continue;
    }
    if (p != run) out.put(std::string_view(run, static_cast<std::size_t>(p - run)));
    ++p;
    run = p;
    switch (c) {
      case '"': out.lit("\\\""); break;
      case '\\': out.lit("\\\\"); break;
      case '\n': out.lit("\\n"); break;
      case '\r': out.lit("\\r"); break;
      case '\t': out.lit("\\t"); break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out.put(std::string_view(esc, 6));
      }
    }
  }
  if (end != run) out.put(std::string_view(run, static_cast<std::size_t>(end - run)));
  out.put('"');
}

// An unsigned integer (at most 20 digits).
void number(Cursor& out, std::uint64_t v) { out.p = std::to_chars(out.p, out.p + 20, v).ptr; }

// The text of an instant, "2026-03-02T10:00:00Z" (as detail::append_time_utc writes it),
// remembered for the next record.
struct TimeText {
  Time t = 0;
  std::size_t size = 0;  // 0: nothing remembered
  char text[48];
};
thread_local TimeText t_at, t_until;

void two(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10 % 10);
  p[1] = static_cast<char>('0' + v % 10);
}

// Records alternate between their instant and a deadline ("until"), so each has its own.
void time_value(Cursor& out, Time t, TimeText& last) {
  if (last.size == 0 || last.t != t) {
    std::int64_t days = t / 86400;
    std::int64_t secs = t % 86400;
    if (secs < 0) {
      secs += 86400;
      days -= 1;
    }
    const detail::Civil c = detail::civil_from_days(days);
    if (c.year >= 0 && c.year <= 9999) {
      char* p = last.text;
      const auto y = static_cast<unsigned>(c.year);
      two(p, y / 100);
      two(p + 2, y % 100);
      p[4] = '-';
      two(p + 5, c.month);
      p[7] = '-';
      two(p + 8, c.day);
      p[10] = 'T';
      two(p + 11, static_cast<unsigned>(secs / 3600));
      p[13] = ':';
      two(p + 14, static_cast<unsigned>(secs / 60 % 60));
      p[16] = ':';
      two(p + 17, static_cast<unsigned>(secs % 60));
      p[19] = 'Z';
      last.size = 20;
    } else {  // a signed year of any width: the shared writer (rare, allocation allowed)
      std::string s;
      detail::append_time_utc(s, t);
      last.size = std::min(s.size(), sizeof last.text);
      std::memcpy(last.text, s.data(), last.size);
    }
    last.t = t;
  }
  out.put('"');
  out.put(std::string_view(last.text, last.size));
  out.put('"');
}

// ,"step":N
void step_field(Cursor& out, std::uint16_t step) {
  out.lit(",\"step\":");
  number(out, step);
}

// ,"k":"v" when v is not empty. `k` is a literal key with its punctuation: ",\"k\":".
template <std::size_t N>
void text_field(Cursor& out, const char (&k)[N], std::string_view v) {
  if (v.empty()) return;
  out.lit(k);
  quoted(out, v);
}

// Micros as a plain decimal number: 200000 → 0.2, 2000000 → 2, 3540000 → 3.54.
void money(Cursor& out, std::int64_t micros) {
  const bool negative = micros < 0;
  const std::uint64_t m = negative ? 0 - static_cast<std::uint64_t>(micros) : static_cast<std::uint64_t>(micros);
  if (negative) out.put('-');
  number(out, m / 1000000);
  std::uint64_t frac = m % 1000000;
  if (frac == 0) return;
  char digits[7];
  for (int k = 5; k >= 0; --k) {
    digits[k] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  int len = 6;
  while (len > 0 && digits[len - 1] == '0') --len;
  out.put('.');
  out.put(std::string_view(digits, static_cast<std::size_t>(len)));
}

// An upper bound of the bytes write_record() produces for r.
std::size_t bound(const TraceRecord& r) {
  const std::size_t strings = r.recipient.size() + r.scenario.size() + r.channel.size() + r.message.size() +
                              r.branch.size() + r.template_name.size() + r.text.size() + r.reason.size() +
                              r.wait_for.size() + r.status.size() + r.event.size() + r.group.size() +
                              r.trigger_name.size();
  // Keys, punctuation, two instants (≤ 40 bytes each with quotes), numbers (≤ 20 digits each,
  // money ≤ 28): all well under 512.
  return 512 + kEscapeWidth * strings + r.vars_json.size();
}

void write_record(const TraceRecord& r, Cursor& out) {
  out.lit("{\"at\":");
  time_value(out, r.at, t_at);
  out.lit(",\"recipient\":");
  quoted(out, r.recipient);
  out.lit(",\"scenario\":");
  quoted(out, r.scenario);
  if (r.instance) {
    out.lit(",\"instance\":");
    number(out, r.instance);
  }
  out.lit(",\"action\":");
  quoted(out, action_name(r.action));
  switch (r.action) {
    case Action::Start:
      text_field(out, ",\"trigger\":", r.trigger_name);
      text_field(out, ",\"group\":", r.group);
      break;
    case Action::Skip:
      text_field(out, ",\"trigger\":", r.trigger_name);
      text_field(out, ",\"channel\":", r.channel);
      if (r.step) step_field(out, r.step);
      text_field(out, ",\"reason\":", r.reason);
      break;
    case Action::Send:
      text_field(out, ",\"channel\":", r.channel);
      text_field(out, ",\"message\":", r.message);
      step_field(out, r.step);
      text_field(out, ",\"branch\":", r.branch);
      if (r.has_text) {
        out.lit(",\"text\":");
        quoted(out, r.text);
      } else {
        text_field(out, ",\"template\":", r.template_name);
        if (!r.vars_json.empty()) {
          out.lit(",\"vars\":");
          out.put(r.vars_json);
        }
      }
      if (r.segments > 0) {
        out.lit(",\"segments\":");
        number(out, static_cast<std::uint64_t>(r.segments));
      }
      if (r.cost_micros >= 0) {
        out.lit(",\"cost\":");
        money(out, r.cost_micros);
      }
      break;
    case Action::Defer:
      text_field(out, ",\"channel\":", r.channel);
      if (r.step) step_field(out, r.step);
      text_field(out, ",\"reason\":", r.reason);
      out.lit(",\"until\":");
      time_value(out, r.until, t_until);
      break;
    case Action::Wait:
      text_field(out, ",\"for\":", r.wait_for);
      text_field(out, ",\"channel\":", r.channel);
      text_field(out, ",\"message\":", r.message);
      out.lit(",\"until\":");
      time_value(out, r.until, t_until);
      break;
    case Action::Status:
      text_field(out, ",\"channel\":", r.channel);
      text_field(out, ",\"message\":", r.message);
      if (r.step) step_field(out, r.step);
      text_field(out, ",\"status\":", r.status);
      text_field(out, ",\"reason\":", r.reason);
      break;
    case Action::Event:
      text_field(out, ",\"event\":", r.event);
      text_field(out, ",\"as\":", r.reason);
      break;
    case Action::End:
      out.lit(",\"outcome\":");
      quoted(out, outcome_name(r.outcome));
      if (r.step) {
        step_field(out, r.step);
        text_field(out, ",\"channel\":", r.channel);
      }
      break;
  }
  out.lit("}\n");
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  if (s.size() <= 256) {
    char buf[2 + kEscapeWidth * 256];
    Cursor c{buf};
    quoted(c, s);
    out.append(buf, static_cast<std::size_t>(c.p - buf));
    return;
  }
  const std::size_t old = out.size();
  out.resize(old + 2 + kEscapeWidth * s.size());
  Cursor c{out.data() + old};
  quoted(c, s);
  out.resize(static_cast<std::size_t>(c.p - out.data()));
}

void append_json(const TraceRecord& r, std::string_view currency, std::string& out) {
  (void)currency;
  const std::size_t most = bound(r);
  constexpr std::size_t kStack = 4096;
  if (most <= kStack) {
    char buf[kStack];
    Cursor c{buf};
    write_record(r, c);
    out.append(buf, static_cast<std::size_t>(c.p - buf));
    return;
  }
  const std::size_t old = out.size();
  out.resize(old + most);
  Cursor c{out.data() + old};
  write_record(r, c);
  out.resize(static_cast<std::size_t>(c.p - out.data()));
}

}  // namespace cascade::vm
