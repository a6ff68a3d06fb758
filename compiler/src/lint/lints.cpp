#include "lint/lints.hpp"

#include <fmt/format.h>

#include <string>
#include <variant>

#include "cascade/stdlib/sms.hpp"
#include "check/text.hpp"

namespace cascade::lint {
namespace {

using diag::Code;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::optional<std::int64_t> constant_int(const ast::Expr* e, int depth) {
  if (!e || depth > 64) return std::nullopt;
  if (const auto* i = std::get_if<ast::IntLit>(&e->node)) return i->value;
  if (const auto* p = std::get_if<ast::Paren>(&e->node)) return constant_int(p->inner.get(), depth + 1);
  return std::nullopt;
}

std::optional<std::int64_t> constant_seconds_at(const ast::Expr* e, int depth) {
  if (!e || depth > 64) return std::nullopt;
  if (const auto* d = std::get_if<ast::DurationLit>(&e->node)) return d->seconds;
  if (const auto* p = std::get_if<ast::Paren>(&e->node)) return constant_seconds_at(p->inner.get(), depth + 1);
  if (const auto* u = std::get_if<ast::Unary>(&e->node)) {
    if (u->op != ast::UnaryOp::Neg) return std::nullopt;
    auto v = constant_seconds_at(u->operand.get(), depth + 1);
    if (!v || *v == INT64_MIN) return std::nullopt;
    return -*v;
  }
  if (const auto* b = std::get_if<ast::Binary>(&e->node)) {
    std::int64_t r = 0;
    if (b->op == ast::BinaryOp::Add || b->op == ast::BinaryOp::Sub) {
      auto l = constant_seconds_at(b->lhs.get(), depth + 1);
      auto rr = constant_seconds_at(b->rhs.get(), depth + 1);
      if (!l || !rr) return std::nullopt;
      const bool overflow = b->op == ast::BinaryOp::Add ? __builtin_add_overflow(*l, *rr, &r)
                                                        : __builtin_sub_overflow(*l, *rr, &r);
      if (overflow) return std::nullopt;
      return r;
    }
    if (b->op == ast::BinaryOp::Mul) {
      auto l = constant_seconds_at(b->lhs.get(), depth + 1);
      auto k = constant_int(b->rhs.get(), depth + 1);
      if (!l || !k) {
        l = constant_seconds_at(b->rhs.get(), depth + 1);
        k = constant_int(b->lhs.get(), depth + 1);
      }
      if (!l || !k || __builtin_mul_overflow(*l, *k, &r)) return std::nullopt;
      return r;
    }
    return std::nullopt;
  }
  if (const auto* c = std::get_if<ast::Call>(&e->node)) {
    const bool is_min = c->callee.name == "min", is_max = c->callee.name == "max";
    if ((!is_min && !is_max) || c->args.size() != 2) return std::nullopt;
    auto a = constant_seconds_at(c->args[0].get(), depth + 1);
    auto b = constant_seconds_at(c->args[1].get(), depth + 1);
    if (!a || !b) return std::nullopt;
    return is_min ? std::min(*a, *b) : std::max(*a, *b);
  }
  return std::nullopt;
}

std::string clock_text(ast::ClockLit c) { return fmt::format("{:02}:{:02}", c.minutes / 60, c.minutes % 60); }

bool is_link_call(const ast::Expr* e) {
  while (e) {
    if (const auto* p = std::get_if<ast::Paren>(&e->node)) {
      e = p->inner.get();
      continue;
    }
    const auto* c = std::get_if<ast::Call>(&e->node);
    return c && c->callee.name == "link";
  }
  return false;
}

// Decodes one UTF-8 code point at s[i] (advancing i); invalid bytes come back as U+FFFD.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto c = static_cast<unsigned char>(s[i]);
  int n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + static_cast<std::size_t>(n) > s.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t cp = n == 1 ? c : c & (0x7F >> n);
  for (int k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
    if ((cc & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (cc & 0x3F);
  }
  i += static_cast<std::size_t>(n);
  return cp;
}

std::string encode_utf8(char32_t cp) {
  std::string out;
  if (cp < 0x80) out += static_cast<char>(cp);
  else if (cp < 0x800) out += static_cast<char>(0xC0 | (cp >> 6)), out += static_cast<char>(0x80 | (cp & 0x3F));
  else if (cp < 0x10000)
    out += static_cast<char>(0xE0 | (cp >> 12)), out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
        out += static_cast<char>(0x80 | (cp & 0x3F));
  else
    out += static_cast<char>(0xF0 | (cp >> 18)), out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), out += static_cast<char>(0x80 | (cp & 0x3F));
  return out;
}

class Linter {
 public:
  Linter(const project::Project& project, const source::SourceMap& sources, diag::Diagnostics& out)
      : project_(project), sources_(sources), out_(out) {}

  void scenario(const ast::Scenario& s) {
    const ast::Control* control = nullptr;
    const ast::Setting* control_setting = nullptr;
    const ast::Goal* goal = nullptr;
    for (const auto& st : s.settings) {
      if (const auto* q = std::get_if<ast::QuietHours>(&st.node); q && q->from.minutes == q->to.minutes)
        out_.add(diag::make(Code::EmptyQuietHours, q->range_span,
                            fmt::format("{}..{}", clock_text(q->from), clock_text(q->to))));
      if (const auto* c = std::get_if<ast::Control>(&st.node); c && !control) control = c, control_setting = &st;
      if (const auto* g = std::get_if<ast::Goal>(&st.node); g && !goal) goal = g;
    }
    if (control && goal && !goal->within && control->share.basis_points > 0)
      out_.add(diag::make(Code::ControlNoWithin, control_setting->span));
    sends_ = 0;
    block(s.body);
    if (sends_ == 0 && !s.name.name.empty()) out_.add(diag::make(Code::NeverSends, s.name.span, s.name.name));
  }

 private:
  void block(const ast::Block& b) {
    for (const auto& s : b.stmts) stmt(s);
  }

  void stmt(const ast::Stmt& s) {
    std::visit(Overloaded{
                   [&](const ast::Send& n) {
                     ++sends_;
                     content(n.channel, n.content);
                   },
                   [&](const ast::Wait& n) {
                     if (auto v = constant_seconds(n.duration.get()); v && *v <= 0 && n.duration) {
                       auto d = diag::make(Code::ZeroWait, n.duration->span);
                       if (*v < 0) d.message = "this wait is negative, so it continues at once";
                       out_.add(std::move(d));
                     }
                   },
                   [&](const ast::WaitUntil&) {},
                   [&](const ast::IfNot& n) {
                     block(n.then_block);
                     if (n.else_block) block(*n.else_block);
                   },
                   [&](const ast::If& n) {
                     block(n.then_block);
                     if (n.else_block) block(*n.else_block);
                   },
                   [&](const ast::CascadeUntil& n) {
                     sends_ += static_cast<int>(n.steps.size());
                     for (const auto& step : n.steps) content(step.channel, step.content);
                     cost_order(n);
                   },
                   [&](const ast::Split& n) {
                     for (const auto& br : n.branches)
                       if (br.body) block(*br.body);
                   },
                   [&](const ast::Let&) {},
                   [&](const ast::StopStmt&) {},
               },
               s.node);
  }

  void content(const ast::Ident& channel, const ast::Content& c) {
    const auto* e = std::get_if<ast::ExprPtr>(&c.value);
    if (!e || !*e) return;
    const auto* text = std::get_if<ast::StringLit>(&(*e)->node);
    const auto* ch = project_.channel(channel.name);
    if (!text || !ch || !ch->kind || !ch->kind->billed_by_segment) return;
    if (auto d = sms_segments(*text, (*e)->span)) out_.add(std::move(*d));
  }

  void cost_order(const ast::CascadeUntil& n) {
    for (std::size_t i = 0; i + 1 < n.steps.size(); ++i) {
      const auto* a = project_.channel(n.steps[i].channel.name);
      const auto* b = project_.channel(n.steps[i + 1].channel.name);
      if (!a || !b || a->cost_micros <= b->cost_micros) continue;
      out_.add(diag::make(Code::CostOrder, n.steps[i].channel.span, a->name,
                          fmt::format("{} {}", a->cost_text, project_.currency), b->name,
                          fmt::format("{} {}", b->cost_text, project_.currency)));
    }
  }

  const project::Project& project_;
  [[maybe_unused]] const source::SourceMap& sources_;
  diag::Diagnostics& out_;
  int sends_ = 0;
};

}  // namespace

std::optional<std::int64_t> constant_seconds(const ast::Expr* e) { return constant_seconds_at(e, 0); }

namespace {
// The text as it is counted: the literal parts exactly; a tracked link as the daemon's short
// form; anything else interpolated is unknown, so the count is a minimum.
std::string counted_text(const ast::StringLit& lit, bool& minimum) {
  std::string counted;
  minimum = false;
  for (const auto& p : lit.parts) {
    if (!p.expr) counted += p.text;
    else if (is_link_call(p.expr.get())) counted.append(static_cast<std::size_t>(sms::kTrackedLinkLength), 'x');
    else minimum = true;
  }
  return counted;
}
}  // namespace

SmsEstimate sms_estimate(const ast::StringLit& lit) {
  SmsEstimate e;
  e.count = sms::count(counted_text(lit, e.minimum));
  return e;
}

std::optional<diag::Diagnostic> sms_segments(const ast::StringLit& lit, source::SourceSpan span) {
  bool minimum = false;
  const std::string counted = counted_text(lit, minimum);
  const sms::Count c = sms::count(counted);
  if (c.segments <= 1) return std::nullopt;

  const bool ucs2 = c.encoding == sms::Encoding::Ucs2;
  const int single = ucs2 ? sms::kUcs2SingleSegment : sms::kGsm7SingleSegment;
  const int part = ucs2 ? sms::kUcs2PartSegment : sms::kGsm7PartSegment;
  std::string hint;
  if (ucs2) {
    // Name the characters that force UCS-2 when there are only a few: replacing them
    // (ё → е, « → ") may bring the text back to GSM-7 and 160 characters.
    std::vector<char32_t> odd;
    std::size_t odd_count = 0;
    int septets_replaced = 0;  // the GSM-7 length if every odd character became one plain one
    for (std::size_t i = 0; i < counted.size();) {
      const char32_t cp = next_code_point(counted, i);
      const int septets = sms::gsm7_septets(cp);
      septets_replaced += septets == 0 ? 1 : septets;
      if (septets != 0) continue;
      ++odd_count;
      if (std::find(odd.begin(), odd.end(), cp) == odd.end()) odd.push_back(cp);
    }
    if (odd_count <= 3 && !odd.empty()) {
      std::string names;
      for (std::size_t i = 0; i < odd.size(); ++i) {
        if (i) names += ", ";
        names += '`' + encode_utf8(odd[i]) + '`';
      }
      const bool one = odd.size() == 1;
      hint = fmt::format("{} {} not in the GSM-7 alphabet and {} the whole text UCS-2 ({} characters per segment, {} "
                         "when split); ",
                         names, one ? "is" : "are", one ? "makes" : "make", single, part);
      if (septets_replaced <= sms::kGsm7SingleSegment)
        hint += fmt::format("replace {} and the text fits one GSM-7 segment", one ? "it" : "them");
      else
        hint += fmt::format("replace {} to send GSM-7, then shorten the text by {} to send one segment",
                            one ? "it" : "them",
                            check::text::count_noun(static_cast<std::size_t>(septets_replaced - sms::kGsm7SingleSegment),
                                                    "character", "characters"));
    } else {
      hint = fmt::format("a UCS-2 text (Cyrillic, emoji, …) holds {} characters in one segment and {} per segment when "
                         "split; shorten it by {} to send one",
                         single, part, check::text::count_noun(static_cast<std::size_t>(c.units - single), "character", "characters"));
    }
  } else {
    hint = fmt::format("a GSM-7 text holds {} characters in one segment and {} per segment when split; shorten it by "
                       "{} to send one",
                       single, part, check::text::count_noun(static_cast<std::size_t>(c.units - single), "character", "characters"));
  }
  if (minimum) hint += "; interpolated values add to this";

  const std::string_view encoding = sms::to_string(c.encoding);
  auto d = diag::make(Code::SmsSegments, span, minimum ? "at least " : "", c.segments, encoding, c.characters, hint);
  d.data["encoding"] = encoding;
  d.data["characters"] = c.characters;
  d.data["units"] = c.units;
  d.data["segments"] = c.segments;
  d.data["minimum"] = minimum;
  return d;
}

void run(const project::Project& project, const source::SourceMap& sources, const check::Result& program,
         diag::Diagnostics& out) {
  Linter l(project, sources, out);
  for (const auto& f : program.files)
    for (const auto& d : f.decls)
      if (const auto* s = std::get_if<ast::Scenario>(&d.node)) l.scenario(*s);
}

}  // namespace cascade::lint
