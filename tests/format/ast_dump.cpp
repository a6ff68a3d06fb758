#include "ast_dump.hpp"

#include <string>
#include <variant>

namespace cascade::testing {
namespace {

using namespace cascade::ast;

// Every alternative is spelled out (no generic fallback), so a node kind added to the
// AST without a case here fails to compile instead of dumping as nothing.
class Dumper {
 public:
  std::string out;

  void file(const File& f) {
    for (const Decl& d : f.decls) {
      std::visit([&](const auto& n) { decl(n); }, d.node);
      out += '\n';
    }
  }

 private:
  void str(const std::string& s) {
    out += '"';
    for (const char c : s) {
      if (c == '"' || c == '\\') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    out += '"';
  }
  void opt(const ExprPtr& e) {
    if (e) {
      expr(*e);
    } else {
      out += "_";
    }
  }

  void decl(const Import& n) {
    out += "(import ";
    str(n.path);
    out += ")";
  }
  void decl(const Segment& n) {
    out += "(segment " + n.name.name + " ";
    opt(n.expr);
    out += ")";
  }
  void decl(const Scenario& n) {
    out += "(scenario " + n.name.name + " ";
    if (n.title) {
      str(*n.title);
    } else {
      out += "_";
    }
    for (const Setting& s : n.settings) {
      out += "\n  ";
      std::visit([&](const auto& x) { setting(x); }, s.node);
    }
    out += "\n  ";
    block(n.body);
    out += ")";
  }

  void channels(const std::vector<Ident>& cs) {
    out += "[";
    for (const Ident& c : cs) out += " " + c.name;
    out += "]";
  }
  void duration(const DurationLit& d) { out += "(dur " + std::to_string(d.seconds) + " " + d.text + ")"; }
  void clock(const ClockLit& c) { out += "(clock " + std::to_string(c.minutes) + ")"; }
  void percent(const PercentLit& p) { out += "(pct " + std::to_string(p.basis_points) + " " + p.text + ")"; }

  void setting(const TriggerEvent& s) {
    out += "(trigger " + s.event.name + " ";
    opt(s.where);
    out += ")";
  }
  void setting(const TriggerEvery& s) {
    out += "(trigger-every ";
    duration(s.every);
    out += " ";
    if (s.at) {
      clock(*s.at);
    } else {
      out += "_";
    }
    out += ")";
  }
  void setting(const TriggerManual&) { out += "(trigger-manual)"; }
  void setting(const Audience& s) {
    out += "(audience ";
    opt(s.expr);
    out += ")";
  }
  void setting(const Goal& s) {
    out += "(goal " + s.event.name + " ";
    opt(s.where);
    out += " ";
    opt(s.within);
    out += ")";
  }
  void setting(const StopOn& s) {
    out += "(stop-on " + s.event.name + " ";
    opt(s.where);
    out += ")";
  }
  void setting(const QuietHours& s) {
    out += "(quiet ";
    clock(s.from);
    clock(s.to);
    channels(s.channels);
    out += ")";
  }
  void setting(const Limit& s) {
    out += "(limit " + std::to_string(s.count) + " ";
    duration(s.per);
    channels(s.channels);
    out += ")";
  }
  void setting(const Reentry& s) {
    out += "(reentry " + std::to_string(static_cast<int>(s.kind)) + " ";
    duration(s.after);
    out += ")";
  }
  void setting(const Control& s) {
    out += "(control ";
    percent(s.share);
    out += ")";
  }
  void setting(const Urgent&) { out += "(urgent)"; }

  void block(const Block& b) {
    out += "{";
    for (const Stmt& s : b.stmts) {
      out += " ";
      std::visit([&](const auto& x) { stmt(x); }, s.node);
    }
    out += "}";
  }

  void content(const Content& c) {
    if (const auto* e = std::get_if<ExprPtr>(&c.value)) {
      opt(*e);
      return;
    }
    const auto& t = std::get<TemplateRef>(c.value);
    out += "(template ";
    str(t.name);
    out += t.has_with ? " with" : " nowith";
    for (const TemplateArg& a : t.args) {
      out += " (" + a.key.name + " ";
      opt(a.value);
      out += ")";
    }
    out += ")";
  }
  void outcome(const Outcome& o) {
    out += "(outcome " + std::to_string(static_cast<int>(o.kind)) + " ";
    out += o.message ? o.message->name : "_";
    if (o.kind == OutcomeKind::Event) {
      out += " " + o.event.name + " ";
      opt(o.where);
    }
    out += ")";
  }

  void stmt(const Send& s) {
    out += "(send " + s.channel.name + " ";
    content(s.content);
    out += " " + (s.as ? s.as->name : std::string("_")) + ")";
  }
  void stmt(const Wait& s) {
    out += "(wait ";
    opt(s.duration);
    out += ")";
  }
  void stmt(const WaitUntil& s) {
    out += "(wait-until ";
    opt(s.time);
    out += ")";
  }
  void stmt(const IfNot& s) {
    out += "(if-not ";
    outcome(s.outcome);
    out += " ";
    opt(s.within);
    out += " ";
    block(s.then_block);
    if (s.else_block) {
      out += " else ";
      block(*s.else_block);
    }
    out += ")";
  }
  void stmt(const If& s) {
    out += "(if ";
    opt(s.cond);
    out += " ";
    block(s.then_block);
    if (s.else_block) {
      out += s.else_if ? " else-if " : " else ";
      block(*s.else_block);
    }
    out += ")";
  }
  void stmt(const CascadeUntil& s) {
    out += "(cascade ";
    outcome(s.until);
    for (const CascadeStep& st : s.steps) {
      out += " (step " + st.channel.name + " ";
      content(st.content);
      out += " ";
      opt(st.within);
      out += ")";
    }
    out += ")";
  }
  void stmt(const Split& s) {
    out += "(split";
    for (const SplitBranch& b : s.branches) {
      out += " (";
      percent(b.share);
      out += " " + b.name.name;
      if (b.is_control) out += " control";
      if (b.body) {
        out += " ";
        block(*b.body);
      }
      out += ")";
    }
    out += ")";
  }
  void stmt(const Let& s) {
    out += "(let " + s.name.name + " ";
    opt(s.value);
    out += ")";
  }
  void stmt(const StopStmt&) { out += "(stop)"; }

  void expr(const Expr& e) {
    std::visit([&](const auto& x) { node(x); }, e.node);
  }
  void node(const BoolLit& n) { out += n.value ? "true" : "false"; }
  void node(const IntLit& n) { out += std::to_string(n.value); }
  void node(const DecimalLit& n) {
    out += "(dec " + std::to_string(n.units) + "e-" + std::to_string(n.scale) + " " + n.text + ")";
  }
  void node(const DurationLit& n) { duration(n); }
  void node(const ClockLit& n) { clock(n); }
  void node(const PercentLit& n) { percent(n); }
  void node(const StringLit& n) {
    out += "(str";
    for (const StringPart& p : n.parts) {
      out += " ";
      if (p.expr) {
        out += "{";
        expr(*p.expr);
        out += "}";
      } else {
        str(p.text);
      }
    }
    out += ")";
  }
  void node(const ListLit& n) {
    out += "[";
    for (const ExprPtr& i : n.items) {
      out += " ";
      opt(i);
    }
    out += "]";
  }
  void node(const NameRef& n) { out += n.name; }
  void node(const Member& n) {
    out += "(. ";
    opt(n.object);
    out += " " + n.member.name + ")";
  }
  void node(const Call& n) {
    out += "(call " + n.callee.name;
    for (const ExprPtr& a : n.args) {
      out += " ";
      opt(a);
    }
    out += ")";
  }
  void node(const Unary& n) {
    out += n.op == UnaryOp::Not ? "(not " : "(neg ";
    opt(n.operand);
    out += ")";
  }
  void node(const Binary& n) {
    out += "(op" + std::to_string(static_cast<int>(n.op)) + " ";
    opt(n.lhs);
    out += " ";
    opt(n.rhs);
    out += ")";
  }
  void node(const Conditional& n) {
    out += "(cond ";
    opt(n.cond);
    out += " ";
    opt(n.then_expr);
    out += " ";
    opt(n.else_expr);
    out += ")";
  }
  void node(const Paren& n) {
    out += "(paren ";
    opt(n.inner);
    out += ")";
  }
};

}  // namespace

std::string dump(const File& file) {
  Dumper d;
  d.file(file);
  return d.out;
}

}  // namespace cascade::testing
