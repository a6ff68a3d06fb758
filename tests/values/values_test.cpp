// Arena and InternPool: views stay valid, a cleared arena reuses its slots (no allocation when
// warm), interning dedupes, keep() copies strings and lists out of step storage.
#define BOOST_TEST_MODULE values
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "cascade/vm/ops.hpp"
#include "cascade/vm/value.hpp"

using namespace cascade::vm;

BOOST_AUTO_TEST_CASE(value_is_sixteen_bytes_and_constructors_tag_kinds) {
  BOOST_TEST(sizeof(Value) == 16u);
  BOOST_TEST((Value::null().kind == Kind::Null));
  BOOST_TEST(Value::boolean(true).truthy());
  BOOST_TEST(!Value::integer(1).truthy());
  const Value d = Value::decimal(1250, 2);
  BOOST_TEST((d.kind == Kind::Decimal));
  BOOST_TEST(d.scale == 2);
  BOOST_TEST(d.i == 1250);
  BOOST_TEST(Value::string("abc").str() == "abc");
  BOOST_TEST(Value::integer(5).str().empty());
}

BOOST_AUTO_TEST_CASE(arena_views_survive_later_allocations) {
  Arena a;
  const std::string_view first = a.copy("the first string, longer than the small buffer");
  std::vector<std::string_view> more;
  for (int k = 0; k < 2000; ++k) more.push_back(a.copy(std::string(k % 50, 'x') + std::to_string(k)));
  BOOST_TEST(first == "the first string, longer than the small buffer");
  for (int k = 0; k < 2000; ++k) BOOST_TEST(more[k] == std::string(k % 50, 'x') + std::to_string(k));
  Value* v = a.values(3);
  v[0] = Value::integer(1);
  Value* w = a.values(100);
  for (int k = 0; k < 100; ++k) BOOST_TEST(w[k].is_null());
  BOOST_TEST(v[0].i == 1);
}

BOOST_AUTO_TEST_CASE(cleared_arena_reuses_its_slots) {
  Arena a;
  const std::string long_text(200, 'q');
  const char* s1 = a.copy(long_text).data();
  Value* l1 = a.values(64);
  std::string& sc = a.scratch();
  sc.assign(300, 'z');
  const char* s3 = sc.data();
  a.clear();
  // Same order of requests after clear(): the same buffers come back, so nothing is allocated.
  BOOST_TEST(static_cast<const void*>(a.copy(std::string(150, 'r')).data()) == static_cast<const void*>(s1));
  BOOST_TEST(a.values(10) == l1);
  std::string& again = a.scratch();
  BOOST_TEST(again.empty());
  again.assign(250, 'y');
  BOOST_TEST(static_cast<const void*>(again.data()) == static_cast<const void*>(s3));
}

BOOST_AUTO_TEST_CASE(intern_dedupes) {
  InternPool pool;
  const std::string a = "hello", b = "hello";
  const std::string_view x = pool.intern(a), y = pool.intern(b);
  BOOST_TEST(x == "hello");
  BOOST_TEST(static_cast<const void*>(x.data()) == static_cast<const void*>(y.data()));
  BOOST_TEST(static_cast<const void*>(x.data()) != static_cast<const void*>(a.data()));
  BOOST_TEST(pool.intern("") == "");
  BOOST_TEST(pool.intern("").data() == pool.intern("").data());
  std::vector<std::string_view> views;
  for (int k = 0; k < 5000; ++k) views.push_back(pool.intern("key-" + std::to_string(k)));
  const std::size_t bytes = pool.memory_bytes();
  for (int k = 0; k < 5000; ++k) {
    const std::string_view again = pool.intern("key-" + std::to_string(k));
    BOOST_TEST(again.data() == views[k].data());
    BOOST_TEST(again == "key-" + std::to_string(k));
  }
  BOOST_TEST(pool.memory_bytes() == bytes);  // nothing new stored
  BOOST_TEST(bytes > 5000u * 8);
}

BOOST_AUTO_TEST_CASE(keep_copies_strings_and_lists_out_of_the_arena) {
  Arena arena;
  InternPool pool;
  Value* elements = arena.values(3);
  elements[0] = Value::string(arena.copy("alpha"));
  elements[1] = Value::integer(7);
  elements[2] = Value::string(arena.copy("a string that is too long for the small buffer"));
  const Value list = Value::list_of(elements, 3);
  const Value kept = pool.keep(list);
  const Value kept_str = pool.keep(Value::string(arena.copy("beta")));
  const Value kept_num = pool.keep(Value::decimal(125, 2));
  // Overwrite the arena's storage: the kept copies must not notice.
  arena.clear();
  Value* over = arena.values(3);
  for (int k = 0; k < 3; ++k) over[k] = Value::integer(-1);
  for (int k = 0; k < 10; ++k) arena.copy(std::string(60, '#'));
  BOOST_TEST((kept.kind == Kind::List));
  BOOST_TEST(kept.size == 3u);
  BOOST_TEST(kept.list[0].str() == "alpha");
  BOOST_TEST(kept.list[1].i == 7);
  BOOST_TEST(kept.list[2].str() == "a string that is too long for the small buffer");
  BOOST_TEST(kept_str.str() == "beta");
  BOOST_TEST(cascade::vm::ops::equal(kept_num, Value::decimal(125, 2)));
  BOOST_TEST(pool.intern("alpha").data() == kept.list[0].s);
  const Value empty = pool.keep(Value::list_of(nullptr, 0));
  BOOST_TEST(empty.size == 0u);
}
