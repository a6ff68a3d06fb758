// The verifier (see verify.hpp): table checks, then per function a decode pass, an operand
// pass and a stack-depth data-flow pass over the control-flow graph.
#include "cascade/bytecode/verify.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "cascade/bytecode/io.hpp"
#include "cascade/stdlib/builtins.hpp"

namespace cascade::bytecode {

namespace {

constexpr std::size_t kBuiltinCount = 0
#define CASCADE_BUILTIN(id, name, doc) +1
#include "cascade/stdlib/builtins.def"
#undef CASCADE_BUILTIN
    ;

constexpr std::size_t kMaxErrors = 64;

class Verifier {
 public:
  explicit Verifier(const Module& m) : m_(m) {}

  VerifyResult run() {
    tables();
    if (functions_ok_)
      for (std::size_t i = 0; i < m_.functions.size() && out_.errors.size() < kMaxErrors; ++i) function(i);
    return std::move(out_);
  }

 private:
  template <class... A>
  void error(fmt::format_string<A...> f, A&&... a) {
    if (out_.errors.size() < kMaxErrors)
      out_.errors.push_back({-1, 0, fmt::format(f, std::forward<A>(a)...)});
  }
  template <class... A>
  void code_error(std::size_t fn, std::uint32_t pc, fmt::format_string<A...> f, A&&... a) {
    if (out_.errors.size() < kMaxErrors)
      out_.errors.push_back({static_cast<int>(fn), pc, fmt::format(f, std::forward<A>(a)...)});
  }

  void string(std::uint32_t i, std::string_view what, bool optional = false) {
    if (optional && i == kNoString) return;
    if (i >= m_.strings.size())
      error("{}: string index {} is out of range ({} strings)", what, i, m_.strings.size());
  }
  void clock(std::uint32_t minutes, std::string_view what) {
    if (minutes >= 24 * 60) error("{}: clock {} minutes is not a time of day", what, minutes);
  }
  void expr_fn(std::uint16_t f, std::string_view what) {
    if (f == kNoFunction) return;
    if (f >= m_.functions.size())
      error("{}: function {} is out of range ({} functions)", what, f, m_.functions.size());
    else if (m_.functions[f].kind != FunctionKind::Expr)
      error("{}: function {} is not an expression function", what, f);
  }
  void channel_list(const std::vector<std::uint8_t>& cs, std::string_view what) {
    for (auto c : cs)
      if (c >= m_.channels.size())
        error("{}: channel {} is out of range ({} channels)", what, c, m_.channels.size());
  }
  void event(std::uint16_t e, std::string_view what) {
    if (e >= m_.events.size()) error("{}: event {} is out of range ({} events)", what, e, m_.events.size());
  }

  void tables() {
    for (std::size_t i = 0; i < m_.strings.size(); ++i)
      if (!valid_utf8(m_.strings[i])) error("string {} is not valid UTF-8", i);
    for (std::size_t i = 0; i < m_.constants.size(); ++i) {
      const Constant& c = m_.constants[i];
      const std::string what = fmt::format("constant {}", i);
      switch (c.kind) {
        case ConstKind::Int:
        case ConstKind::Duration:
        case ConstKind::Time:
          break;
        case ConstKind::Decimal:
          if (c.scale > 18) error("{}: decimal scale {} is above 18", what, c.scale);
          break;
        case ConstKind::Clock:
          if (c.value < 0 || c.value >= 24 * 60)
            error("{}: clock {} minutes is not a time of day", what, c.value);
          break;
        case ConstKind::Bool:
          if (c.value != 0 && c.value != 1) error("{}: bool {} is neither 0 nor 1", what, c.value);
          break;
        case ConstKind::String:
          if (c.value < 0 || static_cast<std::uint64_t>(c.value) >= m_.strings.size())
            error("{}: string index {} is out of range ({} strings)", what, c.value, m_.strings.size());
          break;
        default:
          error("{}: unknown constant kind {}", what, static_cast<int>(c.kind));
      }
      if (c.kind != ConstKind::Decimal && c.scale != 0) error("{}: a scale on a non-decimal constant", what);
    }

    // Functions tile the code: [0, f1), [f1, f2), …, [fn, code.size()).
    const std::size_t before = out_.errors.size();
    if (m_.code.size() > kMaxCode) error("code of {} bytes is above the limit {}", m_.code.size(), kMaxCode);
    if (m_.functions.empty()) error("no functions: a module needs a main body");
    std::uint64_t at = 0;
    for (std::size_t i = 0; i < m_.functions.size(); ++i) {
      const Function& f = m_.functions[i];
      string(f.name, fmt::format("function {} name", i), true);
      if ((i == 0) != (f.kind == FunctionKind::Main))
        error("function {} is {}; function 0 is the main body and only it", i,
              f.kind == FunctionKind::Main ? "a main body" : "an expression function");
      if (f.offset != at)
        error("function {} starts at {}, not where the previous one ends ({})", i, f.offset, at);
      if (f.length == 0) error("function {} is empty", i);
      at = std::uint64_t{f.offset} + f.length;
    }
    if (at != m_.code.size()) error("the functions cover {} bytes of {} bytes of code", at, m_.code.size());
    functions_ok_ = out_.errors.size() == before;

    for (std::size_t i = 0; i < m_.spans.size(); ++i) {
      const Span& s = m_.spans[i];
      if (i > 0 && s.offset <= m_.spans[i - 1].offset) error("span {}: offsets must ascend", i);
      if (s.offset >= m_.code.size()) error("span {}: offset {} is past the code", i, s.offset);
      if (s.file >= m_.sources.size())
        error("span {}: file {} is out of range ({} sources)", i, s.file, m_.sources.size());
      if (s.end_line < s.line)
        error("span {}: ends (line {}) before it starts (line {})", i, s.end_line, s.line);
    }
    for (std::size_t i = 0; i < m_.sources.size(); ++i)
      string(m_.sources[i].name, fmt::format("source {}", i));
    for (std::size_t i = 0; i < m_.channels.size(); ++i) {
      string(m_.channels[i].name, fmt::format("channel {} name", i));
      string(m_.channels[i].kind, fmt::format("channel {} kind", i));
    }
    for (std::size_t i = 0; i < m_.events.size(); ++i) {
      string(m_.events[i].name, fmt::format("event {} name", i));
      for (auto f : m_.events[i].fields) string(f, fmt::format("event {} field", i));
    }
    for (std::size_t i = 0; i < m_.fields.size(); ++i) string(m_.fields[i], fmt::format("field {}", i));
    for (std::size_t i = 0; i < m_.templates.size(); ++i) {
      string(m_.templates[i].name, fmt::format("template {} name", i));
      if (m_.templates[i].args.size() > 255) error("template {}: more than 255 arguments", i);
      for (auto a : m_.templates[i].args) string(a, fmt::format("template {} argument", i));
    }
    for (std::size_t i = 0; i < m_.splits.size(); ++i) {
      const Split& s = m_.splits[i];
      string(s.name, fmt::format("split {} name", i));
      if (s.branches.empty() || s.branches.size() > 255)
        error("split {}: {} branches (1 to 255)", i, s.branches.size());
      std::uint32_t total = 0;
      for (const Branch& b : s.branches) {
        string(b.name, fmt::format("split {} branch", i));
        total += b.share;
      }
      if (total != kShareTotal)
        error("split {}: shares sum to {} basis points, not {}", i, total, kShareTotal);
    }

    const Scenario& sc = m_.scenario;
    string(sc.name, "scenario name");
    string(sc.title, "scenario title", true);
    switch (sc.trigger) {
      case TriggerKind::Event:
        event(sc.trigger_event, "trigger");
        break;
      case TriggerKind::Every:
        if (sc.every_seconds <= 0) error("trigger every: period {}s is not positive", sc.every_seconds);
        if (sc.every_at != kNoClock) clock(sc.every_at, "trigger every … at");
        break;
      case TriggerKind::Manual:
        break;
      default:
        error("unknown trigger kind {}", static_cast<int>(sc.trigger));
    }
    expr_fn(sc.trigger_where_fn, "trigger where");
    expr_fn(sc.audience_fn, "audience");
    if (sc.control > kShareTotal) error("control share {} basis points is above 100%", sc.control);
    switch (sc.reentry) {
      case ReentryKind::Never:
      case ReentryKind::Parallel:
        break;
      case ReentryKind::After:
        if (sc.reentry_seconds <= 0) error("reentry after: duration {}s is not positive", sc.reentry_seconds);
        break;
      default:
        error("unknown reentry kind {}", static_cast<int>(sc.reentry));
    }
    for (const QuietHours& q : sc.quiet_hours) {
      clock(q.from, "quiet hours");
      clock(q.to, "quiet hours");
      if (q.from == q.to) error("quiet hours {}..{} have zero length", q.from, q.to);
      channel_list(q.channels, "quiet hours");
    }
    for (const Limit& l : sc.limits) {
      if (l.count == 0 || l.per_seconds <= 0)
        error("limit {} per {}s is not positive", l.count, l.per_seconds);
      channel_list(l.channels, "limit");
    }
    if (sc.has_goal) {
      event(sc.goal.event, "goal");
      expr_fn(sc.goal.where_fn, "goal where");
      expr_fn(sc.goal.within_fn, "goal within");
    }
    for (const StopOn& s : sc.stop_on) {
      event(s.event, "stop on");
      expr_fn(s.where_fn, "stop on where");
    }
  }

  // Checks one operand's index; returns false (after reporting) when it is out of range.
  bool operand(std::size_t fn, const Instr& in, Operand k, std::uint32_t v) {
    auto range = [&](std::size_t size, std::string_view table) {
      if (v < size) return true;
      code_error(fn, in.pc, "{}: {} {} is out of range ({} {})", info(in.op).name, operand_name(k), v, size,
                 table);
      return false;
    };
    switch (k) {
      case Operand::Const:
        return range(m_.constants.size(), "constants");
      case Operand::Field:
        return range(m_.fields.size(), "field paths");
      case Operand::Local:
        return range(m_.locals, "locals");
      case Operand::Builtin:
        return range(kBuiltinCount, "builtins");
      case Operand::Channel:
        return range(m_.channels.size(), "channels");
      case Operand::Slot:
        return range(m_.slots, "slots");
      case Operand::Template:
        return range(m_.templates.size(), "templates");
      case Operand::Split:
        return range(m_.splits.size(), "splits");
      case Operand::Event:
        return range(m_.events.size(), "events");
      case Operand::Outcome:
        return range(3, "outcomes");
      case Operand::EndKind:
        return range(2, "end kinds");
      case Operand::Func:
        if (v == kNoFunction) return true;
        if (!range(m_.functions.size(), "functions")) return false;
        if (m_.functions[v].kind != FunctionKind::Expr) {
          code_error(fn, in.pc, "{}: function {} is not an expression function", info(in.op).name, v);
          return false;
        }
        return true;
      case Operand::Count:
      case Operand::Target:
      case Operand::Targets:
        return true;
    }
    return true;
  }

  void function(std::size_t fn) {
    const Function& f = m_.functions[fn];
    const std::size_t begin = f.offset, end = std::size_t{f.offset} + f.length;
    const std::span<const std::uint8_t> code = m_.code;
    const bool is_main = f.kind == FunctionKind::Main;

    // 1. Decode every instruction in order: this fixes the instruction starts.
    std::vector<Instr> instrs;
    std::vector<std::int32_t> index_at(f.length, -1);  // instruction index at each start offset
    std::string why;
    for (std::size_t pc = begin; pc < end;) {
      auto in = decode(code, pc, end, &why);
      if (!in) return code_error(fn, static_cast<std::uint32_t>(pc), "{}", why);
      index_at[pc - begin] = static_cast<std::int32_t>(instrs.size());
      instrs.push_back(*in);
      pc += in->size;
    }

    // 2. Operands: indexes in range, counts consistent with the tables, targets on starts.
    auto target_ok = [&](const Instr& in, std::uint32_t t) {
      if (t < begin || t >= end) {
        code_error(fn, in.pc, "{}: jump target {} is outside the function [{}, {})", info(in.op).name, t,
                   begin, end);
        return false;
      }
      if (index_at[t - begin] < 0) {
        code_error(fn, in.pc, "{}: jump target {} is inside an instruction", info(in.op).name, t);
        return false;
      }
      return true;
    };
    for (const Instr& in : instrs) {
      const OpInfo& oi = info(in.op);
      if ((oi.flags & kMain) && !is_main)
        return code_error(fn, in.pc, "{} is allowed only in the main body", oi.name);
      if ((oi.flags & kExpr) && is_main)
        return code_error(fn, in.pc, "{} is allowed only in expression functions", oi.name);
      for (std::size_t i = 0; i < oi.operand_count; ++i) {
        if (!operand(fn, in, oi.operands[i], in.operand[i])) return;
        if (oi.operands[i] == Operand::Target && !target_ok(in, in.operand[i])) return;
      }
      for (std::size_t i = 0; i < in.targets_count; ++i)
        if (!target_ok(in, in.target_at(code, i))) return;
      if (in.op == Op::Split && in.targets_count != m_.splits[in.operand[0]].branches.size())
        return code_error(fn, in.pc, "split: {} targets for {} branches", in.targets_count,
                          m_.splits[in.operand[0]].branches.size());
      if (in.op == Op::SendTemplate && in.operand[3] != m_.templates[in.operand[2]].args.size())
        return code_error(fn, in.pc, "send_template: {} arguments for a template of {}", in.operand[3],
                          m_.templates[in.operand[2]].args.size());
      if (in.op == Op::Call) {
        const std::size_t want = builtins::arity(builtins::all()[in.operand[0]]);
        if (in.operand[1] != want)
          return code_error(fn, in.pc, "call {}: {} arguments, it takes {}",
                            builtins::all()[in.operand[0]].name, in.operand[1], want);
      }
    }

    // 3. Stack depths: one depth per reachable instruction, the same on every path into it.
    std::vector<std::int32_t> depth(instrs.size(), -1);
    std::vector<std::size_t> work{0};
    depth[0] = 0;
    std::uint32_t max_depth = 0;
    auto flow = [&](const Instr& from, std::uint32_t to, std::int32_t d) {
      const std::size_t j = static_cast<std::size_t>(index_at[to - begin]);
      if (depth[j] < 0) {
        depth[j] = d;
        work.push_back(j);
        return true;
      }
      if (depth[j] != d) {
        code_error(fn, from.pc, "inconsistent stack depth at {}: {} on one path, {} on another", to, depth[j],
                   d);
        return false;
      }
      return true;
    };
    while (!work.empty()) {
      const std::size_t i = work.back();
      work.pop_back();
      const Instr& in = instrs[i];
      const OpInfo& oi = info(in.op);
      const std::int32_t d = depth[i];
      const int pops = pops_of(in);
      if (d < pops)
        return code_error(fn, in.pc, "stack underflow: {} pops {} with {} on the stack", oi.name, pops, d);
      const std::int32_t rest = d - pops;
      if ((oi.flags & kSettle) && rest != 0)
        return code_error(fn, in.pc, "{} leaves {} values on the stack (it must be empty there)", oi.name,
                          rest);
      const std::int32_t after = rest + oi.pushes;
      if (after > static_cast<std::int32_t>(kMaxStack))
        return code_error(fn, in.pc, "stack overflow: depth {} is above the limit {}", after, kMaxStack);
      max_depth = std::max(max_depth, static_cast<std::uint32_t>(after));
      if (!(oi.flags & kStop)) {
        const std::size_t next = std::size_t{in.pc} + in.size;
        if (next >= end)
          return code_error(fn, in.pc, "control falls off the end of the function after {}", oi.name);
        if (!flow(in, static_cast<std::uint32_t>(next), after)) return;
      }
      for (std::size_t k = 0; k < oi.operand_count; ++k)
        if (oi.operands[k] == Operand::Target && !flow(in, in.operand[k], after)) return;
      for (std::size_t k = 0; k < in.targets_count; ++k)
        if (!flow(in, in.target_at(code, k), after)) return;
    }
    if (out_.max_stack.size() <= fn) out_.max_stack.resize(m_.functions.size(), 0);
    out_.max_stack[fn] = max_depth;
  }

  const Module& m_;
  VerifyResult out_;
  bool functions_ok_ = true;
};

}  // namespace

std::string VerifyResult::to_string() const {
  std::string out;
  for (const VerifyError& e : errors) {
    if (e.function < 0)
      out += fmt::format("module: {}\n", e.message);
    else
      out += fmt::format("fn {} @{:04x}: {}\n", e.function, e.pc, e.message);
  }
  return out;
}

VerifyResult verify(const Module& m) {
  return Verifier(m).run();
}

}  // namespace cascade::bytecode
