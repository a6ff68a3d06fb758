#include "graph_svg.hpp"

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <memory>

#if defined(__SANITIZE_ADDRESS__)
// Graphviz 2.43 keeps the plugin configuration text it reads in gvContext() (gvconfig) after
// gvFreeContext(), and fontconfig, which it uses to measure labels, keeps its caches for the
// life of the process. Neither is ours to free; LeakSanitizer in sanitizer builds is told so
// here. Memory of the graph itself (libcgraph) is still checked: a missing agclose() shows.
extern "C" const char* __lsan_default_suppressions() { return "leak:libgvc.so\nleak:libfontconfig.so\n"; }
// Without this, every run lists the suppressions it used on stderr.
extern "C" const char* __lsan_default_options() { return "print_suppressions=0"; }
#endif

namespace cascade::cli {
namespace {

// Graphviz reports problems through a process-wide callback; collect them here instead of
// letting it print to stderr, so they can be returned as the error.
std::string* g_messages = nullptr;
int collect(char* message) {
  if (g_messages && message) *g_messages += message;
  return 0;
}

// gvRenderData's length is an unsigned int in Graphviz 2.x and a size_t in later versions:
// take whichever this header declares.
template <typename Length>
int render_data(int (*render)(GVC_t*, graph_t*, const char*, char**, Length*), GVC_t* gvc, graph_t* g,
                char** data, std::size_t& size) {
  Length length = 0;
  const int rc = render(gvc, g, "svg", data, &length);
  size = static_cast<std::size_t>(length);
  return rc;
}

struct ContextDeleter {
  void operator()(GVC_t* c) const { gvFreeContext(c); }
};
struct GraphDeleter {
  void operator()(Agraph_t* g) const { agclose(g); }
};

}  // namespace

std::optional<std::string> render_svg(const std::string& dot, std::string& error) {
  std::string messages;
  g_messages = &messages;
  const agusererrf previous = agseterrf(collect);
  auto finish = [&](std::optional<std::string> result) {
    agseterrf(previous);
    g_messages = nullptr;
    if (!result) error = messages.empty() ? "Graphviz could not render the graph" : messages;
    while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
    return result;
  };

  std::unique_ptr<GVC_t, ContextDeleter> gvc(gvContext());
  if (!gvc) return finish(std::nullopt);
  std::unique_ptr<Agraph_t, GraphDeleter> graph(agmemread(dot.c_str()));
  if (!graph) return finish(std::nullopt);
  if (gvLayout(gvc.get(), graph.get(), "dot") != 0) return finish(std::nullopt);
  char* data = nullptr;
  std::size_t size = 0;
  const int rc = render_data(&gvRenderData, gvc.get(), graph.get(), &data, size);
  std::optional<std::string> svg;
  if (rc == 0 && data) svg.emplace(data, size);
  if (data) gvFreeRenderData(data);
  gvFreeLayout(gvc.get(), graph.get());
  return finish(std::move(svg));
}

}  // namespace cascade::cli
