// `cascade disasm FILE.cbc`: load and verify a module (or bundle), print its listing.
//
// The file is untrusted: read errors and verifier errors are reported with their byte offset
// (exit 1), an unreadable file is exit 2. The source lines are interleaved when the module's
// recorded source file can be read relative to the current folder.
#include <memory>

#include "cascade/bytecode/disasm.hpp"
#include "cascade/bytecode/io.hpp"
#include "cascade/bytecode/verify.hpp"
#include "cascade/grammar/source.hpp"
#include "command.hpp"

namespace cascade::cli {
namespace {

struct DisasmOptions {
  std::string path;
  bool no_source = false;
};

std::string listing(const bytecode::Module& m, bool with_source) {
  std::string text;
  if (with_source && !m.sources.empty()) {
    std::string error;
    if (source::read_file(std::string(m.str(m.sources[0].name)), text, error)) {
      const auto* p = reinterpret_cast<const std::uint8_t*>(text.data());
      // A source that changed since compiling would interleave the wrong lines.
      if (bytecode::fnv1a64({p, text.size()}) == m.sources[0].hash) return bytecode::disassemble(m, text);
    }
  }
  return bytecode::disassemble(m);
}

int run_disasm(const DisasmOptions& options) {
  std::string text, error;
  if (!source::read_file(options.path, text, error)) {
    write_err("cascade disasm: error: cannot read " + options.path + ": " + error + "\n");
    return kExitUsage;
  }
  const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  std::vector<bytecode::Module> modules;
  if (bytecode::is_bundle(bytes)) {
    auto r = bytecode::read_bundle(bytes);
    if (!r) {
      write_err("cascade disasm: error: " + options.path + ": at byte " + std::to_string(r.error().offset) +
                ": " + r.error().message + "\n");
      return kExitFailure;
    }
    for (std::size_t i = 0; i < r.value().size(); ++i) {
      const bytecode::VerifyResult v = bytecode::verify(r.value()[i]);
      if (!v.ok()) {
        write_err("cascade disasm: error: " + options.path + ": module " + std::to_string(i) +
                  " does not verify:\n" + v.to_string() + "\n");
        return kExitFailure;
      }
    }
    modules = std::move(r.value());
  } else {
    auto r = bytecode::load(bytes);
    if (!r) {
      write_err("cascade disasm: error: " + options.path + ": at byte " + std::to_string(r.error().offset) +
                ": " + r.error().message + "\n");
      return kExitFailure;
    }
    modules.push_back(std::move(r.value()));
  }
  std::string out;
  for (std::size_t i = 0; i < modules.size(); ++i) {
    if (i) out += "\n";
    out += listing(modules[i], !options.no_source);
  }
  write_out(out);
  return kExitOk;
}

}  // namespace

void add_disasm(CLI::App& app, Run& selected) {
  auto options = std::make_shared<DisasmOptions>();
  CLI::App* cmd = app.add_subcommand("disasm", "Print the listing of a compiled module (.cbc) or bundle");
  cmd->footer(std::string("The file is loaded and verified first. Source lines are shown when the module's\n"
                          "source file is found (relative to the current folder) unchanged.\n") +
              std::string(exit_code_help()));
  cmd->add_flag("--no-source", options->no_source, "Do not interleave source lines");
  cmd->add_option("file", options->path, "The .cbc module or bundle")->required()->type_name("FILE");
  cmd->callback([options, &selected] { selected = [options] { return run_disasm(*options); }; });
}

}  // namespace cascade::cli
