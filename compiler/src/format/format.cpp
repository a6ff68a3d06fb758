// The canonical layout of .cascade source.
//
// The layout (docs/formatting.md, "Canonical layout", says the same for users):
//
//   * Two spaces per level of indentation; lines end with "\n" (CRLF input gives LF
//     output); no trailing whitespace; the file ends with exactly one newline (an empty
//     file stays empty); a UTF-8 byte order mark is dropped.
//   * One declaration, setting, statement, cascade step or split branch per line. A
//     keyword is followed by a single space: `trigger cart_abandoned`, not aligned
//     columns (alignment makes one edit re-indent its neighbours in a diff).
//   * Top level: a blank line between declarations, except between two imports or two
//     segments in a row, which keep the author's grouping (a run of blank lines becomes
//     one, none stays none).
//   * Inside a scenario: the settings in the order written, one blank line, then the
//     statements. Within settings, statements, steps and branches the author's paragraph
//     breaks are kept (a run of blank lines becomes one); never a blank line right after
//     `{` or right before `}`.
//   * Blocks always open on the header's line and close on their own line; a block with
//     nothing in it (not even a comment) is `{}`. `else` and `else if` stay on the line
//     of the closing brace: `} else if x {`.
//   * `cascade until` steps are one per line and the content column is aligned: channel
//     names are padded to the longest channel of that cascade.
//   * `template "x" with { a: e, b: e }` stays on one line unless the line would pass
//     100 columns; then each argument goes on its own line, one level deeper, each with
//     a comma (the last too: adding an argument then changes one line), and the `}`
//     closes on its own line.
//   * Expressions: see expr_text.hpp (no parentheses added or removed). An expression is
//     never broken across lines; one the author spread over several lines is joined.
//
// Comments. Every comment of File::comments is printed exactly once, in source order,
// text verbatim (trailing whitespace of each line removed):
//   * a comment that follows the end of a line's last token on the same source line, with
//     only whitespace (or other such comments) between, trails that line, after two
//     spaces: a setting, a statement, a step, a header's `{`, a closing `}`;
//   * any other comment is printed on its own line, at the indentation of the node that
//     follows it, before that node (a leading comment); a blank line between comments,
//     or between a comment and its node, is kept like the blank lines between nodes;
//   * a comment inside a node's text — in an expression, between `if` and its `{`,
//     between `}` and `else` — has no place inside the canonical line; it moves to its
//     own line just before that line (for `} else` headers: to the end of the block the
//     `}` closes);
//   * comments after the last node of a block stay inside the block, before `}`;
//     comments after the last declaration stay at the end of the file.
//
// The printer never reorders tokens, so a formatted file parses to the same tree, and
// since every decision depends only on the tree and on the relative order and lines of
// comments and nodes (which formatting preserves), format(format(x)) == format(x).
#include "cascade/compiler/format.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "format/expr_text.hpp"

namespace cascade::format {
namespace {

using namespace cascade::ast;
using detail::expr_text;
using detail::quoted;
using detail::width;

constexpr std::size_t kIndentWidth = 2;
// The width at which a template's `with { … }` breaks into one argument per line.
constexpr std::size_t kMaxWidth = 100;
constexpr std::string_view kTrailingGap = "  ";

// Comment text as printed: each line without trailing whitespace (which also turns a
// CRLF inside a block comment into LF).
std::string comment_text(const Comment& c) {
  std::string out;
  std::string_view text = c.text;
  while (true) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r' ||
                             line.back() == '\f' || line.back() == '\v'))
      line.remove_suffix(1);
    out += line;
    if (nl == std::string_view::npos) break;
    out += '\n';
    text.remove_prefix(nl + 1);
  }
  return out;
}

void rtrim(std::string& s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
}

std::string outcome_text(const Outcome& o) {
  std::string out;
  switch (o.kind) {
    case OutcomeKind::Delivered:
      out = "delivered";
      break;
    case OutcomeKind::Opened:
      out = "opened";
      break;
    case OutcomeKind::Clicked:
      out = "clicked";
      break;
    case OutcomeKind::Event:
      out = o.event.name;
      if (o.where) out += " where " + expr_text(*o.where);
      return out;
  }
  if (o.message) out += "(" + o.message->name + ")";
  return out;
}

std::string channel_list(const std::vector<Ident>& channels) {
  std::string out;
  for (std::size_t i = 0; i < channels.size(); ++i) {
    out += i == 0 ? " for " : ", ";
    out += channels[i].name;
  }
  return out;
}

struct SettingText {
  std::string operator()(const TriggerEvent& s) const {
    std::string out = "trigger " + s.event.name;
    if (s.where) out += " where " + expr_text(*s.where);
    return out;
  }
  std::string operator()(const TriggerEvery& s) const {
    std::string out = "trigger every " + detail::duration_text(s.every);
    if (s.at) out += " at " + detail::clock_text(*s.at);
    return out;
  }
  std::string operator()(const TriggerManual&) const { return "trigger manual"; }
  std::string operator()(const Audience& s) const { return "audience " + (s.expr ? expr_text(*s.expr) : ""); }
  std::string operator()(const Goal& s) const {
    std::string out = "goal " + s.event.name;
    if (s.where) out += " where " + expr_text(*s.where);
    if (s.within) out += " within " + expr_text(*s.within);
    return out;
  }
  std::string operator()(const StopOn& s) const {
    std::string out = "stop on " + s.event.name;
    if (s.where) out += " where " + expr_text(*s.where);
    return out;
  }
  std::string operator()(const QuietHours& s) const {
    return "quiet hours " + detail::clock_text(s.from) + ".." + detail::clock_text(s.to) +
           channel_list(s.channels);
  }
  std::string operator()(const Limit& s) const {
    return "limit " + std::to_string(s.count) + " per " + detail::duration_text(s.per) +
           channel_list(s.channels);
  }
  std::string operator()(const Reentry& s) const {
    switch (s.kind) {
      case ReentryKind::Never:
        return "reentry never";
      case ReentryKind::Parallel:
        return "reentry parallel";
      case ReentryKind::After:
        return "reentry after " + detail::duration_text(s.after);
    }
    return "reentry never";
  }
  std::string operator()(const Control& s) const { return "control " + detail::percent_text(s.share); }
  std::string operator()(const Urgent&) const { return "urgent"; }
};

class Printer {
 public:
  Printer(const File& file, const source::SourceFile& source) : file_(file), text_(source.text()) {
    line_starts_.push_back(0);
    for (std::size_t i = 0; i < text_.size(); ++i)
      if (text_[i] == '\n') line_starts_.push_back(static_cast<std::uint32_t>(i + 1));
  }

  std::string run() {
    const auto& decls = file_.decls;
    for (std::size_t i = 0; i < decls.size(); ++i) {
      if (i > 0 && !grouped(decls[i - 1], decls[i])) force_blank_ = true;
      next_begin_ = begin_after(decls, i, span_of_decl, static_cast<std::uint32_t>(text_.size()));
      print_decl(decls[i]);
    }
    flush_leading(std::numeric_limits<std::uint32_t>::max(), static_cast<std::uint32_t>(text_.size()));
    return std::move(out_);
  }

 private:
  // ---- source positions

  // The 1-based source line of a byte offset.
  std::uint32_t line_of(std::uint32_t offset) const {
    return static_cast<std::uint32_t>(std::upper_bound(line_starts_.begin(), line_starts_.end(), offset) -
                                      line_starts_.begin());
  }
  // The line of the last byte of a span ending at `end` (exclusive).
  std::uint32_t end_line_of(std::uint32_t end) const { return line_of(end > 0 ? end - 1 : 0); }

  bool usable(SourceSpan s) const { return s.end > s.begin && s.end <= text_.size(); }

  // A node's span as the layout uses it. The parser gives every node a span; should one
  // come back empty or out of place anyway, it is rebuilt from the source: the node runs
  // from the first token after what was printed before it to the last token before the
  // next node (next_begin_), skipping blanks and comments. If that fails, the node
  // sits right after what was printed before it. Either way a bad span can at worst
  // move a comment by a line; it can never lose one or break idempotence.
  SourceSpan known(SourceSpan s) {
    if (usable(s) && s.begin >= pos_) return s;
    // Rebuilt only between two known points: the end of the line printed before (when
    // its node's span was known) and the start of the next node.
    if (!after_unknown_ && next_begin_ != kUnknown && next_begin_ >= pos_ && next_begin_ <= text_.size()) {
      const std::uint32_t b = skip_forward(pos_, next_begin_);
      const std::uint32_t e = skip_backward(next_begin_, b);
      if (e > b) return SourceSpan{s.file, b, e};
    }
    // Where the node ends is unknown, so the blank line after it is not decided by lines.
    unknown_span_ = true;
    return SourceSpan{s.file, pos_, pos_};
  }

  static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  }

  // The first offset at or after p (and before hi) that is neither blank nor in a comment.
  std::uint32_t skip_forward(std::uint32_t p, std::uint32_t hi) const {
    const auto& cs = file_.comments;
    std::size_t k = next_;
    while (p < hi) {
      if (is_space(text_[p])) {
        ++p;
        continue;
      }
      while (k < cs.size() && cs[k].span.begin < p) ++k;
      if (k < cs.size() && cs[k].span.begin == p && cs[k].span.end > p) {
        p = cs[k].span.end;
        continue;
      }
      break;
    }
    return std::min(p, hi);
  }

  // The end of the last token before hi (and after lo), skipping blanks and comments.
  std::uint32_t skip_backward(std::uint32_t hi, std::uint32_t lo) const {
    const auto& cs = file_.comments;
    std::uint32_t p = hi;
    while (p > lo) {
      if (is_space(text_[p - 1])) {
        --p;
        continue;
      }
      // Comments are in source order and do not overlap, so they are sorted by end too.
      const auto it = std::lower_bound(cs.begin(), cs.end(), p,
                                       [](const Comment& c, std::uint32_t at) { return c.span.end < at; });
      if (it != cs.end() && it->span.end == p && it->span.begin >= lo && it->span.begin < p) {
        p = it->span.begin;
        continue;
      }
      break;
    }
    return p;
  }

  // Where the node after element i of a list of siblings begins: the next sibling's
  // begin, `after` (what follows the list) when i is the last, or kUnknown when the next
  // sibling's span is not usable either.
  static constexpr std::uint32_t kUnknown = std::numeric_limits<std::uint32_t>::max();
  template <class List, class SpanOf>
  std::uint32_t begin_after(const List& list, std::size_t i, SpanOf span_of, std::uint32_t after) const {
    return begin_from(list, i + 1, span_of, after);
  }
  template <class List, class SpanOf>
  std::uint32_t begin_from(const List& list, std::size_t j, SpanOf span_of, std::uint32_t after) const {
    if (j >= list.size()) return after;
    return usable(span_of(list[j])) ? span_of(list[j]).begin : kUnknown;
  }

  bool comment_before(std::uint32_t limit) const {
    return next_ < file_.comments.size() && file_.comments[next_].span.begin < limit;
  }

  // ---- lines

  // Starts an output line for something that begins on source line `line`: decides the
  // blank line before it, then indents.
  void start_line(std::uint32_t line) {
    if (!suppress_blank_ && (force_blank_ || (line > prev_end_line_ + 1 && !after_unknown_))) out_ += '\n';
    suppress_blank_ = false;
    force_blank_ = false;
    after_unknown_ = false;
    cur_.assign(indent_ * kIndentWidth, ' ');
  }

  // Appends the comments that trail source offset `pos` on its line (only whitespace or
  // other comments between), then ends the output line. `end` is where the line's last
  // token ends in the source.
  void end_line(std::uint32_t end) {
    std::uint32_t last = end;
    take_trailing(last, std::numeric_limits<std::uint32_t>::max());
    rtrim(cur_);
    out_ += cur_;
    out_ += '\n';
    cur_.clear();
    prev_end_line_ = end_line_of(last);
    pos_ = std::max(pos_, last);
    after_unknown_ = std::exchange(unknown_span_, false);
  }

  // Moves comments that follow `pos` on the same source line (with only blanks between)
  // and begin before `limit` onto the current line. Updates pos to the last one's end.
  void take_trailing(std::uint32_t& pos, std::uint32_t limit) {
    while (next_ < file_.comments.size()) {
      const Comment& c = file_.comments[next_];
      if (c.span.begin < pos || c.span.begin >= limit) return;
      for (std::uint32_t i = pos; i < c.span.begin; ++i) {
        const char ch = i < text_.size() ? text_[i] : '\n';
        if (ch != ' ' && ch != '\t' && ch != '\r') return;
      }
      cur_ += kTrailingGap;
      cur_ += comment_text(c);
      pos = c.span.end;
      ++next_;
    }
  }

  // Prints, each on its own line at the current indentation, the comments that begin
  // before `limit`. `anchor` is where the node they precede begins: a comment past it
  // sat inside the node and is moved out, and counts as being on the node's first line
  // for the blank-line rule.
  void flush_leading(std::uint32_t limit, std::uint32_t anchor) {
    while (comment_before(limit)) {
      const Comment& c = file_.comments[next_++];
      start_line(line_of(std::min(c.span.begin, anchor)));
      cur_ += comment_text(c);
      std::uint32_t last = c.span.end;
      take_trailing(last, limit);
      rtrim(cur_);
      out_ += cur_;
      out_ += '\n';
      cur_.clear();
      prev_end_line_ = std::max(prev_end_line_, end_line_of(last));
      pos_ = std::max(pos_, last);
    }
  }

  // Begins the line of a node spanning `span` whose header (the part printed before any
  // `{`) ends at `header_end`: leading comments and comments inside the header first.
  void begin_node(SourceSpan span, std::uint32_t header_end) {
    flush_leading(header_end, span.begin);
    start_line(line_of(span.begin));
  }

  // Appends ` {`, prints the contents with `inner` one level deeper, flushes the comments
  // that begin before `close_limit` into the block, and leaves `}` on the current line
  // (the caller ends the line or goes on with ` else`). `close_limit` is the `}` itself,
  // or, when an `else` follows, the `{` after it: comments between `}` and that `{` have
  // no canonical place on the `} else … {` line and end the block instead.
  template <class Inner>
  void braced(SourceSpan body, bool empty, std::uint32_t close_limit, Inner inner) {
    if (empty && !comment_before(close_limit)) {
      cur_ += " {}";
      return;
    }
    cur_ += " {";
    end_line(body.begin + 1);
    ++indent_;
    suppress_blank_ = true;
    inner();
    const std::uint32_t close = body.end > 0 ? body.end - 1 : 0;
    flush_leading(close_limit, close);
    --indent_;
    suppress_blank_ = true;
    start_line(0);
    cur_ += "}";
  }

  void block(const Block& b, std::uint32_t close_limit) {
    braced(b.span, b.stmts.empty(), close_limit, [&] { statements(b.stmts, close_of(b)); });
  }

  static std::uint32_t close_of(const Block& b) { return b.span.end > 0 ? b.span.end - 1 : 0; }

  static SourceSpan span_of_decl(const Decl& d) { return d.span; }
  static SourceSpan span_of_setting(const Setting& s) { return s.span; }
  static SourceSpan span_of_stmt(const Stmt& s) { return s.span; }
  static SourceSpan span_of_step(const CascadeStep& s) { return s.span; }
  static SourceSpan span_of_branch(const SplitBranch& b) { return b.span; }

  // The statements of a block; `close` is where the block's `}` is.
  void statements(const std::vector<Stmt>& stmts, std::uint32_t close) {
    for (std::size_t i = 0; i < stmts.size(); ++i) {
      next_begin_ = begin_after(stmts, i, span_of_stmt, close);
      print_stmt(stmts[i]);
    }
  }

  // ---- declarations

  // Imports in a row, and segments in a row, keep the author's grouping; anything else
  // is separated by a blank line.
  static bool grouped(const Decl& a, const Decl& b) {
    return a.node.index() == b.node.index() && !std::holds_alternative<Scenario>(a.node);
  }

  void print_decl(const Decl& decl) {
    if (const auto* imp = std::get_if<Import>(&decl.node)) {
      const SourceSpan span = known(decl.span);
      begin_node(span, span.end);
      cur_ += "import " + quoted(imp->path);
      end_line(span.end);
    } else if (const auto* seg = std::get_if<Segment>(&decl.node)) {
      const SourceSpan span = known(decl.span);
      begin_node(span, span.end);
      cur_ += "segment " + seg->name.name + " = " + (seg->expr ? expr_text(*seg->expr) : "");
      end_line(span.end);
    } else if (const auto* sc = std::get_if<Scenario>(&decl.node)) {
      print_scenario(decl, *sc);
    }
  }

  void print_scenario(const Decl& decl, const Scenario& sc) {
    begin_node(known(decl.span), sc.body.span.begin);
    cur_ += "scenario " + sc.name.name;
    if (sc.title) cur_ += " " + quoted(*sc.title);
    braced(sc.body.span, sc.settings.empty() && sc.body.stmts.empty(), close_of(sc.body), [&] {
      const std::uint32_t after_settings = begin_from(sc.body.stmts, 0, span_of_stmt, close_of(sc.body));
      for (std::size_t i = 0; i < sc.settings.size(); ++i) {
        const Setting& s = sc.settings[i];
        next_begin_ = begin_after(sc.settings, i, span_of_setting, after_settings);
        const SourceSpan span = known(s.span);
        begin_node(span, span.end);
        cur_ += std::visit(SettingText{}, s.node);
        end_line(span.end);
      }
      if (!sc.settings.empty() && !sc.body.stmts.empty()) force_blank_ = true;
      statements(sc.body.stmts, close_of(sc.body));
    });
    end_line(sc.body.span.end);
  }

  // ---- statements

  void simple(SourceSpan s, const std::string& text) {
    begin_node(s, s.end);
    cur_ += text;
    end_line(s.end);
  }

  void print_stmt(const Stmt& s) {
    const SourceSpan span = known(s.span);
    std::visit([&](const auto& n) { print_node(span, n); }, s.node);
  }

  void print_node(SourceSpan s, const Send& n) {
    begin_node(s, s.end);
    cur_ += "send " + n.channel.name + " ";
    cur_ += content_text(n.content, n.as ? " as " + n.as->name : std::string());
    end_line(s.end);
  }
  void print_node(SourceSpan s, const Wait& n) {
    simple(s, "wait " + (n.duration ? expr_text(*n.duration) : ""));
  }
  void print_node(SourceSpan s, const WaitUntil& n) {
    simple(s, "wait until " + (n.time ? expr_text(*n.time) : ""));
  }
  void print_node(SourceSpan s, const Let& n) {
    simple(s, "let " + n.name.name + " = " + (n.value ? expr_text(*n.value) : ""));
  }
  void print_node(SourceSpan s, const StopStmt&) { simple(s, "stop"); }

  void print_node(SourceSpan s, const If& n) {
    begin_node(s, n.then_block.span.begin);
    if_chain(n);
    end_line(last_block_end_);
  }
  void print_node(SourceSpan s, const IfNot& n) {
    begin_node(s, n.then_block.span.begin);
    if_not_chain(n);
    end_line(last_block_end_);
  }

  // The `if` header and blocks, continuing the current line (after `} else ` for an
  // `else if`); leaves the last `}` on the current line and its end in last_block_end_.
  void if_chain(const If& n) {
    cur_ += "if " + (n.cond ? expr_text(*n.cond) : "");
    if (!n.else_block) {
      block(n.then_block, close_of(n.then_block));
      last_block_end_ = n.then_block.span.end;
      return;
    }
    else_part(n.then_block, *n.else_block, n.else_if);
  }
  void if_not_chain(const IfNot& n) {
    cur_ += "if not " + outcome_text(n.outcome) + " within " + (n.within ? expr_text(*n.within) : "");
    if (!n.else_block) {
      block(n.then_block, close_of(n.then_block));
      last_block_end_ = n.then_block.span.end;
      return;
    }
    else_part(n.then_block, *n.else_block, n.else_if);
  }

  // `{ then } else { … }` or `{ then } else if …`. An `else if` is printed as such when
  // the else block is exactly one if statement (what the parser builds for it).
  void else_part(const Block& then_block, const Block& else_block, bool else_if) {
    const Stmt* nested = nullptr;
    if (else_if && else_block.stmts.size() == 1 &&
        (std::holds_alternative<If>(else_block.stmts[0].node) ||
         std::holds_alternative<IfNot>(else_block.stmts[0].node)))
      nested = &else_block.stmts[0];
    if (nested == nullptr) {
      block(then_block, else_block.span.begin);
      cur_ += " else";
      block(else_block, close_of(else_block));
      last_block_end_ = else_block.span.end;
      return;
    }
    const Block& nested_then = std::holds_alternative<If>(nested->node)
                                   ? std::get<If>(nested->node).then_block
                                   : std::get<IfNot>(nested->node).then_block;
    block(then_block, nested_then.span.begin);
    cur_ += " else ";
    if (const auto* i = std::get_if<If>(&nested->node)) {
      if_chain(*i);
    } else {
      if_not_chain(std::get<IfNot>(nested->node));
    }
  }

  void print_node(SourceSpan s, const CascadeUntil& n) {
    begin_node(s, n.body_span.begin);
    cur_ += "cascade until " + outcome_text(n.until);
    std::size_t pad = 0;
    for (const CascadeStep& step : n.steps) pad = std::max(pad, width(step.channel.name));
    braced(n.body_span, n.steps.empty(), n.body_span.end > 0 ? n.body_span.end - 1 : 0, [&] {
      for (std::size_t i = 0; i < n.steps.size(); ++i) {
        const CascadeStep& step = n.steps[i];
        next_begin_ = begin_after(n.steps, i, span_of_step, n.body_span.end > 0 ? n.body_span.end - 1 : 0);
        const SourceSpan span = known(step.span);
        begin_node(span, span.end);
        cur_ += step.channel.name;
        cur_.append(pad - width(step.channel.name) + 1, ' ');
        cur_ +=
            content_text(step.content, step.within ? " within " + expr_text(*step.within) : std::string());
        end_line(span.end);
      }
    });
    end_line(n.body_span.end);
  }

  void print_node(SourceSpan s, const Split& n) {
    begin_node(s, n.body_span.begin);
    cur_ += "split";
    braced(n.body_span, n.branches.empty(), n.body_span.end > 0 ? n.body_span.end - 1 : 0, [&] {
      for (std::size_t i = 0; i < n.branches.size(); ++i) {
        const SplitBranch& b = n.branches[i];
        next_begin_ =
            begin_after(n.branches, i, span_of_branch, n.body_span.end > 0 ? n.body_span.end - 1 : 0);
        const std::string head = detail::percent_text(b.share) + " " + b.name.name;
        const SourceSpan span = known(b.span);
        if (b.is_control || !b.body) {
          begin_node(span, span.end);
          cur_ += head + " control";
          end_line(span.end);
        } else {
          begin_node(span, b.body->span.begin);
          cur_ += head;
          block(*b.body, close_of(*b.body));
          end_line(b.body->span.end);
        }
      }
    });
    end_line(n.body_span.end);
  }

  // ---- content

  // A send's or a step's content followed by `suffix` (` as x`, ` within d`), to be
  // appended to cur_. A template whose one-line form would pass kMaxWidth gets one
  // argument per line.
  std::string content_text(const Content& c, const std::string& suffix) const {
    if (const auto* e = std::get_if<ExprPtr>(&c.value)) return (*e ? expr_text(**e) : "\"\"") + suffix;
    const auto& t = std::get<TemplateRef>(c.value);
    std::string out = "template " + quoted(t.name);
    if (!t.has_with) return out + suffix;
    if (t.args.empty()) return out + " with {}" + suffix;
    std::vector<std::string> args;
    for (const TemplateArg& a : t.args)
      args.push_back(a.key.name + ": " + (a.value ? expr_text(*a.value) : ""));
    std::string one_line = out + " with { ";
    for (std::size_t i = 0; i < args.size(); ++i) one_line += (i > 0 ? ", " : "") + args[i];
    one_line += " }" + suffix;
    if (width(cur_) + width(one_line) <= kMaxWidth) return one_line;
    const std::string inner((indent_ + 1) * kIndentWidth, ' ');
    out += " with {\n";
    for (const std::string& a : args) out += inner + a + ",\n";
    out.append(indent_ * kIndentWidth, ' ');
    return out + "}" + suffix;
  }

  const File& file_;
  const std::string& text_;
  std::vector<std::uint32_t> line_starts_;

  std::string out_;
  std::string cur_;                  // the output line being built, with its indentation
  std::size_t indent_ = 0;           // levels
  std::size_t next_ = 0;             // the first comment not yet printed
  std::uint32_t prev_end_line_ = 0;  // source line where the last printed thing ended
  bool suppress_blank_ = true;       // no blank line: start of file, after `{`, before `}`
  bool force_blank_ = false;         // a blank line whatever the source had
  std::uint32_t last_block_end_ = 0;
  std::uint32_t pos_ = 0;         // source offset of the end of the last printed line
  std::uint32_t next_begin_ = 0;  // where the node after the one being printed begins
  bool unknown_span_ = false;     // the line being printed belongs to a node without a usable span
  bool after_unknown_ = false;    // the last line printed did
};

}  // namespace

std::string format_file(const File& file, const source::SourceFile& source) {
  return Printer(file, source).run();
}

}  // namespace cascade::format
