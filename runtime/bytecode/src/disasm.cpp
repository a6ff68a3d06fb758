// The disassembler (see disasm.hpp). Every index is looked up defensively: the listing of an
// unverified module prints `?` for what it cannot resolve instead of reading out of range.
#include "cascade/bytecode/disasm.hpp"

#include <fmt/format.h>

#include <vector>

#include "cascade/stdlib/builtins.hpp"

namespace cascade::bytecode {

namespace {

std::string duration(std::int64_t s) {
  if (s == 0) return "0s";
  std::string out = s < 0 ? "-" : "";
  // Magnitude as unsigned so that INT64_MIN does not overflow.
  std::uint64_t u = s < 0 ? 0 - static_cast<std::uint64_t>(s) : static_cast<std::uint64_t>(s);
  constexpr std::pair<std::uint64_t, char> kUnits[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  for (auto [size, unit] : kUnits) {
    if (u >= size) {
      out += fmt::format("{}{}", u / size, unit);
      u %= size;
    }
  }
  return out;
}

std::string clock(std::int64_t minutes) {
  if (minutes < 0 || minutes >= 24 * 60) return fmt::format("?{}", minutes);
  return fmt::format("{:02}:{:02}", minutes / 60, minutes % 60);
}

// Unix seconds → "2024-03-01T10:00:00Z" (Howard Hinnant's civil_from_days).
std::string time_utc(std::int64_t t) {
  std::int64_t days = t / 86400, secs = t % 86400;
  if (secs < 0) {
    secs += 86400;
    days -= 1;
  }
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t mo = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = yoe + era * 400 + (mo <= 2);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", y, mo, d, secs / 3600, secs / 60 % 60,
                     secs % 60);
}

std::string decimal(std::int64_t units, std::uint8_t scale) {
  if (scale == 0 || scale > 18) return std::to_string(units);
  const bool neg = units < 0;
  const std::uint64_t u = neg ? 0 - static_cast<std::uint64_t>(units) : static_cast<std::uint64_t>(units);
  std::uint64_t p = 1;
  for (int i = 0; i < scale; ++i) p *= 10;
  return fmt::format("{}{}.{:0{}}", neg ? "-" : "", u / p, u % p, scale);
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string share(std::uint32_t bp) {
  return fmt::format("{}.{:02}%", bp / 100, bp % 100);
}

class Listing {
 public:
  Listing(const Module& m, std::optional<std::string_view> source) : m_(m) {
    if (!source) return;
    std::string_view s = *source;
    while (!s.empty()) {
      const auto nl = s.find('\n');
      std::string_view line = s.substr(0, nl);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      lines_.push_back(line);
      if (nl == std::string_view::npos) break;
      s.remove_prefix(nl + 1);
    }
  }

  std::string run() {
    header();
    for (std::size_t i = 0; i < m_.functions.size(); ++i) function(i);
    return std::move(out_);
  }

 private:
  std::string name(std::uint32_t i) const { return i < m_.strings.size() ? m_.strings[i] : std::string("?"); }
  std::string fn(std::uint16_t f) const {
    if (f == kNoFunction) return "-";
    if (f >= m_.functions.size()) return fmt::format("fn {}?", f);
    return fmt::format("fn {} {}", f, name(m_.functions[f].name));
  }
  std::string event(std::uint32_t e) const { return e < m_.events.size() ? name(m_.events[e].name) : "?"; }
  std::string channels(const std::vector<std::uint8_t>& cs) const {
    if (cs.empty()) return "all channels";
    std::string out;
    for (auto c : cs)
      out += (out.empty() ? "" : ", ") + (c < m_.channels.size() ? name(m_.channels[c].name) : "?");
    return out;
  }

  void header() {
    const Scenario& sc = m_.scenario;
    out_ += fmt::format("; scenario {}", name(sc.name));
    if (sc.title != kNoString) out_ += " " + quoted(name(sc.title));
    out_ += "\n";
    for (const SourceFile& s : m_.sources)
      out_ += fmt::format("; source {} (hash {:016x})\n", name(s.name), s.hash);
    switch (sc.trigger) {
      case TriggerKind::Event:
        out_ += "; trigger " + event(sc.trigger_event);
        break;
      case TriggerKind::Every:
        out_ += "; trigger every " + duration(sc.every_seconds);
        if (sc.every_at != kNoClock) out_ += " at " + clock(sc.every_at);
        break;
      case TriggerKind::Manual:
        out_ += "; trigger manual";
        break;
      default:
        out_ += "; trigger ?";
        break;
    }
    if (sc.trigger_where_fn != kNoFunction) out_ += " where " + fn(sc.trigger_where_fn);
    out_ += "\n";
    if (sc.audience_fn != kNoFunction) out_ += "; audience " + fn(sc.audience_fn) + "\n";
    if (sc.has_goal) {
      out_ += "; goal " + event(sc.goal.event);
      if (sc.goal.where_fn != kNoFunction) out_ += " where " + fn(sc.goal.where_fn);
      if (sc.goal.within_fn != kNoFunction) out_ += " within " + fn(sc.goal.within_fn);
      out_ += "\n";
    }
    for (const StopOn& s : sc.stop_on) {
      out_ += "; stop on " + event(s.event);
      if (s.where_fn != kNoFunction) out_ += " where " + fn(s.where_fn);
      out_ += "\n";
    }
    for (const QuietHours& q : sc.quiet_hours)
      out_ += fmt::format("; quiet hours {}..{} for {}\n", clock(q.from), clock(q.to), channels(q.channels));
    for (const Limit& l : sc.limits)
      out_ +=
          fmt::format("; limit {} per {} for {}\n", l.count, duration(l.per_seconds), channels(l.channels));
    out_ += "; reentry ";
    switch (sc.reentry) {
      case ReentryKind::Never:
        out_ += "never";
        break;
      case ReentryKind::Parallel:
        out_ += "parallel";
        break;
      case ReentryKind::After:
        out_ += "after " + duration(sc.reentry_seconds);
        break;
      default:
        out_ += "?";
        break;
    }
    if (sc.control) out_ += ", control " + share(sc.control);
    if (sc.urgent) out_ += ", urgent";
    out_ += "\n";
    for (std::size_t i = 0; i < m_.splits.size(); ++i) {
      out_ += fmt::format("; split {} {}:", i, name(m_.splits[i].name));
      for (const Branch& b : m_.splits[i].branches)
        out_ += fmt::format(" {} {}", name(b.name), share(b.share));
      out_ += "\n";
    }
    out_ += fmt::format("; locals {}, slots {}, {} constants, {} strings, code {} bytes\n", m_.locals,
                        m_.slots, m_.constants.size(), m_.strings.size(), m_.code.size());
  }

  std::string operand(const Instr& in, Operand k, std::uint32_t v) const {
    switch (k) {
      case Operand::Const:
        return v < m_.constants.size() ? fmt::format("k{} {}", v, constant_to_string(m_, m_.constants[v]))
                                       : fmt::format("k{} ?", v);
      case Operand::Field:
        return v < m_.fields.size() ? name(m_.fields[v]) : fmt::format("field{}?", v);
      case Operand::Local:
        return fmt::format("l{}", v);
      case Operand::Builtin: {
        const auto all = builtins::all();
        return v < all.size() ? std::string(all[v].name) : fmt::format("builtin{}?", v);
      }
      case Operand::Count:
        return std::to_string(v);
      case Operand::Target:
        return fmt::format("-> {:04x}", v);
      case Operand::Targets: {
        std::string out = "[";
        const Split* s = in.operand[0] < m_.splits.size() ? &m_.splits[in.operand[0]] : nullptr;
        for (std::size_t i = 0; i < in.targets_count; ++i) {
          if (i) out += ", ";
          const std::string b = s && i < s->branches.size() ? name(s->branches[i].name) : "?";
          out += fmt::format("{} -> {:04x}", b, in.target_at(m_.code, i));
        }
        return out + "]";
      }
      case Operand::Channel:
        return v < m_.channels.size() ? name(m_.channels[v].name) : fmt::format("channel{}?", v);
      case Operand::Slot:
        return fmt::format("s{}", v);
      case Operand::Template: {
        if (v >= m_.templates.size()) return fmt::format("template{}?", v);
        std::string out = quoted(name(m_.templates[v].name)) + "(";
        for (std::size_t i = 0; i < m_.templates[v].args.size(); ++i)
          out += (i ? ", " : "") + name(m_.templates[v].args[i]);
        return out + ")";
      }
      case Operand::Split:
        return v < m_.splits.size() ? name(m_.splits[v].name) : fmt::format("split{}?", v);
      case Operand::Event:
        return event(v);
      case Operand::Func:
        return fn(static_cast<std::uint16_t>(v));
      case Operand::Outcome:
        return std::string(outcome_name(v));
      case Operand::EndKind:
        return std::string(end_kind_name(v));
    }
    return "?";
  }

  void source_line(std::uint32_t pc) {
    while (span_ < m_.spans.size() && m_.spans[span_].offset < pc) ++span_;
    if (span_ >= m_.spans.size() || m_.spans[span_].offset != pc) return;
    const Span& s = m_.spans[span_];
    if (s.file == last_file_ && s.line == last_line_) return;
    last_file_ = s.file;
    last_line_ = s.line;
    if (s.file == 0 && s.line >= 1 && s.line <= lines_.size())
      out_ += fmt::format("        ; {:>3} | {}\n", s.line, lines_[s.line - 1]);
    else if (!lines_.empty())
      out_ += fmt::format("        ; {}:{}:{}\n",
                          s.file < m_.sources.size() ? name(m_.sources[s.file].name) : "?", s.line, s.column);
  }

  void function(std::size_t i) {
    const Function& f = m_.functions[i];
    const std::uint64_t end = std::uint64_t{f.offset} + f.length;
    out_ += fmt::format("\nfn {} {} [{:04x}, {:04x}){}\n", i, name(f.name), f.offset, end,
                        f.kind == FunctionKind::Main ? " main" : "");
    const std::size_t stop = end > m_.code.size() ? m_.code.size() : static_cast<std::size_t>(end);
    last_line_ = 0;
    last_file_ = ~0u;
    std::string why;
    for (std::size_t pc = f.offset; pc < stop;) {
      source_line(static_cast<std::uint32_t>(pc));
      auto in = decode(m_.code, pc, stop, &why);
      if (!in) {
        out_ += fmt::format("  {:04x}  ?? {}\n", pc, why);
        return;
      }
      const OpInfo& oi = info(in->op);
      std::string line = fmt::format("  {:04x}  {:<14}", pc, oi.name);
      for (std::size_t k = 0; k < oi.operand_count; ++k)
        line += " " + operand(*in, oi.operands[k], in->operand[k]);
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out_ += line + "\n";
      pc += in->size;
    }
  }

  const Module& m_;
  std::vector<std::string_view> lines_;
  std::string out_;
  std::size_t span_ = 0;
  std::uint32_t last_line_ = 0, last_file_ = ~0u;
};

}  // namespace

std::string constant_to_string(const Module& m, const Constant& c) {
  switch (c.kind) {
    case ConstKind::Int:
      return std::to_string(c.value);
    case ConstKind::Decimal:
      return decimal(c.value, c.scale);
    case ConstKind::Duration:
      return duration(c.value);
    case ConstKind::Time:
      return time_utc(c.value);
    case ConstKind::Clock:
      return clock(c.value);
    case ConstKind::Bool:
      return c.value ? "true" : "false";
    case ConstKind::String:
      return c.value >= 0 && static_cast<std::uint64_t>(c.value) < m.strings.size()
                 ? quoted(m.strings[static_cast<std::size_t>(c.value)])
                 : "?";
  }
  return "?";
}

std::string disassemble(const Module& m, std::optional<std::string_view> source) {
  return Listing(m, source).run();
}

}  // namespace cascade::bytecode
