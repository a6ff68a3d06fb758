// SVG for `cascade graph --format svg`: DOT text laid out and rendered in-process by
// Graphviz (libgvc, the `dot` layout), without running the `dot` program.
//
// This is the only place that includes Graphviz, so the compiler library (which produces
// the DOT text) does not depend on it.
#pragma once

#include <optional>
#include <string>

namespace cascade::cli {

// The SVG document for a DOT graph, or nullopt with `error` set to what Graphviz said.
std::optional<std::string> render_svg(const std::string& dot, std::string& error);

}  // namespace cascade::cli
