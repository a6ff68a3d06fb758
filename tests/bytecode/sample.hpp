// Hand-built modules for the bytecode tests (lowering does not exist yet): a rich one that uses
// every opcode and every table, with the source text its spans point into.
#pragma once

#include <string_view>

#include "cascade/bytecode/builder.hpp"

namespace cascade::bytecode::testing {

inline constexpr std::string_view kSampleSource = R"(scenario cart "Cart" {
  trigger cart_abandoned
  audience customer.ltv > 0
  goal order_placed where event.cart_id == trigger.cart_id within 7d
  wait 1h
  if customer.consent.email { send email "Hi {trigger.cart_url}" }
  wait until trigger.at - 1d
  wait until 10:00
  if not opened within 24h { stop }
  let name = customer.name ?? "friend"
  split {
    50% a { send email template "cart_1" with { url: trigger.cart_url } }
    50% b { if order_placed within 3d { stop } }
  }
}
)";

// Every opcode at least once; every operand kind; every table non-empty.
inline Module rich_module() {
  Builder b;
  const auto file = b.source("cart.cascade", 0x0123456789abcdefull);
  (void)file;
  const auto email = b.channel("email", "email");
  b.channel("sms", "sms");
  const auto cart_abandoned = b.event("cart_abandoned", {"cart_id", "cart_url", "at"});
  const auto order_placed = b.event("order_placed", {"cart_id"});
  const auto tmpl = b.templ("cart_1", {"url"});
  const auto split = b.split("split1", {{"a", 5000}, {"b", 5000}});
  const auto s0 = b.slot();
  const auto s1 = b.slot();
  const auto l0 = b.local();

  Scenario& sc = b.scenario();
  sc.name = b.str("cart");
  sc.title = b.str("Cart");
  sc.trigger = TriggerKind::Event;
  sc.trigger_event = cart_abandoned;
  sc.control = 1000;
  sc.reentry = ReentryKind::After;
  sc.reentry_seconds = 7 * 86400;
  sc.quiet_hours.push_back({22 * 60, 9 * 60, {}});
  sc.limits.push_back({1, 15 * 60, {email}});
  sc.has_goal = true;
  sc.goal = {order_placed, 2, 3};
  sc.stop_on.push_back({order_placed, 2});
  sc.audience_fn = 1;

  b.begin_function(FunctionKind::Main, "main");
  b.at(5, 3, 5, 10);
  b.emit(Op::Const, {b.k_duration(3600)});
  b.emit(Op::Wait);
  b.at(6, 3, 6, 66);
  auto skip = b.label();
  b.emit(Op::LoadProfile, {b.field("consent.email")});
  b.emit(Op::JumpIfFalse, {skip.id});
  b.emit(Op::Const, {b.k_string("Hi ")});
  b.emit(Op::LoadTrigger, {b.field("cart_url")});
  b.emit(Op::Concat, {2});
  b.emit(Op::Send, {email, s0});
  b.bind(skip);
  b.at(7, 3, 7, 29);
  b.emit(Op::LoadTrigger, {b.field("at")});
  b.emit(Op::Const, {b.k_duration(86400)});
  b.emit(Op::Sub);
  b.emit(Op::WaitUntil);
  b.at(8, 3, 8, 19);
  b.emit(Op::Const, {b.k_clock(600)});
  b.emit(Op::WaitClock);
  b.at(9, 3, 9, 36);
  auto opened = b.label();
  b.emit(Op::Const, {b.k_duration(86400)});
  b.emit(Op::WaitOutcome, {s0, 1, opened.id});
  b.emit(Op::End, {1});
  b.bind(opened);
  b.at(10, 3, 10, 39);
  b.emit(Op::LoadProfile, {b.field("name")});
  b.emit(Op::Const, {b.k_string("friend")});
  b.emit(Op::Coalesce);
  b.emit(Op::StoreLocal, {l0});
  // Operators with no source of their own (the sample's expressions are small).
  b.emit(Op::LoadLocal, {l0});
  b.emit(Op::Has);
  b.emit(Op::Not);
  b.emit(Op::Pop);
  const std::uint16_t two = b.k_int(2), three = b.k_int(3);
  for (Op op : {Op::Add, Op::Sub, Op::Mul, Op::Div, Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge}) {
    b.emit(Op::Const, {two});
    b.emit(Op::Const, {three});
    b.emit(op);
    b.emit(Op::Pop);
  }
  b.emit(Op::Const, {b.k_decimal(1250, 2)});
  b.emit(Op::Neg);
  b.emit(Op::Pop);
  b.emit(Op::Const, {two});
  b.emit(Op::Const, {two});
  b.emit(Op::Const, {three});
  b.emit(Op::List, {2});
  b.emit(Op::In);
  b.emit(Op::Now);
  b.emit(Op::Call, {0, 1});  // days_since(now)
  b.emit(Op::Const, {b.k_time(1700000000)});
  b.emit(Op::Null);
  b.emit(Op::Pop);
  b.emit(Op::Pop);
  b.emit(Op::Pop);
  b.emit(Op::Pop);
  // a or b, short-circuit: DUP; JUMP_IF_TRUE; POP.
  auto or_end = b.label();
  b.emit(Op::Const, {b.k_bool(true)});
  b.emit(Op::Dup);
  b.emit(Op::JumpIfTrue, {or_end.id});
  b.emit(Op::Pop);
  b.emit(Op::Const, {b.k_bool(false)});
  b.bind(or_end);
  b.emit(Op::Pop);
  b.at(11, 3, 14, 4);
  auto ba = b.label(), bb = b.label(), join = b.label();
  b.emit_split(split, {ba, bb});
  b.bind(ba);
  b.at(12, 15, 12, 74);
  b.emit(Op::LoadTrigger, {b.field("cart_url")});
  b.emit(Op::SendTemplate, {email, s1, tmpl, 1});
  b.emit(Op::Jump, {join.id});
  b.bind(bb);
  b.at(13, 15, 13, 49);
  auto conv = b.label();
  b.emit(Op::Const, {b.k_duration(3600)});
  b.emit(Op::WaitStep, {s1, order_placed, kNoFunction, conv.id});
  b.emit(Op::Const, {b.k_duration(3 * 86400)});
  b.emit(Op::WaitEvent, {order_placed, kNoFunction, conv.id});
  b.emit(Op::Jump, {join.id});
  b.bind(conv);
  b.emit(Op::End, {1});
  b.bind(join);
  b.at(15, 1, 15, 2);
  b.emit(Op::End, {0});

  b.begin_function(FunctionKind::Expr, "audience");
  b.at(3, 12, 3, 28);
  b.emit(Op::LoadProfile, {b.field("ltv")});
  b.emit(Op::Const, {b.k_int(0)});
  b.emit(Op::Gt);
  b.emit(Op::Ret);

  b.begin_function(FunctionKind::Expr, "goal.where");
  b.at(4, 27, 4, 58);
  b.emit(Op::LoadEvent, {b.field("cart_id")});
  b.emit(Op::LoadTrigger, {b.field("cart_id")});
  b.emit(Op::Eq);
  b.emit(Op::Ret);

  b.begin_function(FunctionKind::Expr, "goal.within");
  b.at(4, 66, 4, 68);
  b.emit(Op::Const, {b.k_duration(7 * 86400)});
  b.emit(Op::Ret);
  return b.finish();
}

// The smallest valid module: a main body that ends.
inline Module minimal_module() {
  Builder b;
  b.source("min.cascade", 0);
  b.scenario().name = b.str("min");
  b.scenario().trigger = TriggerKind::Manual;
  b.begin_function(FunctionKind::Main, "main");
  b.at(1, 1, 1, 2);
  b.emit(Op::End, {0});
  return b.finish();
}

}  // namespace cascade::bytecode::testing
