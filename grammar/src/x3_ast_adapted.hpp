// Fusion adaptation of the X3-shaped tree (x3_ast.hpp), so X3 can fill the structs
// from sequences. Only the members a rule sequence produces are listed; positions
// (`tagged`) are set by on_success, and recovery flags by the recover directive.
#pragma once

#include <boost/fusion/include/adapt_struct.hpp>

#include "x3_ast.hpp"

// clang-format off
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::list_lit, open, items)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::paren, open, inner)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::name_or_call, name, args)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::postfix, base, members)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::operand, prefixes, value)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::op_operand, op, rhs)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::chain, first, rest)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::conditional, keyword, parts)

BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::template_arg, key, value)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::template_with, open, args)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::template_ref, name, with)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::message_outcome, kind, message)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::event_outcome, event, where)

BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::block, open, stmts, close)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::send_stmt, channel, body, as)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::wait_stmt, until, value)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::not_within, what, within)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::if_clause, cond, body)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::if_stmt, clauses, else_block)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::cascade_step, channel, body, within)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::cascade_stmt, until, open, steps, close)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::split_branch, share, name, body)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::split_stmt, open, branches, close)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::let_stmt, name, value)

BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::trigger_event, event, where)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::trigger_every, every, at)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::audience_setting, keyword, value)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::goal_setting, event, where, within)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::stop_on_setting, event, where)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::quiet_setting, from, to, channels)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::limit_setting, count, per, channels)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::reentry_setting, kind, after)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::control_setting, keyword, share)

BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::import_decl, keyword, path)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::segment_decl, name, value)
BOOST_FUSION_ADAPT_STRUCT(cascade::grammar::x3ast::scenario_decl, name, title, open, settings, stmts, close)
// clang-format on
