// The `cascade` binary: parses the command line and runs one subcommand (command.hpp).
#include <fmt/format.h>

#include <exception>

#include "command.hpp"

int main(int argc, char** argv) {
  using namespace cascade::cli;
  CLI::App app{"cascade: the compiler and tools for multi-channel messaging scenarios", "cascade"};
  app.set_version_flag("--version", fmt::format("cascade {}", kVersion), "Print the version and exit");
  app.footer("Run 'cascade COMMAND --help' for the options of one command.");
  app.require_subcommand(0, 1);

  Run selected;
  for (const Command& c : commands()) c.add(app, selected);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // The deepest subcommand reached names the --help to point at.
    const auto chosen = app.get_subcommands();
    if (chosen.empty() && argc > 1 && argv[1][0] != '-')
      return usage_error("", fmt::format("unknown command `{}`", argv[1]));
    return usage_error(chosen.empty() ? "" : chosen.back()->get_name(), e.what());
  }
  if (!selected) return usage_error("", "no command given (try 'cascade check')");

  try {
    return selected();
  } catch (const std::exception& e) {
    // Subcommands report user errors as diagnostics; what reaches here is an I/O failure
    // or a bug. Either way the run produced no trustworthy answer.
    write_err(fmt::format("cascade: error: {}\n", e.what()));
    return kExitUsage;
  }
}
