// The DOT and Mermaid renderers of the flowchart model.
//
// Both print nodes in model order and edges in model order, so the same model gives the same
// bytes. Labels are escaped for each language: DOT quoted strings (backslash and quote
// escaped, lines joined with \n); Mermaid quoted labels (the quote and the characters
// Mermaid would read as markup or an entity written as Mermaid entities such as #quot;,
// lines joined with <br>).
#include <fmt/format.h>

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "cascade/compiler/graph.hpp"
#include "graph/labels.hpp"

namespace cascade::graph {
namespace {

// Fill colours: one per node kind, and for sends one per channel kind (the cheapest channels
// in cool colours, the paid phone channels in warm ones).
std::string_view send_fill(std::string_view channel_kind) {
  if (channel_kind == "push" || channel_kind == "webpush") return "#fef9c3";
  if (channel_kind == "email") return "#dcfce7";
  if (channel_kind == "sms") return "#fee2e2";
  if (channel_kind == "viber" || channel_kind == "whatsapp" || channel_kind == "telegram" || channel_kind == "vk")
    return "#ede9fe";
  return "#f3f4f6";
}

// The class a node gets in Mermaid (and its style); sends by channel kind.
std::string mermaid_class(const Node& n) {
  switch (n.kind) {
    case NodeKind::Entry: return "entry";
    case NodeKind::Send: {
      std::string name = "send_";
      for (char c : n.channel_kind) name += (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '_';
      return n.channel_kind.empty() ? "send" : name;
    }
    case NodeKind::Decision: return "decision";
    case NodeKind::Split: return "split";
    case NodeKind::Control: return "control";
    case NodeKind::Goal: return "goal";
    case NodeKind::Exit: return "exit";
    case NodeKind::Stop: return "stop";
    case NodeKind::End: return "done";
  }
  return "send";
}

std::string class_style(const std::string& cls, std::string_view channel_kind) {
  if (cls == "entry") return "fill:#e0e7ff,stroke:#4338ca";
  if (cls == "decision") return "fill:#f9fafb,stroke:#6b7280";
  if (cls == "split") return "fill:#f5f5f4,stroke:#57534e";
  if (cls == "control") return "fill:#ffffff,stroke:#9ca3af,stroke-dasharray:4 3,color:#6b7280";
  if (cls == "goal") return "fill:#bbf7d0,stroke:#15803d";
  if (cls == "exit") return "fill:#fde68a,stroke:#b45309";
  if (cls == "stop") return "fill:#fecaca,stroke:#b91c1c";
  if (cls == "done") return "fill:#e5e7eb,stroke:#4b5563";
  return fmt::format("fill:{},stroke:#374151", send_fill(channel_kind));
}

// Edge labels are kept whole in the model and wrapped here, for the picture.
std::string edge_text(const std::string& label) {
  std::string out;
  for (const std::string& line : labels::wrap(label, labels::kEdgeWidth, labels::kEdgeLines))
    out += (out.empty() ? "" : "\n") + line;
  return out;
}

// ---- DOT ------------------------------------------------------------------------------------

std::string dot_string(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  out += '"';
  return out;
}

std::string dot_label(const Node& n) {
  std::string joined;
  for (std::size_t i = 0; i < n.lines.size(); ++i) {
    if (i) joined += '\n';
    joined += n.lines[i];
  }
  return dot_string(joined);
}

std::string dot_attributes(const Node& n) {
  switch (n.kind) {
    case NodeKind::Entry: return R"(shape=box, style="rounded,filled", fillcolor="#e0e7ff", color="#4338ca")";
    case NodeKind::Send:
      return fmt::format(R"(shape=box, style="filled", fillcolor="{}", color="#374151")", send_fill(n.channel_kind));
    case NodeKind::Decision: return R"(shape=diamond, style="filled", fillcolor="#f9fafb", color="#6b7280")";
    case NodeKind::Split: return R"(shape=hexagon, style="filled", fillcolor="#f5f5f4", color="#57534e")";
    case NodeKind::Control: return R"(shape=box, style="dashed", color="#9ca3af", fontcolor="#6b7280")";
    case NodeKind::Goal: return R"(shape=box, style="rounded,filled,bold", fillcolor="#bbf7d0", color="#15803d")";
    case NodeKind::Exit: return R"(shape=box, style="rounded,filled", fillcolor="#fde68a", color="#b45309")";
    case NodeKind::Stop: return R"(shape=octagon, style="filled", fillcolor="#fecaca", color="#b91c1c")";
    case NodeKind::End: return R"(shape=ellipse, style="filled", fillcolor="#e5e7eb", color="#4b5563")";
  }
  return "shape=box";
}

void dot_body(const Graph& g, const std::string& prefix, const std::string& indent, std::string& out) {
  for (std::size_t i = 0; i < g.nodes.size(); ++i)
    out += fmt::format("{}{}n{} [{}, label={}];\n", indent, prefix, i, dot_attributes(g.nodes[i]), dot_label(g.nodes[i]));
  for (const Edge& e : g.edges) {
    std::string attrs;
    if (!e.label.empty()) attrs += "label=" + dot_string(edge_text(e.label));
    if (e.kind == EdgeKind::Any) attrs += std::string(attrs.empty() ? "" : ", ") + R"(style=dashed, color="#6b7280")";
    out += fmt::format("{}{}n{} -> {}n{}{};\n", indent, prefix, e.from, prefix, e.to,
                       attrs.empty() ? "" : " [" + attrs + "]");
  }
}

// ---- Mermaid --------------------------------------------------------------------------------

std::string mermaid_text(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    switch (c) {
      case '"': out += "#quot;"; break;
      case '#': out += "#35;"; break;
      case '<': out += "#lt;"; break;
      case '>': out += "#gt;"; break;
      case '&': out += "#amp;"; break;
      case '`': out += "#96;"; break;
      case '\n': out += "<br>"; break;
      default:
        // display() already replaced control bytes; DEL is the one left.
        if (c == '\x7f') out += "#127;";
        else out += c;
    }
  }
  return out;
}

std::string mermaid_label(const Node& n) {
  std::string out = "\"";
  for (std::size_t i = 0; i < n.lines.size(); ++i) {
    if (i) out += "<br>";
    out += mermaid_text(n.lines[i]);
  }
  return out + "\"";
}

std::string mermaid_shape(const Node& n) {
  const std::string l = mermaid_label(n);
  switch (n.kind) {
    case NodeKind::Entry: return "([" + l + "])";
    case NodeKind::Send: return "[" + l + "]";
    case NodeKind::Decision: return "{" + l + "}";
    case NodeKind::Split: return "{{" + l + "}}";
    case NodeKind::Control: return "[/" + l + "/]";
    case NodeKind::Goal: return "[[" + l + "]]";
    case NodeKind::Exit: return ">" + l + "]";
    case NodeKind::Stop:
    case NodeKind::End: return "((" + l + "))";
  }
  return "[" + l + "]";
}

void mermaid_body(const Graph& g, const std::string& prefix, const std::string& indent, std::string& out) {
  for (std::size_t i = 0; i < g.nodes.size(); ++i)
    out += fmt::format("{}{}n{}{}\n", indent, prefix, i, mermaid_shape(g.nodes[i]));
  for (const Edge& e : g.edges) {
    const std::string_view arrow = e.kind == EdgeKind::Any ? "-.->" : "-->";
    if (e.label.empty())
      out += fmt::format("{}{}n{} {} {}n{}\n", indent, prefix, e.from, arrow, prefix, e.to);
    else
      out += fmt::format("{}{}n{} {}|\"{}\"| {}n{}\n", indent, prefix, e.from, arrow, mermaid_text(edge_text(e.label)), prefix, e.to);
  }
}

std::string prefix_of(std::size_t index, std::size_t count) {
  return count > 1 ? fmt::format("s{}_", index) : std::string();
}

}  // namespace

std::string to_dot(std::span<const Graph> graphs) {
  std::string out = "digraph cascade {\n";
  out += "  graph [rankdir=TB, fontname=\"Helvetica\", fontsize=12, nodesep=0.4, ranksep=0.45];\n";
  out += "  node [fontname=\"Helvetica\", fontsize=10, margin=\"0.15,0.07\"];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=9, color=\"#374151\"];\n";
  if (graphs.size() == 1) {
    dot_body(graphs.front(), "", "  ", out);
  } else {
    for (std::size_t i = 0; i < graphs.size(); ++i) {
      const Graph& g = graphs[i];
      out += fmt::format("  subgraph cluster_{} {{\n", i);
      out += fmt::format("    label={};\n    style=\"rounded\";\n    color=\"#9ca3af\";\n", dot_string(g.scenario));
      dot_body(g, prefix_of(i, graphs.size()), "    ", out);
      out += "  }\n";
    }
  }
  out += "}\n";
  return out;
}

std::string to_mermaid(std::span<const Graph> graphs) {
  std::string out = "flowchart TD\n";
  // Classes in name order, each defined once, with the nodes that use them.
  std::map<std::string, std::pair<std::string, std::vector<std::string>>> classes;
  for (std::size_t i = 0; i < graphs.size(); ++i) {
    const Graph& g = graphs[i];
    const std::string prefix = prefix_of(i, graphs.size());
    if (graphs.size() == 1) {
      mermaid_body(g, prefix, "  ", out);
    } else {
      out += fmt::format("  subgraph s{}[\"{}\"]\n", i, mermaid_text(g.scenario));
      mermaid_body(g, prefix, "    ", out);
      out += "  end\n";
    }
    for (std::size_t n = 0; n < g.nodes.size(); ++n) {
      auto& entry = classes[mermaid_class(g.nodes[n])];
      if (entry.first.empty()) entry.first = class_style(mermaid_class(g.nodes[n]), g.nodes[n].channel_kind);
      entry.second.push_back(fmt::format("{}n{}", prefix, n));
    }
  }
  for (const auto& [name, style] : classes) out += fmt::format("  classDef {} {}\n", name, style.first);
  for (const auto& [name, style] : classes) {
    out += "  class ";
    for (std::size_t i = 0; i < style.second.size(); ++i) out += (i ? "," : "") + style.second[i];
    out += " " + name + "\n";
  }
  return out;
}

}  // namespace cascade::graph
