// The X3-shaped syntax tree: the attributes the Spirit X3 rules synthesize.
//
// Internal to grammar/. These structs follow the grammar, not the public AST: an
// expression is a flat chain `operand (op operand)*` (precedence is resolved in
// convert.cpp, iteratively, so a long chain cannot overflow the stack), an `if … else
// if …` is a list of clauses, and failed constructs are kept as `bad` placeholders so the
// rules around them can go on. convert.cpp turns this tree into cascade::ast.
//
// Positions are byte offsets (`tagged`), set by the rules' on_success handler or by the
// primitive parsers themselves; they become SourceSpans in convert.cpp.
#pragma once

#include <boost/optional.hpp>
#include <boost/spirit/home/x3/support/ast/variant.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace cascade::grammar::x3ast {

namespace x3 = boost::spirit::x3;

struct tagged {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
};

// A construct that failed to parse; the error was reported where it was found.
struct bad : tagged {};

struct ident : tagged {
  std::string name;
};

// INT, DECIMAL, DURATION, CLOCK, PERCENT: one token, classified by the number parser.
enum class number_kind : std::uint8_t { integer, decimal, duration, clock, percent };
struct number : tagged {
  number_kind kind = number_kind::integer;
  // integer: the value; decimal: value * 10^scale; duration: seconds; clock: minutes
  // since midnight; percent: basis points.
  std::int64_t value = 0;
  std::uint8_t scale = 0;
};

struct bool_lit : tagged {
  bool value = false;
};

// ---------------------------------------------------------------------------------------
// Expressions

struct expr;

// A string literal, escapes decoded. A piece is literal text, or (expr >= 0) the
// interpolation exprs[expr] with the braces' position.
struct string_piece : tagged {
  std::string text;
  int expr = -1;
};
struct string_lit : tagged {
  std::vector<string_piece> pieces;
  std::vector<expr> exprs;
};

struct list_lit : tagged {
  tagged open;
  std::vector<expr> items;
};

struct paren : tagged {
  tagged open;
  std::vector<expr> inner;  // exactly one
};

// A name, or a call when args is present: f(a, b).
struct name_or_call : tagged {
  ident name;
  boost::optional<std::vector<expr>> args;
};

// Recursion goes through std::vector members (never x3::forward_ast): X3 default-
// constructs an attribute for every alternative it tries, and a forward_ast would cost a
// heap allocation each time.
struct primary : x3::variant<name_or_call, number, string_lit, bool_lit, list_lit, paren> {
  using base_type::base_type;
  using base_type::operator=;
};

struct postfix : tagged {
  primary base;
  std::vector<ident> members;  // .a.b
};

// `not` or unary `-`.
struct prefix : tagged {
  char op = 'n';  // 'n' not, '-' negation
};

// A binary operator token; op is a cascade::ast::BinaryOp value.
struct binop : tagged {
  std::uint8_t op = 0;
};

struct operand : tagged {
  std::vector<prefix> prefixes;
  postfix value;
};

struct op_operand {
  binop op;
  operand rhs;
};

struct chain : tagged {
  operand first;
  std::vector<op_operand> rest;
};

struct conditional : tagged {
  tagged keyword;
  std::vector<expr> parts;  // condition, then, else
};

struct expr : x3::variant<chain, conditional> {
  using base_type::base_type;
  using base_type::operator=;
};

// ---------------------------------------------------------------------------------------
// Content and outcomes

struct template_arg {
  ident key;
  expr value;
};
struct template_with : tagged {
  tagged open;
  std::vector<template_arg> args;
};
struct template_ref : tagged {
  string_lit name;
  boost::optional<template_with> with;
};
struct content : x3::variant<string_lit, template_ref> {
  using base_type::base_type;
  using base_type::operator=;
};

// delivered / opened / clicked, optionally naming a message: opened(first).
struct message_outcome : tagged {
  char kind = 'd';  // 'd' delivered, 'o' opened, 'c' clicked
  boost::optional<ident> message;
};
struct event_outcome : tagged {
  ident event;
  boost::optional<expr> where;
};
struct outcome : x3::variant<message_outcome, event_outcome> {
  using base_type::base_type;
  using base_type::operator=;
};

// ---------------------------------------------------------------------------------------
// Statements

struct stmt;

struct block : tagged {
  tagged open;
  std::vector<stmt> stmts;
  tagged close;
};

struct send_stmt : tagged {
  ident channel;
  content body;
  boost::optional<ident> as;
};

struct wait_stmt : tagged {
  bool until = false;
  expr value;
};

// `if not OUTCOME within EXPR`.
struct not_within {
  outcome what;
  expr within;
};
struct if_cond : x3::variant<not_within, expr> {
  using base_type::base_type;
  using base_type::operator=;
};
struct if_clause : tagged {
  if_cond cond;
  block body;
};
struct if_stmt : tagged {
  std::vector<if_clause> clauses;  // if … else if … else if …
  boost::optional<block> else_block;
};

struct cascade_step : tagged {
  ident channel;
  content body;
  boost::optional<expr> within;
  bool failed = false;  // recovery placeholder
};
struct cascade_stmt : tagged {
  outcome until;
  tagged open;
  std::vector<cascade_step> steps;
  tagged close;
};

struct control_word : tagged {};
struct branch_body : x3::variant<control_word, block> {
  using base_type::base_type;
  using base_type::operator=;
};
struct split_branch : tagged {
  number share;
  ident name;
  branch_body body;
  bool failed = false;  // recovery placeholder
};
struct split_stmt : tagged {
  tagged open;
  std::vector<split_branch> branches;
  tagged close;
};

struct let_stmt : tagged {
  ident name;
  expr value;
};

struct stop_stmt : tagged {};

struct stmt : x3::variant<bad, send_stmt, wait_stmt, if_stmt, cascade_stmt, split_stmt, let_stmt, stop_stmt> {
  using base_type::base_type;
  using base_type::operator=;
};

// ---------------------------------------------------------------------------------------
// Settings

struct trigger_event : tagged {
  ident event;
  boost::optional<expr> where;
};
struct trigger_every : tagged {
  number every;
  boost::optional<number> at;
};
struct trigger_manual : tagged {};
struct audience_setting : tagged {
  tagged keyword;
  expr value;
};
struct goal_setting : tagged {
  ident event;
  boost::optional<expr> where;
  boost::optional<expr> within;
};
struct stop_on_setting : tagged {
  ident event;
  boost::optional<expr> where;
};
struct quiet_setting : tagged {
  number from;
  number to;
  std::vector<ident> channels;
};
struct limit_setting : tagged {
  number count;
  number per;
  std::vector<ident> channels;
};
struct reentry_setting : tagged {
  char kind = 'n';  // 'n' never, 'p' parallel, 'a' after
  boost::optional<number> after;
};
struct control_setting : tagged {
  tagged keyword;
  number share;
};
struct urgent_setting : tagged {};

struct setting : x3::variant<bad, trigger_event, trigger_every, trigger_manual, audience_setting, goal_setting,
                             stop_on_setting, quiet_setting, limit_setting, reentry_setting, control_setting,
                             urgent_setting> {
  using base_type::base_type;
  using base_type::operator=;
};

// ---------------------------------------------------------------------------------------
// Declarations

struct import_decl : tagged {
  tagged keyword;
  string_lit path;
};
struct segment_decl : tagged {
  ident name;
  expr value;
};
struct scenario_decl : tagged {
  ident name;
  boost::optional<string_lit> title;
  tagged open;
  std::vector<setting> settings;
  std::vector<stmt> stmts;
  tagged close;
};

struct decl : x3::variant<bad, import_decl, segment_decl, scenario_decl> {
  using base_type::base_type;
  using base_type::operator=;
};

}  // namespace cascade::grammar::x3ast
