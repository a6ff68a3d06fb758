// Lowering of one checked scenario into a bytecode Module (see lower.hpp).
//
// Expression functions (settings, event-wait filters) cannot be emitted while the main body is
// being emitted (functions tile the code), so they are queued with the let scope they see and
// emitted after the main body; their index is known when queued (1 + queue position).
#include "cascade/compiler/lower.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "cascade/bytecode/builder.hpp"
#include "cascade/bytecode/io.hpp"
#include "cascade/bytecode/verify.hpp"
#include "cascade/stdlib/builtins.hpp"

namespace cascade::lower {
namespace {

namespace bc = cascade::bytecode;
using bc::Op;

// A construct lowering does not handle; carries the node's span for the message.
struct Unsupported {
  std::string what;
  source::SourceSpan span;
};

constexpr int kMaxInlineDepth = 200;  // segments inlined inside segments (the checker rejects cycles)

class Lowerer {
 public:
  Lowerer(const check::Result& checked, const project::Project& project, const source::SourceMap& sources,
          source::FileId file)
      : checked_(checked), project_(project), sources_(sources), file_(file) {}

  bc::Module run(const ast::Scenario& sc);

 private:
  using Scope = std::map<std::string, std::uint32_t, std::less<>>;  // let name -> local
  struct Pending {
    std::string name;
    const ast::Expr* expr = nullptr;
    std::int64_t const_duration = -1;  // >= 0: the function returns this duration constant
    Scope scope;
  };

  [[noreturn]] void unsupported(std::string what, source::SourceSpan span) {
    throw Unsupported{std::move(what), span};
  }

  std::uint32_t source_index(source::FileId f) {
    auto it = source_index_.find(f);
    if (it != source_index_.end()) return it->second;
    const source::SourceFile& sf = sources_.file(f);
    const auto* p = reinterpret_cast<const std::uint8_t*>(sf.text().data());
    const std::uint32_t i = b_.source(sf.path(), bc::fnv1a64({p, sf.text().size()}));
    source_index_.emplace(f, i);
    return i;
  }
  void at(source::SourceSpan span) {
    if (span.file >= sources_.size()) return;
    const source::SourceFile& sf = sources_.file(span.file);
    const source::LineCol a = sf.locate(span.begin), z = sf.locate(span.end);
    b_.at(a.line, a.column, z.line, z.column, source_index(span.file));
  }

  std::uint16_t queue(std::string name, const ast::Expr* expr, std::int64_t dur = -1) {
    pending_.push_back({std::move(name), expr, dur, visible_scope()});
    return static_cast<std::uint16_t>(pending_.size());  // main is function 0
  }
  Scope visible_scope() const {
    Scope all;
    for (const Scope& s : scopes_) all.insert(s.begin(), s.end());
    return all;
  }
  const std::uint32_t* find_let(std::string_view name) const {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      auto f = it->find(name);
      if (f != it->end()) return &f->second;
    }
    return nullptr;
  }
  const ast::Segment* find_segment(std::string_view name) const {
    for (const ast::File& f : checked_.files)
      for (const ast::Decl& d : f.decls)
        if (const auto* s = std::get_if<ast::Segment>(&d.node); s && s->name.name == name) return s;
    return nullptr;
  }
  std::optional<types::Type> type_of(const ast::Expr& e, source::FileId f) const {
    auto it = checked_.expr_types.find(check::key(f, e.id));
    if (it == checked_.expr_types.end()) return std::nullopt;
    return it->second;
  }

  void event_entry(const std::string& name, std::uint16_t& index) {
    index = b_.event(name);
    bc::Event& ev = b_.module().events[index];
    if (!ev.fields.empty()) return;
    if (const project::EventSchema* s = project_.event(name); s && s->fields.fields)
      for (const types::Field& fd : *s->fields.fields) ev.fields.push_back(b_.str(fd.name));
  }
  std::uint8_t channel_index(const ast::Ident& ch) {
    const project::Channel* c = project_.channel(ch.name);
    if (!c) unsupported(fmt::format("unknown channel `{}`", ch.name), ch.span);
    return b_.channel(c->name, c->kind ? c->kind->name : std::string_view("unknown"));
  }

  // ---- expressions
  void expr(const ast::Expr& e);
  bool path_of(const ast::Expr& e, std::string& root, std::string& path);
  void string_lit(const ast::StringLit& s);

  // ---- statements
  void block(const ast::Block& b);
  void stmt(const ast::Stmt& s);
  void send(const ast::Ident& channel, const ast::Content& content, std::optional<std::string> as,
            source::SourceSpan span);
  // Emits the wait for `o`: on the outcome control goes to `hit`, on the deadline it falls through.
  // In a cascade step (`step`), an event wait also falls through when the step's message fails.
  void wait_outcome(const ast::Outcome& o, const ast::Expr& within, bc::Label hit, bool step = false);
  void merge_latest(int a, int b, source::SourceSpan span);
  // The two blocks of an if: `then` falls through here, the branch to `other` runs `otherwise`
  // (if any); both meet after, with the most recent send slot merged.
  void two_ways(const ast::Block& then, const ast::Block* otherwise, bc::Label other, source::SourceSpan span) {
    bc::Label end = b_.label();
    const int before = latest_;
    block(then);
    const int after_then = latest_;
    b_.emit(Op::Jump, {end.id});
    b_.bind(other);
    latest_ = before;
    if (otherwise) block(*otherwise);
    b_.bind(end);
    merge_latest(after_then, latest_, span);
  }

  const check::Result& checked_;
  const project::Project& project_;
  const source::SourceMap& sources_;
  source::FileId file_;
  source::FileId expr_file_ = 0;  // the file of the expression being lowered (segments move it)
  bc::Builder b_;
  std::map<source::FileId, std::uint32_t> source_index_;
  std::vector<Scope> scopes_;
  std::vector<Pending> pending_;
  std::map<std::string, std::uint8_t, std::less<>> named_slots_;
  std::uint8_t latest_slot_ = 0;         // the shared slot of unnamed sends
  int latest_ = -1;                      // the slot the most recent send used on this path (-1: none)
  static constexpr int kAmbiguous = -3;  // paths joined with different latest slots
  bool in_main_ = true;
  int depth_ = 0;
  int split_count_ = 0;
  struct SplitPatch {
    std::uint32_t at;
    std::vector<std::uint32_t> targets;
  };
  std::vector<SplitPatch> split_patches_;
};

bool Lowerer::path_of(const ast::Expr& e, std::string& root, std::string& path) {
  if (const auto* n = std::get_if<ast::NameRef>(&e.node)) {
    if (n->name == "customer" || n->name == "trigger" || n->name == "event") {
      root = n->name;
      return true;
    }
    return false;
  }
  if (const auto* m = std::get_if<ast::Member>(&e.node)) {
    if (!m->object || !path_of(*m->object, root, path)) return false;
    if (!path.empty()) path += '.';
    path += m->member.name;
    return true;
  }
  if (const auto* p = std::get_if<ast::Paren>(&e.node)) return p->inner && path_of(*p->inner, root, path);
  return false;
}

void Lowerer::string_lit(const ast::StringLit& s) {
  std::uint32_t n = 0;
  for (const ast::StringPart& p : s.parts) {
    if (p.expr) {
      expr(*p.expr);
    } else {
      b_.emit(Op::Const, {b_.k_string(p.text)});
    }
    ++n;
  }
  if (n == 0) {
    b_.emit(Op::Const, {b_.k_string("")});
  } else if (n > 1 || s.interpolated()) {
    if (n > 255) unsupported("a string with more than 255 parts", {});
    b_.emit(Op::Concat, {n});
  }
}

void Lowerer::expr(const ast::Expr& e) {
  if (++depth_ > check::kMaxExprDepth + kMaxInlineDepth)
    unsupported("an expression nested this deeply", e.span);
  struct Guard {
    int& d;
    ~Guard() { --d; }
  } guard{depth_};
  if (expr_file_ == file_) at(e.span);
  std::visit(
      [&](const auto& n) {
        using T = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<T, ast::BoolLit>) {
          b_.emit(Op::Const, {b_.k_bool(n.value)});
        } else if constexpr (std::is_same_v<T, ast::IntLit>) {
          b_.emit(Op::Const, {b_.k_int(n.value)});
        } else if constexpr (std::is_same_v<T, ast::DecimalLit>) {
          b_.emit(Op::Const, {b_.k_decimal(n.units, n.scale)});
        } else if constexpr (std::is_same_v<T, ast::DurationLit>) {
          b_.emit(Op::Const, {b_.k_duration(n.seconds)});
        } else if constexpr (std::is_same_v<T, ast::ClockLit>) {
          b_.emit(Op::Const, {b_.k_clock(n.minutes)});
        } else if constexpr (std::is_same_v<T, ast::PercentLit>) {
          b_.emit(Op::Const, {b_.k_decimal(n.basis_points, 4)});  // 12.5% = 0.1250
        } else if constexpr (std::is_same_v<T, ast::StringLit>) {
          string_lit(n);
        } else if constexpr (std::is_same_v<T, ast::ListLit>) {
          if (n.items.size() > 255) unsupported("a list literal with more than 255 items", e.span);
          for (const auto& it : n.items) expr(*it);
          b_.emit(Op::List, {static_cast<std::uint32_t>(n.items.size())});
        } else if constexpr (std::is_same_v<T, ast::NameRef>) {
          if (n.name == "now") {
            b_.emit(Op::Now);
          } else if (const std::uint32_t* local = find_let(n.name)) {
            b_.emit(Op::LoadLocal, {*local});
          } else if (const ast::Segment* seg = find_segment(n.name); seg && seg->expr) {
            const source::FileId saved = expr_file_;
            expr_file_ = seg->name.span.file;
            expr(*seg->expr);
            expr_file_ = saved;
          } else {
            unsupported(fmt::format("the name `{}` as a value", n.name), e.span);
          }
        } else if constexpr (std::is_same_v<T, ast::Member>) {
          std::string root, path;
          if (!path_of(e, root, path) || path.empty()) unsupported("this member access", e.span);
          const std::uint16_t f = b_.field(path);
          b_.emit(root == "customer"  ? Op::LoadProfile
                  : root == "trigger" ? Op::LoadTrigger
                                      : Op::LoadEvent,
                  {f});
        } else if constexpr (std::is_same_v<T, ast::Call>) {
          const auto* bi = builtins::find(n.callee.name);
          if (!bi) unsupported(fmt::format("the function `{}`", n.callee.name), e.span);
          if (bi->id == builtins::Id::Has && n.args.size() == 1) {
            expr(*n.args[0]);
            b_.emit(Op::Has);
            return;
          }
          if (n.args.size() > 255) unsupported("a call with more than 255 arguments", e.span);
          for (const auto& a : n.args) expr(*a);
          b_.emit(Op::Call, {static_cast<std::uint32_t>(bi->id), static_cast<std::uint32_t>(n.args.size())});
        } else if constexpr (std::is_same_v<T, ast::Unary>) {
          expr(*n.operand);
          b_.emit(n.op == ast::UnaryOp::Not ? Op::Not : Op::Neg);
        } else if constexpr (std::is_same_v<T, ast::Binary>) {
          if (n.op == ast::BinaryOp::And || n.op == ast::BinaryOp::Or) {
            bc::Label end = b_.label();
            expr(*n.lhs);
            b_.emit(Op::Dup);
            b_.emit(n.op == ast::BinaryOp::And ? Op::JumpIfFalse : Op::JumpIfTrue, {end.id});
            b_.emit(Op::Pop);
            expr(*n.rhs);
            b_.bind(end);
            return;
          }
          expr(*n.lhs);
          expr(*n.rhs);
          Op op = Op::Add;
          switch (n.op) {
            case ast::BinaryOp::Eq:
              op = Op::Eq;
              break;
            case ast::BinaryOp::Ne:
              op = Op::Ne;
              break;
            case ast::BinaryOp::Lt:
              op = Op::Lt;
              break;
            case ast::BinaryOp::Le:
              op = Op::Le;
              break;
            case ast::BinaryOp::Gt:
              op = Op::Gt;
              break;
            case ast::BinaryOp::Ge:
              op = Op::Ge;
              break;
            case ast::BinaryOp::In:
              op = Op::In;
              break;
            case ast::BinaryOp::Coalesce:
              op = Op::Coalesce;
              break;
            case ast::BinaryOp::Add:
              op = Op::Add;
              break;
            case ast::BinaryOp::Sub:
              op = Op::Sub;
              break;
            case ast::BinaryOp::Mul:
              op = Op::Mul;
              break;
            case ast::BinaryOp::Div:
              op = Op::Div;
              break;
            case ast::BinaryOp::And:
            case ast::BinaryOp::Or:
              break;
          }
          b_.emit(op);
        } else if constexpr (std::is_same_v<T, ast::Conditional>) {
          bc::Label other = b_.label(), end = b_.label();
          expr(*n.cond);
          b_.emit(Op::JumpIfFalse, {other.id});
          expr(*n.then_expr);
          b_.emit(Op::Jump, {end.id});
          b_.bind(other);
          expr(*n.else_expr);
          b_.bind(end);
        } else if constexpr (std::is_same_v<T, ast::Paren>) {
          expr(*n.inner);
        }
      },
      e.node);
}

void Lowerer::merge_latest(int a, int b, source::SourceSpan span) {
  // After a join the most recent send must be one slot whichever way control came.
  if (a == b || b == -2) {
    latest_ = a;
  } else if (a == -2) {
    latest_ = b;
  } else {
    (void)span;
    // Both paths sent, through different slots (a named send on one of them): an outcome wait
    // after the join could not say which slot to watch, so wait_outcome refuses it (kAmbiguous).
    latest_ = (a >= 0 && b >= 0) || a == kAmbiguous || b == kAmbiguous ? kAmbiguous : a;
  }
}

void Lowerer::send(const ast::Ident& channel, const ast::Content& content, std::optional<std::string> as,
                   source::SourceSpan span) {
  at(span);
  const std::uint8_t c = channel_index(channel);
  std::uint8_t slot = latest_slot_;
  if (as) {
    auto it = named_slots_.find(*as);
    slot = it != named_slots_.end() ? it->second : named_slots_.emplace(*as, b_.slot()).first->second;
  }
  if (const auto* text = std::get_if<ast::ExprPtr>(&content.value)) {
    expr(**text);
    at(span);
    b_.emit(Op::Send, {c, slot});
  } else {
    const auto& t = std::get<ast::TemplateRef>(content.value);
    bc::Template entry{b_.str(t.name), {}};
    for (const ast::TemplateArg& a : t.args) entry.args.push_back(b_.str(a.key.name));
    auto& table = b_.module().templates;
    std::size_t ti = 0;
    while (ti < table.size() && !(table[ti] == entry)) ++ti;
    if (ti == table.size()) table.push_back(entry);
    if (ti > 0xFFFF || t.args.size() > 255) unsupported("this many templates or template arguments", span);
    for (const ast::TemplateArg& a : t.args) expr(*a.value);
    at(span);
    b_.emit(Op::SendTemplate,
            {c, slot, static_cast<std::uint32_t>(ti), static_cast<std::uint32_t>(t.args.size())});
  }
  latest_ = slot;
}

void Lowerer::wait_outcome(const ast::Outcome& o, const ast::Expr& within, bc::Label hit, bool step) {
  expr(within);
  at(o.span);
  if (o.kind == ast::OutcomeKind::Event) {
    std::uint16_t ev = 0;
    event_entry(o.event.name, ev);
    const std::uint16_t fn = o.where ? queue("event.where", o.where.get()) : bc::kNoFunction;
    if (step && latest_ >= 0) {
      b_.emit(Op::WaitStep, {static_cast<std::uint32_t>(latest_), ev, fn, hit.id});
    } else {
      b_.emit(Op::WaitEvent, {ev, fn, hit.id});
    }
    return;
  }
  std::uint8_t slot = latest_slot_;
  if (o.message) {
    auto it = named_slots_.find(o.message->name);
    if (it == named_slots_.end())
      unsupported(fmt::format("the message `{}`", o.message->name), o.message->span);
    slot = it->second;
  } else if (latest_ == kAmbiguous) {
    unsupported("an outcome wait after paths whose latest sends are different messages (name the message)",
                o.span);
  } else if (latest_ >= 0) {
    slot = static_cast<std::uint8_t>(latest_);
  }
  const std::uint32_t kind = o.kind == ast::OutcomeKind::Delivered ? 0
                             : o.kind == ast::OutcomeKind::Opened  ? 1
                                                                   : 2;
  b_.emit(Op::WaitOutcome, {slot, kind, hit.id});
}

void Lowerer::block(const ast::Block& blk) {
  scopes_.emplace_back();
  for (const ast::Stmt& s : blk.stmts) stmt(s);
  scopes_.pop_back();
}

void Lowerer::stmt(const ast::Stmt& s) {
  at(s.span);
  std::visit(
      [&](const auto& n) {
        using T = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<T, ast::Send>) {
          send(n.channel, n.content, n.as ? std::optional<std::string>(n.as->name) : std::nullopt, s.span);
        } else if constexpr (std::is_same_v<T, ast::Wait>) {
          expr(*n.duration);
          at(s.span);
          b_.emit(Op::Wait);
        } else if constexpr (std::is_same_v<T, ast::WaitUntil>) {
          const auto t = type_of(*n.time, file_);
          const bool clock =
              std::holds_alternative<ast::ClockLit>(n.time->node) || (t && t->kind == types::Kind::Clock);
          expr(*n.time);
          at(s.span);
          b_.emit(clock ? Op::WaitClock : Op::WaitUntil);
        } else if constexpr (std::is_same_v<T, ast::IfNot>) {
          bc::Label other = b_.label();
          wait_outcome(n.outcome, *n.within, other);
          two_ways(n.then_block, n.else_block ? &*n.else_block : nullptr, other, s.span);
        } else if constexpr (std::is_same_v<T, ast::If>) {
          bc::Label other = b_.label();
          expr(*n.cond);
          at(s.span);
          b_.emit(Op::JumpIfFalse, {other.id});
          two_ways(n.then_block, n.else_block ? &*n.else_block : nullptr, other, s.span);
        } else if constexpr (std::is_same_v<T, ast::CascadeUntil>) {
          bc::Label end = b_.label();
          for (const ast::CascadeStep& step : n.steps) {
            send(step.channel, step.content, std::nullopt, step.span);
            if (step.within) wait_outcome(n.until, *step.within, end, true);
          }
          b_.bind(end);
        } else if constexpr (std::is_same_v<T, ast::Split>) {
          if (n.branches.empty() || n.branches.size() > 255)
            unsupported("a split with this many branches", s.span);
          const std::uint16_t si = b_.split(fmt::format("split{}", ++split_count_), {});
          for (const ast::SplitBranch& br : n.branches)
            b_.module().splits[si].branches.push_back(
                {b_.str(br.name.name), static_cast<std::uint16_t>(br.share.basis_points)});
          at(s.span);
          b_.emit_split(si, {});
          auto& code = b_.module().code;
          code.back() = static_cast<std::uint8_t>(n.branches.size());
          SplitPatch patch{static_cast<std::uint32_t>(code.size()), {}};
          code.insert(code.end(), 4 * n.branches.size(), 0);
          bc::Label end = b_.label();
          const int before = latest_;
          int merged = -2;  // no path reaches the end yet
          for (const ast::SplitBranch& br : n.branches) {
            patch.targets.push_back(b_.pc());
            latest_ = before;
            at(br.span);
            if (br.is_control || !br.body) {
              b_.emit(Op::End, {0});  // control members get nothing more
              continue;
            }
            block(*br.body);
            b_.emit(Op::Jump, {end.id});
            merge_latest(merged, latest_, s.span);
            merged = latest_;
          }
          split_patches_.push_back(std::move(patch));
          b_.bind(end);
          latest_ = merged == -2 ? before : merged;
        } else if constexpr (std::is_same_v<T, ast::Let>) {
          expr(*n.value);
          const std::uint32_t local = b_.local();
          at(s.span);
          b_.emit(Op::StoreLocal, {local});
          scopes_.back()[n.name.name] = local;
        } else if constexpr (std::is_same_v<T, ast::StopStmt>) {
          b_.emit(Op::End, {1});
        }
      },
      s.node);
}

bc::Module Lowerer::run(const ast::Scenario& sc) {
  expr_file_ = file_;
  source_index(file_);  // sources[0] is the scenario's own file
  bc::Scenario& m = b_.scenario();
  m.name = b_.str(sc.name.name);
  if (sc.title) m.title = b_.str(*sc.title);
  bool have_quiet = false;
  bool have_goal_setting = false;
  for (const ast::Setting& st : sc.settings) {
    std::visit(
        [&](const auto& n) {
          using T = std::decay_t<decltype(n)>;
          if constexpr (std::is_same_v<T, ast::TriggerEvent>) {
            b_.scenario().trigger = bc::TriggerKind::Event;
            event_entry(n.event.name, b_.scenario().trigger_event);
            if (n.where) b_.scenario().trigger_where_fn = queue("trigger.where", n.where.get());
          } else if constexpr (std::is_same_v<T, ast::TriggerEvery>) {
            b_.scenario().trigger = bc::TriggerKind::Every;
            b_.scenario().every_seconds = n.every.seconds;
            if (n.at) b_.scenario().every_at = static_cast<std::uint16_t>(n.at->minutes);
          } else if constexpr (std::is_same_v<T, ast::TriggerManual>) {
            b_.scenario().trigger = bc::TriggerKind::Manual;
          } else if constexpr (std::is_same_v<T, ast::Audience>) {
            b_.scenario().audience_fn = queue("audience", n.expr.get());
          } else if constexpr (std::is_same_v<T, ast::Goal>) {
            have_goal_setting = true;
            b_.scenario().has_goal = true;
            event_entry(n.event.name, b_.scenario().goal.event);
            if (n.where) b_.scenario().goal.where_fn = queue("goal.where", n.where.get());
            b_.scenario().goal.within_fn = n.within
                                               ? queue("goal.within", n.within.get())
                                               : queue("goal.within", nullptr, project_.goal_window_seconds);
          } else if constexpr (std::is_same_v<T, ast::StopOn>) {
            bc::StopOn so;
            event_entry(n.event.name, so.event);
            if (n.where) so.where_fn = queue("stop_on.where", n.where.get());
            b_.scenario().stop_on.push_back(so);
          } else if constexpr (std::is_same_v<T, ast::QuietHours>) {
            have_quiet = true;
            bc::QuietHours q;
            q.from = static_cast<std::uint16_t>(n.from.minutes);
            q.to = static_cast<std::uint16_t>(n.to.minutes);
            for (const ast::Ident& c : n.channels) q.channels.push_back(channel_index(c));
            b_.scenario().quiet_hours.push_back(std::move(q));
          } else if constexpr (std::is_same_v<T, ast::Limit>) {
            bc::Limit l;
            l.count = static_cast<std::uint32_t>(n.count);
            l.per_seconds = n.per.seconds;
            for (const ast::Ident& c : n.channels) l.channels.push_back(channel_index(c));
            b_.scenario().limits.push_back(std::move(l));
          } else if constexpr (std::is_same_v<T, ast::Reentry>) {
            b_.scenario().reentry = n.kind == ast::ReentryKind::Never      ? bc::ReentryKind::Never
                                    : n.kind == ast::ReentryKind::Parallel ? bc::ReentryKind::Parallel
                                                                           : bc::ReentryKind::After;
            if (n.kind == ast::ReentryKind::After) b_.scenario().reentry_seconds = n.after.seconds;
          } else if constexpr (std::is_same_v<T, ast::Control>) {
            b_.scenario().control = static_cast<std::uint16_t>(n.share.basis_points);
          } else if constexpr (std::is_same_v<T, ast::Urgent>) {
            b_.scenario().urgent = true;
          }
        },
        st.node);
  }
  (void)have_goal_setting;
  // The project's quiet hours apply to every channel the scenario's own `quiet hours` do not
  // cover (its own window replaces the default: a clinic's 23:00..07:00 lets the 07:30 SMS go),
  // and not at all in an urgent scenario (urgent ignores the default, never its own window).
  // The VM applies exactly the windows the module lists.
  if (!b_.scenario().urgent && project_.quiet_hours) {
    bool all_covered = false;
    std::vector<std::uint8_t> covered;
    for (const bc::QuietHours& q : b_.scenario().quiet_hours) {
      if (q.channels.empty()) all_covered = true;
      covered.insert(covered.end(), q.channels.begin(), q.channels.end());
    }
    if (!all_covered) {
      bc::QuietHours d{static_cast<std::uint16_t>(project_.quiet_hours->from_minutes),
                       static_cast<std::uint16_t>(project_.quiet_hours->to_minutes),
                       {}};
      if (have_quiet) {  // only the channels the scenario's windows leave out
        for (const project::Channel& c : project_.channels) {
          const std::uint8_t ci = b_.channel(c.name, c.kind ? c.kind->name : std::string_view("unknown"));
          if (std::find(covered.begin(), covered.end(), ci) == covered.end()) d.channels.push_back(ci);
        }
      }
      if (!have_quiet || !d.channels.empty()) b_.scenario().quiet_hours.push_back(std::move(d));
    }
  }

  b_.begin_function(bc::FunctionKind::Main, "main");
  latest_slot_ = b_.slot();
  scopes_.emplace_back();
  for (const ast::Stmt& s : sc.body.stmts) stmt(s);
  at({sc.body.span.file, sc.body.span.end > 0 ? sc.body.span.end - 1 : 0, sc.body.span.end});
  b_.emit(Op::End, {0});
  in_main_ = false;
  // Expression functions; the queue may grow while emitting (it does not today, but stay safe).
  for (std::size_t i = 0; i < pending_.size(); ++i) {
    const Pending p = pending_[i];
    b_.begin_function(bc::FunctionKind::Expr, p.name);
    scopes_.assign(1, p.scope);
    if (p.expr) {
      expr(*p.expr);
    } else {
      b_.emit(Op::Const, {b_.k_duration(p.const_duration)});
    }
    b_.emit(Op::Ret);
  }
  bc::Module mod = b_.finish();
  for (const SplitPatch& p : split_patches_)
    for (std::size_t k = 0; k < p.targets.size(); ++k)
      for (std::size_t j = 0; j < 4; ++j)
        mod.code[p.at + 4 * k + j] = static_cast<std::uint8_t>(p.targets[k] >> (8 * j));
  return mod;
}

}  // namespace

LowerResult lower_scenario(const check::Result& checked, const project::Project& project,
                           const source::SourceMap& sources, const ast::Scenario& scenario,
                           source::FileId file) {
  LowerResult r;
  auto where = [&](source::SourceSpan span) {
    if (span.file >= sources.size()) return std::string("?");
    const source::SourceFile& sf = sources.file(span.file);
    const source::LineCol lc = sf.locate(span.begin);
    return fmt::format("{}:{}:{}", sf.path(), lc.line, lc.column);
  };
  try {
    Lowerer l(checked, project, sources, file);
    bc::Module m = l.run(scenario);
    const bc::VerifyResult v = bc::verify(m);
    if (!v.ok()) {
      r.internal = true;
      r.error =
          fmt::format("internal compiler error: the bytecode verifier rejected scenario `{}` (a bug):\n{}",
                      scenario.name.name, v.to_string());
      return r;
    }
    r.module = std::move(m);
  } catch (const Unsupported& u) {
    r.error = fmt::format("{}: error: not yet supported by the compiler: {}",
                          where(u.span.end ? u.span : scenario.name.span), u.what);
  } catch (const std::exception& e) {
    r.internal = true;
    r.error =
        fmt::format("internal compiler error while lowering scenario `{}`: {}", scenario.name.name, e.what());
  }
  return r;
}

}  // namespace cascade::lower
