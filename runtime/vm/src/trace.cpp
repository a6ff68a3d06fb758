// The JSON-lines form of a trace record: keys in one fixed order, so equal runs give equal
// bytes. docs/runtime.md lists the keys of each action.
#include <fmt/format.h>

#include "cascade/vm/engine.hpp"

namespace cascade::vm {

namespace {

void quoted(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
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
  fmt::format_to(std::back_inserter(out), "{}", m / 1000000);
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

void append_json(const TraceRecord& r, std::string_view currency, std::string& out) {
  (void)currency;
  out += "{\"at\":\"";
  out += format_time_utc(r.at);
  out += "\",\"recipient\":";
  quoted(out, r.recipient);
  key(out, "scenario");
  quoted(out, r.scenario);
  if (r.instance) {
    key(out, "instance");
    fmt::format_to(std::back_inserter(out), "{}", r.instance);
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
      if (r.step) fmt::format_to(std::back_inserter(out), ",\"step\":{}", r.step);
      text_field(out, "reason", r.reason);
      break;
    case Action::Send:
      text_field(out, "channel", r.channel);
      text_field(out, "message", r.message);
      fmt::format_to(std::back_inserter(out), ",\"step\":{}", r.step);
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
      if (r.segments > 0) fmt::format_to(std::back_inserter(out), ",\"segments\":{}", r.segments);
      if (r.cost_micros >= 0) {
        key(out, "cost");
        money(out, r.cost_micros);
      }
      break;
    case Action::Defer:
      text_field(out, "channel", r.channel);
      if (r.step) fmt::format_to(std::back_inserter(out), ",\"step\":{}", r.step);
      text_field(out, "reason", r.reason);
      out += ",\"until\":\"";
      out += format_time_utc(r.until);
      out += '"';
      break;
    case Action::Wait:
      text_field(out, "for", r.wait_for);
      text_field(out, "channel", r.channel);
      text_field(out, "message", r.message);
      out += ",\"until\":\"";
      out += format_time_utc(r.until);
      out += '"';
      break;
    case Action::Status:
      text_field(out, "channel", r.channel);
      text_field(out, "message", r.message);
      if (r.step) fmt::format_to(std::back_inserter(out), ",\"step\":{}", r.step);
      text_field(out, "status", r.status);
      break;
    case Action::Event:
      text_field(out, "event", r.event);
      text_field(out, "as", r.reason);
      break;
    case Action::End:
      key(out, "outcome");
      quoted(out, outcome_name(r.outcome));
      if (r.step) {
        fmt::format_to(std::back_inserter(out), ",\"step\":{}", r.step);
        text_field(out, "channel", r.channel);
      }
      break;
  }
  out += "}\n";
}

}  // namespace cascade::vm
