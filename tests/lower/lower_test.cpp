// Lowering: every example compiles to a verified module, golden listings of small cases,
// determinism, and the `cascade compile` / `cascade disasm` commands' exit codes.
// Golden listings live in tests/golden/disasm/NAME.expected; CASCADE_REGEN_GOLDEN=1 rewrites them.
#define BOOST_TEST_MODULE lower
#include "cascade/compiler/lower.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cascade/bytecode/disasm.hpp"
#include "cascade/bytecode/io.hpp"
#include "cascade/bytecode/verify.hpp"
#include "cascade/compiler/driver.hpp"
#include "run_process.hpp"
#include "test_files.hpp"

namespace fs = std::filesystem;
using namespace cascade;

namespace {

struct Compiled {
  std::vector<std::string> names;
  std::vector<bytecode::Module> modules;
  std::vector<std::string> errors;
};

Compiled compile(const std::vector<std::string>& paths, std::optional<std::string> project = std::nullopt) {
  driver::CheckRequest req;
  req.paths = paths;
  req.project_file = project;
  driver::CheckOutcome out = driver::check(req);
  Compiled c;
  BOOST_REQUIRE(out.project);
  BOOST_REQUIRE(!out.diagnostics.has_errors());
  for (const ast::File& f : out.checked.files)
    for (const ast::Decl& d : f.decls)
      if (const auto* sc = std::get_if<ast::Scenario>(&d.node)) {
        lower::LowerResult r = lower::lower_scenario(out.checked, *out.project, out.sources, *sc, f.file);
        if (!r.module) {
          c.errors.push_back(r.error);
          continue;
        }
        c.names.push_back(sc->name.name);
        c.modules.push_back(std::move(*r.module));
      }
  return c;
}

using test::slurp;

test::ProcessResult cascade_cli(std::vector<std::string> args) {
  args.insert(args.begin(), CASCADE_BINARY);
  test::ProcessOptions o;
  o.timeout_seconds = 30;
  return test::run_process(args, o);
}

fs::path temp_dir(const std::string& name) { return test::temp_dir("lower", name); }

}  // namespace

BOOST_AUTO_TEST_CASE(every_example_compiles_and_verifies) {
  Compiled c = compile({"examples"});
  BOOST_TEST(c.errors.empty(), (c.errors.empty() ? "" : c.errors.front()));
  BOOST_TEST(c.modules.size() >= 10u);
  for (std::size_t i = 0; i < c.modules.size(); ++i) {
    BOOST_TEST_CONTEXT(c.names[i]) {
      const bytecode::VerifyResult v = bytecode::verify(c.modules[i]);
      BOOST_TEST(v.ok(), v.to_string());
      // The written bytes load back to the same module.
      auto back = bytecode::load(bytecode::write(c.modules[i]));
      BOOST_TEST_REQUIRE(back.ok());
      BOOST_TEST((back.value() == c.modules[i]));
      BOOST_TEST(c.modules[i].str(c.modules[i].scenario.name) == c.names[i]);
    }
  }
}

BOOST_AUTO_TEST_CASE(golden_disassembly) {
  const bool regen =
      std::getenv("CASCADE_REGEN_GOLDEN") && std::string(std::getenv("CASCADE_REGEN_GOLDEN")) == "1";
  for (const char* name : {"until_stop", "split_event"}) {
    BOOST_TEST_CONTEXT(name) {
      const std::string src = std::string("tests/lower/cases/") + name + ".cascade";
      Compiled c = compile({src}, std::string("examples/cascade.yaml"));
      BOOST_TEST_REQUIRE(c.errors.empty());
      BOOST_TEST_REQUIRE(c.modules.size() == 1u);
      const std::string listing = bytecode::disassemble(c.modules[0], slurp(src));
      const fs::path expected = fs::path("tests/golden/disasm") / (std::string(name) + ".expected");
      if (regen) {
        std::ofstream(expected, std::ios::binary) << listing;
        continue;
      }
      BOOST_TEST(listing == slurp(expected));
    }
  }
}

BOOST_AUTO_TEST_CASE(lowering_shapes) {
  Compiled c = compile({"tests/lower/cases/split_event.cascade"}, std::string("examples/cascade.yaml"));
  BOOST_TEST_REQUIRE(c.modules.size() == 1u);
  const bytecode::Module& m = c.modules[0];
  BOOST_TEST_REQUIRE(m.splits.size() == 1u);
  BOOST_TEST(m.splits[0].branches.size() == 3u);
  BOOST_TEST(m.splits[0].branches[0].share == 3000);
  BOOST_TEST((m.scenario.reentry == bytecode::ReentryKind::Parallel));
  BOOST_TEST(m.scenario.stop_on.size() == 1u);
  BOOST_TEST(m.functions.size() == 3u);  // main, stop_on.where, event.where
  BOOST_TEST(!m.spans.empty());
  BOOST_TEST(m.str(m.sources.at(0).name) == "tests/lower/cases/split_event.cascade");
}

BOOST_AUTO_TEST_CASE(compile_is_deterministic) {
  Compiled a = compile({"examples"});
  Compiled b = compile({"examples"});
  BOOST_TEST_REQUIRE(a.modules.size() == b.modules.size());
  for (std::size_t i = 0; i < a.modules.size(); ++i)
    BOOST_TEST((bytecode::write(a.modules[i]) == bytecode::write(b.modules[i])));
}

BOOST_AUTO_TEST_CASE(cli_compile_and_disasm) {
  const fs::path dir = temp_dir("cli");
  auto r = cascade_cli({"compile", "examples", "-o", (dir / "out").string()});
  BOOST_TEST(r.exit_code == 0, r.err);
  BOOST_TEST(fs::exists(dir / "out" / "abandoned_cart.cbc"));

  auto d = cascade_cli({"disasm", (dir / "out" / "abandoned_cart.cbc").string()});
  BOOST_TEST(d.exit_code == 0, d.err);
  BOOST_TEST(d.out.find("; scenario abandoned_cart") != std::string::npos);
  BOOST_TEST(d.out.find("wait_outcome") != std::string::npos);
  BOOST_TEST(d.out.find("|   wait 1h") != std::string::npos);  // source interleaved

  // A bundle of every scenario.
  auto bn = cascade_cli({"compile", "examples", "--bundle", "-o", (dir / "all.cbc").string()});
  BOOST_TEST(bn.exit_code == 0, bn.err);
  auto db = cascade_cli({"disasm", (dir / "all.cbc").string()});
  BOOST_TEST(db.exit_code == 0, db.err);
  BOOST_TEST(db.out.find("; scenario feedback") != std::string::npos);

  // A damaged module: a clear error with a byte offset, exit 1.
  std::string bytes = slurp(dir / "out" / "abandoned_cart.cbc");
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x5a);
  std::ofstream(dir / "bad.cbc", std::ios::binary) << bytes;
  auto bad = cascade_cli({"disasm", (dir / "bad.cbc").string()});
  BOOST_TEST(bad.exit_code == 1);
  BOOST_TEST(!bad.signaled);
  BOOST_TEST(bad.err.find("at byte") != std::string::npos, bad.err);
  std::ofstream(dir / "short.cbc", std::ios::binary) << "CBC";
  auto sh = cascade_cli({"disasm", (dir / "short.cbc").string()});
  BOOST_TEST(sh.exit_code == 1);

  // Unreadable: exit 2.
  auto missing = cascade_cli({"disasm", (dir / "nope.cbc").string()});
  BOOST_TEST(missing.exit_code == 2);

  // A program with errors: printed like check, exit 1, nothing written.
  std::ofstream(dir / "cascade.yaml") << slurp("examples/cascade.yaml");
  std::ofstream(dir / "broken.cascade")
      << "scenario broken {\n  trigger no_such_event\n  send email \"x\"\n}\n";
  auto br = cascade_cli({"compile", (dir / "broken.cascade").string(), "-o", (dir / "broken-out").string()});
  BOOST_TEST(br.exit_code == 1);
  BOOST_TEST(br.err.find("error") != std::string::npos);
  BOOST_TEST(!fs::exists(dir / "broken-out"));

  // A construct lowering refuses: a located error, exit 1, nothing written, no crash.
  std::ofstream(dir / "amb.cascade")
      << "scenario amb {\n  trigger order_delivered\n  if customer.vip {\n"
         "    send email \"a\" as first\n  } else {\n    send push \"b\"\n  }\n"
         "  if not delivered within 1h {\n    send sms \"c\"\n  }\n}\n";
  auto amb = cascade_cli({"compile", (dir / "amb.cascade").string(), "-o", (dir / "amb-out").string()});
  BOOST_TEST(amb.exit_code == 1);
  BOOST_TEST(amb.err.find("amb.cascade:8:10: error: not yet supported by the compiler") != std::string::npos,
             amb.err);
  BOOST_TEST(!fs::exists(dir / "amb-out"));

  // No project file: exit 2.
  fs::remove(dir / "cascade.yaml");
  auto np = cascade_cli({"compile", (dir / "broken.cascade").string(), "-o", (dir / "np").string()});
  BOOST_TEST(np.exit_code == 2);
  fs::remove_all(dir);
}
