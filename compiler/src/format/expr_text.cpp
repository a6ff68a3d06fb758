#include "format/expr_text.hpp"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace cascade::format::detail {
namespace {

using namespace cascade::ast;

// The escapes of the language are \" \\ \n and \{ (a literal brace, not an
// interpolation). Everything else, UTF-8 included, is written as is.
//
// A string nested in an interpolation is written between escaped quotes, \"…\" (the
// outer string is still open; docs/language.md). Inside it \" would end it, so a quote
// in its text is written bare — the one place where the parser reads `"` as text.
void append_escaped(std::string& out, std::string_view text, bool nested) {
  for (const char c : text) {
    switch (c) {
      case '"':
        out += nested ? "\"" : "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '{':
        out += "\\{";
        break;
      default:
        out += c;
    }
  }
}

// True when the printed text of e starts with '-': a unary minus in front of it needs a
// space, or `- -x` would print as `--x`.
bool starts_with_minus(const Expr* e) {
  while (e != nullptr) {
    if (const auto* u = std::get_if<Unary>(&e->node)) return u->op == UnaryOp::Neg;
    if (const auto* i = std::get_if<IntLit>(&e->node)) return i->value < 0;
    if (const auto* d = std::get_if<DecimalLit>(&e->node))
      return !d->text.empty() ? d->text[0] == '-' : d->units < 0;
    if (const auto* b = std::get_if<Binary>(&e->node)) {
      e = b->lhs.get();
    } else if (const auto* m = std::get_if<Member>(&e->node)) {
      e = m->object.get();
    } else {
      return false;
    }
  }
  return false;
}

std::string decimal_text(const DecimalLit& d) {
  if (!d.text.empty()) return d.text;
  // Not from the parser: spell the scaled integer.
  const bool negative = d.units < 0;
  std::string digits = std::to_string(negative ? -(d.units + 1) + std::uint64_t{1} : std::uint64_t(d.units));
  if (digits.size() <= d.scale) digits.insert(0, d.scale + 1 - digits.size(), '0');
  if (d.scale > 0) digits.insert(digits.size() - d.scale, 1, '.');
  return negative ? "-" + digits : digits;
}

// The work stack: a piece is either finished text or an expression still to expand.
struct Piece {
  const Expr* expr = nullptr;
  std::string text;
  int depth = 0;  // of expr: how many interpolations enclose it
};

class Writer {
 public:
  std::string run(const Expr& root) {
    stack_.push_back(Piece{&root, {}});
    while (!stack_.empty()) {
      Piece p = std::move(stack_.back());
      stack_.pop_back();
      if (p.expr == nullptr) {
        out_ += p.text;
      } else {
        depth_ = p.depth;
        expand(*p.expr);
      }
    }
    return std::move(out_);
  }

 private:
  // Pieces are pushed in reverse, so the stack pops them in reading order.
  void text(std::string t) { stack_.push_back(Piece{nullptr, std::move(t)}); }
  void expr(const ExprPtr& e, int depth) {
    if (e) stack_.push_back(Piece{e.get(), {}, depth});
  }
  void expr(const ExprPtr& e) { expr(e, depth_); }
  void list(const std::vector<ExprPtr>& items) {
    for (std::size_t i = items.size(); i-- > 0;) {
      expr(items[i]);
      if (i > 0) text(", ");
    }
  }

  void expand(const Expr& e) {
    std::visit([&](const auto& n) { expand_node(n); }, e.node);
  }

  void expand_node(const BoolLit& n) { out_ += n.value ? "true" : "false"; }
  void expand_node(const IntLit& n) { out_ += std::to_string(n.value); }
  void expand_node(const DecimalLit& n) { out_ += decimal_text(n); }
  void expand_node(const DurationLit& n) { out_ += duration_text(n); }
  void expand_node(const ClockLit& n) { out_ += clock_text(n); }
  void expand_node(const PercentLit& n) { out_ += percent_text(n); }
  void expand_node(const StringLit& n) {
    const bool nested = depth_ > 0;
    const char* quote = nested ? "\\\"" : "\"";
    text(quote);
    for (std::size_t i = n.parts.size(); i-- > 0;) {
      const StringPart& part = n.parts[i];
      if (part.expr) {
        text("}");
        expr(part.expr, depth_ + 1);
        text("{");
      } else {
        std::string escaped;
        append_escaped(escaped, part.text, nested);
        text(std::move(escaped));
      }
    }
    out_ += quote;
  }
  void expand_node(const ListLit& n) {
    text("]");
    list(n.items);
    out_ += '[';
  }
  void expand_node(const NameRef& n) { out_ += n.name; }
  void expand_node(const Member& n) {
    text("." + n.member.name);
    expr(n.object);
  }
  void expand_node(const Call& n) {
    text(")");
    list(n.args);
    out_ += n.callee.name;
    out_ += '(';
  }
  void expand_node(const Unary& n) {
    expr(n.operand);
    if (n.op == UnaryOp::Not) {
      out_ += "not ";
    } else {
      out_ += starts_with_minus(n.operand.get()) ? "- " : "-";
    }
  }
  void expand_node(const Binary& n) {
    expr(n.rhs);
    text(std::string(" ") + std::string(spelling(n.op)) + " ");
    expr(n.lhs);
  }
  void expand_node(const Conditional& n) {
    expr(n.else_expr);
    text(" else ");
    expr(n.then_expr);
    text(" then ");
    expr(n.cond);
    out_ += "if ";
  }
  void expand_node(const Paren& n) {
    text(")");
    expr(n.inner);
    out_ += '(';
  }

  std::vector<Piece> stack_;
  std::string out_;
  int depth_ = 0;  // of the expression being expanded
};

}  // namespace

std::string expr_text(const Expr& expr) {
  return Writer().run(expr);
}

std::string quoted(std::string_view raw) {
  std::string out = "\"";
  append_escaped(out, raw, false);
  out += '"';
  return out;
}

std::string clock_text(const ClockLit& clock) {
  // The parser only produces 0 .. 24*60-1; anything else is printed as best it can be.
  const std::int32_t m = clock.minutes < 0 ? 0 : clock.minutes;
  const std::int32_t h = m / 60, min = m % 60;
  std::string out;
  if (h < 10) out += '0';
  out += std::to_string(h);
  out += ':';
  if (min < 10) out += '0';
  out += std::to_string(min);
  return out;
}

std::string duration_text(const DurationLit& d) {
  if (!d.text.empty()) return d.text;
  // Not from the parser: the canonical spelling, largest units first (1w2d3h4m5s).
  if (d.seconds <= 0) return "0s";
  static constexpr struct {
    std::int64_t seconds;
    char unit;
  } kUnits[] = {{7 * 86400, 'w'}, {86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  std::string out;
  std::int64_t rest = d.seconds;
  for (const auto& u : kUnits) {
    if (rest >= u.seconds) {
      out += std::to_string(rest / u.seconds);
      out += u.unit;
      rest %= u.seconds;
    }
  }
  return out;
}

std::string percent_text(const PercentLit& p) {
  if (!p.text.empty()) return p.text;
  // Not from the parser: basis points back to the shortest decimal spelling.
  std::string out = std::to_string(p.basis_points / 100);
  std::int64_t frac = p.basis_points % 100;
  if (frac < 0) frac = -frac;
  if (frac != 0) {
    out += '.';
    out += static_cast<char>('0' + frac / 10);
    if (frac % 10 != 0) out += static_cast<char>('0' + frac % 10);
  }
  return out + "%";
}

std::size_t width(std::string_view text) {
  std::size_t n = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace cascade::format::detail
