// A compact S-expression rendering of the AST, so tests can assert on a tree's shape in
// one readable string: (+ 1 (* 2 3)), (send email (template "cart_1" (url trigger.cart_url))).
#pragma once

#include <string>

#include "cascade/grammar/ast.hpp"

namespace cascade::test {


std::string dump(const ast::Expr& e);

inline std::string dump(const ast::ExprPtr& e) { return e ? dump(*e) : std::string("null"); }

inline std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

inline std::string dump_string(const ast::StringLit& s) {
  if (!s.interpolated()) {
    std::string text;
    for (const auto& p : s.parts) text += p.text;
    return quote(text);
  }
  std::string out = "(str";
  for (const auto& p : s.parts) out += " " + (p.expr ? "{" + dump(*p.expr) + "}" : quote(p.text));
  return out + ")";
}

inline std::string dump(const ast::Expr& e) {
  struct V {
    std::string operator()(const ast::BoolLit& b) const { return b.value ? "true" : "false"; }
    std::string operator()(const ast::IntLit& i) const { return std::to_string(i.value); }
    std::string operator()(const ast::DecimalLit& d) const {
      return "dec:" + d.text + "=" + std::to_string(d.units) + "e-" + std::to_string(d.scale);
    }
    std::string operator()(const ast::DurationLit& d) const { return "dur:" + d.text + "=" + std::to_string(d.seconds); }
    std::string operator()(const ast::ClockLit& c) const { return "clock:" + std::to_string(c.minutes); }
    std::string operator()(const ast::PercentLit& p) const { return "pct:" + std::to_string(p.basis_points); }
    std::string operator()(const ast::StringLit& s) const { return dump_string(s); }
    std::string operator()(const ast::ListLit& l) const {
      std::string out = "[";
      for (std::size_t i = 0; i < l.items.size(); ++i) out += (i ? " " : "") + dump(l.items[i]);
      return out + "]";
    }
    std::string operator()(const ast::NameRef& n) const { return n.name; }
    std::string operator()(const ast::Member& m) const { return dump(m.object) + "." + m.member.name; }
    std::string operator()(const ast::Call& c) const {
      std::string out = "(call " + c.callee.name;
      for (const auto& a : c.args) out += " " + dump(a);
      return out + ")";
    }
    std::string operator()(const ast::Unary& u) const {
      return std::string("(") + (u.op == ast::UnaryOp::Not ? "not " : "neg ") + dump(u.operand) + ")";
    }
    std::string operator()(const ast::Binary& b) const {
      return "(" + std::string(ast::spelling(b.op)) + " " + dump(b.lhs) + " " + dump(b.rhs) + ")";
    }
    std::string operator()(const ast::Conditional& c) const {
      return "(if " + dump(c.cond) + " " + dump(c.then_expr) + " " + dump(c.else_expr) + ")";
    }
    std::string operator()(const ast::Paren& p) const { return "(paren " + dump(p.inner) + ")"; }
  };
  return std::visit(V{}, e.node);
}

inline std::string dump(const ast::Content& c) {
  if (const auto* e = std::get_if<ast::ExprPtr>(&c.value)) return dump(*e);
  const auto& t = std::get<ast::TemplateRef>(c.value);
  std::string out = "(template " + quote(t.name);
  if (t.has_with) {
    out += " (with";
    for (const auto& a : t.args) out += " (" + a.key.name + " " + dump(a.value) + ")";
    out += ")";
  }
  return out + ")";
}

inline std::string dump(const ast::Outcome& o) {
  switch (o.kind) {
    case ast::OutcomeKind::Delivered:
    case ast::OutcomeKind::Opened:
    case ast::OutcomeKind::Clicked: {
      std::string k = o.kind == ast::OutcomeKind::Delivered ? "delivered" : o.kind == ast::OutcomeKind::Opened ? "opened" : "clicked";
      return o.message ? k + "(" + o.message->name + ")" : k;
    }
    case ast::OutcomeKind::Event:
      return o.where ? "(event " + o.event.name + " " + dump(o.where) + ")" : o.event.name;
  }
  return "?";
}

std::string dump(const ast::Stmt& s);

inline std::string dump(const ast::Block& b) {
  std::string out = "{";
  for (std::size_t i = 0; i < b.stmts.size(); ++i) out += (i ? " " : "") + dump(b.stmts[i]);
  return out + "}";
}

inline std::string dump(const ast::Stmt& s) {
  struct V {
    std::string operator()(const ast::Send& x) const {
      return "(send " + x.channel.name + " " + dump(x.content) + (x.as ? " as " + x.as->name : "") + ")";
    }
    std::string operator()(const ast::Wait& x) const { return "(wait " + dump(x.duration) + ")"; }
    std::string operator()(const ast::WaitUntil& x) const { return "(wait-until " + dump(x.time) + ")"; }
    std::string operator()(const ast::IfNot& x) const {
      return "(if-not " + dump(x.outcome) + " " + dump(x.within) + " " + dump(x.then_block) +
             (x.else_block ? std::string(x.else_if ? " else-if " : " else ") + dump(*x.else_block) : "") + ")";
    }
    std::string operator()(const ast::If& x) const {
      return "(if " + dump(x.cond) + " " + dump(x.then_block) +
             (x.else_block ? std::string(x.else_if ? " else-if " : " else ") + dump(*x.else_block) : "") + ")";
    }
    std::string operator()(const ast::CascadeUntil& x) const {
      std::string out = "(cascade " + dump(x.until);
      for (const auto& st : x.steps)
        out += " (" + st.channel.name + " " + dump(st.content) + (st.within ? " " + dump(st.within) : "") + ")";
      return out + ")";
    }
    std::string operator()(const ast::Split& x) const {
      std::string out = "(split";
      for (const auto& b : x.branches)
        out += " (" + b.share.text + " " + b.name.name + " " + (b.is_control ? "control" : dump(*b.body)) + ")";
      return out + ")";
    }
    std::string operator()(const ast::Let& x) const { return "(let " + x.name.name + " " + dump(x.value) + ")"; }
    std::string operator()(const ast::StopStmt&) const { return "(stop)"; }
  };
  return std::visit(V{}, s.node);
}

inline std::string dump(const ast::Setting& s) {
  struct V {
    std::string operator()(const ast::TriggerEvent& x) const {
      return "(trigger " + x.event.name + (x.where ? " " + dump(x.where) : "") + ")";
    }
    std::string operator()(const ast::TriggerEvery& x) const {
      return "(every " + x.every.text + (x.at ? " at " + std::to_string(x.at->minutes) : "") + ")";
    }
    std::string operator()(const ast::TriggerManual&) const { return "(manual)"; }
    std::string operator()(const ast::Audience& x) const { return "(audience " + dump(x.expr) + ")"; }
    std::string operator()(const ast::Goal& x) const {
      return "(goal " + x.event.name + (x.where ? " where " + dump(x.where) : "") +
             (x.within ? " within " + dump(x.within) : "") + ")";
    }
    std::string operator()(const ast::StopOn& x) const {
      return "(stop-on " + x.event.name + (x.where ? " " + dump(x.where) : "") + ")";
    }
    std::string operator()(const ast::QuietHours& x) const {
      std::string out = "(quiet " + std::to_string(x.from.minutes) + ".." + std::to_string(x.to.minutes);
      for (const auto& c : x.channels) out += " " + c.name;
      return out + ")";
    }
    std::string operator()(const ast::Limit& x) const {
      std::string out = "(limit " + std::to_string(x.count) + " per " + x.per.text;
      for (const auto& c : x.channels) out += " " + c.name;
      return out + ")";
    }
    std::string operator()(const ast::Reentry& x) const {
      switch (x.kind) {
        case ast::ReentryKind::Never: return "(reentry never)";
        case ast::ReentryKind::Parallel: return "(reentry parallel)";
        case ast::ReentryKind::After: return "(reentry after " + x.after.text + ")";
      }
      return "?";
    }
    std::string operator()(const ast::Control& x) const { return "(control " + x.share.text + ")"; }
    std::string operator()(const ast::Urgent&) const { return "(urgent)"; }
  };
  return std::visit(V{}, s.node);
}

inline std::string dump(const ast::Decl& d) {
  struct V {
    std::string operator()(const ast::Import& x) const { return "(import " + quote(x.path) + ")"; }
    std::string operator()(const ast::Segment& x) const { return "(segment " + x.name.name + " " + dump(x.expr) + ")"; }
    std::string operator()(const ast::Scenario& x) const {
      std::string out = "(scenario " + x.name.name + (x.title ? " " + quote(*x.title) : "");
      for (const auto& s : x.settings) out += " " + dump(s);
      out += " " + dump(x.body);
      return out + ")";
    }
  };
  return std::visit(V{}, d.node);
}

inline std::string dump(const ast::File& f) {
  std::string out;
  for (const auto& d : f.decls) out += dump(d) + "\n";
  return out;
}

}  // namespace cascade::test
