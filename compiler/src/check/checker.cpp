// The checker proper: one walk over every file, segment and scenario.
//
// Expressions are typed bottom-up (infer), statements are walked in order with a small
// PathState that carries what the outcome rules need to know about the paths reaching a
// statement: which sends may be "the most recent message", which `as` names are defined
// on every path, how many messages the longest path has sent, and whether any path is
// still alive (for the unreachable-code lint).
//
// Cost: every node is visited once; lookups are hash lookups; "did you mean" and the
// other hint builders run only when a diagnostic is being made.
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "cascade/compiler/check.hpp"
#include "cascade/stdlib/builtins.hpp"
#include "cascade/stdlib/channels.hpp"
#include "check/text.hpp"
#include "lint/lints.hpp"

namespace cascade::check {
namespace {

using diag::Code;
using source::SourceSpan;
using types::Kind;
using types::Type;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

constexpr std::int64_t kDaySeconds = 24 * 3600;
constexpr int kMaxMessagesPerPath = 4;

bool interpolable(Kind k) {
  switch (k) {
    case Kind::String:
    case Kind::Int:
    case Kind::Decimal:
    case Kind::Time:
    case Kind::Duration:
    case Kind::Bool:
    case Kind::Clock:
    case Kind::Percent:
    case Kind::Error:
      return true;
    default:
      return false;
  }
}

bool ordered(Kind k) {
  switch (k) {
    case Kind::Int:
    case Kind::Decimal:
    case Kind::Time:
    case Kind::Duration:
    case Kind::Clock:
    case Kind::Percent:
      return true;
    default:
      return false;
  }
}

bool numeric(Kind k) { return k == Kind::Int || k == Kind::Decimal; }

// The common type of two values that may stand in the same place (list items, the
// branches of `if … then … else`, the two sides of `??`): equal types, or numbers (int
// and decimal give decimal). Optionality is the caller's business; both are required here.
std::optional<Type> unify(const Type& a, const Type& b) {
  if (a.is_error()) return b;
  if (b.is_error()) return a;
  if (numeric(a.kind) && numeric(b.kind)) return Type::of(a.kind == b.kind ? a.kind : Kind::Decimal);
  if (a.kind != b.kind) return std::nullopt;
  if (a.kind == Kind::List) {
    if (!a.element || a.element->is_error()) return b;
    if (!b.element || b.element->is_error()) return a;
    if (auto e = unify(a.element->as_required(), b.element->as_required())) {
      if (a.element->optional || b.element->optional) return Type::list(e->as_optional());
      return Type::list(*e);
    }
    return std::nullopt;
  }
  if (a.kind == Kind::Record) {
    if (a.as_required() == b.as_required()) return a;
    return std::nullopt;
  }
  return a;
}


std::string_view outcome_word(ast::OutcomeKind k) {
  switch (k) {
    case ast::OutcomeKind::Delivered: return "delivered";
    case ast::OutcomeKind::Opened: return "opened";
    case ast::OutcomeKind::Clicked: return "clicked";
    case ast::OutcomeKind::Event: return "event";
  }
  return "event";
}

channels::Report outcome_report(ast::OutcomeKind k) {
  switch (k) {
    case ast::OutcomeKind::Opened: return channels::Report::Opened;
    case ast::OutcomeKind::Clicked: return channels::Report::Clicked;
    default: return channels::Report::Delivered;
  }
}

// "delivered and clicked", "delivered, opened and clicked", "" for none.
std::string reports_of(const channels::KindInfo& k) {
  std::vector<std::string_view> r;
  if (k.delivered) r.push_back("delivered");
  if (k.opened) r.push_back("opened");
  if (k.clicked) r.push_back("clicked");
  std::string out;
  for (std::size_t i = 0; i < r.size(); ++i) {
    if (i) out += i + 1 == r.size() ? " and " : ", ";
    out += r[i];
  }
  return out;
}

// The outcome to suggest instead of one the kind cannot report: the strongest weaker one
// it does report, else the weakest stronger one.
std::optional<std::string_view> substitute_outcome(const channels::KindInfo& k, ast::OutcomeKind wanted) {
  const ast::OutcomeKind order[] = {ast::OutcomeKind::Delivered, ast::OutcomeKind::Opened, ast::OutcomeKind::Clicked};
  int w = 0;
  for (int i = 0; i < 3; ++i)
    if (order[i] == wanted) w = i;
  for (int i = w - 1; i >= 0; --i)
    if (channels::can_report(k, outcome_report(order[i]))) return outcome_word(order[i]);
  for (int i = w + 1; i < 3; ++i)
    if (channels::can_report(k, outcome_report(order[i]))) return outcome_word(order[i]);
  return std::nullopt;
}

// The paths (`customer.age`, `x`, `trigger.cart_id`) a has() guard proves present when
// `e` evaluates to `when`.
std::optional<std::string> expr_path(const ast::Expr* e, int depth = 0) {
  // Field paths in real scenarios are a few levels deep; a hostile chain of thousands
  // of `.x` must not recurse that deep.
  if (!e || depth > 64) return std::nullopt;
  if (const auto* n = std::get_if<ast::NameRef>(&e->node)) return n->name;
  if (const auto* m = std::get_if<ast::Member>(&e->node)) {
    auto base = expr_path(m->object.get(), depth + 1);
    if (!base) return std::nullopt;
    *base += '.';
    *base += m->member.name;
    return base;
  }
  if (const auto* p = std::get_if<ast::Paren>(&e->node)) return expr_path(p->inner.get(), depth + 1);
  return std::nullopt;
}

void collect_has(const ast::Expr* e, bool when, std::vector<std::string>& out, int depth = 0) {
  if (!e || depth > 64) return;
  if (const auto* p = std::get_if<ast::Paren>(&e->node)) return collect_has(p->inner.get(), when, out, depth + 1);
  if (const auto* u = std::get_if<ast::Unary>(&e->node)) {
    if (u->op == ast::UnaryOp::Not) collect_has(u->operand.get(), !when, out, depth + 1);
    return;
  }
  if (const auto* b = std::get_if<ast::Binary>(&e->node)) {
    // `a and b` true: both true; `a or b` false: both false.
    if ((b->op == ast::BinaryOp::And && when) || (b->op == ast::BinaryOp::Or && !when)) {
      collect_has(b->lhs.get(), when, out, depth + 1);
      collect_has(b->rhs.get(), when, out, depth + 1);
    }
    return;
  }
  if (const auto* c = std::get_if<ast::Call>(&e->node)) {
    if (when && c->callee.name == "has" && c->args.size() == 1)
      if (auto p = expr_path(c->args[0].get())) out.push_back(std::move(*p));
  }
}

// ---------------------------------------------------------------------------------------
// What the statements reaching a point have in common.

struct SendRef {
  const project::Channel* channel = nullptr;  // null: an unknown channel (already reported)
  SourceSpan span;                            // the channel name at the send
};

struct NamedSend {
  std::string_view name;
  std::vector<SendRef> refs;
};

struct PathState {
  bool live = true;
  // After unreachable code the facts are unknown; outcome rules stay quiet there.
  bool unknown = false;
  // Some path reaches this point without having sent anything.
  bool maybe_none = true;
  std::vector<SendRef> latest;   // what "the most recent message" may be
  std::vector<NamedSend> named;  // `as` names defined on every path
  int sends = 0;                 // messages on the longest path so far
  // Why the state is dead: the `stop` (direct) or the statement all of whose paths end.
  SourceSpan dead_at;
  bool dead_by_stop = false;
};

void add_ref(std::vector<SendRef>& v, const SendRef& r) {
  for (const auto& x : v)
    if (x.span == r.span) return;
  v.push_back(r);
}

PathState merge(PathState a, const PathState& b) {
  if (!b.live) return a;
  if (!a.live) return b;
  a.unknown = a.unknown || b.unknown;
  a.maybe_none = a.maybe_none || b.maybe_none;
  for (const auto& r : b.latest) add_ref(a.latest, r);
  std::vector<NamedSend> both;
  for (auto& n : a.named) {
    for (const auto& m : b.named) {
      if (m.name != n.name) continue;
      for (const auto& r : m.refs) add_ref(n.refs, r);
      both.push_back(std::move(n));
      break;
    }
  }
  a.named = std::move(both);
  a.sends = std::max(a.sends, b.sends);
  return a;
}

PathState dead_state(SourceSpan at) {
  PathState s;
  s.live = false;
  s.dead_at = at;
  return s;
}

enum class TriggerKind { None, Event, Schedule, Manual };

struct LetEntry {
  std::string_view name;
  SourceSpan span;
  Type type;
  bool used = false;
};

struct SegmentEntry {
  const ast::Segment* segment = nullptr;
  source::FileId file = 0;
};

// Context of one expression: the event a `where` matches.
struct Ctx {
  const Type* event = nullptr;  // the matched event's record (the error type when unknown)
  std::string_view event_name;
};

class Checker {
 public:
  Checker(const project::Project& project, const source::SourceMap& sources, Result& program,
          diag::Diagnostics& out)
      : project_(project), sources_(sources), program_(program), out_(out) {}

  void run();

 private:
  // -- reporting ------------------------------------------------------------------------
  template <typename... Args>
  diag::Diagnostic& report(Code code, SourceSpan span, const Args&... args) {
    out_.add(diag::make(code, span, args...));
    return out_.items().back();
  }
  std::string snippet(SourceSpan span, std::size_t max = 40) const {
    return text::display(text::span_text(sources_, span), max);
  }
  void report_optional(const ast::Expr& e, const Type& t) {
    report(Code::OptionalUsed, e.span, snippet(e.span), types::to_string(t));
  }
  std::string describe(const Type& t) const {
    if (t.kind == Kind::Record) return t.optional ? "record?" : "record";
    return types::to_string(t);
  }

  // -- names ----------------------------------------------------------------------------
  const project::EventSchema* lookup_event(const ast::Ident& id, bool outcome_words);
  const project::Channel* lookup_channel(const ast::Ident& id);
  LetEntry* find_let(std::string_view name);
  void define_let(const ast::Ident& id, Type type);
  void pop_lets(std::size_t mark);
  bool narrowed(const ast::Expr& e) const;

  // -- expressions ----------------------------------------------------------------------
  Type infer(const ast::Expr* e, const Ctx& cx);
  Type infer_name(const ast::Expr& e, const ast::NameRef& n, const Ctx& cx);
  Type infer_member(const ast::Expr& e, const ast::Member& m, const Ctx& cx);
  Type infer_call(const ast::Expr& e, const ast::Call& c, const Ctx& cx);
  Type infer_unary(const ast::Expr& e, const ast::Unary& u, const Ctx& cx);
  Type infer_binary(const ast::Expr& e, const ast::Binary& b, const Ctx& cx);
  Type infer_conditional(const ast::Expr& e, const ast::Conditional& c, const Ctx& cx);
  Type infer_string(const ast::StringLit& s, const Ctx& cx);
  Type infer_list(const ast::ListLit& l, const Ctx& cx);
  std::string owner_name(const ast::Expr& object, const Ctx& cx) const;
  std::string mismatch_hint(const ast::Expr* le, const Type& l, const ast::Expr* re, const Type& r) const;
  std::string arithmetic_hint(ast::BinaryOp op, const Type& l, const Type& r) const;

  void expect_bool(const ast::Expr* e, const Type& t, std::string_view what);
  void expect_duration(const ast::Expr* e, const Type& t, std::string_view what);
  void check_where(const ast::Expr* where, const project::EventSchema* ev, std::string_view event_name);

  // -- scenarios ------------------------------------------------------------------------
  void check_segments();
  void check_segment_cycles();
  void check_scenario(const ast::Scenario& s);
  void check_settings(const ast::Scenario& s);
  void check_block(const ast::Block& b, PathState& st);
  void check_stmt(const ast::Stmt& s, PathState& st);
  void check_content(const ast::Content& c);
  void check_message_outcome(const ast::Outcome& o, const PathState& st);
  void record_send(PathState& st, std::vector<SendRef> refs, int count, SourceSpan span);
  std::string outcome_hint(const channels::KindInfo& k, ast::OutcomeKind wanted, bool in_cascade,
                           std::string_view channel) const;

  const project::Project& project_;
  const source::SourceMap& sources_;
  Result& program_;
  diag::Diagnostics& out_;

  source::FileId file_ = 0;
  int depth_ = 0;
  bool depth_reported_ = false;

  // Segments, global across files.
  std::vector<SegmentEntry> segments_;
  std::unordered_map<std::string_view, std::size_t> segment_index_;
  std::vector<std::vector<std::size_t>> segment_deps_;
  long current_segment_ = -1;  // while checking a segment's expression

  // Lets, block-scoped: a stack of entries and, per name, the indexes that hold it.
  std::vector<LetEntry> lets_;
  std::unordered_map<std::string_view, std::vector<std::size_t>> let_index_;

  // has() facts in force.
  std::vector<std::string> narrowed_;
  bool no_narrowing_ = false;  // while typing has()'s own argument

  // The scenario being checked.
  TriggerKind trigger_kind_ = TriggerKind::None;
  Type trigger_type_;
  std::string_view trigger_event_;
  std::string_view goal_event_;
  std::unordered_map<std::string_view, SourceSpan> as_names_;
  int max_sends_ = 0;
  std::optional<SourceSpan> over_limit_at_;
  std::unordered_set<const project::Channel*> channels_checked_;
  Type schedule_type_;
};

// ---------------------------------------------------------------------------------------
// Names

const project::EventSchema* Checker::lookup_event(const ast::Ident& id, bool outcome_words) {
  if (id.name.empty()) return nullptr;  // a partial tree; the parser has reported it
  if (const auto* ev = project_.event(id.name)) return ev;
  std::vector<std::string_view> names;
  if (outcome_words) names = {"delivered", "opened", "clicked"};
  for (const auto& [name, schema] : project_.events) names.push_back(name);
  report(Code::UnknownEvent, id.span, id.name,
         text::did_you_mean(id.name, names, "the events in cascade.yaml are",
                            "cascade.yaml declares no events; add them under `events:`"));
  return nullptr;
}

const project::Channel* Checker::lookup_channel(const ast::Ident& id) {
  if (id.name.empty()) return nullptr;
  const project::Channel* ch = project_.channel(id.name);
  if (!ch) {
    std::vector<std::string_view> names;
    for (const auto& c : project_.channels) names.push_back(c.name);
    report(Code::UnknownChannel, id.span, id.name,
           text::did_you_mean(id.name, names, "the channels in cascade.yaml are",
                              "cascade.yaml declares no channels; add them under `channels:`"));
    return nullptr;
  }
  // The project loader reports a bad address or consent field in cascade.yaml; the first
  // send on such a channel says so too, where the scenario depends on it.
  if (channels_checked_.insert(ch).second && ch->kind) {
    auto bad = [&](const std::string& field, bool must_be_bool) {
      if (field.empty()) return false;
      const Type* t = project::lookup_path(project_.profile, field);
      return !t || (must_be_bool && t->kind != Kind::Bool);
    };
    const bool bad_address = bad(ch->address_field, false);
    if (bad_address || bad(ch->consent_field, true)) {
      const std::string& field = bad_address ? ch->address_field : ch->consent_field;
      auto& d = report(Code::ChannelAddressField, id.span, ch->name, field);
      if (!bad_address && project::lookup_path(project_.profile, field))
        d.message = fmt::format("channel `{}` takes its consent from `{}`, which is not a bool field of the profile",
                                ch->name, field);
      d.hint = fmt::format("add `{}` to `profile:` in cascade.yaml, or point the channel's `{}:` at an existing field",
                           field, bad_address ? "address" : "consent");
      d.notes.push_back({ch->span, fmt::format("channel `{}` is declared here", ch->name)});
    }
  }
  return ch;
}

LetEntry* Checker::find_let(std::string_view name) {
  auto it = let_index_.find(name);
  if (it == let_index_.end() || it->second.empty()) return nullptr;
  return &lets_[it->second.back()];
}

void Checker::define_let(const ast::Ident& id, Type type) {
  if (id.name.empty()) return;
  std::optional<SourceSpan> first;
  bool reserved = false;
  if (LetEntry* l = find_let(id.name)) {
    first = l->span;
    l->used = true;  // the duplicate is the mistake; do not also call the first one unused
  }
  else if (auto it = segment_index_.find(id.name); it != segment_index_.end())
    first = segments_[it->second].segment->name.span;
  else if (id.name == "customer" || id.name == "trigger" || id.name == "event" || builtins::value_type(id.name))
    reserved = true;
  if (first || reserved) {
    auto& d = report(Code::DuplicateName, id.span, id.name);
    if (first) d.notes.push_back({*first, fmt::format("`{}` is first defined here", id.name)});
    else d.hint = fmt::format("`{}` is a built-in name; give the `let` another name", id.name);
    // Still define it, so later uses do not cascade into "unknown name".
  }
  let_index_[id.name].push_back(lets_.size());
  lets_.push_back(LetEntry{id.name, id.span, std::move(type), false});
}

void Checker::pop_lets(std::size_t mark) {
  while (lets_.size() > mark) {
    const LetEntry& l = lets_.back();
    if (!l.used) report(Code::UnusedLet, l.span, l.name);
    auto it = let_index_.find(l.name);
    if (it != let_index_.end() && !it->second.empty()) it->second.pop_back();
    lets_.pop_back();
  }
}

bool Checker::narrowed(const ast::Expr& e) const {
  if (narrowed_.empty() || no_narrowing_) return false;
  auto p = expr_path(&e);
  return p && std::find(narrowed_.begin(), narrowed_.end(), *p) != narrowed_.end();
}

// ---------------------------------------------------------------------------------------
// Expressions

Type Checker::infer(const ast::Expr* e, const Ctx& cx) {
  if (!e) return Type::error();
  if (depth_ >= kMaxExprDepth) {
    if (!depth_reported_) report(Code::NestingTooDeep, e->span, kMaxExprDepth);
    depth_reported_ = true;
    return Type::error();
  }
  ++depth_;
  Type t = std::visit(
      Overloaded{
          [](const ast::BoolLit&) { return Type::of(Kind::Bool); },
          [](const ast::IntLit&) { return Type::of(Kind::Int); },
          [](const ast::DecimalLit&) { return Type::of(Kind::Decimal); },
          [](const ast::DurationLit&) { return Type::of(Kind::Duration); },
          [](const ast::ClockLit&) { return Type::of(Kind::Clock); },
          [](const ast::PercentLit&) { return Type::of(Kind::Percent); },
          [&](const ast::StringLit& n) { return infer_string(n, cx); },
          [&](const ast::ListLit& n) { return infer_list(n, cx); },
          [&](const ast::NameRef& n) { return infer_name(*e, n, cx); },
          [&](const ast::Member& n) { return infer_member(*e, n, cx); },
          [&](const ast::Call& n) { return infer_call(*e, n, cx); },
          [&](const ast::Unary& n) { return infer_unary(*e, n, cx); },
          [&](const ast::Binary& n) { return infer_binary(*e, n, cx); },
          [&](const ast::Conditional& n) { return infer_conditional(*e, n, cx); },
          [&](const ast::Paren& n) { return infer(n.inner.get(), cx); },
      },
      e->node);
  --depth_;
  program_.expr_types.insert_or_assign(key(file_, e->id), t);
  return t;
}

Type Checker::infer_string(const ast::StringLit& s, const Ctx& cx) {
  for (const auto& part : s.parts) {
    if (!part.expr) continue;
    Type t = infer(part.expr.get(), cx);
    if (t.is_error()) continue;
    if (!interpolable(t.kind)) {
      auto& d = report(Code::NotInterpolable, part.expr->span, describe(t));
      if (t.kind == Kind::List)
        d.hint = "interpolate one value, or pass the list to a template: `template \"…\" with { items: … }`";
      else if (t.kind == Kind::Record)
        d.hint = fmt::format("interpolate one of its fields, like `{{{}.…}}`", snippet(part.expr->span, 30));
    } else if (t.optional) {
      report_optional(*part.expr, t);
    }
  }
  return Type::of(Kind::String);
}

Type Checker::infer_list(const ast::ListLit& l, const Ctx& cx) {
  Type element = Type::error();
  bool have = false;
  for (const auto& item : l.items) {
    Type t = infer(item.get(), cx);
    if (t.is_error()) continue;
    if (t.optional) {
      report_optional(*item, t);
      t = t.as_required();
    }
    if (!have) {
      element = t;
      have = true;
      continue;
    }
    if (auto u = unify(element, t)) {
      element = *u;
    } else {
      report(Code::TypeMismatch, item->span,
             fmt::format("list items have different types: `{}` and `{}`", describe(element), describe(t)),
             "a list holds values of one type");
    }
  }
  return Type::list(element);
}

Type Checker::infer_name(const ast::Expr& e, const ast::NameRef& n, const Ctx& cx) {
  if (LetEntry* l = find_let(n.name)) {
    l->used = true;
    Type t = l->type;
    if (t.optional && narrowed(e)) t = t.as_required();
    return t;
  }
  if (n.name == "customer") return project_.profile;
  if (n.name == "trigger") {
    if (current_segment_ >= 0) {
      report(Code::UnknownName, e.span, n.name,
             "segments are shared by every scenario, so there is no `trigger` here; put this condition in the "
             "scenario's `audience`");
      return Type::error();
    }
    return trigger_type_;  // the error type when there is no trigger (E0400 said so)
  }
  if (n.name == "event") {
    if (cx.event) return *cx.event;
    report(Code::EventOutsideMatch, e.span);
    return Type::error();
  }
  if (auto v = builtins::value_type(n.name)) return *v;
  if (auto it = segment_index_.find(n.name); it != segment_index_.end()) {
    if (current_segment_ >= 0) segment_deps_[static_cast<std::size_t>(current_segment_)].push_back(it->second);
    return Type::of(Kind::Bool);
  }
  // Unknown. The candidates: lets in scope, segments, the reserved names.
  std::vector<std::string_view> names;
  for (const auto& l : lets_) names.push_back(l.name);
  for (const auto& s : segments_) names.push_back(s.segment->name.name);
  names.push_back("customer");
  names.push_back("now");
  if (current_segment_ < 0) names.push_back("trigger");
  if (cx.event) names.push_back("event");
  std::string hint;
  if (std::string_view c = text::closest(n.name, names); !c.empty()) {
    hint = fmt::format("did you mean `{}`?", c);
  } else if (builtins::find(n.name)) {
    hint = fmt::format("`{0}` is a function: call it, like `{0}(…)`", n.name);
  } else if (project_.event(n.name)) {
    hint = fmt::format("`{}` is an event; its fields are `trigger.…` in a scenario it triggers, or `event.…` in "
                       "a `where`",
                       n.name);
  } else if (project_.profile.field(n.name)) {
    hint = fmt::format("did you mean `customer.{}`?", n.name);
  } else if (trigger_type_.field(n.name) && current_segment_ < 0) {
    hint = fmt::format("did you mean `trigger.{}`?", n.name);
  } else {
    hint = "a name is `customer`, `trigger`, `now`, a segment or a `let`";
  }
  report(Code::UnknownName, e.span, n.name, hint);
  return Type::error();
}

std::string Checker::owner_name(const ast::Expr& object, const Ctx& cx) const {
  if (const auto* n = std::get_if<ast::NameRef>(&object.node)) {
    if (n->name == "trigger" && trigger_kind_ == TriggerKind::Event && !trigger_event_.empty())
      return std::string(trigger_event_);
    if (n->name == "event" && cx.event && !cx.event_name.empty()) return std::string(cx.event_name);
  }
  return snippet(object.span);
}

Type Checker::infer_member(const ast::Expr& e, const ast::Member& m, const Ctx& cx) {
  if (!m.object) return Type::error();
  Type ot = infer(m.object.get(), cx);
  if (ot.is_error() || m.member.name.empty()) return Type::error();
  if (ot.optional) {
    report_optional(*m.object, ot);
    ot = ot.as_required();
  }
  if (ot.kind != Kind::Record) {
    std::string owner = owner_name(*m.object, cx);
    report(Code::UnknownField, m.member.span, owner, m.member.name,
           fmt::format("`{}` is a `{}`, not a record", owner, describe(ot)));
    return Type::error();
  }
  const Type* ft = ot.field(m.member.name);
  if (!ft) {
    const auto* n = std::get_if<ast::NameRef>(&m.object->node);
    const bool is_trigger = n && n->name == "trigger" && !find_let(n->name);
    if (is_trigger && (trigger_kind_ == TriggerKind::Schedule || trigger_kind_ == TriggerKind::Manual)) {
      report(Code::TriggerFieldNoEvent, m.member.span, m.member.name,
             trigger_kind_ == TriggerKind::Schedule
                 ? "a `trigger every` scenario starts on a schedule; only `trigger.at` (the tick) is available"
                 : "a `trigger manual` scenario is started by a broadcast; only `trigger.at` is available");
      return Type::error();
    }
    std::string owner = owner_name(*m.object, cx);
    std::vector<std::string_view> names;
    if (ot.fields)
      for (const auto& f : *ot.fields) names.push_back(f.name);
    report(Code::UnknownField, m.member.span, owner, m.member.name,
           text::did_you_mean(m.member.name, names, fmt::format("the fields of `{}` are", owner),
                              fmt::format("`{}` has no fields", owner)));
    return Type::error();
  }
  Type t = *ft;
  if (t.optional && narrowed(e)) t = t.as_required();
  return t;
}

Type Checker::infer_call(const ast::Expr& e, const ast::Call& c, const Ctx& cx) {
  const std::string& name = c.callee.name;
  const builtins::Builtin* b = builtins::find(name);

  if (b && b->id == builtins::Id::Has) {
    if (c.args.size() != 1) {
      for (const auto& a : c.args) infer(a.get(), cx);
      report(Code::WrongArgCount, e.span, name, "1 argument", c.args.size(),
             "`has(customer.age)` asks whether an optional field is present");
      return Type::of(Kind::Bool);
    }
    const bool saved = no_narrowing_;
    no_narrowing_ = true;
    Type t = infer(c.args[0].get(), cx);
    no_narrowing_ = saved;
    if (!t.is_error() && !t.optional && c.args[0]) report(Code::HasNeedsOptional, c.args[0]->span, snippet(c.args[0]->span));
    return Type::of(Kind::Bool);
  }

  std::vector<Type> args;
  args.reserve(c.args.size());
  for (const auto& a : c.args) args.push_back(infer(a.get(), cx));

  if (!b) {
    std::vector<std::string_view> names;
    for (const auto& x : builtins::all()) names.push_back(x.name);
    std::string hint;
    if (builtins::value_type(name)) hint = fmt::format("`{0}` is a value, not a function: write `{0}`", name);
    else if (segment_index_.count(name) || find_let(name))
      hint = fmt::format("`{0}` is not a function: write `{0}` without parentheses", name);
    else hint = text::did_you_mean(name, names, "the functions are", "");
    report(Code::UnknownFunction, c.callee.span, name, hint);
    return Type::error();
  }

  const std::size_t want = builtins::arity(*b);
  if (args.size() != want) {
    report(Code::WrongArgCount, e.span, name, text::count_noun(want, "argument", "arguments"), args.size(),
           fmt::format("`{}` takes {}: {}", name, builtins::forms(*b), b->doc));
    return b->overloads.empty() ? Type::error() : b->overloads.front().result;
  }
  // No builtin takes a value that may be absent: say so on the argument, then resolve
  // with the present type so the call itself is still checked.
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i].optional && c.args[i]) {
      report_optional(*c.args[i], args[i]);
      args[i] = args[i].as_required();
    }
  }
  if (auto r = builtins::resolve(*b, args)) return *r;
  std::string given;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i) given += ", ";
    given += describe(args[i]);
  }
  report(Code::BadArgument, e.span, name, given, builtins::forms(*b));
  return b->overloads.empty() ? Type::error() : b->overloads.front().result;
}

Type Checker::infer_unary(const ast::Expr& e, const ast::Unary& u, const Ctx& cx) {
  Type t = infer(u.operand.get(), cx);
  if (u.op == ast::UnaryOp::Not) {
    expect_bool(u.operand.get(), t, "the operand of `not`");
    return Type::of(Kind::Bool);
  }
  if (t.is_error()) return t;
  if (!numeric(t.kind) && t.kind != Kind::Duration) {
    report(Code::TypeMismatch, e.span, fmt::format("`-` needs a number or a duration, but this is `{}`", describe(t)),
           "");
    return Type::error();
  }
  if (t.optional && u.operand) report_optional(*u.operand, t);
  return t.as_required();
}

std::string Checker::mismatch_hint(const ast::Expr* le, const Type& l, const ast::Expr* re, const Type& r) const {
  // Put the number on the left to halve the cases.
  const ast::Expr* ne = le;
  const ast::Expr* oe = re;
  Type n = l, o = r;
  if (!numeric(l.kind)) {
    std::swap(ne, oe);
    std::swap(n, o);
  }
  if (numeric(n.kind) && o.kind == Kind::String && oe) {
    if (const auto* s = std::get_if<ast::StringLit>(&oe->node); s && !s->interpolated()) {
      std::string inner;
      for (const auto& p : s->parts) inner += p.text;
      return fmt::format("`{}` is a text; write the number without quotes: {}", snippet(oe->span), text::display(inner, 20));
    }
    return "convert one side: a number cannot be compared with a text";
  }
  if (numeric(n.kind) && o.kind == Kind::Duration) {
    if (ne)
      if (const auto* i = std::get_if<ast::IntLit>(&ne->node))
        return fmt::format("give the number a unit, like {0}m, {0}h or {0}d", i->value);
    return "give the number a unit, like 5m or 2h";
  }
  if (numeric(n.kind) && o.kind == Kind::Time) return "to count days from a time to now, use `days_since(…)`";
  if ((l.kind == Kind::Time && r.kind == Kind::Duration) || (l.kind == Kind::Duration && r.kind == Kind::Time))
    return "a time is a moment and a duration a length of time: compare `now - t` with the duration, or the time "
           "with `now - 30d`";
  if ((l.kind == Kind::Time && r.kind == Kind::Clock) || (l.kind == Kind::Clock && r.kind == Kind::Time))
    return "a time of day (10:00) is not a moment; compare times with times, like `trigger.at - 1d`";
  return "";
}

std::string Checker::arithmetic_hint(ast::BinaryOp op, const Type& l, const Type& r) const {
  using Op = ast::BinaryOp;
  const bool add_sub = op == Op::Add || op == Op::Sub;
  if (add_sub && ((l.kind == Kind::Time && numeric(r.kind)) || (numeric(l.kind) && r.kind == Kind::Time)))
    return op == Op::Add ? "add a duration like 5m, 2h or 1d" : "subtract a duration like 5m, 2h or 1d";
  if (add_sub && ((l.kind == Kind::Duration && numeric(r.kind)) || (numeric(l.kind) && r.kind == Kind::Duration)))
    return "give the number a unit, like 5m or 2h";
  if (op == Op::Add && (l.kind == Kind::String || r.kind == Kind::String))
    return "put the value into the text instead, like \"… {x}\", or convert it with `str(…)`";
  if (op == Op::Add && l.kind == Kind::Time && r.kind == Kind::Time)
    return "two times cannot be added; add a duration to a time, or subtract two times to get a duration";
  if (l.kind == Kind::Percent || r.kind == Kind::Percent)
    return "a percentage is a share for `control` and `split`, not a number; write it as a decimal like 0.1";
  if ((op == Op::Mul || op == Op::Div) && (l.kind == Kind::Time || r.kind == Kind::Time))
    return "times cannot be multiplied or divided; durations can";
  switch (op) {
    case Op::Add: return "`+` adds numbers, durations, a duration to a time, and joins texts";
    case Op::Sub: return "`-` subtracts numbers, durations, a duration from a time, or two times";
    case Op::Mul: return "`*` multiplies numbers, or a duration by a number";
    case Op::Div: return "`/` divides numbers, or a duration by a number";
    default: return "";
  }
}

Type Checker::infer_binary(const ast::Expr& e, const ast::Binary& b, const Ctx& cx) {
  using Op = ast::BinaryOp;
  if (b.op == Op::And || b.op == Op::Or) {
    Type l = infer(b.lhs.get(), cx);
    const std::size_t mark = narrowed_.size();
    collect_has(b.lhs.get(), b.op == Op::And, narrowed_);
    Type r = infer(b.rhs.get(), cx);
    narrowed_.resize(mark);
    const std::string what = fmt::format("each side of `{}`", ast::spelling(b.op));
    expect_bool(b.lhs.get(), l, what);
    expect_bool(b.rhs.get(), r, what);
    return Type::of(Kind::Bool);
  }

  Type l = infer(b.lhs.get(), cx);
  Type r = infer(b.rhs.get(), cx);
  const bool comparison = b.op == Op::Eq || b.op == Op::Ne || b.op == Op::Lt || b.op == Op::Le || b.op == Op::Gt ||
                          b.op == Op::Ge || b.op == Op::In;
  if (l.is_error() || r.is_error()) return comparison ? Type::of(Kind::Bool) : Type::error();
  const Type lr = l.as_required(), rr = r.as_required();
  auto need_present = [&](const ast::Expr* x, const Type& t) {
    if (t.optional && x) report_optional(*x, t);
  };

  switch (b.op) {
    case Op::Eq:
    case Op::Ne:
      if (!unify(lr, rr))
        report(Code::TypeMismatch, e.span, fmt::format("cannot compare `{}` with `{}`", describe(l), describe(r)),
               mismatch_hint(b.lhs.get(), lr, b.rhs.get(), rr));
      return Type::of(Kind::Bool);
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge: {
      const bool same = (numeric(lr.kind) && numeric(rr.kind)) || lr.kind == rr.kind;
      if (!same) {
        report(Code::TypeMismatch, e.span, fmt::format("cannot compare `{}` with `{}`", describe(l), describe(r)),
               mismatch_hint(b.lhs.get(), lr, b.rhs.get(), rr));
      } else if (!ordered(lr.kind)) {
        report(Code::BadOperands, e.span, ast::spelling(b.op), describe(l), describe(r),
               "only numbers, times, durations, times of day and percentages are ordered; use `==` or `!=`");
      } else {
        need_present(b.lhs.get(), l);
        need_present(b.rhs.get(), r);
      }
      return Type::of(Kind::Bool);
    }
    case Op::In: {
      bool ok = false;
      std::string hint = "`in` looks for an item in a list (`\"vip\" in customer.tags`) or a text inside a text";
      if (rr.kind == Kind::List) {
        ok = !rr.element || rr.element->is_error() || unify(lr, rr.element->as_required()).has_value();
        if (!ok) hint = fmt::format("the list holds `{}` values, so look for a `{}`", describe(*rr.element),
                                    describe(rr.element->as_required()));
      } else if (rr.kind == Kind::String) {
        ok = lr.kind == Kind::String;
      }
      if (!ok) {
        report(Code::BadOperands, e.span, "in", describe(l), describe(r), hint);
      } else {
        need_present(b.lhs.get(), l);
        need_present(b.rhs.get(), r);
      }
      return Type::of(Kind::Bool);
    }
    case Op::Coalesce: {
      auto u = unify(lr, rr);
      if (!u) {
        report(Code::BadOperands, e.span, "??", describe(l), describe(r),
               fmt::format("the default after `??` must be a `{}`", describe(lr)));
        return Type::error();
      }
      Type t = *u;
      t.optional = l.optional && r.optional;
      return t;
    }
    default:
      break;
  }

  // Arithmetic.
  std::optional<Kind> result;
  const Kind a = lr.kind, c = rr.kind;
  switch (b.op) {
    case Op::Add:
      if (numeric(a) && numeric(c)) result = (a == Kind::Int && c == Kind::Int) ? Kind::Int : Kind::Decimal;
      else if ((a == Kind::Time && c == Kind::Duration) || (a == Kind::Duration && c == Kind::Time)) result = Kind::Time;
      else if (a == Kind::Duration && c == Kind::Duration) result = Kind::Duration;
      else if (a == Kind::String && c == Kind::String) result = Kind::String;
      break;
    case Op::Sub:
      if (numeric(a) && numeric(c)) result = (a == Kind::Int && c == Kind::Int) ? Kind::Int : Kind::Decimal;
      else if (a == Kind::Time && c == Kind::Duration) result = Kind::Time;
      else if (a == Kind::Time && c == Kind::Time) result = Kind::Duration;
      else if (a == Kind::Duration && c == Kind::Duration) result = Kind::Duration;
      break;
    case Op::Mul:
      if (numeric(a) && numeric(c)) result = (a == Kind::Int && c == Kind::Int) ? Kind::Int : Kind::Decimal;
      else if ((a == Kind::Duration && numeric(c)) || (numeric(a) && c == Kind::Duration)) result = Kind::Duration;
      break;
    case Op::Div:
      if (numeric(a) && numeric(c)) result = (a == Kind::Int && c == Kind::Int) ? Kind::Int : Kind::Decimal;
      else if (a == Kind::Duration && numeric(c)) result = Kind::Duration;
      break;
    default:
      break;
  }
  if (!result) {
    report(Code::BadOperands, e.span, ast::spelling(b.op), describe(l), describe(r), arithmetic_hint(b.op, lr, rr));
    return Type::error();
  }
  need_present(b.lhs.get(), l);
  need_present(b.rhs.get(), r);
  return Type::of(*result);
}

Type Checker::infer_conditional(const ast::Expr& e, const ast::Conditional& c, const Ctx& cx) {
  Type ct = infer(c.cond.get(), cx);
  expect_bool(c.cond.get(), ct, "the condition of `if … then … else`");
  const std::size_t mark = narrowed_.size();
  collect_has(c.cond.get(), true, narrowed_);
  Type a = infer(c.then_expr.get(), cx);
  narrowed_.resize(mark);
  collect_has(c.cond.get(), false, narrowed_);
  Type b = infer(c.else_expr.get(), cx);
  narrowed_.resize(mark);
  if (a.is_error() || b.is_error()) return a.is_error() ? b : a;
  auto u = unify(a.as_required(), b.as_required());
  if (!u) {
    report(Code::TypeMismatch, e.span,
           fmt::format("the branches of `if … then … else` have different types: `{}` and `{}`", describe(a),
                       describe(b)),
           "give both branches the same type");
    return Type::error();
  }
  Type t = *u;
  t.optional = a.optional || b.optional;
  return t;
}

void Checker::expect_bool(const ast::Expr* e, const Type& t, std::string_view what) {
  if (!e || t.is_error()) return;
  if (t.kind != Kind::Bool) {
    auto& d = report(Code::NotBool, e->span, what, describe(t));
    // Quote the expression in the hint only when it is short enough to read at a glance.
    const std::string_view raw = text::span_text(sources_, e->span);
    const std::string x = raw.size() <= 32 && raw.find('\n') == std::string_view::npos ? std::string(raw) : "…";
    if (t.optional) d.hint = fmt::format("to ask whether it is present, write `has({})`", x);
    else if (numeric(t.kind)) d.hint = fmt::format("compare it, like `{} > 0`", x);
    else if (t.kind == Kind::String) d.hint = fmt::format("compare it with a text, like `{} == \"…\"`", x);
    return;
  }
  if (t.optional) report_optional(*e, t);
}

void Checker::expect_duration(const ast::Expr* e, const Type& t, std::string_view what) {
  if (!e || t.is_error()) return;
  if (t.kind != Kind::Duration) {
    auto& d = report(Code::NotDuration, e->span, what, describe(t));
    if (const auto* s = std::get_if<ast::StringLit>(&e->node); s && !s->interpolated()) {
      std::string inner;
      for (const auto& p : s->parts) inner += p.text;
      d.hint = fmt::format("write the duration without quotes: {}", text::display(inner, 20));
    } else if (const auto* i = std::get_if<ast::IntLit>(&e->node)) {
      d.hint = fmt::format("give the number a unit, like {0}m, {0}h or {0}d", i->value);
    } else if (numeric(t.kind)) {
      d.hint = "turn the number into a duration with `hours(…)` or `days(…)`, or multiply a duration, like `n * 1h`";
    } else if (t.kind == Kind::Clock || t.kind == Kind::Time) {
      d.hint = fmt::format("to wait for a moment, write `wait until {}`", snippet(e->span, 30));
    }
    return;
  }
  if (t.optional) report_optional(*e, t);
}

void Checker::check_where(const ast::Expr* where, const project::EventSchema* ev, std::string_view event_name) {
  if (!where) return;
  static const Type kError = Type::error();
  Ctx cx;
  cx.event = ev ? &ev->fields : &kError;
  cx.event_name = event_name;
  Type t = infer(where, cx);
  expect_bool(where, t, "a `where` filter");
}

// ---------------------------------------------------------------------------------------
// Segments

void Checker::check_segments() {
  for (const auto& f : program_.files) {
    for (const auto& d : f.decls) {
      const auto* seg = std::get_if<ast::Segment>(&d.node);
      if (!seg || seg->name.name.empty()) continue;
      auto [it, inserted] = segment_index_.emplace(seg->name.name, segments_.size());
      if (!inserted) {
        auto& dg = report(Code::DuplicateName, seg->name.span, seg->name.name);
        dg.notes.push_back({segments_[it->second].segment->name.span,
                            fmt::format("segment `{}` is first defined here", seg->name.name)});
        continue;
      }
      segments_.push_back(SegmentEntry{seg, f.file});
    }
  }
  segment_deps_.assign(segments_.size(), {});
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    const auto& s = segments_[i];
    file_ = s.file;
    current_segment_ = static_cast<long>(i);
    Type t = infer(s.segment->expr.get(), Ctx{});
    expect_bool(s.segment->expr.get(), t, "a segment");
  }
  current_segment_ = -1;
  // The other files' duplicate segments are not in segments_, but their expressions
  // still deserve a check.
  for (const auto& f : program_.files) {
    file_ = f.file;
    for (const auto& d : f.decls) {
      const auto* seg = std::get_if<ast::Segment>(&d.node);
      if (!seg || seg->name.name.empty()) continue;
      auto it = segment_index_.find(seg->name.name);
      if (it != segment_index_.end() && segments_[it->second].segment != seg) {
        current_segment_ = static_cast<long>(segments_.size());  // deps of a duplicate are not tracked
        segment_deps_.emplace_back();
        Type t = infer(seg->expr.get(), Ctx{});
        expect_bool(seg->expr.get(), t, "a segment");
        segment_deps_.pop_back();
        current_segment_ = -1;
      }
    }
  }
}

void Checker::check_segment_cycles() {
  // Iterative depth-first search; a back edge closes a cycle.
  const std::size_t n = segments_.size();
  std::vector<std::uint8_t> color(n, 0);  // 0 unseen, 1 on the stack, 2 done
  std::vector<bool> reported(n, false);
  std::vector<std::pair<std::size_t, std::size_t>> stack;
  for (std::size_t root = 0; root < n; ++root) {
    if (color[root]) continue;
    stack.push_back({root, 0});
    color[root] = 1;
    while (!stack.empty()) {
      auto& [v, next] = stack.back();
      if (next < segment_deps_[v].size()) {
        const std::size_t w = segment_deps_[v][next++];
        if (color[w] == 0) {
          color[w] = 1;
          stack.push_back({w, 0});
        } else if (color[w] == 1 && !reported[w]) {
          reported[w] = true;
          std::string path;
          bool on = false;
          for (const auto& [u, unused] : stack) {
            if (u == w) on = true;
            if (!on) continue;
            path += segments_[u].segment->name.name;
            path += " → ";
          }
          path += segments_[w].segment->name.name;
          report(Code::SegmentCycle, segments_[w].segment->name.span, segments_[w].segment->name.name, path);
        }
      } else {
        color[v] = 2;
        stack.pop_back();
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Scenarios

void Checker::check_settings(const ast::Scenario& s) {
  // Pass 1: settings given twice, and the trigger (expressions below depend on it).
  struct Seen {
    std::string key;
    SourceSpan span;
  };
  std::vector<Seen> seen;
  auto once = [&](std::string key, const ast::Setting& st) {
    for (const auto& x : seen) {
      if (x.key != key) continue;
      auto& d = report(Code::DuplicateSetting, st.span, key);
      d.notes.push_back({x.span, "first set here"});
      return false;
    }
    seen.push_back({std::move(key), st.span});
    return true;
  };
  auto channel_key = [](std::string base, const std::vector<ast::Ident>& chans) {
    if (chans.empty()) return std::vector<std::string>{std::move(base)};
    std::vector<std::string> keys;
    for (const auto& c : chans) keys.push_back(base + " for " + c.name);
    return keys;
  };
  bool have_trigger = false;
  for (const auto& st : s.settings) {
    std::visit(Overloaded{
                   [&](const ast::TriggerEvent& t) {
                     if (!once("trigger", st) || have_trigger) return;
                     have_trigger = true;
                     trigger_kind_ = TriggerKind::Event;
                     trigger_event_ = t.event.name;
                     const auto* ev = lookup_event(t.event, false);
                     trigger_type_ = ev ? ev->fields : Type::error();
                   },
                   [&](const ast::TriggerEvery&) {
                     if (!once("trigger", st) || have_trigger) return;
                     have_trigger = true;
                     trigger_kind_ = TriggerKind::Schedule;
                     trigger_type_ = schedule_type_;
                   },
                   [&](const ast::TriggerManual&) {
                     if (!once("trigger", st) || have_trigger) return;
                     have_trigger = true;
                     trigger_kind_ = TriggerKind::Manual;
                     trigger_type_ = schedule_type_;
                   },
                   [&](const ast::Audience&) { once("audience", st); },
                   [&](const ast::Goal&) { once("goal", st); },
                   [&](const ast::StopOn& so) { once("stop on " + so.event.name, st); },
                   [&](const ast::QuietHours& q) {
                     for (auto& k : channel_key("quiet hours", q.channels))
                       if (!once(std::move(k), st)) break;
                   },
                   [&](const ast::Limit& l) {
                     for (auto& k : channel_key(fmt::format("limit … per {}", l.per.text), l.channels))
                       if (!once(std::move(k), st)) break;
                   },
                   [&](const ast::Reentry&) { once("reentry", st); },
                   [&](const ast::Control&) { once("control", st); },
                   [&](const ast::Urgent&) { once("urgent", st); },
               },
               st.node);
  }
  if (!have_trigger && !s.name.name.empty()) report(Code::NoTrigger, s.name.span, s.name.name);

  // Pass 2: names and expressions.
  const Ctx none;
  bool first_trigger = true;
  for (const auto& st : s.settings) {
    std::visit(Overloaded{
                   [&](const ast::TriggerEvent& t) {
                     if (!first_trigger) return;
                     first_trigger = false;
                     check_where(t.where.get(), project_.event(t.event.name), t.event.name);
                   },
                   [&](const ast::TriggerEvery& t) {
                     if (!first_trigger) return;
                     first_trigger = false;
                     if (t.every.seconds <= 0) {
                       report(Code::ScheduleAt, t.every_span, "`trigger every` needs an interval longer than zero",
                              "write it like `trigger every 1d at 10:00`");
                     } else if (t.at && t.every.seconds % kDaySeconds != 0) {
                       report(Code::ScheduleAt, t.at_span,
                              fmt::format("`at` needs an interval of whole days, but this one is {}", t.every.text),
                              fmt::format("drop `at …` to start every {}, or use an interval like 1d or 7d",
                                          t.every.text));
                     }
                   },
                   [&](const ast::TriggerManual&) { first_trigger = false; },
                   [&](const ast::Audience& a) {
                     Type t = infer(a.expr.get(), none);
                     expect_bool(a.expr.get(), t, "the audience");
                   },
                   [&](const ast::Goal& g) {
                     const auto* ev = lookup_event(g.event, false);
                     if (ev) goal_event_ = g.event.name;
                     check_where(g.where.get(), ev, g.event.name);
                     if (g.within) expect_duration(g.within.get(), infer(g.within.get(), none), "`goal … within`");
                   },
                   [&](const ast::StopOn& so) {
                     const auto* ev = lookup_event(so.event, false);
                     check_where(so.where.get(), ev, so.event.name);
                   },
                   [&](const ast::QuietHours& q) {
                     for (const auto& c : q.channels) lookup_channel(c);
                   },
                   [&](const ast::Limit& l) {
                     for (const auto& c : l.channels) lookup_channel(c);
                     if (l.count <= 0) report(Code::LimitZero, st.span, l.count, l.per.text);
                   },
                   [&](const ast::Reentry&) {},
                   [&](const ast::Control& c) {
                     if (c.share.basis_points < 0 || c.share.basis_points > 10000)
                       report(Code::ControlRange, st.span, text::percent(c.share.basis_points));
                   },
                   [&](const ast::Urgent&) {},
               },
               st.node);
  }
}

std::string Checker::outcome_hint(const channels::KindInfo& k, ast::OutcomeKind wanted, bool in_cascade,
                                  std::string_view channel) const {
  const std::string reports = reports_of(k);
  std::string out = reports.empty() ? fmt::format("a `{}` message reports only failures", k.name)
                                    : fmt::format("a `{}` message reports {}", k.name, reports);
  const auto sub = substitute_outcome(k, wanted);
  if (in_cascade) {
    if (sub) return fmt::format("{}; cascade until `{}`, or make `{}` the last step", out, *sub, channel);
    return fmt::format("{}; make `{}` the last step, or cascade until an event", out, channel);
  }
  const std::string event =
      goal_event_.empty() ? std::string("an event (`if not EVENT within …`)")
                          : fmt::format("the goal event (`if not {} within …`)", goal_event_);
  if (sub) return fmt::format("{}; wait for `{}`, or for {}", out, *sub, event);
  return fmt::format("{}; wait for {}", out, event);
}

void Checker::check_message_outcome(const ast::Outcome& o, const PathState& st) {
  std::vector<SendRef> refs;
  if (o.message) {
    const auto it = std::find_if(st.named.begin(), st.named.end(),
                                 [&](const NamedSend& n) { return n.name == o.message->name; });
    if (it == st.named.end()) {
      if (!st.unknown) report(Code::UnknownMessage, o.message->span, o.message->name);
      return;
    }
    refs = it->refs;
  } else {
    if (st.maybe_none && !st.unknown) report(Code::OutcomeNoMessage, o.span, outcome_word(o.kind));
    refs = st.latest;
  }
  const channels::Report want = outcome_report(o.kind);
  const SendRef* first_bad = nullptr;
  std::vector<diag::Label> notes;
  for (const auto& r : refs) {
    if (!r.channel || !r.channel->kind || channels::can_report(*r.channel->kind, want)) continue;
    if (!first_bad) first_bad = &r;
    notes.push_back({r.span, fmt::format("the message is sent here, on `{}`", r.channel->name)});
  }
  if (!first_bad) return;
  const auto& kind = *first_bad->channel->kind;
  auto& d = report(Code::OutcomeNotReported, o.span, kind.name, outcome_word(o.kind),
                   outcome_hint(kind, o.kind, false, first_bad->channel->name));
  d.notes = std::move(notes);
}

void Checker::record_send(PathState& st, std::vector<SendRef> refs, int count, SourceSpan span) {
  st.sends += count;
  if (st.sends > kMaxMessagesPerPath && !over_limit_at_) over_limit_at_ = span;
  max_sends_ = std::max(max_sends_, st.sends);
  st.latest = std::move(refs);
  st.maybe_none = false;
}

void Checker::check_content(const ast::Content& c) {
  const Ctx none;
  std::visit(Overloaded{
                 [&](const ast::ExprPtr& e) { infer(e.get(), none); },
                 [&](const ast::TemplateRef& t) {
                   for (std::size_t i = 0; i < t.args.size(); ++i) {
                     const auto& a = t.args[i];
                     for (std::size_t j = 0; j < i; ++j) {
                       if (t.args[j].key.name == a.key.name && !a.key.name.empty()) {
                         auto& d = report(Code::DuplicateName, a.key.span, a.key.name);
                         d.hint = "give each template value its own name";
                         d.notes.push_back({t.args[j].key.span, "first given here"});
                         break;
                       }
                     }
                     Type v = infer(a.value.get(), none);
                     if (v.optional && a.value) report_optional(*a.value, v);
                   }
                 },
             },
             c.value);
}

void Checker::check_block(const ast::Block& b, PathState& st) {
  const std::size_t mark = lets_.size();
  bool reported = false;
  for (const auto& s : b.stmts) {
    if (!st.live) {
      if (!reported) {
        std::string why = st.dead_by_stop
                              ? fmt::format("the `stop` on line {} ends the scenario first",
                                            text::line_of(sources_, st.dead_at))
                              : fmt::format("every path through the statement on line {} ends before it",
                                            text::line_of(sources_, st.dead_at));
        report(Code::Unreachable, s.span, why);
        reported = true;
      }
      const int sends = st.sends;
      st = PathState{};
      st.unknown = true;
      st.maybe_none = false;
      st.sends = sends;
    }
    check_stmt(s, st);
  }
  pop_lets(mark);
}

void Checker::check_stmt(const ast::Stmt& s, PathState& st) {
  const Ctx none;
  std::visit(
      Overloaded{
          [&](const ast::Send& n) {
            const auto* ch = lookup_channel(n.channel);
            check_content(n.content);
            record_send(st, {SendRef{ch, n.channel.span}}, 1, s.span);
            if (n.as && !n.as->name.empty()) {
              auto [it, inserted] = as_names_.emplace(n.as->name, n.as->span);
              if (!inserted) {
                auto& d = report(Code::DuplicateName, n.as->span, n.as->name);
                d.hint = "give each named message its own name";
                d.notes.push_back({it->second, fmt::format("`{}` is first defined here", n.as->name)});
              }
              auto named = std::find_if(st.named.begin(), st.named.end(),
                                        [&](const NamedSend& x) { return x.name == n.as->name; });
              if (named == st.named.end()) st.named.push_back(NamedSend{n.as->name, {}});
              named = std::find_if(st.named.begin(), st.named.end(),
                                   [&](const NamedSend& x) { return x.name == n.as->name; });
              named->refs = {SendRef{ch, n.channel.span}};
            }
          },
          [&](const ast::Wait& n) { expect_duration(n.duration.get(), infer(n.duration.get(), none), "`wait`"); },
          [&](const ast::WaitUntil& n) {
            Type t = infer(n.time.get(), none);
            if (!n.time || t.is_error()) return;
            if (t.kind != Kind::Time && t.kind != Kind::Clock) {
              auto& d = report(Code::NotTime, n.time->span, describe(t));
              if (t.kind == Kind::Duration)
                d.hint = fmt::format("to wait for a length of time, write `wait {}`", snippet(n.time->span, 30));
              else if (t.kind == Kind::String)
                d.hint = "write a time of day without quotes, like `wait until 10:00`";
              return;
            }
            if (t.optional) report_optional(*n.time, t);
          },
          [&](const ast::IfNot& n) {
            if (n.outcome.kind == ast::OutcomeKind::Event) {
              const auto* ev = lookup_event(n.outcome.event, true);
              check_where(n.outcome.where.get(), ev, n.outcome.event.name);
            } else {
              check_message_outcome(n.outcome, st);
            }
            if (n.within) expect_duration(n.within.get(), infer(n.within.get(), none), "`within`");
            PathState a = st, b = st;
            check_block(n.then_block, a);
            if (n.else_block) check_block(*n.else_block, b);
            st = merge(std::move(a), b);
            if (!st.live) st.dead_at = s.span, st.dead_by_stop = false;
          },
          [&](const ast::If& n) {
            Type t = infer(n.cond.get(), none);
            expect_bool(n.cond.get(), t, "the condition of `if`");
            const std::size_t mark = narrowed_.size();
            PathState a = st, b = st;
            collect_has(n.cond.get(), true, narrowed_);
            check_block(n.then_block, a);
            narrowed_.resize(mark);
            collect_has(n.cond.get(), false, narrowed_);
            if (n.else_block) check_block(*n.else_block, b);
            narrowed_.resize(mark);
            st = merge(std::move(a), b);
            if (!st.live) st.dead_at = s.span, st.dead_by_stop = false;
          },
          [&](const ast::CascadeUntil& n) {
            const bool event = n.until.kind == ast::OutcomeKind::Event;
            if (event) {
              const auto* ev = lookup_event(n.until.event, true);
              check_where(n.until.where.get(), ev, n.until.event.name);
            }
            if (n.steps.empty()) {
              report(Code::CascadeEmpty, n.body_span);
              return;
            }
            std::vector<SendRef> refs;
            for (std::size_t i = 0; i < n.steps.size(); ++i) {
              const auto& step = n.steps[i];
              const bool last = i + 1 == n.steps.size();
              const auto* ch = lookup_channel(step.channel);
              check_content(step.content);
              if (step.within) expect_duration(step.within.get(), infer(step.within.get(), none), "`within`");
              if (!last && !step.within)
                report(Code::CascadeNoWithin, step.span, fmt::format("{} (`{}`)", i + 1, step.channel.name));
              if (last && step.within) report(Code::LastStepWithin, step.within->span);
              if (!last && !event && ch && ch->kind && !channels::can_report(*ch->kind, outcome_report(n.until.kind))) {
                auto& d = report(Code::OutcomeNotReported, step.channel.span, ch->kind->name,
                                 outcome_word(n.until.kind), outcome_hint(*ch->kind, n.until.kind, true, ch->name));
                d.notes.push_back({n.until.span, "the cascade waits for this outcome"});
              }
              add_ref(refs, SendRef{ch, step.channel.span});
            }
            record_send(st, std::move(refs), static_cast<int>(n.steps.size()), s.span);
          },
          [&](const ast::Split& n) {
            std::int64_t sum = 0;
            for (std::size_t i = 0; i < n.branches.size(); ++i) {
              const auto& br = n.branches[i];
              if (__builtin_add_overflow(sum, br.share.basis_points, &sum)) sum = INT64_MAX;
              for (std::size_t j = 0; j < i; ++j) {
                if (n.branches[j].name.name == br.name.name && !br.name.name.empty()) {
                  auto& d = report(Code::SplitDuplicate, br.name.span, br.name.name);
                  d.notes.push_back({n.branches[j].name.span, "first named here"});
                  break;
                }
              }
            }
            if (sum != 10000) {
              const SourceSpan keyword{s.span.file, s.span.begin, std::min(s.span.end, s.span.begin + 5)};
              report(Code::SplitSum, keyword, text::percent(sum));
            }
            PathState merged = dead_state(s.span);
            for (const auto& br : n.branches) {
              if (br.is_control || !br.body) continue;  // control members get nothing more
              PathState b = st;
              check_block(*br.body, b);
              merged = merge(std::move(merged), b);
            }
            if (!merged.live) merged.dead_at = s.span, merged.dead_by_stop = false;
            st = std::move(merged);
          },
          [&](const ast::Let& n) { define_let(n.name, infer(n.value.get(), none)); },
          [&](const ast::StopStmt&) {
            st.live = false;
            st.dead_at = s.span;
            st.dead_by_stop = true;
          },
      },
      s.node);
}

void Checker::check_scenario(const ast::Scenario& s) {
  trigger_kind_ = TriggerKind::None;
  trigger_type_ = Type::error();
  trigger_event_ = {};
  goal_event_ = {};
  as_names_.clear();
  max_sends_ = 0;
  over_limit_at_.reset();
  narrowed_.clear();

  check_settings(s);
  PathState st;
  check_block(s.body, st);
  if (max_sends_ > kMaxMessagesPerPath && over_limit_at_) report(Code::TooManyMessages, *over_limit_at_, max_sends_);
}

void Checker::run() {
  schedule_type_ = Type::record({types::Field{"at", Type::of(Kind::Time)}});
  std::size_t nodes = 0;
  for (const auto& f : program_.files) nodes += f.node_count;
  program_.expr_types.reserve(program_.expr_types.size() + nodes);

  check_segments();
  check_segment_cycles();

  std::unordered_map<std::string_view, SourceSpan> scenarios;
  for (const auto& f : program_.files) {
    file_ = f.file;
    for (const auto& d : f.decls) {
      const auto* sc = std::get_if<ast::Scenario>(&d.node);
      if (!sc) continue;
      if (!sc->name.name.empty()) {
        auto [it, inserted] = scenarios.emplace(sc->name.name, sc->name.span);
        if (!inserted) {
          auto& dg = report(Code::DuplicateName, sc->name.span, sc->name.name);
          dg.hint = "scenario names are unique in a project; rename one of them";
          dg.notes.push_back({it->second, fmt::format("scenario `{}` is first defined here", sc->name.name)});
        }
      }
      check_scenario(*sc);
    }
  }
}

}  // namespace

void check(const project::Project& project, const source::SourceMap& sources, Result& program,
           diag::Diagnostics& out) {
  Checker(project, sources, program, out).run();
  lint::run(project, sources, program, out);
}

}  // namespace cascade::check
