#include "convert.hpp"

#include <algorithm>
#include <boost/variant/apply_visitor.hpp>

#include "lexical.hpp"

namespace cascade::grammar::parser {

namespace {

using ast::BinaryOp;
using ast::ExprPtr;
using source::SourceSpan;

// Thrown when a statement, setting or declaration must be dropped (the error has been
// reported): its tree would be deeper than later passes can walk.
struct drop_node {};

// Binding strength; higher binds tighter. `not` is a prefix operator between `and` and
// the comparisons; unary minus binds tighter than `*`.
constexpr int kPrecOr = 1, kPrecAnd = 2, kPrecNot = 3, kPrecCompare = 4, kPrecCoalesce = 5, kPrecAdd = 6,
              kPrecMul = 7, kPrecNeg = 8;

int precedence(BinaryOp op) {
  switch (op) {
    case BinaryOp::Or: return kPrecOr;
    case BinaryOp::And: return kPrecAnd;
    case BinaryOp::Eq:
    case BinaryOp::Ne:
    case BinaryOp::Lt:
    case BinaryOp::Le:
    case BinaryOp::Gt:
    case BinaryOp::Ge:
    case BinaryOp::In: return kPrecCompare;
    case BinaryOp::Coalesce: return kPrecCoalesce;
    case BinaryOp::Add:
    case BinaryOp::Sub: return kPrecAdd;
    case BinaryOp::Mul:
    case BinaryOp::Div: return kPrecMul;
  }
  return kPrecOr;
}

// NodeIds: 1..n in pre-order (a node before its children, children in source order),
// assigned once the tree is final so that dropped constructs leave no gaps.
class Numbering {
 public:
  ast::NodeId run(ast::File& f) {
    for (auto& d : f.decls) {
      std::visit(
          [&](auto& n) {
            using T = std::decay_t<decltype(n)>;
            if constexpr (std::is_same_v<T, ast::Segment>) {
              expr(n.expr);
            } else if constexpr (std::is_same_v<T, ast::Scenario>) {
              for (auto& s : n.settings) setting(s);
              block(n.body);
            }
          },
          d.node);
    }
    return next_;
  }

 private:
  void expr(ExprPtr& e) {
    if (!e) return;
    e->id = ++next_;
    std::visit(
        [&](auto& n) {
          using T = std::decay_t<decltype(n)>;
          if constexpr (std::is_same_v<T, ast::StringLit>) {
            for (auto& p : n.parts) expr(p.expr);
          } else if constexpr (std::is_same_v<T, ast::ListLit>) {
            for (auto& i : n.items) expr(i);
          } else if constexpr (std::is_same_v<T, ast::Member>) {
            expr(n.object);
          } else if constexpr (std::is_same_v<T, ast::Call>) {
            for (auto& a : n.args) expr(a);
          } else if constexpr (std::is_same_v<T, ast::Unary>) {
            expr(n.operand);
          } else if constexpr (std::is_same_v<T, ast::Binary>) {
            expr(n.lhs);
            expr(n.rhs);
          } else if constexpr (std::is_same_v<T, ast::Conditional>) {
            expr(n.cond);
            expr(n.then_expr);
            expr(n.else_expr);
          } else if constexpr (std::is_same_v<T, ast::Paren>) {
            expr(n.inner);
          }
        },
        e->node);
  }
  void content(ast::Content& c) {
    if (auto* e = std::get_if<ExprPtr>(&c.value)) {
      expr(*e);
    } else {
      for (auto& a : std::get<ast::TemplateRef>(c.value).args) expr(a.value);
    }
  }
  void block(ast::Block& b) {
    for (auto& s : b.stmts) stmt(s);
  }
  void stmt(ast::Stmt& s) {
    s.id = ++next_;
    std::visit(
        [&](auto& n) {
          using T = std::decay_t<decltype(n)>;
          if constexpr (std::is_same_v<T, ast::Send>) {
            content(n.content);
          } else if constexpr (std::is_same_v<T, ast::Wait>) {
            expr(n.duration);
          } else if constexpr (std::is_same_v<T, ast::WaitUntil>) {
            expr(n.time);
          } else if constexpr (std::is_same_v<T, ast::IfNot>) {
            expr(n.outcome.where);
            expr(n.within);
            block(n.then_block);
            if (n.else_block) block(*n.else_block);
          } else if constexpr (std::is_same_v<T, ast::If>) {
            expr(n.cond);
            block(n.then_block);
            if (n.else_block) block(*n.else_block);
          } else if constexpr (std::is_same_v<T, ast::CascadeUntil>) {
            expr(n.until.where);
            for (auto& st : n.steps) {
              content(st.content);
              expr(st.within);
            }
          } else if constexpr (std::is_same_v<T, ast::Split>) {
            for (auto& b : n.branches)
              if (b.body) block(*b.body);
          } else if constexpr (std::is_same_v<T, ast::Let>) {
            expr(n.value);
          }
        },
        s.node);
  }
  void setting(ast::Setting& s) {
    s.id = ++next_;
    std::visit(
        [&](auto& n) {
          using T = std::decay_t<decltype(n)>;
          if constexpr (std::is_same_v<T, ast::TriggerEvent> || std::is_same_v<T, ast::StopOn>) {
            expr(n.where);
          } else if constexpr (std::is_same_v<T, ast::Audience>) {
            expr(n.expr);
          } else if constexpr (std::is_same_v<T, ast::Goal>) {
            expr(n.where);
            expr(n.within);
          }
        },
        s.node);
  }

  ast::NodeId next_ = 0;
};

ast::NodeId assign_ids(ast::File& f) { return Numbering().run(f); }

}  // namespace

class Converter {
 public:
  Converter(parse_state& state, std::string_view text, source::FileId file) : state_(state), text_(text), file_(file) {}

  // Appends the converted declaration (nothing for a failed one).
  void add(x3ast::decl& d, ast::File& out) {
    try {
      auto decl = declaration(d);
      if (decl) out.decls.push_back(std::move(*decl));
    } catch (const drop_node&) {
    }
  }

 private:
  // An expression under construction, with its height (for kMaxExprDepth).
  struct Built {
    ExprPtr expr;
    int height = 1;
  };

  SourceSpan span(std::uint32_t b, std::uint32_t e) const { return SourceSpan{file_, b, e}; }
  SourceSpan span(const x3ast::tagged& t) const { return span(t.begin, t.end); }
  std::string_view text(const x3ast::tagged& t) const { return text_.substr(t.begin, t.end - t.begin); }
  ast::Ident ident(x3ast::ident& i) { return ast::Ident{std::move(i.name), span(i)}; }

  template <typename Node>
  Built make(SourceSpan s, Node&& node, int height) {
    auto e = std::make_unique<ast::Expr>();
    e->span = s;
    e->node = std::forward<Node>(node);
    if (height > kMaxExprDepth) {
      state_.report(SyntaxError{SyntaxErrorKind::NestingTooDeep, s,
                                "an expression at most " + std::to_string(kMaxExprDepth) + " levels deep",
                                "a longer chain of operators"});
      throw drop_node{};
    }
    return Built{std::move(e), height};
  }

  // ---- expressions --------------------------------------------------------------------

  Built expr(x3ast::expr& e) {
    return boost::apply_visitor(
        [&](auto& node) -> Built {
          using T = std::decay_t<decltype(node)>;
          if constexpr (std::is_same_v<T, x3ast::chain>) {
            return chain(node);
          } else {
            auto& c = node;
            Built cond = expr(c.parts.at(0));
            Built then_expr = expr(c.parts.at(1));
            Built else_expr = expr(c.parts.at(2));
            const int h = 1 + std::max({cond.height, then_expr.height, else_expr.height});
            return make(span(c),
                        ast::Conditional{std::move(cond.expr), std::move(then_expr.expr), std::move(else_expr.expr)},
                        h);
          }
        },
        e.get());
  }

  ExprPtr expr_ptr(x3ast::expr& e) { return expr(e).expr; }

  // Shunting-yard over operands, binary operators and prefix operators.
  Built chain(x3ast::chain& c) {
    struct Op {
      bool prefix = false;
      BinaryOp binary = BinaryOp::Or;
      char unary = 'n';
      int prec = 0;
      std::uint32_t begin = 0, end = 0;  // the operator token
    };
    std::vector<Built> operands;
    std::vector<Op> ops;
    operands.reserve(c.rest.size() + 1);

    auto reduce = [&]() {
      Op op = ops.back();
      ops.pop_back();
      if (op.prefix) {
        Built operand = std::move(operands.back());
        operands.pop_back();
        const SourceSpan s = span(op.begin, operand.expr->span.end);
        const int h = operand.height + 1;
        operands.push_back(make(
            s, ast::Unary{op.unary == '-' ? ast::UnaryOp::Neg : ast::UnaryOp::Not, std::move(operand.expr)}, h));
        return;
      }
      Built rhs = std::move(operands.back());
      operands.pop_back();
      Built lhs = std::move(operands.back());
      operands.pop_back();
      const SourceSpan s = source::cover(lhs.expr->span, rhs.expr->span);
      const int h = 1 + std::max(lhs.height, rhs.height);
      operands.push_back(make(s, ast::Binary{op.binary, std::move(lhs.expr), std::move(rhs.expr)}, h));
    };

    auto push_operand = [&](x3ast::operand& o) {
      for (const auto& p : o.prefixes) {
        ops.push_back(Op{true, BinaryOp::Or, p.op, p.op == '-' ? kPrecNeg : kPrecNot, p.begin, p.end});
      }
      operands.push_back(postfix(o.value));
    };

    push_operand(c.first);
    // The comparison that produced the operand on top of the stack, if it has not been
    // combined with anything looser yet: `a < b < c` is an error, not (a < b) < c.
    for (auto& step : c.rest) {
      const auto op = static_cast<BinaryOp>(step.op.op);
      const int prec = precedence(op);
      const bool right_assoc = op == BinaryOp::Coalesce;
      while (!ops.empty() && (right_assoc ? ops.back().prec > prec : ops.back().prec >= prec)) {
        if (prec == kPrecCompare && !ops.back().prefix && ops.back().prec == kPrecCompare) {
          state_.report(SyntaxError{SyntaxErrorKind::Expected, span(step.op),
                                    "'and' or 'or' between two comparisons (comparisons do not chain)",
                                    "'" + std::string(text(step.op)) + "'"});
        }
        reduce();
      }
      ops.push_back(Op{false, op, 'n', prec, step.op.begin, step.op.end});
      push_operand(step.rhs);
    }
    while (!ops.empty()) reduce();
    return std::move(operands.back());
  }

  Built postfix(x3ast::postfix& p) {
    Built base = primary(p.base);
    for (auto& m : p.members) {
      const SourceSpan s = span(base.expr->span.begin, m.end);
      const int h = base.height + 1;
      base = make(s, ast::Member{std::move(base.expr), ident(m)}, h);
    }
    return base;
  }

  Built primary(x3ast::primary& p) {
    return boost::apply_visitor(
        [&](auto& node) -> Built {
          using T = std::decay_t<decltype(node)>;
          if constexpr (std::is_same_v<T, x3ast::number>) {
            return number(node);
          } else if constexpr (std::is_same_v<T, x3ast::bool_lit>) {
            return make(span(node), ast::BoolLit{node.value}, 1);
          } else if constexpr (std::is_same_v<T, x3ast::string_lit>) {
            return string(node);
          } else if constexpr (std::is_same_v<T, x3ast::list_lit>) {
            auto& l = node;
            ast::ListLit list;
            int h = 0;
            for (auto& item : l.items) {
              Built b = expr(item);
              h = std::max(h, b.height);
              list.items.push_back(std::move(b.expr));
            }
            return make(span(l), std::move(list), h + 1);
          } else if constexpr (std::is_same_v<T, x3ast::paren>) {
            auto& par = node;
            Built inner = expr(par.inner.at(0));
            const int h = inner.height + 1;
            return make(span(par), ast::Paren{std::move(inner.expr)}, h);
          } else {
            static_assert(std::is_same_v<T, x3ast::name_or_call>);
            if (!node.args) return make(span(node), ast::NameRef{std::move(node.name.name)}, 1);
            ast::Call call;
            call.callee = ident(node.name);
            int h = 0;
            for (auto& a : *node.args) {
              Built b = expr(a);
              h = std::max(h, b.height);
              call.args.push_back(std::move(b.expr));
            }
            return make(span(node), std::move(call), h + 1);
          }
        },
        p.get());
  }

  ast::DurationLit duration(const x3ast::number& n) {
    return ast::DurationLit{n.value, lex::canonical_duration(text(n))};
  }
  ast::PercentLit percent(const x3ast::number& n) { return ast::PercentLit{n.value, std::string(text(n))}; }
  ast::ClockLit clock(const x3ast::number& n) { return ast::ClockLit{static_cast<std::int32_t>(n.value)}; }

  Built number(const x3ast::number& n) {
    using K = x3ast::number_kind;
    switch (n.kind) {
      case K::integer: return make(span(n), ast::IntLit{n.value}, 1);
      case K::decimal: return make(span(n), ast::DecimalLit{std::string(text(n)), n.value, n.scale}, 1);
      case K::duration: return make(span(n), duration(n), 1);
      case K::clock: return make(span(n), clock(n), 1);
      case K::percent: return make(span(n), percent(n), 1);
    }
    return make(span(n), ast::IntLit{n.value}, 1);
  }

  Built string(x3ast::string_lit& s) {
    ast::StringLit lit;
    lit.parts.reserve(s.pieces.size());
    int h = 0;
    for (auto& piece : s.pieces) {
      ast::StringPart part;
      part.span = span(piece);
      if (piece.expr >= 0) {
        Built b = expr(s.exprs[static_cast<std::size_t>(piece.expr)]);
        h = std::max(h, b.height);
        part.expr = std::move(b.expr);
      } else {
        part.text = std::move(piece.text);
      }
      lit.parts.push_back(std::move(part));
    }
    return make(span(s), std::move(lit), h + 1);
  }

  // A string that may not interpolate (a title, a template name, an import path).
  std::string plain_string(x3ast::string_lit& s, const char* what) {
    std::string out;
    for (auto& piece : s.pieces) {
      if (piece.expr >= 0) {
        state_.report(SyntaxError{SyntaxErrorKind::Expected, span(piece), what, "an interpolation {…}"});
        continue;
      }
      out += piece.text;
    }
    return out;
  }

  // ---- content and outcomes -------------------------------------------------------------

  ast::Content content(x3ast::content& c) {
    return boost::apply_visitor(
        [&](auto& node) -> ast::Content {
          using T = std::decay_t<decltype(node)>;
          if constexpr (std::is_same_v<T, x3ast::string_lit>) {
            const SourceSpan s = span(node);
            return ast::Content{s, string(node).expr};
          } else {
            ast::TemplateRef ref;
            ref.name = plain_string(node.name, "a template name without {…}");
            ref.name_span = span(node.name);
            if (node.with) {
              ref.has_with = true;
              for (auto& arg : node.with->args) {
                ref.args.push_back(ast::TemplateArg{ident(arg.key), expr_ptr(arg.value)});
              }
            }
            return ast::Content{span(node), std::move(ref)};
          }
        },
        c.get());
  }

  ast::Outcome outcome(x3ast::outcome& o) {
    return boost::apply_visitor(
        [&](auto& node) -> ast::Outcome {
          using T = std::decay_t<decltype(node)>;
          ast::Outcome out;
          out.span = span(node);
          if constexpr (std::is_same_v<T, x3ast::message_outcome>) {
            out.kind = node.kind == 'o'   ? ast::OutcomeKind::Opened
                       : node.kind == 'c' ? ast::OutcomeKind::Clicked
                                          : ast::OutcomeKind::Delivered;
            if (node.message) out.message = ident(*node.message);
          } else {
            out.kind = ast::OutcomeKind::Event;
            out.event = ident(node.event);
            if (node.where) out.where = expr_ptr(*node.where);
          }
          return out;
        },
        o.get());
  }

  // ---- statements -----------------------------------------------------------------------

  // Blocks nest at most kMaxNesting deep (the grammar's guard counts real braces; an
  // `else if` chain nests without braces and is counted here).
  void enter_block(SourceSpan where) {
    if (++block_depth_ > kMaxNesting) {
      --block_depth_;
      state_.report(SyntaxError{SyntaxErrorKind::NestingTooDeep, where,
                                "at most " + std::to_string(kMaxNesting) + " levels of nesting",
                                "a deeper block or 'else if' chain"});
      throw drop_node{};
    }
  }

  ast::Block block(x3ast::block& b) {
    ast::Block out;
    out.span = span(b.open.begin, b.close.end);
    enter_block(out.span);
    struct leave {
      int& depth;
      ~leave() { --depth; }
    } leave_block{block_depth_};
    out.stmts = statements(b.stmts);
    return out;
  }

  std::vector<ast::Stmt> statements(std::vector<x3ast::stmt>& stmts) {
    std::vector<ast::Stmt> out;
    out.reserve(stmts.size());
    for (auto& s : stmts) {
      try {
        auto st = statement(s);
        if (st) out.push_back(std::move(*st));
      } catch (const drop_node&) {
      }
    }
    return out;
  }

  std::optional<ast::Stmt> statement(x3ast::stmt& s) {
    return boost::apply_visitor(
        [&](auto& node) -> std::optional<ast::Stmt> {
          using T = std::decay_t<decltype(node)>;
          if constexpr (std::is_same_v<T, x3ast::bad>) {
            return std::nullopt;
          } else if constexpr (std::is_same_v<T, x3ast::if_stmt>) {
            return if_statement(node);
          } else if constexpr (std::is_same_v<T, x3ast::split_stmt>) {
            return stmt_of(span(node), split(node));
          } else if constexpr (std::is_same_v<T, x3ast::send_stmt>) {
            ast::Send send;
            send.channel = ident(node.channel);
            send.content = content(node.body);
            if (node.as) send.as = ident(*node.as);
            return stmt_of(span(node), std::move(send));
          } else if constexpr (std::is_same_v<T, x3ast::wait_stmt>) {
            ExprPtr value = expr_ptr(node.value);
            ast::Stmt st;
            st.span = span(node);
            if (node.until) {
              st.node = ast::WaitUntil{std::move(value)};
            } else {
              st.node = ast::Wait{std::move(value)};
            }
            return st;
          } else if constexpr (std::is_same_v<T, x3ast::cascade_stmt>) {
            ast::CascadeUntil c;
            c.until = outcome(node.until);
            c.body_span = span(node.open.begin, node.close.end);
            for (auto& step : node.steps) {
              if (step.failed) continue;
              ast::CascadeStep out;
              out.channel = ident(step.channel);
              out.content = content(step.body);
              if (step.within) out.within = expr_ptr(*step.within);
              out.span = span(step);
              c.steps.push_back(std::move(out));
            }
            ast::Stmt st;
            st.span = span(node);
            st.node = std::move(c);
            return st;
          } else if constexpr (std::is_same_v<T, x3ast::let_stmt>) {
            ast::Let let{ident(node.name), expr_ptr(node.value)};
            ast::Stmt st;
            st.span = span(node);
            st.node = std::move(let);
            return st;
          } else {
            static_assert(std::is_same_v<T, x3ast::stop_stmt>);
            return stmt_of(span(node), ast::StopStmt{});
          }
        },
        s.get());
  }

  template <typename Node>
  ast::Stmt stmt_of(SourceSpan s, Node&& node) {
    ast::Stmt st;
    st.span = s;
    st.node = std::forward<Node>(node);
    return st;
  }

  ast::Split split(x3ast::split_stmt& s) {
    ast::Split out;
    out.body_span = span(s.open.begin, s.close.end);
    for (auto& b : s.branches) {
      if (b.failed) continue;
      ast::SplitBranch branch;
      branch.share = percent(b.share);
      branch.share_span = span(b.share);
      branch.name = ident(b.name);
      branch.span = span(b);
      boost::apply_visitor(
          [&](auto& body) {
            using T = std::decay_t<decltype(body)>;
            if constexpr (std::is_same_v<T, x3ast::control_word>) {
              branch.is_control = true;
            } else {
              branch.body = block(body);
            }
          },
          b.body.get());
      out.branches.push_back(std::move(branch));
    }
    return out;
  }

  // `if … else if … else …`: the clauses nest from the last one outwards, each `else if`
  // becoming an else block that holds one If (or IfNot) statement.
  std::optional<ast::Stmt> if_statement(x3ast::if_stmt& s) {
    const std::size_t n = s.clauses.size();
    if (n == 0) return std::nullopt;
    if (block_depth_ + static_cast<int>(n) > kMaxNesting) {
      state_.report(SyntaxError{SyntaxErrorKind::NestingTooDeep, span(s.clauses[0].begin, s.clauses[0].end),
                                "at most " + std::to_string(kMaxNesting) + " levels of nesting",
                                "a chain of " + std::to_string(n) + " 'else if'"});
      throw drop_node{};
    }
    // Convert each clause's condition and body at its own depth.
    struct Clause {
      bool is_not = false;
      ast::Outcome outcome;
      ExprPtr within;
      ExprPtr cond;
      ast::Block body;
    };
    std::vector<Clause> clauses(n);
    const int base_depth = block_depth_;
    struct restore {
      int& depth;
      int value;
      ~restore() { depth = value; }
    } restore_depth{block_depth_, base_depth};
    for (std::size_t i = 0; i < n; ++i) {
      block_depth_ = base_depth + static_cast<int>(i);
      auto& c = s.clauses[i];
      boost::apply_visitor(
          [&](auto& cond) {
            using T = std::decay_t<decltype(cond)>;
            if constexpr (std::is_same_v<T, x3ast::not_within>) {
              clauses[i].is_not = true;
              clauses[i].outcome = outcome(cond.what);
              clauses[i].within = expr_ptr(cond.within);
            } else {
              clauses[i].cond = expr_ptr(cond);
            }
          },
          c.cond.get());
      clauses[i].body = block(c.body);
    }
    block_depth_ = base_depth + static_cast<int>(n) - 1;
    std::optional<ast::Block> else_block;
    if (s.else_block) else_block = block(*s.else_block);

    std::optional<ast::Stmt> built;
    for (std::size_t k = n; k-- > 0;) {
      ast::Stmt st;
      st.span = span(s.clauses[k].begin, s.end);
      std::optional<ast::Block> else_part;
      const bool else_if = built.has_value();
      if (built) {
        ast::Block b;
        b.span = built->span;
        b.stmts.push_back(std::move(*built));
        else_part = std::move(b);
      } else {
        else_part = std::move(else_block);
      }
      auto& c = clauses[k];
      if (c.is_not) {
        ast::IfNot node;
        node.outcome = std::move(c.outcome);
        node.within = std::move(c.within);
        node.then_block = std::move(c.body);
        node.else_block = std::move(else_part);
        node.else_if = else_if;
        st.node = std::move(node);
      } else {
        ast::If node;
        node.cond = std::move(c.cond);
        node.then_block = std::move(c.body);
        node.else_block = std::move(else_part);
        node.else_if = else_if;
        st.node = std::move(node);
      }
      built = std::move(st);
    }
    return built;
  }

  // ---- settings -------------------------------------------------------------------------

  std::optional<ast::Setting> setting(x3ast::setting& s) {
    return boost::apply_visitor(
        [&](auto& node) -> std::optional<ast::Setting> {
          using T = std::decay_t<decltype(node)>;
          if constexpr (std::is_same_v<T, x3ast::bad>) {
            return std::nullopt;
          } else {
            ast::Setting out;
            out.span = span(node);
            if constexpr (std::is_same_v<T, x3ast::trigger_event>) {
              ast::TriggerEvent t;
              t.event = ident(node.event);
              if (node.where) t.where = expr_ptr(*node.where);
              out.node = std::move(t);
            } else if constexpr (std::is_same_v<T, x3ast::trigger_every>) {
              ast::TriggerEvery t;
              t.every = duration(node.every);
              t.every_span = span(node.every);
              if (node.at) {
                t.at = clock(*node.at);
                t.at_span = span(*node.at);
              }
              out.node = std::move(t);
            } else if constexpr (std::is_same_v<T, x3ast::trigger_manual>) {
              out.node = ast::TriggerManual{};
            } else if constexpr (std::is_same_v<T, x3ast::audience_setting>) {
              out.node = ast::Audience{expr_ptr(node.value)};
            } else if constexpr (std::is_same_v<T, x3ast::goal_setting>) {
              ast::Goal g;
              g.event = ident(node.event);
              if (node.where) g.where = expr_ptr(*node.where);
              if (node.within) g.within = expr_ptr(*node.within);
              out.node = std::move(g);
            } else if constexpr (std::is_same_v<T, x3ast::stop_on_setting>) {
              ast::StopOn so;
              so.event = ident(node.event);
              if (node.where) so.where = expr_ptr(*node.where);
              out.node = std::move(so);
            } else if constexpr (std::is_same_v<T, x3ast::quiet_setting>) {
              ast::QuietHours q;
              q.from = clock(node.from);
              q.to = clock(node.to);
              q.range_span = span(node.from.begin, node.to.end);
              for (auto& c : node.channels) q.channels.push_back(ident(c));
              out.node = std::move(q);
            } else if constexpr (std::is_same_v<T, x3ast::limit_setting>) {
              ast::Limit l;
              l.count = node.count.value;
              l.per = duration(node.per);
              l.per_span = span(node.per);
              for (auto& c : node.channels) l.channels.push_back(ident(c));
              out.node = std::move(l);
            } else if constexpr (std::is_same_v<T, x3ast::reentry_setting>) {
              ast::Reentry r;
              r.kind = node.kind == 'a'   ? ast::ReentryKind::After
                       : node.kind == 'p' ? ast::ReentryKind::Parallel
                                          : ast::ReentryKind::Never;
              if (node.after) r.after = duration(*node.after);
              out.node = std::move(r);
            } else if constexpr (std::is_same_v<T, x3ast::control_setting>) {
              out.node = ast::Control{percent(node.share)};
            } else {
              static_assert(std::is_same_v<T, x3ast::urgent_setting>);
              out.node = ast::Urgent{};
            }
            return out;
          }
        },
        s.get());
  }

  // ---- declarations ---------------------------------------------------------------------

  std::optional<ast::Decl> declaration(x3ast::decl& d) {
    return boost::apply_visitor(
        [&](auto& node) -> std::optional<ast::Decl> {
          using T = std::decay_t<decltype(node)>;
          if constexpr (std::is_same_v<T, x3ast::bad>) {
            return std::nullopt;
          } else if constexpr (std::is_same_v<T, x3ast::import_decl>) {
            ast::Import imp;
            imp.path = plain_string(node.path, "a file name without {…}");
            imp.path_span = span(node.path);
            return ast::Decl{span(node), std::move(imp)};
          } else if constexpr (std::is_same_v<T, x3ast::segment_decl>) {
            return ast::Decl{span(node), ast::Segment{ident(node.name), expr_ptr(node.value)}};
          } else {
            auto& sc = node;
            ast::Scenario out;
            out.name = ident(sc.name);
            if (sc.title) {
              out.title = plain_string(*sc.title, "a title without {…}");
              out.title_span = span(*sc.title);
            }
            for (auto& s : sc.settings) {
              try {
                auto st = setting(s);
                if (st) out.settings.push_back(std::move(*st));
              } catch (const drop_node&) {
              }
            }
            out.body.span = span(sc.open.begin, sc.close.end);
            block_depth_ = 1;
            out.body.stmts = statements(sc.stmts);
            block_depth_ = 0;
            return ast::Decl{span(sc), std::move(out)};
          }
        },
        d.get());
  }

  parse_state& state_;
  std::string_view text_;
  source::FileId file_;
  int block_depth_ = 0;
};

FileBuilder::FileBuilder(parse_state& state, std::string_view text, source::FileId file)
    : converter_(std::make_unique<Converter>(state, text, file)) {
  file_.file = file;
}

FileBuilder::~FileBuilder() = default;

void FileBuilder::add(x3ast::decl& decl) { converter_->add(decl, file_); }

ast::File FileBuilder::finish() {
  file_.node_count = assign_ids(file_);
  return std::move(file_);
}

}  // namespace cascade::grammar::parser
