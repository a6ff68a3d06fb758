// The abstract syntax tree of a .cascade file.
//
// This is the AST every later stage sees: the checker, the linter, the formatter and
// (later) lowering. It is plain data: no Spirit X3 types, no iterators. The parser builds
// its own X3-shaped structures internally and converts them into these before returning,
// so nothing outside grammar/ depends on X3.
//
// Every node a diagnostic can point at carries a SourceSpan. Expressions, statements and
// settings also carry a NodeId, unique within one parsed file and dense from 1, so later
// stages keep their facts (types, resolved names) in side tables instead of mutating the
// tree (cel-cpp's habit).
//
// The tree is move-only (children are held by unique_ptr or by value).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cascade/grammar/source.hpp"

namespace cascade::ast {

using source::SourceSpan;
using NodeId = std::uint32_t;

struct Ident {
  std::string name;
  SourceSpan span;
};

// ---------------------------------------------------------------------------------------
// Expressions

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

enum class BinaryOp : std::uint8_t {
  Or, And,
  Eq, Ne, Lt, Le, Gt, Ge, In,
  Coalesce,  // ??
  Add, Sub, Mul, Div,
};
enum class UnaryOp : std::uint8_t { Not, Neg };

// How an operator is written in source: the one spelling table for every printer.
constexpr std::string_view spelling(BinaryOp op) {
  switch (op) {
    case BinaryOp::Or: return "or";
    case BinaryOp::And: return "and";
    case BinaryOp::Eq: return "==";
    case BinaryOp::Ne: return "!=";
    case BinaryOp::Lt: return "<";
    case BinaryOp::Le: return "<=";
    case BinaryOp::Gt: return ">";
    case BinaryOp::Ge: return ">=";
    case BinaryOp::In: return "in";
    case BinaryOp::Coalesce: return "??";
    case BinaryOp::Add: return "+";
    case BinaryOp::Sub: return "-";
    case BinaryOp::Mul: return "*";
    case BinaryOp::Div: return "/";
  }
  return "?";
}

struct BoolLit { bool value = false; };
struct IntLit { std::int64_t value = 0; };
// Decimals are exact: the digits as written ("1.77"), scaled integer form for evaluation.
struct DecimalLit {
  std::string text;        // as written, e.g. "1.77"
  std::int64_t units = 0;  // value * 10^scale
  std::uint8_t scale = 0;  // digits after the point
};
// 1h30m; seconds is the total. text is the canonical spelling used by the formatter.
struct DurationLit {
  std::int64_t seconds = 0;
  std::string text;
};
// HH:MM, a local wall-clock time of day.
struct ClockLit { std::int32_t minutes = 0; };  // 0 .. 24*60-1
// 10% or 12.5%; basis_points is the share * 100 (10% -> 1000, 12.5% -> 1250).
struct PercentLit {
  std::int64_t basis_points = 0;
  std::string text;  // "10%"
};

// A piece of a string literal: literal text (escapes already decoded) or an
// interpolated {expr}.
struct StringPart {
  std::string text;  // used when expr is null
  ExprPtr expr;      // the {expr}, or null
  SourceSpan span;   // the text run, or the braces with the expression
};
struct StringLit {
  std::vector<StringPart> parts;
  bool interpolated() const {
    for (const auto& p : parts)
      if (p.expr) return true;
    return false;
  }
};
struct ListLit { std::vector<ExprPtr> items; };

// A bare name: customer, trigger, event, now, a segment, a let, ...
struct NameRef { std::string name; };
struct Member {
  ExprPtr object;
  Ident member;
};
struct Call {
  Ident callee;
  std::vector<ExprPtr> args;
};
struct Unary {
  UnaryOp op = UnaryOp::Not;
  ExprPtr operand;
};
struct Binary {
  BinaryOp op = BinaryOp::Or;
  ExprPtr lhs, rhs;
};
// if c then a else b
struct Conditional {
  ExprPtr cond, then_expr, else_expr;
};
// ( inner ) — kept so the formatter can keep the author's grouping.
struct Paren { ExprPtr inner; };

struct Expr {
  NodeId id = 0;
  SourceSpan span;
  std::variant<BoolLit, IntLit, DecimalLit, DurationLit, ClockLit, PercentLit, StringLit, ListLit, NameRef,
               Member, Call, Unary, Binary, Conditional, Paren>
      node;
};

// ---------------------------------------------------------------------------------------
// Message content: a text (a string literal, maybe interpolated) or a template reference.

struct TemplateArg {
  Ident key;
  ExprPtr value;
};
struct TemplateRef {
  std::string name;  // the template's name, "cart_1"
  SourceSpan name_span;
  bool has_with = false;  // `with { }` written, possibly empty
  std::vector<TemplateArg> args;
};
struct Content {
  SourceSpan span;
  // ExprPtr holds an Expr whose node is a StringLit.
  std::variant<ExprPtr, TemplateRef> value;
};

// ---------------------------------------------------------------------------------------
// Outcomes: what an `if not … within` or `cascade until` waits for.

enum class OutcomeKind : std::uint8_t { Delivered, Opened, Clicked, Event };
struct Outcome {
  OutcomeKind kind = OutcomeKind::Delivered;
  std::optional<Ident> message;  // opened(first): the named message; else the latest
  Ident event;                   // kind == Event: the event name
  ExprPtr where;                 // kind == Event: optional filter (event.* in scope)
  SourceSpan span;
};

// ---------------------------------------------------------------------------------------
// Statements

struct Stmt;
struct Block {
  SourceSpan span;  // from { to }
  std::vector<Stmt> stmts;
};

struct Send {
  Ident channel;
  Content content;
  std::optional<Ident> as;  // send … as first
};
struct Wait { ExprPtr duration; };
struct WaitUntil { ExprPtr time; };  // a time, or a clock literal (next local HH:MM)
struct IfNot {
  Outcome outcome;
  ExprPtr within;
  Block then_block;
  std::optional<Block> else_block;
  // `else if …` was written: else_block holds exactly one If or IfNot statement (as
  // for If::else_if).
  bool else_if = false;
};
struct If {
  ExprPtr cond;
  Block then_block;
  std::optional<Block> else_block;
  // `else if …` was written: else_block holds exactly one If statement and the
  // formatter prints it without braces.
  bool else_if = false;
};
struct CascadeStep {
  Ident channel;
  Content content;
  ExprPtr within;  // null when absent (allowed only on the last step)
  SourceSpan span;
};
struct CascadeUntil {
  Outcome until;  // message outcome (delivered/opened/clicked) or an event
  std::vector<CascadeStep> steps;
  SourceSpan body_span;  // from { to }
};
struct SplitBranch {
  PercentLit share;
  SourceSpan share_span;
  Ident name;
  bool is_control = false;  // `50% holdout control`
  std::optional<Block> body;  // absent when is_control
  SourceSpan span;
};
struct Split {
  std::vector<SplitBranch> branches;
  SourceSpan body_span;
};
struct Let {
  Ident name;
  ExprPtr value;
};
struct StopStmt {};

struct Stmt {
  NodeId id = 0;
  SourceSpan span;
  std::variant<Send, Wait, WaitUntil, IfNot, If, CascadeUntil, Split, Let, StopStmt> node;
};

// ---------------------------------------------------------------------------------------
// Scenario settings

struct TriggerEvent {
  Ident event;
  ExprPtr where;  // may be null
};
struct TriggerEvery {
  DurationLit every;
  SourceSpan every_span;
  std::optional<ClockLit> at;
  SourceSpan at_span;
};
struct TriggerManual {};
struct Audience { ExprPtr expr; };
struct Goal {
  Ident event;
  ExprPtr where;   // may be null
  ExprPtr within;  // may be null: the project's goal_window
};
struct StopOn {
  Ident event;
  ExprPtr where;  // may be null
};
struct QuietHours {
  ClockLit from, to;
  SourceSpan range_span;
  std::vector<Ident> channels;  // empty: every channel
};
struct Limit {
  std::int64_t count = 0;
  DurationLit per;
  SourceSpan per_span;
  std::vector<Ident> channels;  // empty: every channel
};
enum class ReentryKind : std::uint8_t { Never, Parallel, After };
struct Reentry {
  ReentryKind kind = ReentryKind::Never;
  DurationLit after;  // kind == After
};
struct Control {
  PercentLit share;
};
struct Urgent {};

struct Setting {
  NodeId id = 0;
  SourceSpan span;
  std::variant<TriggerEvent, TriggerEvery, TriggerManual, Audience, Goal, StopOn, QuietHours, Limit, Reentry,
               Control, Urgent>
      node;
};

// ---------------------------------------------------------------------------------------
// Top level

struct Import {
  std::string path;  // as written, relative to the importing file
  SourceSpan path_span;
};
struct Segment {
  Ident name;
  ExprPtr expr;
};
struct Scenario {
  Ident name;
  std::optional<std::string> title;  // "Брошенная корзина"
  SourceSpan title_span;
  std::vector<Setting> settings;
  Block body;  // the statements; body.span covers the scenario's braces
};

struct Decl {
  SourceSpan span;
  std::variant<Import, Segment, Scenario> node;
};

struct Comment {
  SourceSpan span;   // including the // or /* */ markers
  std::string text;  // exactly as written, markers included
  bool block = false;
};

struct File {
  source::FileId file = 0;
  std::vector<Decl> decls;
  std::vector<Comment> comments;  // every comment, in source order, for the formatter
  NodeId node_count = 0;          // ids run 1..node_count
};

}  // namespace cascade::ast
