// cascade::grammar::parse: pre-scan, run the X3 grammar, convert to the public AST.
#include "cascade/grammar/parser.hpp"

#include <pthread.h>

#include <algorithm>
#include <exception>
#include <limits>

#include "config.hpp"
#include "convert.hpp"
#include "lexical.hpp"
#include "rule.hpp"

namespace cascade::grammar {

namespace {

// X3 recurses once per nested construct, with large frames (several KB per level in
// an optimised build, tens of KB under AddressSanitizer). kMaxNesting bounds the depth,
// but 256 levels can still need more stack than a thread is guaranteed to have. So a
// file whose pre-scan shows deep nesting is parsed on a thread of its own with a
// generous stack; ordinary files (nesting well below kDeepNesting) parse in place.
constexpr std::uint32_t kDeepNesting = 48;
constexpr std::size_t kDeepStackBytes = std::size_t{128} << 20;  // reserved, touched only as used

ParseResult parse_prescanned(std::string_view text, source::FileId file, lex::PreScan pre) {
  ParseResult result;
  parser::parse_state state(text, file);
  if (pre.unterminated_comment != UINT32_MAX) state.set_comment_cut(pre.unterminated_comment);
  for (auto& e : pre.errors) state.report(std::move(e));

  parser::FileBuilder builder(state, text, file);
  {
    parser::ParseContext context(state);
    const char* first = text.data() + pre.bom;
    const char* const last = text.data() + text.size();
    // next_decl recovers from every error inside a declaration; the catches are a last
    // line of defence, not the normal path.
    try {
      for (;;) {
        x3ast::decl decl;
        if (!parser::next_decl_rule().parse(first, last, context.context, boost::spirit::x3::unused, decl)) break;
        builder.add(decl);
      }
    } catch (const boost::spirit::x3::expectation_failure<const char*>& failure) {
      state.report_expected(failure.where(), failure.which());
    } catch (const parser::parse_abort&) {
    }
  }

  result.file = builder.finish();
  result.file.comments = std::move(pre.comments);
  result.errors = std::move(state.errors());
  std::stable_sort(result.errors.begin(), result.errors.end(),
                   [](const SyntaxError& a, const SyntaxError& b) { return a.span.begin < b.span.begin; });
  return result;
}

struct DeepJob {
  std::string_view text;
  source::FileId file;
  lex::PreScan pre;
  ParseResult result;
  std::exception_ptr failure;
};

void* run_deep_job(void* arg) {
  auto* job = static_cast<DeepJob*>(arg);
  try {
    job->result = parse_prescanned(job->text, job->file, std::move(job->pre));
  } catch (...) {
    job->failure = std::current_exception();
  }
  return nullptr;
}

// Runs the parse on a thread with a kDeepStackBytes stack; false if no such thread
// could be started.
bool parse_on_big_stack(DeepJob& job) {
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) return false;
  pthread_t thread;
  const bool started = pthread_attr_setstacksize(&attr, kDeepStackBytes) == 0 &&
                       pthread_create(&thread, &attr, run_deep_job, &job) == 0;
  pthread_attr_destroy(&attr);
  if (!started) return false;
  pthread_join(thread, nullptr);
  if (job.failure) std::rethrow_exception(job.failure);
  return true;
}

}  // namespace

ParseResult parse(const source::SourceMap& sources, source::FileId file) {
  const std::string_view text = sources.file(file).text();
  // Spans are 32-bit byte offsets.
  if (text.size() >= std::numeric_limits<std::uint32_t>::max()) {
    ParseResult result;
    result.file.file = file;
    result.errors.push_back(SyntaxError{SyntaxErrorKind::NumberOutOfRange, {file, 0, 0}, "a file under 4 GiB",
                                        std::to_string(text.size()) + " bytes"});
    return result;
  }
  auto pre = lex::prescan(text, file);
  if (pre.recursion_estimate > kDeepNesting) {
    DeepJob job{text, file, std::move(pre), {}, nullptr};
    if (parse_on_big_stack(job)) return std::move(job.result);
    pre = std::move(job.pre);  // no thread: parse in place, within kMaxNesting as always
  }
  return parse_prescanned(text, file, std::move(pre));
}

}  // namespace cascade::grammar
