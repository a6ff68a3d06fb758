// The verifier: one test per class of bad program, each a small hand-built module that is
// valid except for the one mistake, and the message that names it.
#include "cascade/bytecode/verify.hpp"

#include <boost/test/unit_test.hpp>
#include <functional>

#include "cascade/bytecode/builder.hpp"
#include "cascade/bytecode/io.hpp"
#include "sample.hpp"

using namespace cascade::bytecode;
using namespace cascade::bytecode::testing;

namespace {

// A module whose main body is `body`; tables: one channel, one event, one template, one split,
// one slot, one local, one field, one constant (1h).
Module with_main(
    const std::function<void(Builder&)>& body, const std::function<void(Builder&)>& more = [](Builder&) {}) {
  Builder b;
  b.source("t.cascade", 0);
  b.scenario().name = b.str("t");
  b.scenario().trigger = TriggerKind::Manual;
  b.channel("email", "email");
  b.event("order_placed", {"id"});
  b.templ("t1", {"a", "b"});
  b.split("s", {{"x", 6000}, {"y", 4000}});
  b.slot();
  b.local();
  b.field("name");
  b.k_duration(3600);
  b.begin_function(FunctionKind::Main, "main");
  body(b);
  more(b);
  return b.finish();
}

std::string errors(const Module& m) {
  const VerifyResult v = verify(m);
  BOOST_TEST(!v.ok(), "the verifier accepted a bad module");
  return v.to_string();
}

void expect(const Module& m, std::string_view part) {
  const std::string e = errors(m);
  BOOST_TEST(e.find(part) != std::string::npos, "expected «" << part << "» in:\n" << e);
  // A rejected module is rejected by load() as well, whatever its bytes.
  BOOST_TEST(!load(write(m)).ok());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(verifier)

BOOST_AUTO_TEST_CASE(valid_modules_pass) {
  BOOST_TEST(verify(minimal_module()).ok(), verify(minimal_module()).to_string());
  const VerifyResult v = verify(rich_module());
  BOOST_TEST(v.ok(), v.to_string());
  BOOST_TEST(v.max_stack.size() == rich_module().functions.size());
  BOOST_TEST(v.max_stack[0] == 4u);  // … in; now; call days_since 1; const; null
}

BOOST_AUTO_TEST_CASE(jump_out_of_range) {
  Module m = with_main([](Builder& b) {
    auto l = b.label();
    b.emit(Op::Jump, {l.id});
    b.bind(l);
    b.emit(Op::End, {0});
  });
  m.code[1] = 200;  // the jump's target
  expect(m, "jump target 200 is outside the function [0, 7)");
}

BOOST_AUTO_TEST_CASE(jump_into_an_instruction) {
  Module m = with_main([](Builder& b) {
    auto l = b.label();
    b.emit(Op::Jump, {l.id});
    b.bind(l);
    b.emit(Op::Const, {0});
    b.emit(Op::Wait);
    b.emit(Op::End, {0});
  });
  m.code[1] = 6;  // the middle of CONST's operand
  expect(m, "jump target 6 is inside an instruction");
}

BOOST_AUTO_TEST_CASE(jump_into_another_function) {
  Module m = with_main(
      [](Builder& b) {
        auto l = b.label();
        b.emit(Op::Jump, {l.id});
        b.bind(l);
        b.emit(Op::End, {0});
      },
      [](Builder& b) {
        b.begin_function(FunctionKind::Expr, "f");
        b.emit(Op::Null);
        b.emit(Op::Ret);
      });
  m.code[1] = 7;  // the expression function's first instruction
  expect(m, "outside the function");
}

BOOST_AUTO_TEST_CASE(stack_underflow) {
  expect(with_main([](Builder& b) {
           b.emit(Op::Pop);
           b.emit(Op::End, {0});
         }),
         "stack underflow: pop pops 1 with 0 on the stack");
  expect(with_main([](Builder& b) {
           b.emit(Op::Null);
           b.emit(Op::Concat, {2});
           b.emit(Op::Pop);
           b.emit(Op::End, {0});
         }),
         "concat pops 2 with 1");
}

BOOST_AUTO_TEST_CASE(stack_overflow) {
  expect(with_main([](Builder& b) {
           for (int i = 0; i < 300; ++i) b.emit(Op::Null);
           for (int i = 0; i < 300; ++i) b.emit(Op::Pop);
           b.emit(Op::End, {0});
         }),
         "stack overflow: depth 257 is above the limit 256");
}

BOOST_AUTO_TEST_CASE(inconsistent_depth_at_join) {
  expect(with_main([](Builder& b) {
           auto l = b.label();
           b.emit(Op::Const, {b.k_bool(true)});
           b.emit(Op::JumpIfFalse, {l.id});
           b.emit(Op::Null);
           b.bind(l);
           b.emit(Op::End, {0});
         }),
         "inconsistent stack depth");
}

BOOST_AUTO_TEST_CASE(values_left_at_a_suspension) {
  expect(with_main([](Builder& b) {
           b.emit(Op::Null);
           b.emit(Op::Const, {0});
           b.emit(Op::Wait);
           b.emit(Op::Pop);
           b.emit(Op::End, {0});
         }),
         "wait leaves 1 values on the stack");
  expect(with_main([](Builder& b) {
           b.emit(Op::Null);
           b.emit(Op::End, {0});
         }),
         "end leaves 1 values on the stack");
}

BOOST_AUTO_TEST_CASE(ret_with_a_wrong_depth) {
  auto with_fn = [](const std::function<void(Builder&)>& fn) {
    return with_main([](Builder& b) { b.emit(Op::End, {0}); },
                     [&](Builder& b) {
                       b.begin_function(FunctionKind::Expr, "f");
                       fn(b);
                     });
  };
  expect(with_fn([](Builder& b) {
           b.emit(Op::Null);
           b.emit(Op::Null);
           b.emit(Op::Ret);
         }),
         "ret leaves 1 values on the stack");
  expect(with_fn([](Builder& b) { b.emit(Op::Ret); }), "stack underflow: ret pops 1 with 0");
}

BOOST_AUTO_TEST_CASE(opcodes_in_the_wrong_kind_of_function) {
  expect(with_main([](Builder& b) {
           b.emit(Op::Null);
           b.emit(Op::Ret);
         }),
         "ret is allowed only in expression functions");
  expect(with_main([](Builder& b) { b.emit(Op::End, {0}); },
                   [](Builder& b) {
                     b.begin_function(FunctionKind::Expr, "f");
                     b.emit(Op::Const, {0});
                     b.emit(Op::Wait);
                     b.emit(Op::Null);
                     b.emit(Op::Ret);
                   }),
         "wait is allowed only in the main body");
}

BOOST_AUTO_TEST_CASE(falls_off_the_end) {
  expect(with_main([](Builder& b) {
           b.emit(Op::Const, {0});
           b.emit(Op::Wait);
         }),
         "control falls off the end of the function after wait");
  // A conditional jump's fall-through counts too.
  expect(with_main([](Builder& b) {
           auto l = b.label();
           b.bind(l);
           b.emit(Op::Const, {b.k_bool(true)});
           b.emit(Op::JumpIfTrue, {l.id});
         }),
         "falls off the end");
}

BOOST_AUTO_TEST_CASE(unknown_opcode) {
  Module m = with_main([](Builder& b) {
    b.emit(Op::Null);
    b.emit(Op::Pop);
    b.emit(Op::End, {0});
  });
  m.code[1] = 0xEE;
  expect(m, "unknown opcode 0xee");
}

BOOST_AUTO_TEST_CASE(truncated_operands) {
  Module m = with_main([](Builder& b) { b.emit(Op::End, {0}); });
  m.code.push_back(static_cast<std::uint8_t>(Op::Const));
  m.code.push_back(0);  // CONST needs two operand bytes
  m.functions[0].length += 2;
  expect(m, "truncated operands of const");
}

BOOST_AUTO_TEST_CASE(indexes_out_of_range) {
  struct Case {
    Op op;
    std::vector<std::uint32_t> operands;
    int pops, pushes;
    std::string_view message;
  };
  const Case cases[] = {
      {Op::Const, {9}, 0, 1, "const: const 9 is out of range (2 constants)"},
      {Op::LoadProfile, {5}, 0, 1, "load_profile: field 5 is out of range (1 field paths)"},
      {Op::LoadLocal, {1}, 0, 1, "load_local: local 1 is out of range (1 locals)"},
      {Op::Call, {200, 1}, 1, 1, "call: builtin 200 is out of range"},
      {Op::Send, {3, 0}, 1, 0, "send: channel 3 is out of range (1 channels)"},
      {Op::Send, {0, 4}, 1, 0, "send: slot 4 is out of range (1 slots)"},
      {Op::SendTemplate, {0, 0, 7, 0}, 0, 0, "send_template: template 7 is out of range (1 templates)"},
      {Op::WaitEvent, {9, kNoFunction, 0}, 1, 0, "wait_event: event 9 is out of range (1 events)"},
      {Op::WaitEvent, {0, 42, 0}, 1, 0, "wait_event: func 42 is out of range (1 functions)"},
      {Op::WaitEvent, {0, 0, 0}, 1, 0, "wait_event: function 0 is not an expression function"},
      {Op::WaitOutcome, {0, 3, 0}, 1, 0, "wait_outcome: outcome 3 is out of range"},
      {Op::End, {2}, 0, 0, "end: end 2 is out of range"},
  };
  for (const Case& c : cases) {
    Module m = with_main([&](Builder& b) {
      b.bind(b.label());  // label 0: the Target operands below jump back to the start
      b.k_string("s");    // constant 1: a string (for the string-index case below)
      for (int i = 0; i < c.pops; ++i) b.emit(Op::Const, {0});
      b.emit(c.op, c.operands);
      for (int i = 0; i < c.pushes; ++i) b.emit(Op::Pop);
      b.emit(Op::End, {0});
    });
    expect(m, c.message);
  }
  // Split index (SPLIT's operands are not plain values).
  Module s = with_main([](Builder& b) {
    auto x = b.label(), y = b.label();
    b.emit_split(0, {x, y});
    b.bind(x);
    b.bind(y);
    b.emit(Op::End, {0});
  });
  s.code[1] = 5;
  expect(s, "split: split 5 is out of range (1 splits)");
  // A string index in the tables.
  Module t = minimal_module();
  t.constants.push_back({ConstKind::String, 99, 0});
  expect(t, "constant 0: string index 99 is out of range");
  Module u = minimal_module();
  u.scenario.trigger = TriggerKind::Event;
  u.scenario.trigger_event = 3;
  expect(u, "trigger: event 3 is out of range (0 events)");
}

BOOST_AUTO_TEST_CASE(counts_must_match_the_tables) {
  expect(with_main([](Builder& b) {
           b.emit(Op::Null);
           b.emit(Op::Call, {0, 2});  // days_since takes one argument
           b.emit(Op::Pop);
           b.emit(Op::End, {0});
         }),
         "call days_since: 2 arguments, it takes 1");
  expect(with_main([](Builder& b) {
           b.emit(Op::Null);
           b.emit(Op::SendTemplate, {0, 0, 0, 1});
           b.emit(Op::End, {0});
         }),
         "send_template: 1 arguments for a template of 2");
  expect(with_main([](Builder& b) {
           auto x = b.label();
           b.emit_split(0, {x});
           b.bind(x);
           b.emit(Op::End, {0});
         }),
         "split: 1 targets for 2 branches");
}

BOOST_AUTO_TEST_CASE(bad_tables) {
  Module m = minimal_module();
  m.strings.push_back("\xFF");
  expect(m, "string 3 is not valid UTF-8");
  Module s = with_main([](Builder& b) { b.emit(Op::End, {0}); });
  s.splits[0].branches[0].share = 1;
  expect(s, "split 0: shares sum to 4001 basis points, not 10000");
  Module f = minimal_module();
  f.functions[0].length = 0;
  expect(f, "function 0 is empty");
  Module g = minimal_module();
  g.functions[0].kind = FunctionKind::Expr;
  expect(g, "function 0 is an expression function; function 0 is the main body");
  Module h = minimal_module();
  h.scenario.audience_fn = 0;
  expect(h, "audience: function 0 is not an expression function");
  Module q = minimal_module();
  q.scenario.quiet_hours.push_back({1500, 60, {}});
  expect(q, "quiet hours: clock 1500 minutes is not a time of day");
  Module sp = minimal_module();
  sp.spans.push_back({99, 0, 1, 1, 1, 1});
  expect(sp, "span 1: offset 99 is past the code");
}

BOOST_AUTO_TEST_SUITE_END()
