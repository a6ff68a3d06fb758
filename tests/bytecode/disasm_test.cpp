// The disassembler against a golden listing (the listing is the oracle of code generation).
#include "cascade/bytecode/disasm.hpp"

#include <boost/test/unit_test.hpp>

#include "cascade/bytecode/io.hpp"
#include "sample.hpp"

using namespace cascade::bytecode;
using namespace cascade::bytecode::testing;

BOOST_AUTO_TEST_SUITE(disasm)

BOOST_AUTO_TEST_CASE(golden_listing_with_source) {
  const std::string got = disassemble(rich_module(), kSampleSource);
  const std::string_view expected = R"(; scenario cart "Cart"
; source cart.cascade (hash 0123456789abcdef)
; trigger cart_abandoned
; audience fn 1 audience
; goal order_placed where fn 2 goal.where within fn 3 goal.within
; stop on order_placed where fn 2 goal.where
; quiet hours 22:00..09:00 for all channels
; limit 1 per 15m for email
; reentry after 7d, control 10.00%
; split 0 split1: a 50.00% b 50.00%
; locals 1, slots 2, 14 constants, 24 strings, code 264 bytes

fn 0 main [0000, 00f4) main
        ;   5 |   wait 1h
  0000  const          k0 1h
  0003  wait
        ;   6 |   if customer.consent.email { send email "Hi {trigger.cart_url}" }
  0004  load_profile   consent.email
  0007  jump_if_false  -> 0017
  000c  const          k1 "Hi "
  000f  load_trigger   cart_url
  0012  concat         2
  0014  send           email s0
        ;   7 |   wait until trigger.at - 1d
  0017  load_trigger   at
  001a  const          k2 1d
  001d  sub
  001e  wait_until
        ;   8 |   wait until 10:00
  001f  const          k3 10:00
  0022  wait_clock
        ;   9 |   if not opened within 24h { stop }
  0023  const          k2 1d
  0026  wait_outcome   s0 opened -> 002f
  002d  end            stopped
        ;  10 |   let name = customer.name ?? "friend"
  002f  load_profile   name
  0032  const          k4 "friend"
  0035  coalesce
  0036  store_local    l0
  0038  load_local     l0
  003a  has
  003b  not
  003c  pop
  003d  const          k5 2
  0040  const          k6 3
  0043  add
  0044  pop
  0045  const          k5 2
  0048  const          k6 3
  004b  sub
  004c  pop
  004d  const          k5 2
  0050  const          k6 3
  0053  mul
  0054  pop
  0055  const          k5 2
  0058  const          k6 3
  005b  div
  005c  pop
  005d  const          k5 2
  0060  const          k6 3
  0063  eq
  0064  pop
  0065  const          k5 2
  0068  const          k6 3
  006b  ne
  006c  pop
  006d  const          k5 2
  0070  const          k6 3
  0073  lt
  0074  pop
  0075  const          k5 2
  0078  const          k6 3
  007b  le
  007c  pop
  007d  const          k5 2
  0080  const          k6 3
  0083  gt
  0084  pop
  0085  const          k5 2
  0088  const          k6 3
  008b  ge
  008c  pop
  008d  const          k7 12.50
  0090  neg
  0091  pop
  0092  const          k5 2
  0095  const          k5 2
  0098  const          k6 3
  009b  list           2
  009d  in
  009e  now
  009f  call           days_since 1
  00a2  const          k8 2023-11-14T22:13:20Z
  00a5  null
  00a6  pop
  00a7  pop
  00a8  pop
  00a9  pop
  00aa  const          k9 true
  00ad  dup
  00ae  jump_if_true   -> 00b7
  00b3  pop
  00b4  const          k10 false
  00b7  pop
        ;  11 |   split {
  00b8  split          split1 [a -> 00c4, b -> 00d2]
        ;  12 |     50% a { send email template "cart_1" with { url: trigger.cart_url } }
  00c4  load_trigger   cart_url
  00c7  send_template  email s1 "cart_1"(url) 1
  00cd  jump           -> 00f2
        ;  13 |     50% b { if order_placed within 3d { stop } }
  00d2  const          k0 1h
  00d5  wait_step      s1 order_placed - -> 00f0
  00df  const          k11 3d
  00e2  wait_event     order_placed - -> 00f0
  00eb  jump           -> 00f2
  00f0  end            stopped
        ;  15 | }
  00f2  end            completed

fn 1 audience [00f4, 00fc)
        ;   3 |   audience customer.ltv > 0
  00f4  load_profile   ltv
  00f7  const          k12 0
  00fa  gt
  00fb  ret

fn 2 goal.where [00fc, 0104)
        ;   4 |   goal order_placed where event.cart_id == trigger.cart_id within 7d
  00fc  load_event     cart_id
  00ff  load_trigger   cart_id
  0102  eq
  0103  ret

fn 3 goal.within [0104, 0108)
        ;   4 |   goal order_placed where event.cart_id == trigger.cart_id within 7d
  0104  const          k13 7d
  0107  ret
)";
  BOOST_TEST(got == expected);
  if (got != expected) BOOST_TEST_MESSAGE("listing:\n" << got);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(disasm_small)

BOOST_AUTO_TEST_CASE(minimal_listing_without_source) {
  const std::string got = disassemble(minimal_module());
  BOOST_TEST(got == R"(; scenario min
; source min.cascade (hash 0000000000000000)
; trigger manual
; reentry never
; locals 0, slots 0, 0 constants, 3 strings, code 2 bytes

fn 0 main [0000, 0002) main
  0000  end            completed
)");
}

BOOST_AUTO_TEST_CASE(constants_render_as_written) {
  Module m;
  m.strings = {"a \"q\"\n"};
  BOOST_TEST(constant_to_string(m, {ConstKind::Duration, 5400, 0}) == "1h30m");
  BOOST_TEST(constant_to_string(m, {ConstKind::Duration, -60, 0}) == "-1m");
  BOOST_TEST(constant_to_string(m, {ConstKind::Duration, INT64_MIN, 0}).front() == '-');
  BOOST_TEST(constant_to_string(m, {ConstKind::Decimal, -5, 2}) == "-0.05");
  BOOST_TEST(constant_to_string(m, {ConstKind::Time, 0, 0}) == "1970-01-01T00:00:00Z");
  BOOST_TEST(constant_to_string(m, {ConstKind::Time, -1, 0}) == "1969-12-31T23:59:59Z");
  BOOST_TEST(constant_to_string(m, {ConstKind::Clock, 545, 0}) == "09:05");
  BOOST_TEST(constant_to_string(m, {ConstKind::String, 0, 0}) == R"("a \"q\"\n")");
  BOOST_TEST(constant_to_string(m, {ConstKind::String, 7, 0}) == "?");
}

BOOST_AUTO_TEST_SUITE_END()
