// The JSON-lines form of a trace record: keys in one fixed order, so equal runs give equal
// bytes. docs/runtime.md lists the keys of each action.
#include <charconv>

#include "cascade/vm/engine.hpp"
#include "values_internal.hpp"

namespace cascade::vm {

namespace {

void quoted(std::string& out, std::string_view s) { append_json_string(out, s); }

// Appends an unsigned integer (to_chars into a stack buffer: no format string, no allocation).
void number(std::string& out, std::uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

// ,"step":N
void step_field(std::string& out, std::uint16_t step) {
  out += ",\"step\":";
  number(out, step);
}

void time_value(std::string& out, Time t) {
  out += '"';
  detail::append_time_utc(out, t);
  out += '"';
}

void key(std::string& out, std::string_view k) {
  out += ",\"";
  out += k;
  out += "\":";
}

void text_field(std::string& out, std::string_view k, std::string_view v) {
  if (v.empty()) return;
  key(out, k);
  quoted(out, v);
}

// Micros as a plain decimal number: 200000 → 0.2, 2000000 → 2, 3540000 → 3.54.
void money(std::string& out, std::int64_t micros) {
  const bool negative = micros < 0;
  const std::uint64_t m = negative ? 0 - static_cast<std::uint64_t>(micros) : static_cast<std::uint64_t>(micros);
  if (negative) out += '-';
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
  out += '.';
  out.append(digits, static_cast<std::size_t>(len));
}

}  // namespace

// Appends `s` as a JSON string. Text is mostly plain (ids, channel names, Cyrillic UTF-8), so
// it is copied in runs between the few bytes that need escaping rather than byte by byte.
void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  const char* p = s.data();
  const char* const end = p + s.size();
  const char* run = p;
  for (; p != end; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    if (p != run) out.append(run, static_cast<std::size_t>(p - run));
    run = p + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out.append(esc, 6);
      }
    }
  }
  if (end != run) out.append(run, static_cast<std::size_t>(end - run));
  out += '"';
}

void append_json(const TraceRecord& r, std::string_view currency, std::string& out) {
  (void)currency;
  out += "{\"at\":";
  time_value(out, r.at);
  out += ",\"recipient\":";
  quoted(out, r.recipient);
  key(out, "scenario");
  quoted(out, r.scenario);
  if (r.instance) {
    key(out, "instance");
    number(out, r.instance);
  }
  key(out, "action");
  quoted(out, action_name(r.action));
  switch (r.action) {
    case Action::Start:
      text_field(out, "trigger", r.trigger_name);
      text_field(out, "group", r.group);
      break;
    case Action::Skip:
      text_field(out, "trigger", r.trigger_name);
      text_field(out, "channel", r.channel);
      if (r.step) step_field(out, r.step);
      text_field(out, "reason", r.reason);
      break;
    case Action::Send:
      text_field(out, "channel", r.channel);
      text_field(out, "message", r.message);
      step_field(out, r.step);
      text_field(out, "branch", r.branch);
      if (r.has_text) {
        key(out, "text");
        quoted(out, r.text);
      } else {
        text_field(out, "template", r.template_name);
        if (!r.vars_json.empty()) {
          key(out, "vars");
          out += r.vars_json;
        }
      }
      if (r.segments > 0) {
        key(out, "segments");
        number(out, static_cast<std::uint64_t>(r.segments));
      }
      if (r.cost_micros >= 0) {
        key(out, "cost");
        money(out, r.cost_micros);
      }
      break;
    case Action::Defer:
      text_field(out, "channel", r.channel);
      if (r.step) step_field(out, r.step);
      text_field(out, "reason", r.reason);
      key(out, "until");
      time_value(out, r.until);
      break;
    case Action::Wait:
      text_field(out, "for", r.wait_for);
      text_field(out, "channel", r.channel);
      text_field(out, "message", r.message);
      key(out, "until");
      time_value(out, r.until);
      break;
    case Action::Status:
      text_field(out, "channel", r.channel);
      text_field(out, "message", r.message);
      if (r.step) step_field(out, r.step);
      text_field(out, "status", r.status);
      text_field(out, "reason", r.reason);
      break;
    case Action::Event:
      text_field(out, "event", r.event);
      text_field(out, "as", r.reason);
      break;
    case Action::End:
      key(out, "outcome");
      quoted(out, outcome_name(r.outcome));
      if (r.step) {
        step_field(out, r.step);
        text_field(out, "channel", r.channel);
      }
      break;
  }
  out += "}\n";
}

}  // namespace cascade::vm
