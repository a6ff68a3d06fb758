// Flowchart export (`cascade graph`): a checked scenario as a picture a marketer can read.
//
// build() turns one scenario the checker accepted into a small graph model: an entry node
// (the trigger, the audience, the control share and the settings that shape delivery), a
// node per send showing its channel, its content and what one message costs, decision nodes
// for `if` and outcome waits, a node per `split`, and the exits (the goal, `stop on`,
// `stop`, the end). Waits and outcomes are edge labels ("after 1h", "not opened in 24h",
// "delivered", "order_placed"). The model is the scenario's control flow, not its bytecode:
// it is read from the AST, so it shows what the author wrote.
//
// to_dot() and to_mermaid() render models as text. Both are deterministic (the same input
// gives the same bytes) and escape every label, so any text a scenario holds (Cyrillic,
// quotes, braces, `#`, `<`, backslashes) renders as written. Several scenarios become one
// picture with a cluster (DOT) or a subgraph (Mermaid) per scenario, so the output is always
// one document: one SVG, one Mermaid diagram.
//
// An SMS costs its channel's price times its segments, counted as lint W0001 counts them
// (literal text exactly, link() as the daemon's short link); a text with other
// interpolations shows its lowest cost ("from 2 ₽").
//
// Rendering SVG is not here: it needs Graphviz, which the compiler library does not link
// (the CLI renders the DOT text with libgvc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cascade/compiler/check.hpp"
#include "cascade/compiler/project.hpp"
#include "cascade/grammar/ast.hpp"

namespace cascade::graph {

enum class NodeKind : std::uint8_t {
  Entry,     // trigger, audience, reentry, quiet hours, limits
  Send,      // one message: channel, content, cost
  Decision,  // `if cond` or an outcome wait that needs its own node
  Split,     // `split`
  Control,   // the control group or a control split branch: no more messages
  Goal,      // the goal: the instance converts (any time)
  Exit,      // `stop on EVENT`: the instance exits (any time)
  Stop,      // a `stop` statement
  End,       // the statements are done
};

struct Node {
  NodeKind kind = NodeKind::Send;
  std::vector<std::string> lines;  // the label, one entry per line, plain UTF-8 (unescaped)
  std::string channel_kind;        // Send: the channel's kind ("sms"), for colouring
};

enum class EdgeKind : std::uint8_t {
  Flow,  // the instance moves along it
  Any,   // may happen at any time (goal, stop on, the control share): drawn dashed
};

struct Edge {
  std::size_t from = 0, to = 0;  // indexes into Graph::nodes
  std::string label;             // may be empty
  EdgeKind kind = EdgeKind::Flow;
};

struct Graph {
  std::string scenario;  // the scenario's name
  std::string title;     // its title, or empty
  std::vector<Node> nodes;
  std::vector<Edge> edges;
};

// The graph of one scenario of `checked` (which the checker accepted: no errors).
Graph build(const project::Project& project, const ast::Scenario& scenario);

// Every scenario of a checked program in file order, the first of each name (as `cascade
// compile` takes them).
std::vector<const ast::Scenario*> scenarios(const check::Result& checked);

// One DOT digraph: one scenario as the whole graph, several as one cluster each.
std::string to_dot(std::span<const Graph> graphs);

// One Mermaid flowchart (top-down): one scenario as the whole chart, several as one
// subgraph each.
std::string to_mermaid(std::span<const Graph> graphs);

}  // namespace cascade::graph
