// The grammar of a .cascade file (LANGUAGE.md §4 and §8), in Spirit X3.
//
// Included only by rule.cpp. Shape of the grammar:
//   * A file is a list of declarations (parser.cpp runs that loop, one `next_decl` at a
//     time); a scenario's body is its settings, then its
//     statements. Each element of these lists (and of cascade steps and split branches)
//     is parsed under `recover[…]`, which turns a failure into a reported error and a
//     placeholder and resumes at the next line that can begin an element.
//   * `>` (expectation) follows the point where a construct is recognised, so errors
//     name what was expected; `named` gives the words. The argument of a clause keyword
//     must start on the keyword's line (`same_line`); everything else is free-form.
//   * Expressions are parsed flat: `operand (binop operand)*`, each operand with its
//     prefix `not`/`-` operators and postfix `.member`s. convert.cpp applies the
//     precedence table. `if c then a else b` is the lowest-precedence form.
//   * `guard` counts nested expressions and blocks and stops at kMaxNesting.
//   * `if not OUTCOME within …` is tried before `if EXPR`: the outcome form needs
//     `within` after the outcome, so `if not customer.vip {` falls back to an expression.
#pragma once

#include <boost/spirit/home/x3.hpp>

#include "primitives.hpp"
#include "rule.hpp"
#include "x3_ast.hpp"
#include "x3_ast_adapted.hpp"

namespace cascade::grammar::parser {

using x3::lit;
using K = x3ast::number_kind;

// ---------------------------------------------------------------------------------------
// Rule IDs. Those deriving from annotate record their position.

struct expr_class;
struct conditional_class : annotate {};
struct conditional_parts_class;
struct chain_class : annotate {};
struct op_operand_class;
struct operand_class : annotate {};
struct postfix_class : annotate {};
struct primary_class;
struct paren_class : annotate {};
struct list_class : annotate {};
struct call_args_class;
struct name_or_call_class : annotate {};

struct template_arg_class;
struct template_with_class : annotate {};
struct template_ref_class : annotate {};
struct content_class;
struct message_outcome_class : annotate {};
struct committed_message_outcome_class : annotate {};
struct event_outcome_class : annotate {};
struct outcome_class;
struct not_within_class;
struct if_cond_class;

struct block_class : annotate {};
struct send_class : annotate {};
struct wait_class : annotate {};
struct wait_until_class : annotate {};
struct if_clause_class : annotate {};
struct if_class : annotate {};
struct cascade_step_class : annotate {};
struct cascade_class : annotate {};
struct control_word_class : annotate {};
struct branch_body_class;
struct split_branch_class : annotate {};
struct split_class : annotate {};
struct let_class : annotate {};
struct stop_class : annotate {};
struct stmt_class;

struct trigger_event_class : annotate {};
struct trigger_every_class : annotate {};
struct trigger_manual_class : annotate {};
struct audience_class : annotate {};
struct goal_class : annotate {};
struct stop_on_class : annotate {};
struct channel_list_class;
struct quiet_class : annotate {};
struct limit_class : annotate {};
struct reentry_class : annotate {};
struct control_class : annotate {};
struct urgent_class : annotate {};
struct setting_class;

struct import_class : annotate {};
struct segment_class : annotate {};
struct scenario_class : annotate {};
struct decl_class;

// ---------------------------------------------------------------------------------------
// Rules

x3::rule<expr_class, x3ast::expr> const expr = "an expression";
x3::rule<conditional_class, x3ast::conditional> const conditional = "an expression";
x3::rule<conditional_parts_class, std::vector<x3ast::expr>> const conditional_parts = "an expression";
x3::rule<chain_class, x3ast::chain> const chain = "an expression";
x3::rule<op_operand_class, x3ast::op_operand> const op_operand = "an operator";
x3::rule<operand_class, x3ast::operand> const operand = "an expression";
x3::rule<postfix_class, x3ast::postfix> const postfix = "an expression";
x3::rule<primary_class, x3ast::primary> const primary = "an expression";
x3::rule<paren_class, x3ast::paren> const paren = "'('";
x3::rule<list_class, x3ast::list_lit> const list = "'['";
x3::rule<call_args_class, std::vector<x3ast::expr>> const call_args = "'('";
x3::rule<name_or_call_class, x3ast::name_or_call> const name_or_call = "a name";

x3::rule<template_arg_class, x3ast::template_arg> const template_arg = "a key: value";
x3::rule<template_with_class, x3ast::template_with> const template_with = "'{'";
x3::rule<template_ref_class, x3ast::template_ref> const template_ref = "'template'";
x3::rule<content_class, x3ast::content> const content = "a message: a string or template \"name\"";
x3::rule<message_outcome_class, x3ast::message_outcome> const message_outcome = "delivered, opened or clicked";
x3::rule<committed_message_outcome_class, x3ast::message_outcome> const committed_message_outcome =
    "delivered, opened or clicked";
x3::rule<event_outcome_class, x3ast::event_outcome> const event_outcome = "an event name";
x3::rule<outcome_class, x3ast::outcome> const outcome = "an outcome: delivered, opened, clicked or an event";
x3::rule<not_within_class, x3ast::not_within> const not_within = "not … within";
x3::rule<if_cond_class, x3ast::if_cond> const if_cond = "a condition";

x3::rule<block_class, x3ast::block> const block = "'{'";
x3::rule<send_class, x3ast::send_stmt> const send_stmt = "'send'";
x3::rule<wait_class, x3ast::wait_stmt> const wait_stmt = "'wait'";
x3::rule<wait_until_class, x3ast::wait_stmt> const wait_until_stmt = "'wait'";
x3::rule<if_clause_class, x3ast::if_clause> const if_clause = "'if'";
x3::rule<if_class, x3ast::if_stmt> const if_stmt = "'if'";
x3::rule<cascade_step_class, x3ast::cascade_step> const cascade_step = "a cascade step";
x3::rule<cascade_class, x3ast::cascade_stmt> const cascade_stmt = "'cascade'";
x3::rule<control_word_class, x3ast::control_word> const control_word = "'control'";
x3::rule<branch_body_class, x3ast::branch_body> const branch_body = "'{' or 'control'";
x3::rule<split_branch_class, x3ast::split_branch> const split_branch = "a split branch";
x3::rule<split_class, x3ast::split_stmt> const split_stmt = "'split'";
x3::rule<let_class, x3ast::let_stmt> const let_stmt = "'let'";
x3::rule<stop_class, x3ast::stop_stmt> const stop_stmt = "'stop'";
x3::rule<stmt_class, x3ast::stmt> const stmt = "a statement";

x3::rule<trigger_event_class, x3ast::trigger_event> const trigger_event = "'trigger'";
x3::rule<trigger_every_class, x3ast::trigger_every> const trigger_every = "'trigger'";
x3::rule<trigger_manual_class, x3ast::trigger_manual> const trigger_manual = "'trigger'";
x3::rule<audience_class, x3ast::audience_setting> const audience = "'audience'";
x3::rule<goal_class, x3ast::goal_setting> const goal = "'goal'";
x3::rule<stop_on_class, x3ast::stop_on_setting> const stop_on = "'stop'";
x3::rule<channel_list_class, std::vector<x3ast::ident>> const channel_list = "a channel name";
x3::rule<quiet_class, x3ast::quiet_setting> const quiet = "'quiet'";
x3::rule<limit_class, x3ast::limit_setting> const limit = "'limit'";
x3::rule<reentry_class, x3ast::reentry_setting> const reentry = "'reentry'";
x3::rule<control_class, x3ast::control_setting> const control = "'control'";
x3::rule<urgent_class, x3ast::urgent_setting> const urgent = "'urgent'";
x3::rule<setting_class, x3ast::setting> const setting = "a setting";

x3::rule<import_class, x3ast::import_decl> const import_decl = "'import'";
x3::rule<segment_class, x3ast::segment_decl> const segment_decl = "'segment'";
x3::rule<scenario_class, x3ast::scenario_decl> const scenario_decl = "'scenario'";
x3::rule<decl_class, x3ast::decl> const decl = "'import', 'segment' or 'scenario'";
next_decl_type const next_decl = "a declaration";

// ---------------------------------------------------------------------------------------
// Tokens

auto const name = ident_parser{{}, false, false};        // segment, event, channel, let …
auto const expr_name = ident_parser{{}, false, true};    // a name in an expression
auto const any_word = ident_parser{{}, true, false};     // after `.`, keys in with { }
auto const number = number_parser{};
auto const integer = number_of(K::integer);
auto const duration = number_of(K::duration);
auto const clock = number_of(K::clock);
auto const percent = number_of(K::percent);
auto const string = string_parser<std::remove_cv_t<decltype(expr)>>{{}, expr};
auto const binop = binop_parser{};
auto const prefix = prefix_parser{};

auto const recover_setting = recover_gen{lex::Resume::Setting};
auto const recover_stmt = recover_gen{lex::Resume::Statement};
auto const recover_step = recover_gen{lex::Resume::Step};
auto const recover_branch = recover_gen{lex::Resume::Branch};
auto const recover_decl = recover_gen{lex::Resume::Declaration};

// A `{` that must be on the line of what it opens.
auto const open_brace = same_line[named(punct('{'), "'{'")];
// The expression after `within` or `wait`.
auto const a_duration = same_line[named(expr, "a duration like 24h")];

// ---------------------------------------------------------------------------------------
// Expressions

auto const expr_def = guard[conditional | chain];
auto const conditional_parts_def = expr > kw("then") > expr > kw("else") > expr;
auto const conditional_def = kwp("if") > conditional_parts;
auto const chain_def = operand >> *op_operand;
auto const op_operand_def = binop > named(operand, "an expression");
auto const operand_def = *prefix >> postfix;
// Only a name can be called: `a.b(c)` and `(f)(x)` stop at the `(` with a clear error.
auto const postfix_def = primary >> *(lit('.') > named(any_word, "a field name")) >
                         named(!lit('('), "an operator (only a function name can be called, as in f(x))");
auto const primary_def = name_or_call | number | string | bool_parser{} | list | paren;
auto const paren_def = punct('(') > named(x3::repeat(1)[expr], "an expression") > named(lit(')'), "')'");
auto const list_def = punct('[') > -(expr % ',') > named(lit(']'), "',' or ']'");
auto const call_args_def = lit('(') > -(expr % ',') > named(lit(')'), "',' or ')'");
auto const name_or_call_def = expr_name >> -call_args;

BOOST_SPIRIT_DEFINE(expr, conditional, conditional_parts, chain, op_operand, operand, postfix, primary, paren, list, call_args,
                    name_or_call)

// ---------------------------------------------------------------------------------------
// Content and outcomes

auto const template_arg_def = named(any_word, "a key") > named(lit(':'), "':'") > expr;
auto const template_with_def = punct('{') > -(template_arg % ',') > -lit(',') > named(lit('}'), "',' or '}'");
auto const template_ref_def =
    kw("template") > same_line[named(string, "a template name in quotes")] > -(kw("with") > same_line[template_with]);
auto const content_def = string | template_ref;

auto const outcome_word = (kw("delivered") >> x3::attr('d')) | (kw("opened") >> x3::attr('o')) |
                          (kw("clicked") >> x3::attr('c'));
auto const message_outcome_def = outcome_word >> -(lit('(') > named(name, "a message name") > named(lit(')'), "')'"));
// After `if not opened` only `within` can follow: commit, so the error says so.
auto const committed_message_outcome_def = message_outcome > named(&kw("within"), "'within'");
auto const event_outcome_def = name >> -(kw("where") > same_line[named(expr, "a condition")]);
auto const outcome_def = message_outcome | event_outcome;
auto const not_within_def =
    kw("not") >> (committed_message_outcome | event_outcome) >> kw("within") > a_duration;
auto const if_cond_def = not_within | expr;

BOOST_SPIRIT_DEFINE(template_arg, template_with, template_ref, content, message_outcome, committed_message_outcome,
                    event_outcome, outcome, not_within, if_cond)

// ---------------------------------------------------------------------------------------
// Statements

auto const block_def = guard[open_brace > *recover_stmt[stmt] > close_brace];
auto const send_stmt_def = kw("send") > same_line[named(name, "a channel name")] > same_line[content] >
                           -(kw("as") > same_line[named(name, "a name for the message")]);
auto const wait_until_stmt_def =
    kw("wait") >> kw("until") >> x3::attr(true) > same_line[named(expr, "a time, like trigger.at - 1h")];
auto const wait_stmt_def = kw("wait") >> x3::attr(false) > a_duration;
auto const if_clause_def = kw("if") > same_line[named(if_cond, "a condition")] > same_line[block];
auto const if_stmt_def = (if_clause % kw("else")) >> -(kw("else") > same_line[block]);
auto const cascade_step_def =
    name > same_line[content] > -(kw("within") > a_duration);
auto const cascade_stmt_def = kw("cascade") > named(kw("until"), "'until'") > same_line[outcome] > open_brace >
                              *recover_step[cascade_step] > close_brace;
auto const control_word_def = kw("control");
auto const branch_body_def = control_word | block;
// A digit commits to a branch, so `50 name` says a percentage was expected.
auto const split_branch_def =
    &x3::digit > percent > same_line[named(name, "a branch name")] > same_line[branch_body];
auto const split_stmt_def = kw("split") > open_brace > *recover_branch[split_branch] > close_brace;
auto const let_stmt_def =
    kw("let") > same_line[named(name, "a name")] > named(lit('='), "'='") > same_line[named(expr, "an expression")];
auto const stop_stmt_def = kw("stop") >> !kw("on");
auto const stmt_def = send_stmt | wait_until_stmt | wait_stmt | if_stmt | cascade_stmt | split_stmt | let_stmt | stop_stmt;

BOOST_SPIRIT_DEFINE(block, send_stmt, wait_until_stmt, wait_stmt, if_clause, if_stmt, cascade_step, cascade_stmt,
                    control_word, branch_body, split_branch, split_stmt, let_stmt, stop_stmt, stmt)

// ---------------------------------------------------------------------------------------
// Settings

auto const where_clause = kw("where") > same_line[named(expr, "a condition")];

auto const trigger_every_def =
    kw("trigger") >> kw("every") > same_line[duration] > -(kw("at") > same_line[clock]);
auto const trigger_manual_def = kw("trigger") >> kw("manual");
auto const trigger_event_def =
    kw("trigger") > same_line[named(name, "an event name, 'every' or 'manual'")] > -where_clause;
auto const audience_def = kwp("audience") > same_line[named(expr, "an audience condition")];
auto const goal_def = kw("goal") > same_line[named(name, "an event name")] > -where_clause >
                      -(kw("within") > a_duration);
auto const stop_on_def = kw("stop") >> kw("on") > same_line[named(name, "an event name")] > -where_clause;
auto const channel_list_def = named(name, "a channel name") % lit(',');
auto const quiet_def = kw("quiet") > named(kw("hours"), "'hours'") > same_line[clock] > named(lit(".."), "'..'") >
                       clock > -(kw("for") > same_line[channel_list]);
auto const limit_def = kw("limit") > same_line[integer] > named(kw("per"), "'per'") > same_line[duration] >
                       -(kw("for") > same_line[channel_list]);

// No semantic actions here: a rule whose body has actions does not hand its attribute to
// the annotation hook, and the setting would lose its span.
auto const reentry_def =
    kw("reentry") >
    same_line[named((kw("never") >> x3::attr('n') >> x3::attr(boost::optional<x3ast::number>())) |
                        (kw("parallel") >> x3::attr('p') >> x3::attr(boost::optional<x3ast::number>())) |
                        (kw("after") >> x3::attr('a') >
                         same_line[named(duration, "a duration like 7d")]),
                    "'never', 'parallel' or 'after'")];
auto const control_def = kwp("control") > same_line[percent];
auto const urgent_def = kw("urgent");
auto const setting_def = trigger_every | trigger_manual | trigger_event | audience | goal | stop_on | quiet | limit |
                         reentry | control | urgent;

BOOST_SPIRIT_DEFINE(trigger_every, trigger_manual, trigger_event, audience, goal, stop_on, channel_list, quiet,
                    limit, reentry, control, urgent, setting)

// ---------------------------------------------------------------------------------------
// Declarations

auto const import_decl_def = kwp("import") > same_line[named(string, "a file name in quotes")];
auto const segment_decl_def = kw("segment") > same_line[named(name, "a segment name")] > named(lit('='), "'='") >
                              same_line[named(expr, "a condition")];
auto const scenario_decl_def = kw("scenario") > same_line[named(name, "a scenario name")] > -same_line[string] >
                               open_brace > *recover_setting[setting] > *recover_stmt[stmt] > close_brace;
auto const decl_def = import_decl | segment_decl | scenario_decl;
// A file is `*next_decl`; parser.cpp runs the loop.
auto const next_decl_def = recover_decl[decl];

BOOST_SPIRIT_DEFINE(import_decl, segment_decl, scenario_decl, decl, next_decl)

}  // namespace cascade::grammar::parser
