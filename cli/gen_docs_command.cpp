// `cascade __gen-docs [GOLDEN_DIR]` (hidden): prints docs/diagnostics.md, generated from the
// diagnostics table and the golden cases. scripts/gen-docs.sh runs it from the repository
// root, where the paths inside the golden .expected files resolve.
#include <memory>

#include "cascade/compiler/render.hpp"
#include "command.hpp"

namespace cascade::cli {

void add_gen_docs(CLI::App& app, Run& selected) {
  auto golden = std::make_shared<std::string>("tests/golden/check");
  CLI::App* cmd = app.add_subcommand("__gen-docs", "");
  cmd->group("");  // hidden from --help
  cmd->add_option("golden_dir", *golden, "Folder of golden check cases");
  cmd->callback([golden, &selected] {
    selected = [golden] {
      write_out(diag::render_reference_markdown(*golden));
      return kExitOk;
    };
  });
}

}  // namespace cascade::cli
