// From a checked scenario to the flowchart model (cascade/compiler/graph.hpp).
//
// The walk keeps a *frontier*: the open ends where the flow continues, each an edge waiting
// for its target (its source node and its label so far). A statement takes the frontier
// and leaves a new one: a send connects every open end to its node and leaves one end; a
// wait adds "after 1h" to the labels of the open ends (so waits are edge labels, not
// nodes); a branch leaves the ends of both arms. Blocks nest at most grammar::kMaxNesting
// deep, so the recursion is bounded.
#include <fmt/format.h>

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "cascade/compiler/graph.hpp"
#include "check/text.hpp"
#include "format/expr_text.hpp"
#include "graph/labels.hpp"
#include "lint/lints.hpp"

namespace cascade::graph {
namespace {

using format::detail::expr_text;

struct Open {
  std::size_t node = 0;
  std::string label;
  EdgeKind kind = EdgeKind::Flow;
  bool waited = false;  // the label already ends in a wait: the next one reads "then …"
};
using Frontier = std::vector<Open>;

// "not opened in 24h" / "opened", "no order_placed in 3d" / "order_placed".
struct OutcomeLabels {
  std::string missed;
  std::string happened;
};

class Builder {
 public:
  Builder(const project::Project& project, const ast::Scenario& scenario) : project_(project), scenario_(scenario) {}

  Graph build() {
    graph_.scenario = scenario_.name.name;
    if (scenario_.title) graph_.title = *scenario_.title;
    const std::size_t entry = add(NodeKind::Entry, entry_lines());
    Frontier frontier{{entry, "", EdgeKind::Flow}};
    exits(entry, frontier);
    frontier = block(scenario_.body, std::move(frontier));
    if (!frontier.empty()) connect(frontier, add(NodeKind::End, {end_text()}));
    return std::move(graph_);
  }

 private:
  std::size_t add(NodeKind kind, std::vector<std::string> lines, std::string channel_kind = {}) {
    graph_.nodes.push_back(Node{kind, std::move(lines), std::move(channel_kind)});
    return graph_.nodes.size() - 1;
  }

  void connect(const Frontier& from, std::size_t to) {
    for (const Open& o : from) graph_.edges.push_back(Edge{o.node, to, o.label, o.kind});
  }

  // ---- the entry and the exits that may happen at any time ------------------------------

  std::vector<std::string> entry_lines() const {
    std::vector<std::string> lines;
    auto add_wrapped = [&](const std::string& text) {
      for (std::string& l : labels::wrap(text, labels::kWidth, 3)) lines.push_back(std::move(l));
    };
    add_wrapped(scenario_.title ? *scenario_.title + " (" + scenario_.name.name + ")" : scenario_.name.name);
    bool urgent = false;
    std::vector<const ast::QuietHours*> quiet;
    for (const ast::Setting& s : scenario_.settings) {
      if (std::holds_alternative<ast::Urgent>(s.node)) urgent = true;
      if (const auto* q = std::get_if<ast::QuietHours>(&s.node)) quiet.push_back(q);
    }
    for (const ast::Setting& s : scenario_.settings) {
      if (const auto* t = std::get_if<ast::TriggerEvent>(&s.node)) {
        std::string text = "when " + t->event.name;
        if (t->where) text += " where " + expr_text(*t->where);
        add_wrapped(text);
      } else if (const auto* e = std::get_if<ast::TriggerEvery>(&s.node)) {
        std::string text = "every " + lit(e->every);
        if (e->at) text += " at " + labels::clock(e->at->minutes) + " local time";
        add_wrapped(text);
      } else if (std::holds_alternative<ast::TriggerManual>(s.node)) {
        add_wrapped("started by a broadcast (manual)");
      }
    }
    for (const ast::Setting& s : scenario_.settings) {
      if (const auto* a = std::get_if<ast::Audience>(&s.node); a && a->expr)
        for (std::string& l : labels::wrap("audience: " + expr_text(*a->expr), labels::kWidth, 4))
          lines.push_back(std::move(l));
    }
    for (const ast::Setting& s : scenario_.settings) {
      if (const auto* r = std::get_if<ast::Reentry>(&s.node)) {
        switch (r->kind) {
          case ast::ReentryKind::Never: add_wrapped("once per person"); break;
          case ast::ReentryKind::Parallel: add_wrapped("one run per trigger event"); break;
          case ast::ReentryKind::After: add_wrapped("again after " + lit(r->after)); break;
        }
      }
    }
    for (const ast::QuietHours* q : quiet) {
      std::string text = "quiet hours " + labels::clock(q->from.minutes) + ".." + labels::clock(q->to.minutes);
      if (!q->channels.empty()) text += " for " + names(q->channels);
      add_wrapped(text);
    }
    if (urgent) {
      add_wrapped("urgent: project quiet hours do not apply");
    } else if (project_.quiet_hours) {
      // The project default holds for the channels the scenario's own quiet hours leave out.
      bool covers_all = false;
      for (const ast::QuietHours* q : quiet) covers_all = covers_all || q->channels.empty();
      if (!covers_all)
        add_wrapped("quiet hours " + labels::clock(project_.quiet_hours->from_minutes) + ".." +
                    labels::clock(project_.quiet_hours->to_minutes) + (quiet.empty() ? " (project)" : " (project, other channels)"));
    }
    for (const ast::Setting& s : scenario_.settings) {
      if (const auto* l = std::get_if<ast::Limit>(&s.node)) {
        std::string text = fmt::format("at most {} per {}", l->count, lit(l->per));
        if (!l->channels.empty()) text += " for " + names(l->channels);
        add_wrapped(text);
      }
    }
    return lines;
  }

  static std::string names(const std::vector<ast::Ident>& ids) {
    std::string out;
    for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? ", " : "") + ids[i].name;
    return out;
  }

  // The control share, the goal and `stop on`: edges from the entry, the treated share on
  // the first flow edge.
  void exits(std::size_t entry, Frontier& frontier) {
    for (const ast::Setting& s : scenario_.settings) {
      if (const auto* c = std::get_if<ast::Control>(&s.node)) {
        const std::size_t n = add(NodeKind::Control, {"control group " + check::text::percent(c->share.basis_points),
                                                      "no messages,", "conversions counted"});
        graph_.edges.push_back(Edge{entry, n, check::text::percent(c->share.basis_points), EdgeKind::Any});
        frontier.front().label = check::text::percent(10000 - c->share.basis_points);
      }
    }
    for (const ast::Setting& s : scenario_.settings) {
      if (const auto* g = std::get_if<ast::Goal>(&s.node)) {
        std::vector<std::string> lines{"goal: " + g->event.name};
        if (g->where)
          for (std::string& l : labels::wrap("where " + expr_text(*g->where), labels::kWidth, 2)) lines.push_back(std::move(l));
        if (g->within)
          lines.push_back("within " + duration_expr(g->within.get()));
        else
          lines.push_back("within " + labels::duration(project_.goal_window_seconds) + " (project)");
        lines.emplace_back("converted");
        const std::size_t n = add(NodeKind::Goal, std::move(lines));
        graph_.edges.push_back(Edge{entry, n, g->event.name, EdgeKind::Any});
      } else if (const auto* o = std::get_if<ast::StopOn>(&s.node)) {
        std::vector<std::string> lines{"stop on " + o->event.name};
        if (o->where)
          for (std::string& l : labels::wrap("where " + expr_text(*o->where), labels::kWidth, 2)) lines.push_back(std::move(l));
        lines.emplace_back("exited");
        const std::size_t n = add(NodeKind::Exit, std::move(lines));
        graph_.edges.push_back(Edge{entry, n, o->event.name, EdgeKind::Any});
      }
    }
  }

  std::string end_text() const {
    for (const ast::Setting& s : scenario_.settings)
      if (std::holds_alternative<ast::Goal>(s.node)) return "end (after the goal window)";
    return "end";
  }

  // ---- statements -----------------------------------------------------------------------

  Frontier block(const ast::Block& b, Frontier frontier) {
    for (const ast::Stmt& s : b.stmts) {
      if (frontier.empty()) break;  // after `stop` or a control branch: nothing runs
      frontier = stmt(s, std::move(frontier));
    }
    return frontier;
  }

  Frontier stmt(const ast::Stmt& s, Frontier in) {
    return std::visit(
        [&](const auto& n) -> Frontier {
          using T = std::decay_t<decltype(n)>;
          if constexpr (std::is_same_v<T, ast::Send>) {
            const std::size_t node = send(n.channel, n.content, n.as ? n.as->name : std::string());
            if (n.as) named_[n.as->name] = n.channel.name;
            connect(in, node);
            return {{node, "", EdgeKind::Flow}};
          } else if constexpr (std::is_same_v<T, ast::Wait>) {
            append(in, "after " + duration_expr(n.duration.get()));
            return in;
          } else if constexpr (std::is_same_v<T, ast::WaitUntil>) {
            const auto* c = n.time ? std::get_if<ast::ClockLit>(&n.time->node) : nullptr;
            if (c)
              append(in, "until " + labels::clock(c->minutes) + " local time");
            else
              append(in, "until " + text(n.time.get()));
            return in;
          } else if constexpr (std::is_same_v<T, ast::If>) {
            const std::size_t d = add(NodeKind::Decision, labels::wrap(text(n.cond.get()) + "?", labels::kWidth, 3));
            connect(in, d);
            Frontier out = block(n.then_block, {{d, "yes", EdgeKind::Flow}});
            Frontier no{{d, "no", EdgeKind::Flow}};
            if (n.else_block) no = block(*n.else_block, std::move(no));
            out.insert(out.end(), std::make_move_iterator(no.begin()), std::make_move_iterator(no.end()));
            return out;
          } else if constexpr (std::is_same_v<T, ast::IfNot>) {
            const OutcomeLabels l = outcome_labels(n.outcome, n.within.get());
            std::size_t from = 0;
            if (in.size() == 1 && in.front().label.empty() && !n.outcome.where) {
              // Straight after a send: the outcome edges leave the send itself.
              from = in.front().node;
            } else {
              // Several ways lead here, a wait comes first, or the event has a filter too long
              // for an edge: the wait gets its own node.
              std::string question = l.happened;
              if (n.outcome.where) question += " where " + expr_text(*n.outcome.where);
              from = add(NodeKind::Decision,
                         labels::wrap(question + " within " + duration_expr(n.within.get()) + "?", labels::kWidth, 4));
              connect(in, from);
            }
            Frontier out = block(n.then_block, {{from, l.missed, EdgeKind::Flow}});
            Frontier yes{{from, l.happened, EdgeKind::Flow}};
            if (n.else_block) yes = block(*n.else_block, std::move(yes));
            out.insert(out.end(), std::make_move_iterator(yes.begin()), std::make_move_iterator(yes.end()));
            return out;
          } else if constexpr (std::is_same_v<T, ast::CascadeUntil>) {
            Frontier out;
            for (std::size_t i = 0; i < n.steps.size(); ++i) {
              const ast::CascadeStep& step = n.steps[i];
              const std::size_t node = send(step.channel, step.content, {});
              connect(in, node);
              if (i + 1 == n.steps.size()) {
                out.push_back({node, "", EdgeKind::Flow});
                break;
              }
              const OutcomeLabels l = outcome_labels(n.until, step.within.get());
              out.push_back({node, l.happened, EdgeKind::Flow});
              in = {{node, l.missed, EdgeKind::Flow}};
            }
            if (n.steps.empty()) return in;
            return out;
          } else if constexpr (std::is_same_v<T, ast::Split>) {
            const std::size_t node = add(NodeKind::Split, {"split"});
            connect(in, node);
            Frontier out;
            for (const ast::SplitBranch& b : n.branches) {
              const std::string label = check::text::percent(b.share.basis_points) + " " + b.name.name;
              if (b.is_control || !b.body) {
                const std::size_t c =
                    add(NodeKind::Control, {"control branch " + b.name.name, "no more messages"});
                graph_.edges.push_back(Edge{node, c, label, EdgeKind::Flow});
                continue;
              }
              Frontier arm = block(*b.body, {{node, label, EdgeKind::Flow}});
              out.insert(out.end(), std::make_move_iterator(arm.begin()), std::make_move_iterator(arm.end()));
            }
            return out;
          } else if constexpr (std::is_same_v<T, ast::Let>) {
            return in;
          } else {
            static_assert(std::is_same_v<T, ast::StopStmt>);
            if (!stop_node_) stop_node_ = add(NodeKind::Stop, {"stop"});
            connect(in, *stop_node_);
            return {};
          }
        },
        s.node);
  }

  static void append(Frontier& frontier, const std::string& text) {
    for (Open& o : frontier) {
      o.label += (o.label.empty() ? "" : o.waited ? ", then " : ", ") + text;
      o.waited = true;
    }
  }

  // The checker accepted the scenario, so expressions are there; "?" keeps a tree that
  // lost one (a parser recovery) drawable instead of a null dereference.
  static std::string text(const ast::Expr* e) { return e ? expr_text(*e) : std::string("?"); }

  static std::string duration_expr(const ast::Expr* e) {
    if (const auto* d = e ? std::get_if<ast::DurationLit>(&e->node) : nullptr) return lit(*d);
    return text(e);
  }

  // A duration as the author spelled it (24h stays 24h), in its canonical form.
  static std::string lit(const ast::DurationLit& d) { return d.text.empty() ? labels::duration(d.seconds) : d.text; }

  OutcomeLabels outcome_labels(const ast::Outcome& o, const ast::Expr* within) const {
    const std::string in = within ? " in " + duration_expr(within) : std::string();
    if (o.kind == ast::OutcomeKind::Event) return {"no " + o.event.name + in, o.event.name};
    const std::string_view word = o.kind == ast::OutcomeKind::Delivered ? "delivered"
                                  : o.kind == ast::OutcomeKind::Opened  ? "opened"
                                                                         : "clicked";
    std::string subject;
    if (o.message) {
      const auto it = named_.find(o.message->name);
      subject = (it != named_.end() ? it->second + " " : std::string()) + "(" + o.message->name + ") ";
    }
    return {subject + "not " + std::string(word) + in, subject + std::string(word)};
  }

  // ---- one message ----------------------------------------------------------------------

  std::size_t send(const ast::Ident& channel, const ast::Content& content, const std::string& as) {
    const project::Channel* ch = project_.channel(channel.name);
    std::vector<std::string> lines{as.empty() ? channel.name : channel.name + " (" + as + ")"};
    const ast::StringLit* text = nullptr;
    if (const auto* e = std::get_if<ast::ExprPtr>(&content.value)) {
      if (*e) text = std::get_if<ast::StringLit>(&(*e)->node);
      if (text)
        for (std::string& l : labels::wrap("«" + string_text(*text) + "»", labels::kWidth, 3)) lines.push_back(std::move(l));
    } else {
      const auto& t = std::get<ast::TemplateRef>(content.value);
      lines.push_back(check::text::display("template " + t.name, labels::kWidth));
    }
    if (ch) lines.push_back(cost(*ch, text));
    return add(NodeKind::Send, std::move(lines), ch && ch->kind ? std::string(ch->kind->name) : std::string());
  }

  // The text of a message as written, with each interpolation as {expr}.
  static std::string string_text(const ast::StringLit& lit) {
    std::string out;
    for (const ast::StringPart& p : lit.parts) out += p.expr ? "{" + expr_text(*p.expr) + "}" : p.text;
    return out;
  }

  std::string cost(const project::Channel& ch, const ast::StringLit* text) const {
    const std::string& cur = project_.currency;
    if (!ch.kind || !ch.kind->billed_by_segment) {
      if (ch.cost_micros == 0) return "free";
      return labels::money(ch.cost_micros, cur) + " per message";
    }
    if (!text) return labels::money(ch.cost_micros, cur) + " per segment";
    const lint::SmsEstimate e = lint::sms_estimate(*text);
    const int segments = e.count.segments < 1 ? 1 : e.count.segments;
    const std::string total = labels::money(ch.cost_micros * segments, cur);
    return fmt::format("{}{} ({}{} {} {} × {})", e.minimum ? "from " : "", total, segments, e.minimum ? "+" : "",
                       sms::to_string(e.count.encoding), segments == 1 && !e.minimum ? "segment" : "segments",
                       labels::money(ch.cost_micros, cur));
  }

  const project::Project& project_;
  const ast::Scenario& scenario_;
  Graph graph_;
  std::optional<std::size_t> stop_node_;
  std::map<std::string, std::string> named_;  // `send … as NAME`: NAME → channel
};

}  // namespace

Graph build(const project::Project& project, const ast::Scenario& scenario) {
  return Builder(project, scenario).build();
}

std::vector<const ast::Scenario*> scenarios(const check::Result& checked) {
  std::vector<const ast::Scenario*> out;
  std::set<std::string_view> seen;
  for (const ast::File& f : checked.files)
    for (const ast::Decl& d : f.decls)
      if (const auto* sc = std::get_if<ast::Scenario>(&d.node); sc && seen.insert(sc->name.name).second)
        out.push_back(sc);
  return out;
}

}  // namespace cascade::graph
