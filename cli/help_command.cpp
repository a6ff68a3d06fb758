// `cascade help [COMMAND]`: the same text as `cascade --help` / `cascade COMMAND --help`.
#include <memory>

#include "command.hpp"

namespace cascade::cli {

void add_help(CLI::App& app, Run& selected) {
  auto topic = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("help", "Show help for cascade or one of its commands");
  cmd->add_option("command", *topic, "The command to explain")->type_name("COMMAND");
  CLI::App* root = &app;
  cmd->callback([topic, root, &selected] {
    selected = [topic, root]() -> int {
      if (topic->empty()) {
        write_out(root->get_formatter()->make_help(root, "cascade", CLI::AppFormatMode::Normal));
        return kExitOk;
      }
      const CLI::App* sub = nullptr;
      for (const CLI::App* s :
           root->get_subcommands([](const CLI::App* a) { return !a->get_group().empty(); }))
        if (s->get_name() == *topic) sub = s;
      if (sub == nullptr) return usage_error("help", "unknown command `" + *topic + "`");
      write_out(sub->get_formatter()->make_help(sub, "cascade " + *topic, CLI::AppFormatMode::Normal));
      return kExitOk;
    };
  });
}

}  // namespace cascade::cli
