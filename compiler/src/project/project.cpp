// Loads cascade.yaml into the typed schema of project.hpp.
//
// The schema (docs/project-file.md has the full reference with examples):
//
//   timezone:    IANA zone name                     default "UTC"          (E0110)
//   quiet_hours: "HH:MM..HH:MM", may wrap midnight  default none           (E0109)
//   currency:    text                               default "₽"
//   goal_window: duration "7d", "36h", "1w2d"       default 7d             (E0104)
//   caps:        { all: "N per DURATION", <channel>: "N per DURATION" }    (E0111, E0102)
//   profile:     { field: TYPE | { field: TYPE, … } }  a nested map is a record
//   events:      { event: { field: TYPE | { … } } | null }                 (E0103)
//   channels:    { name: { kind, address, consent, provider, cost } }
//                  kind      one of the catalogue's kinds (required)       (E0105, E0112)
//                  address   profile field path of type string / string?   (E0106)
//                            (required except for kind webhook)
//                  consent   profile field path of type bool / bool?       (E0107)
//                  provider  a name under providers:                       (E0108)
//                  cost      decimal >= 0, at most 6 decimals, default 0   (E0104)
//   providers:   { name: { type: webhook | smtp | file, … } }              (E0113, E0112)
//                  webhook   url (required, http:// or https://), secret_env
//                  smtp      host (required), port, from, username, secret_env, tls
//                  both      timeout, connect_timeout, backoff, max_backoff ("250ms", "10s"),
//                            max_attempts (1–100), concurrency (1–1024), rate_limit (msgs/s)
//                  file      path (required)
//                A secret is never written in the file: `secret_env: NAME` names the
//                environment variable that holds it; a literal `secret`, `password`,
//                `token`, `api_key`… is an error.
//   TYPE:        bool int decimal string time duration list<T>, and T? for optional.
//
// Unknown keys anywhere are E0102 with a "did you mean" hint. Every diagnostic points at
// the offending key or value in cascade.yaml.
//
// Hostile input: the file is capped at kMaxProjectBytes; invalid UTF-8 is refused before
// parsing; the pre-scan (prescan.hpp) refuses nesting deeper than kMaxNesting before
// yaml-cpp could overflow its stack; yaml-cpp shares aliased nodes instead of copying
// them, but a walk over them can still be exponential (a "billion laughs" file) or
// endless (an anchor that contains its own alias), so the walk counts the nodes it
// visits against kMaxNodes and bounds record nesting by kMaxRecordDepth.
#include "cascade/compiler/project.hpp"
#include "cascade/stdlib/units.hpp"

#include <date/tz.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <limits>
#include <set>
#include <sstream>

#include "project/prescan.hpp"

namespace cascade::project {
namespace {

using diag::Code;
using source::SourceSpan;
using types::Kind;
using types::Type;

bool is_identifier(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

// Edits between two words, a swap of neighbours counting as one (optimal string
// alignment distance): "phnoe" is one edit from "phone".
std::size_t edit_distance(std::string_view a, std::string_view b) {
  const std::size_t w = b.size() + 1;
  std::vector<std::size_t> d((a.size() + 1) * w);
  for (std::size_t i = 0; i <= a.size(); ++i) d[i * w] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      std::size_t best =
          std::min({d[(i - 1) * w + j] + 1, d[i * w + j - 1] + 1, d[(i - 1) * w + j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        best = std::min(best, d[(i - 2) * w + j - 2] + 1);
      d[i * w + j] = best;
    }
  }
  return d[a.size() * w + b.size()];
}

// "did you mean `timezone`?" when a candidate is close, else "the keys are …".
std::string suggest(std::string_view word, const std::vector<std::string>& candidates,
                    std::string_view what) {
  std::string best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  if (word.size() <= 64) {
    for (const auto& c : candidates) {
      if (c.size() > 64) continue;
      const std::size_t d = edit_distance(word, c);
      if (d < best_distance) best_distance = d, best = c;
    }
  }
  const std::size_t allowed = std::max<std::size_t>(1, std::min(word.size(), best.size()) / 3);
  if (!best.empty() && best_distance <= allowed) return "did you mean `" + best + "`?";
  if (candidates.empty()) return "";
  std::string list;
  for (const auto& c : candidates) {
    if (!list.empty()) list += ", ";
    list += c;
  }
  return std::string(what) + " " + list;
}

// Durations as in the language (units::parse_duration), bounded to a century: nothing in a
// project file means more, and the bound keeps later arithmetic far from overflow.
std::optional<std::int64_t> parse_duration(std::string_view s) {
  const auto seconds = units::parse_duration(s);
  if (!seconds || *seconds > std::int64_t{100} * 365 * 86400) return std::nullopt;
  return seconds;
}

// Durations of delivery settings: the language's units without d and w, plus `ms`
// ("250ms", "1m30s"), at most a day; milliseconds. The same grammar as
// cascade::providers::parse_millis, which the daemon uses to read them.
std::optional<std::int64_t> parse_millis(std::string_view s) {
  if (s.empty() || s.size() > 32) return std::nullopt;
  std::int64_t total = 0;
  std::size_t k = 0;
  while (k < s.size()) {
    const std::size_t begin = k;
    std::int64_t n = 0;
    while (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k]))) {
      n = n * 10 + (s[k] - '0');
      if (n > 86'400'000) return std::nullopt;
      ++k;
    }
    if (k == begin || k == s.size()) return std::nullopt;
    std::int64_t unit = 0;
    if (s.substr(k, 2) == "ms") {
      unit = 1;
      k += 2;
    } else {
      switch (s[k]) {
        case 's': unit = 1000; break;
        case 'm': unit = 60'000; break;
        case 'h': unit = 3'600'000; break;
        default: return std::nullopt;
      }
      ++k;
    }
    total += n * unit;
    if (total > 86'400'000) return std::nullopt;
  }
  return total;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// "22:00" -> 1320 (units::parse_clock), surrounding spaces allowed.
std::optional<std::int32_t> parse_clock(std::string_view s) { return units::parse_clock(trim(s)); }

// A cost: digits [ "." digits ], at most 6 decimals; returns micros.
std::optional<std::int64_t> parse_cost(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::int64_t units = 0, micros = 0;
  std::size_t i = 0;
  const std::size_t digits_begin = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    if (units > 1'000'000'000'000) return std::nullopt;
    units = units * 10 + (s[i] - '0');
    ++i;
  }
  if (i == digits_begin) return std::nullopt;
  if (i < s.size()) {
    if (s[i] != '.') return std::nullopt;
    ++i;
    int places = 0;
    const std::size_t frac_begin = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (++places > 6) return std::nullopt;
      micros = micros * 10 + (s[i] - '0');
      ++i;
    }
    if (i == frac_begin || i != s.size()) return std::nullopt;
    for (; places < 6; ++places) micros *= 10;
  }
  return units * 1'000'000 + micros;
}

// yaml-cpp 0.7 misreads a `?` that ends a plain scalar inside a flow collection
// (`{ cart_id: string?, total: decimal }`, the brief's own style) as a key indicator.
// Before parsing, every `?` that cannot be a key indicator (it follows a character of a
// word) is swapped for kMaskedQuestion, a byte the file may not contain; the loader
// swaps it back in every scalar it reads. Offsets do not move: both are one byte.
constexpr char kMaskedQuestion = '\x01';

std::string mask_questions(std::string text) {
  for (std::size_t i = 1; i < text.size(); ++i) {
    if (text[i] != '?') continue;
    const char prev = text[i - 1];
    if (prev == ' ' || prev == '\t' || prev == '\n' || prev == '\r' || prev == '[' || prev == '{' ||
        prev == ',' || prev == ':')
      continue;
    text[i] = kMaskedQuestion;
  }
  return text;
}

std::string unmask(std::string s) {
  std::replace(s.begin(), s.end(), kMaskedQuestion, '?');
  return s;
}

// The first byte YAML does not allow in a document (C0 controls other than tab, line
// feed and carriage return, and DEL), or nullopt.
std::optional<std::size_t> find_control_character(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) return i;
  }
  return std::nullopt;
}

// Walks the documents of a stream with a handler that builds nothing, to count them.
// yaml-cpp 0.7 can get stuck on a token that cannot start a node (a `,` outside any
// flow collection): HandleNextDocument then "succeeds" forever without consuming it,
// which is why YAML::LoadAll never returns on such input. Two documents that start at
// the same place are that loop; the scan stops there and names the place.
struct DocumentScan {
  int documents = 0;          // counted up to 2
  std::size_t second_at = 0;  // where the second document starts
  std::optional<std::size_t> stuck_at;
};

DocumentScan scan_documents(const std::string& text) {
  struct Handler : YAML::EventHandler {
    int start = -1;
    void OnDocumentStart(const YAML::Mark& mark) override { start = mark.pos; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
  };
  DocumentScan scan;
  std::istringstream in(text);
  YAML::Parser parser(in);
  int previous_start = -2;
  for (int round = 0; round < 3 && scan.documents < 2; ++round) {
    Handler h;
    if (!parser.HandleNextDocument(h)) break;
    if (h.start == previous_start) {
      scan.stuck_at = static_cast<std::size_t>(std::max(0, h.start));
      break;
    }
    previous_start = h.start;
    if (++scan.documents == 2) scan.second_at = static_cast<std::size_t>(std::max(0, h.start));
  }
  return scan;
}

// The number of values a walk over `n` would visit, aliases expanded, counted in time
// linear in the text: yaml-cpp gives an alias the very node of its anchor, so a node is
// known by its place and type, and each is counted once and remembered. Saturates
// just above kMaxNodes. A node met again while its own count is under way is an alias
// inside its anchor: a cycle, reported through cycle_at.
class ExpandedSize {
 public:
  std::size_t of(const YAML::Node& n, int depth = 0) {
    if (cycle_at || depth > 4 * kMaxNesting) return kMaxNodes + 1;
    const auto key = std::make_pair(n.Mark().pos, static_cast<int>(n.Type()));
    if (auto it = memo_.find(key); it != memo_.end()) {
      if (it->second == kInProgress) {
        cycle_at = static_cast<std::size_t>(std::max(0, n.Mark().pos));
        return kMaxNodes + 1;
      }
      return it->second;
    }
    memo_[key] = kInProgress;
    std::size_t total = 1;
    if (n.IsMap() || n.IsSequence()) {
      for (auto it = n.begin(); it != n.end() && total <= kMaxNodes; ++it) {
        if (n.IsMap()) {
          const YAML::Node k = it->first, v = it->second;  // copies, see for_each_entry
          total += of(k, depth + 1);
          total += of(v, depth + 1);
        } else {
          const YAML::Node v = *it;
          total += of(v, depth + 1);
        }
      }
    }
    total = std::min(total, kMaxNodes + 1);
    memo_[key] = total;
    return total;
  }

  std::optional<std::size_t> cycle_at;

 private:
  static constexpr std::size_t kInProgress = static_cast<std::size_t>(-1);
  std::map<std::pair<int, int>, std::size_t> memo_;
};

// yaml-cpp's messages are terse ("end of map flow not found"); the common ones are
// said again in the words of someone editing the file, with a hint.
std::pair<std::string, std::string> explain_yaml_error(const std::string& msg) {
  struct Known {
    std::string_view yaml, said, hint;
  };
  static constexpr Known kKnown[] = {
      {"end of map flow not found", "a `{` is not closed by `}` before this point",
       "close every `{` on the line where the map ends"},
      {"end of sequence flow not found", "a `[` is not closed by `]` before this point",
       "close every `[` on the line where the list ends"},
      {"end of map not found", "the map does not go on as its indentation says",
       "check the indentation of this line"},
      {"end of sequence not found", "the list does not go on as its indentation says",
       "check the indentation of this line"},
      {"illegal map value", "a `:` where no value can start",
       "put text that contains `: ` in quotes, and check the indentation"},
      {"illegal block entry", "a `- ` list item where none can start", "check the indentation of this line"},
      {"illegal EOF in scalar", "a quoted text is not closed before the end of the file",
       "close it with its quote"},
      {"illegal tab when looking for indentation", "a tab in the indentation",
       "indent with spaces: YAML does not allow tabs there"},
      {"the referenced anchor is not defined", "an alias `*name` refers to an anchor that is not defined",
       "define `&name` before the alias"},
  };
  for (const Known& k : kKnown) {
    if (msg == k.yaml) return {std::string(k.said), std::string(k.hint)};
  }
  return {msg, ""};
}

// The text of a scalar node, as written (see mask_questions).
std::string text_of(const YAML::Node& n) {
  return unmask(n.Scalar());
}

// Every dotted field path of a record ("email", "consent", "consent.email"), for hints.
void collect_paths(const Type& record, const std::string& prefix, std::vector<std::string>& out,
                   int depth = 0) {
  if (record.kind != Kind::Record || !record.fields || depth > kMaxRecordDepth) return;
  for (const types::Field& f : *record.fields) {
    out.push_back(prefix + f.name);
    collect_paths(f.type, prefix + f.name + ".", out, depth + 1);
  }
}

// "did you mean `x`? " when a candidate is close, else "".
std::string close_match(std::string_view word, const std::vector<std::string>& candidates) {
  std::string hint = suggest(word, candidates, "");
  return hint.rfind("did you mean", 0) == 0 ? hint + " " : "";
}

class Loader {
 public:
  Loader(const source::SourceFile& file, source::FileId id, std::size_t bom, diag::Diagnostics& diags)
      : file_(file), id_(id), bom_(bom), diags_(diags) {}

  bool too_complex() const { return too_complex_; }

  // Walks the root map into p. Returns false when the file could not be used at all.
  bool load_root(const YAML::Node& root, Project& p) {
    if (!root.IsDefined() || root.IsNull()) {
      report(diag::make(Code::ProjectBadValue, SourceSpan{id_, 0, 0}, "cascade.yaml is empty",
                        "start with `profile:`, `events:` and `channels:` (see docs/project-file.md)"));
      return false;
    }
    if (!root.IsMap()) {
      report(diag::make(Code::ProjectBadValue, span(root),
                        fmt::format("cascade.yaml must be a map of settings, but it is {}", describe(root)),
                        "write `key: value` lines: timezone:, profile:, events:, channels:, providers: …"));
      return false;
    }

    // Take the sections first, then read them in dependency order: channels need the
    // profile and the providers, caps need the channels.
    static const std::vector<std::string> kKeys = {"timezone",    "quiet_hours", "currency",
                                                   "goal_window", "caps",        "profile",
                                                   "events",      "channels",    "providers"};
    std::map<std::string, std::pair<YAML::Node, YAML::Node>> sections;
    for_each_entry(root, "the project file",
                   [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) {
                     if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
                       report(diag::make(Code::ProjectUnknownKey, span(k), key, "the project file",
                                         suggest(key, kKeys, "the keys are")));
                       return;
                     }
                     sections.emplace(key, std::make_pair(k, v));
                   });
    auto section = [&](const char* name) -> const std::pair<YAML::Node, YAML::Node>* {
      auto it = sections.find(name);
      return it == sections.end() ? nullptr : &it->second;
    };

    // Refuse alias bombs and self-containing anchors before walking anything.
    ExpandedSize sizes;
    std::size_t total = 0;
    for (const auto& [name, kv] : sections) {
      total += sizes.of(kv.second);
      if (sizes.cycle_at) {
        report(diag::make(Code::ProjectBadValue, span_at(*sizes.cycle_at),
                          "an alias in cascade.yaml refers to the value that contains it",
                          "a value cannot contain itself; write the value out"));
        return false;
      }
      if (total > kMaxNodes) {
        too_complex_ = true;
        report(diag::make(
            Code::ProjectBadValue, span(kv.first),
            fmt::format("cascade.yaml is too large or complex (more than {} values, counting every "
                        "use of an alias)",
                        kMaxNodes),
            "a project file needs no aliases that multiply; write the schema out plainly"));
        return false;
      }
    }

    if (auto* s = section("timezone")) read_timezone(s->first, s->second, p);
    if (auto* s = section("quiet_hours")) read_quiet_hours(s->first, s->second, p);
    if (auto* s = section("currency")) {
      if (auto text = scalar(s->first, s->second, "`currency`")) {
        if (trim(*text).empty()) {
          report(diag::make(Code::ProjectBadValue, value_span(s->first, s->second), "`currency` is empty",
                            "write the currency sign or code, e.g. ₽ or RUB"));
        } else {
          p.currency = std::string(trim(*text));
        }
      }
    }
    if (auto* s = section("goal_window")) {
      if (auto text = scalar(s->first, s->second, "`goal_window`")) {
        auto seconds = parse_duration(trim(*text));
        if (!seconds || *seconds <= 0) {
          report(diag::make(Code::ProjectBadValue, value_span(s->first, s->second),
                            fmt::format("`goal_window` is `{}`, which is not a duration", *text),
                            "write a duration as a number and a unit s, m, h, d or w, e.g. 7d or 36h"));
        } else {
          p.goal_window_seconds = *seconds;
        }
      }
    }
    p.profile = Type::record({});
    if (auto* s = section("profile")) {
      if (auto t = read_record(s->first, s->second, "`profile`", 0)) p.profile = *t;
    }
    if (auto* s = section("events")) read_events(s->first, s->second, p);
    if (auto* s = section("providers")) read_providers(s->first, s->second, p);
    if (auto* s = section("channels")) read_channels(s->first, s->second, p);
    if (auto* s = section("caps")) read_caps(s->first, s->second, p);
    return true;
  }

  void report(diag::Diagnostic d) { diags_.add(std::move(d)); }

 private:
  // ---- places ----------------------------------------------------------------------

  std::uint32_t offset_of(const YAML::Node& n) const {
    const YAML::Mark m = n.Mark();
    if (m.pos < 0) return static_cast<std::uint32_t>(file_.text().size());
    return static_cast<std::uint32_t>(
        std::min<std::size_t>(static_cast<std::size_t>(m.pos) + bom_, file_.text().size()));
  }

  // The bytes of a node in the text. yaml-cpp gives only where a node starts (at its
  // anchor or tag when it has one); the end of a scalar is found by reading its token.
  SourceSpan span(const YAML::Node& n) const {
    const std::string& text = file_.text();
    std::uint32_t b = offset_of(n);
    if (!n.IsScalar())
      return SourceSpan{id_, b, std::min<std::uint32_t>(b + 1, static_cast<std::uint32_t>(text.size()))};
    // Skip the node's properties (&anchor, !tag).
    while (b < text.size() && (text[b] == '&' || text[b] == '!')) {
      while (b < text.size() && !std::isspace(static_cast<unsigned char>(text[b]))) ++b;
      while (b < text.size() && (text[b] == ' ' || text[b] == '\t')) ++b;
    }
    std::uint32_t e = b;
    const auto size = static_cast<std::uint32_t>(text.size());
    if (b < size && (text[b] == '"' || text[b] == '\'')) {
      const char q = text[b];
      for (e = b + 1; e < size; ++e) {
        if (q == '"' && text[e] == '\\') {
          ++e;
        } else if (text[e] == q) {
          if (q == '\'' && e + 1 < size && text[e + 1] == '\'') {
            ++e;
          } else {
            ++e;
            break;
          }
        }
      }
      return SourceSpan{id_, b, std::min(e, size)};
    }
    if (b < size && (text[b] == '|' || text[b] == '>')) return SourceSpan{id_, b, b + 1};
    const std::string value = text_of(n);
    if (!value.empty() && text.compare(b, value.size(), value) == 0) {
      return SourceSpan{id_, b, b + static_cast<std::uint32_t>(value.size())};
    }
    // A plain scalar folded over lines: the rest of its first line.
    while (e < size && text[e] != '\n' && text[e] != '#' && text[e] != ',' && text[e] != '}' &&
           text[e] != ']')
      ++e;
    while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
    return SourceSpan{id_, b, std::max(b, e)};
  }

  SourceSpan span_at(std::size_t yaml_pos) const {
    const auto size = static_cast<std::uint32_t>(file_.text().size());
    const auto b = static_cast<std::uint32_t>(std::min<std::size_t>(yaml_pos + bom_, size));
    return SourceSpan{id_, b, std::min(b + 1, size)};
  }

  // The span of a value; an empty value (`key:` and nothing) has its key's place.
  SourceSpan value_span(const YAML::Node& key, const YAML::Node& value) const {
    return value.IsNull() ? span(key) : span(value);
  }

  static std::string describe(const YAML::Node& n) {
    if (n.IsMap()) return "a map";
    if (n.IsSequence()) return "a list";
    if (n.IsNull()) return "empty";
    return "a single value";
  }

  // ---- walking -----------------------------------------------------------------------

  // Counts a visited node; false once the budget is spent (reported once).
  bool visit(const YAML::Node& n) {
    if (++visits_ <= kMaxNodes) return true;
    if (!too_complex_) {
      too_complex_ = true;
      report(diag::make(Code::ProjectBadValue, span(n),
                        fmt::format("cascade.yaml is too large or complex (more than {} values, counting "
                                    "every use of an alias)",
                                    kMaxNodes),
                        "a project file needs no aliases that multiply; write the schema out plainly"));
    }
    return false;
  }

  // Calls f(key, key_node, value_node) for every entry of a map with a usable key;
  // reports non-text keys and keys given twice.
  template <typename F>
  void for_each_entry(const YAML::Node& map, std::string_view where, F&& f) {
    std::map<std::string, SourceSpan> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      // Copies: yaml-cpp's iterator hands out a proxy that dies with the expression.
      const YAML::Node k = it->first;
      const YAML::Node v = it->second;
      if (too_complex_ || !visit(k)) return;
      if (!k.IsScalar()) {
        report(diag::make(Code::ProjectBadValue, span(k),
                          fmt::format("a key in {} is {}", where, describe(k)), "keys are plain names"));
        continue;
      }
      const std::string key = text_of(k);
      auto [pos, fresh] = seen.emplace(key, span(k));
      if (!fresh) {
        diag::Diagnostic d = diag::make(Code::DuplicateName, span(k), key);
        d.message = fmt::format("`{}` is given twice in {}", key, where);
        d.hint = "keep one";
        d.notes.push_back(diag::Label{pos->second, "first given here"});
        report(std::move(d));
        continue;
      }
      f(key, k, v);
    }
  }

  // The text of a scalar value; reports maps, lists and empty values.
  std::optional<std::string> scalar(const YAML::Node& key, const YAML::Node& value, std::string_view what) {
    if (!visit(value)) return std::nullopt;
    if (value.IsScalar()) return text_of(value);
    report(diag::make(Code::ProjectBadValue, value_span(key, value),
                      fmt::format("{} must be a single value, but it is {}", what, describe(value)), ""));
    return std::nullopt;
  }

  bool require_map(const YAML::Node& key, const YAML::Node& value, std::string_view what,
                   bool null_ok = false) {
    if (value.IsMap() || (null_ok && value.IsNull())) return true;
    report(diag::make(Code::ProjectBadValue, value_span(key, value),
                      fmt::format("{} must be a map, but it is {}", what, describe(value)),
                      "write one `name: value` per line, indented under the key"));
    return false;
  }

  bool check_name(const std::string& name, const YAML::Node& k, std::string_view what) {
    if (is_identifier(name)) return true;
    report(diag::make(Code::ProjectBadValue, span(k), fmt::format("`{}` is not a valid {} name", name, what),
                      "a name is made of letters, digits and _, and does not start with a digit"));
    return false;
  }

  // ---- sections ----------------------------------------------------------------------

  void read_timezone(const YAML::Node& k, const YAML::Node& v, Project& p) {
    auto text = scalar(k, v, "`timezone`");
    if (!text) return;
    const std::string name(trim(*text));
    bool ok = !name.empty();
    if (ok) {
      try {
        ok = date::locate_zone(name) != nullptr;
      } catch (const std::exception&) {
        ok = false;  // unknown zone, or no tz database on this machine
      }
    }
    if (!ok) {
      report(diag::make(Code::ProjectBadTimezone, value_span(k, v), name));
      return;
    }
    p.timezone = name;
  }

  void read_quiet_hours(const YAML::Node& k, const YAML::Node& v, Project& p) {
    auto text = scalar(k, v, "`quiet_hours`");
    if (!text) return;
    const auto dots = text->find("..");
    std::optional<std::int32_t> from, to;
    if (dots != std::string::npos) {
      from = parse_clock(std::string_view(*text).substr(0, dots));
      to = parse_clock(std::string_view(*text).substr(dots + 2));
    }
    if (!from || !to) {
      report(diag::make(Code::ProjectBadQuietHours, value_span(k, v), *text));
      return;
    }
    if (*from == *to) {
      report(diag::make(Code::ProjectBadValue, value_span(k, v),
                        fmt::format("quiet hours `{}` start and end at the same time", *text),
                        "remove `quiet_hours` to have none, or give a window like \"22:00..09:00\""));
      return;
    }
    p.quiet_hours = ClockRange{*from, *to};
  }

  // A record type from a map of `field: TYPE` (or nested maps). Returns nullopt only
  // when the node is not a map; bad field types become the Error type, already reported.
  std::optional<Type> read_record(const YAML::Node& k, const YAML::Node& v, const std::string& what,
                                  int depth) {
    if (!visit(v)) return std::nullopt;
    if (depth > kMaxRecordDepth) {
      report(diag::make(Code::ProjectBadValue, span(k),
                        fmt::format("{} nests records deeper than {} levels", what, kMaxRecordDepth),
                        "flatten the record (an alias that contains itself nests without end)"));
      return std::nullopt;
    }
    if (!require_map(k, v, what, true)) return std::nullopt;
    std::vector<types::Field> fields;
    if (v.IsNull()) return Type::record(std::move(fields));
    for_each_entry(v, what, [&](const std::string& name, const YAML::Node& fk, const YAML::Node& fv) {
      if (!check_name(name, fk, "field")) return;
      fields.push_back(types::Field{name, read_field_type(fk, fv, name, depth)});
    });
    return Type::record(std::move(fields));
  }

  Type read_field_type(const YAML::Node& k, const YAML::Node& v, const std::string& name, int depth) {
    if (v.IsMap()) {
      auto t = read_record(k, v, "record `" + name + "`", depth + 1);
      return t ? *t : Type::error();
    }
    if (!visit(v)) return Type::error();
    if (v.IsNull()) {
      report(diag::make(Code::ProjectBadValue, span(k), fmt::format("field `{}` has no type", name),
                        fmt::format("write a type after the colon, e.g. `{}: string?`", name)));
      return Type::error();
    }
    if (!v.IsScalar()) {
      report(diag::make(Code::ProjectBadType, span(v), describe(v)));
      return Type::error();
    }
    const std::string name_text = text_of(v);
    if (auto t = types::parse_type_name(name_text)) return *t;
    report(diag::make(Code::ProjectBadType, span(v), name_text));
    return Type::error();
  }

  void read_events(const YAML::Node& k, const YAML::Node& v, Project& p) {
    if (!require_map(k, v, "`events`", true) || v.IsNull()) return;
    for_each_entry(v, "`events`", [&](const std::string& name, const YAML::Node& ek, const YAML::Node& ev) {
      if (!check_name(name, ek, "event")) return;
      auto fields = read_record(ek, ev, "event `" + name + "`", 0);
      if (!fields) return;
      p.events.emplace(name, EventSchema{name, *fields, span(ek)});
    });
  }

  void read_providers(const YAML::Node& k, const YAML::Node& v, Project& p) {
    if (!require_map(k, v, "`providers`", true) || v.IsNull()) return;
    for_each_entry(v, "`providers`",
                   [&](const std::string& name, const YAML::Node& pk, const YAML::Node& pv) {
                     if (!check_name(name, pk, "provider")) return;
                     declared_providers_.insert(name);
                     const std::string what = "provider `" + name + "`";
                     if (!visit(pv) || !require_map(pk, pv, what)) return;
                     read_provider(name, what, pk, pv, p);
                   });
  }

  static bool looks_secret(std::string_view key) {
    std::string lower(key);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "secret_env") return false;
    for (const char* word : {"secret", "password", "passwd", "token", "api_key", "apikey", "auth",
                             "credential", "private_key"}) {
      if (lower.find(word) != std::string::npos) return true;
    }
    return false;
  }

  void read_provider(const std::string& name, const std::string& what, const YAML::Node& pk,
                     const YAML::Node& pv, Project& p) {
    Provider provider;
    provider.name = name;
    provider.span = span(pk);
    std::map<std::string, std::pair<YAML::Node, YAML::Node>> entries;
    for_each_entry(pv, what, [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) {
      entries.emplace(key, std::make_pair(k, v));
    });
    auto type_it = entries.find("type");
    if (type_it == entries.end()) {
      report(diag::make(Code::ProjectMissingKey, span(pk), what, "type"));
      return;
    }
    auto type = scalar(type_it->second.first, type_it->second.second, "`type`");
    if (!type) return;
    // Delivery settings (docs/providers.md) shared by the providers that talk to a server.
#define CASCADE_DELIVERY_SETTINGS \
  "timeout", "connect_timeout", "max_attempts", "backoff", "max_backoff", "rate_limit", "concurrency"
    static const std::map<std::string, std::vector<std::string>> kSettings = {
        {"webhook", {"type", "url", "secret_env", CASCADE_DELIVERY_SETTINGS}},
        {"smtp", {"type", "host", "port", "from", "username", "secret_env", "tls", CASCADE_DELIVERY_SETTINGS}},
        {"file", {"type", "path"}},
    };
#undef CASCADE_DELIVERY_SETTINGS
    static const std::map<std::string, std::string> kRequired = {
        {"webhook", "url"}, {"smtp", "host"}, {"file", "path"}};
    auto allowed = kSettings.find(*type);
    if (allowed == kSettings.end()) {
      report(diag::make(Code::ProjectBadProviderType,
                        value_span(type_it->second.first, type_it->second.second), *type));
      return;
    }
    provider.type = *type;
    bool ok = true;
    for (const auto& [key, kv] : entries) {
      if (key == "type") continue;
      const auto& [k, v] = kv;
      if (looks_secret(key)) {
        report(diag::make(Code::ProjectBadValue, span(k),
                          fmt::format("{} has a secret written in the project file (`{}`)", what, key),
                          "keep secrets out of cascade.yaml: put it in an environment variable and write "
                          "`secret_env: NAME`"));
        ok = false;
        continue;
      }
      if (std::find(allowed->second.begin(), allowed->second.end(), key) == allowed->second.end()) {
        report(diag::make(Code::ProjectUnknownKey, span(k), key, what,
                          suggest(key, allowed->second, "a " + *type + " provider takes")));
        ok = false;
        continue;
      }
      auto text = scalar(k, v, "`" + key + "`");
      if (!text) {
        ok = false;
        continue;
      }
      if (!check_setting(what, key, *text, k, v)) ok = false;
      provider.settings[key] = *text;
    }
    const std::string& required = kRequired.at(*type);
    if (!entries.count(required)) {
      report(diag::make(Code::ProjectMissingKey, span(pk), "a " + *type + " provider", required));
      ok = false;
    }
    if (ok) p.providers.emplace(name, std::move(provider));
  }

  bool check_setting(const std::string& what, const std::string& key, const std::string& text,
                     const YAML::Node& k, const YAML::Node& v) {
    auto bad = [&](std::string message, std::string hint) {
      report(diag::make(Code::ProjectBadValue, value_span(k, v), message, hint));
      return false;
    };
    if (key == "url") {
      if (text.rfind("http://", 0) != 0 && text.rfind("https://", 0) != 0)
        return bad(
            fmt::format("the `url` of {} is `{}`, which is not an http:// or https:// address", what, text),
            "write the full address, e.g. http://127.0.0.1:9101/send");
    } else if (key == "secret_env") {
      if (!is_identifier(text))
        return bad(
            fmt::format("`secret_env` of {} is `{}`, which is not an environment variable name", what, text),
            "name the variable that holds the secret, e.g. `secret_env: ESP_SECRET`");
    } else if (key == "port") {
      const bool digits = !text.empty() && text.size() <= 5 &&
                          std::all_of(text.begin(), text.end(),
                                      [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
      if (!digits || std::stoi(text) < 1 || std::stoi(text) > 65535)
        return bad(fmt::format("the `port` of {} is `{}`, which is not a port number", what, text),
                   "write a number from 1 to 65535");
    } else if (key == "timeout" || key == "connect_timeout" || key == "backoff" || key == "max_backoff") {
      // Delivery durations go below a second ("250ms"), unlike the language's.
      auto ms = parse_millis(text);
      const bool may_be_zero = key == "backoff";
      if (!ms || (*ms == 0 && !may_be_zero))
        return bad(fmt::format("the `{}` of {} is `{}`, which is not a duration{}", key, what, text,
                               may_be_zero ? "" : " longer than zero"),
                   "write a duration such as 250ms, 10s or 1m (at most 1d)");
    } else if (key == "max_attempts" || key == "concurrency") {
      const long most = key == "max_attempts" ? 100 : 1024;
      const bool digits = !text.empty() && text.size() <= 4 &&
                          std::all_of(text.begin(), text.end(),
                                      [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
      if (!digits || std::stol(text) < 1 || std::stol(text) > most)
        return bad(fmt::format("the `{}` of {} is `{}`, which is not a whole number from 1 to {}", key, what,
                               text, most),
                   key == "max_attempts" ? "write how many times a message is tried in all, e.g. 5"
                                         : "write how many requests may be in flight at once, e.g. 16");
    } else if (key == "rate_limit") {
      if (!parse_cost(text) || *parse_cost(text) == 0)
        return bad(fmt::format("the `rate_limit` of {} is `{}`, which is not a number of messages per second "
                               "greater than zero",
                               what, text),
                   "write messages per second, e.g. 50 or 0.5; leave it out for no limit");
    } else if (key == "from") {
      if (text.find('@') == std::string::npos || text.find_first_of("<>\r\n ") != std::string::npos)
        return bad(fmt::format("the `from` of {} is `{}`, which is not an e-mail address", what, text),
                   "write the sender's address, e.g. shop@example.com");
    } else if (key == "tls") {
      if (text != "true" && text != "false")
        return bad(fmt::format("the `tls` of {} is `{}`, not true or false", what, text), "");
    } else if (text.empty()) {
      return bad(fmt::format("the `{}` of {} is empty", key, what), "");
    }
    return true;
  }

  void read_channels(const YAML::Node& k, const YAML::Node& v, Project& p) {
    if (!require_map(k, v, "`channels`", true) || v.IsNull()) return;
    for_each_entry(v, "`channels`", [&](const std::string& name, const YAML::Node& ck, const YAML::Node& cv) {
      if (!check_name(name, ck, "channel")) return;
      declared_channels_.push_back(name);
      const std::string what = "channel `" + name + "`";
      if (!visit(cv) || !require_map(ck, cv, what)) return;
      read_channel(name, what, ck, cv, p);
    });
  }

  void read_channel(const std::string& name, const std::string& what, const YAML::Node& ck,
                    const YAML::Node& cv, Project& p) {
    static const std::vector<std::string> kChannelKeys = {"kind", "address", "consent", "provider", "cost"};
    Channel ch;
    ch.name = name;
    ch.kind = nullptr;
    ch.span = span(ck);
    std::map<std::string, std::pair<YAML::Node, YAML::Node>> entries;
    for_each_entry(cv, what, [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) {
      if (std::find(kChannelKeys.begin(), kChannelKeys.end(), key) == kChannelKeys.end()) {
        report(diag::make(Code::ProjectUnknownKey, span(k), key, what,
                          suggest(key, kChannelKeys, "a channel takes")));
        return;
      }
      entries.emplace(key, std::make_pair(k, v));
    });
    auto get = [&](const char* key) -> const std::pair<YAML::Node, YAML::Node>* {
      auto it = entries.find(key);
      return it == entries.end() ? nullptr : &it->second;
    };

    if (auto* e = get("kind")) {
      if (auto kind = scalar(e->first, e->second, "`kind`")) {
        ch.kind = channels::find_kind(*kind);
        if (!ch.kind) {
          std::vector<std::string> kinds;
          for (const auto& k : channels::all_kinds()) kinds.emplace_back(k.name);
          diag::Diagnostic d = diag::make(Code::ProjectUnknownKind, value_span(e->first, e->second), *kind,
                                          channels::kind_names());
          d.hint = close_match(*kind, kinds) + d.hint;
          report(std::move(d));
        }
      }
    } else {
      report(diag::make(Code::ProjectMissingKey, span(ck), what, "kind"));
    }

    if (auto* e = get("address")) {
      if (auto field = scalar(e->first, e->second, "`address`")) {
        ch.address_field = *field;
        const Type* t = lookup_path(p.profile, *field);
        if (!t) {
          diag::Diagnostic d =
              diag::make(Code::ProjectAddressField, value_span(e->first, e->second), name, *field);
          d.hint = close_match(*field, profile_paths(p)) + d.hint;
          report(std::move(d));
        } else if (!t->is_error() && t->kind != Kind::String) {
          report(
              diag::make(Code::ProjectBadValue, value_span(e->first, e->second),
                         fmt::format("channel `{}` takes its address from `{}`, which is `{}`, not a string",
                                     name, *field, types::to_string(*t)),
                         "an address is a string field of the profile, e.g. `email: string?`"));
        }
      }
    } else if (ch.kind && ch.kind->name != "webhook") {
      report(diag::make(Code::ProjectMissingKey, span(ck), what, "address"));
    }

    if (auto* e = get("consent")) {
      if (auto field = scalar(e->first, e->second, "`consent`")) {
        ch.consent_field = *field;
        const Type* t = lookup_path(p.profile, *field);
        if (!t || (!t->is_error() && t->kind != Kind::Bool)) {
          diag::Diagnostic d =
              diag::make(Code::ProjectConsentField, value_span(e->first, e->second), name, *field);
          if (!t) d.hint = close_match(*field, profile_paths(p)) + d.hint;
          report(std::move(d));
        }
      }
    }

    if (auto* e = get("provider")) {
      if (auto provider = scalar(e->first, e->second, "`provider`")) {
        ch.provider = *provider;
        if (!declared_providers_.count(*provider)) {
          diag::Diagnostic d =
              diag::make(Code::ProjectUnknownProvider, value_span(e->first, e->second), name, *provider);
          d.hint = close_match(*provider, {declared_providers_.begin(), declared_providers_.end()}) + d.hint;
          report(std::move(d));
        }
      }
    }

    if (auto* e = get("cost")) {
      if (auto cost = scalar(e->first, e->second, "`cost`")) {
        const std::string text(trim(*cost));
        auto micros = parse_cost(text);
        if (!micros) {
          const bool negative = !text.empty() && text[0] == '-';
          report(diag::make(
              Code::ProjectBadValue, value_span(e->first, e->second),
              negative ? fmt::format("the cost of channel `{}` is negative ({})", name, text)
                       : fmt::format("the cost of channel `{}` is `{}`, which is not a price", name, text),
              "write the price of one message (one SMS segment) as a decimal number of currency "
              "units with at most 6 decimals, e.g. 0.2 or 1.77"));
        } else {
          ch.cost_text = text;
          ch.cost_micros = *micros;
        }
      }
    }

    // A channel without a known kind is left out: the rest of the compiler relies on
    // every channel having one (its error is already reported).
    if (ch.kind) p.channels.push_back(std::move(ch));
  }

  const std::vector<std::string>& profile_paths(const Project& p) {
    if (!profile_paths_) {
      profile_paths_.emplace();
      collect_paths(p.profile, "", *profile_paths_);
    }
    return *profile_paths_;
  }

  void read_caps(const YAML::Node& k, const YAML::Node& v, Project& p) {
    if (!require_map(k, v, "`caps`", true) || v.IsNull()) return;
    std::vector<std::string> names = {"all"};
    names.insert(names.end(), declared_channels_.begin(), declared_channels_.end());
    for_each_entry(v, "`caps`", [&](const std::string& name, const YAML::Node& ck, const YAML::Node& cv) {
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        std::string hint = suggest(name, names, "caps take `all` or a channel name:");
        if (hint.rfind("did you mean", 0) == 0) hint += " (caps take `all` or a channel name)";
        report(diag::make(Code::ProjectUnknownKey, span(ck), name, "`caps`", hint));
        return;
      }
      auto text = scalar(ck, cv, "a cap");
      if (!text) return;
      auto cap = parse_cap(*text);
      if (!cap) {
        report(diag::make(Code::ProjectBadCap, value_span(ck, cv), *text));
        return;
      }
      cap->span = value_span(ck, cv);
      if (name == "all") {
        p.cap_all = *cap;
      } else {
        p.channel_caps[name] = *cap;
      }
    });
  }

  static std::optional<Cap> parse_cap(std::string_view text) {
    // "N per DURATION"
    std::istringstream in{std::string(text)};
    std::string count, per, duration, extra;
    if (!(in >> count >> per >> duration) || (in >> extra) || per != "per") return std::nullopt;
    if (count.empty() || count.size() > 9 || !std::all_of(count.begin(), count.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        }))
      return std::nullopt;
    const std::int64_t n = std::stoll(count);
    auto seconds = parse_duration(duration);
    if (n < 1 || !seconds || *seconds <= 0) return std::nullopt;
    Cap cap;
    cap.count = n;
    cap.per_seconds = *seconds;
    return cap;
  }

  const source::SourceFile& file_;
  source::FileId id_;
  std::size_t bom_;
  diag::Diagnostics& diags_;
  std::size_t visits_ = 0;
  bool too_complex_ = false;
  std::set<std::string> declared_providers_;    // including ones with errors, so channels
  std::vector<std::string> declared_channels_;  // and caps do not report them again
  std::optional<std::vector<std::string>> profile_paths_;
};

}  // namespace

const Channel* Project::channel(std::string_view name) const {
  for (const Channel& c : channels) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

const EventSchema* Project::event(std::string_view name) const {
  auto it = events.find(std::string(name));
  return it == events.end() ? nullptr : &it->second;
}

const types::Type* lookup_path(const types::Type& record, std::string_view dotted) {
  const types::Type* t = &record;
  std::size_t begin = 0;
  for (;;) {
    const std::size_t dot = dotted.find('.', begin);
    const std::string_view part =
        dotted.substr(begin, dot == std::string_view::npos ? std::string_view::npos : dot - begin);
    if (part.empty()) return nullptr;
    t = t->field(part);
    if (!t) return nullptr;
    if (dot == std::string_view::npos) return t;
    begin = dot + 1;
  }
}

LoadResult load_text(const std::string& path, std::string text, source::SourceMap& sources) {
  LoadResult result;
  const std::size_t size = text.size();
  if (size > kMaxProjectBytes) {
    // Keep only a prefix: the renderer needs the file, not ten megabytes of it.
    text.resize(std::min<std::size_t>(text.size(), 4096));
  }
  const source::FileId id = sources.add(path, std::move(text));
  const source::SourceFile& file = sources.file(id);
  const std::string& t = file.text();
  auto at = [&](std::size_t b, std::size_t e) {
    return SourceSpan{id, static_cast<std::uint32_t>(std::min(b, t.size())),
                      static_cast<std::uint32_t>(std::min(e, t.size()))};
  };

  if (size > kMaxProjectBytes) {
    result.diagnostics.add(diag::make(Code::FileTooLarge, at(0, 0), path, size, kMaxProjectBytes));
    return result;
  }
  if (auto bad = detail::find_invalid_utf8(t)) {
    result.diagnostics.add(diag::make(Code::InvalidUtf8, at(*bad, *bad + 1),
                                      fmt::format("{:02X}", static_cast<unsigned char>(t[*bad]))));
    return result;
  }
  if (auto deep = detail::find_excess_nesting(t, kMaxNesting)) {
    result.diagnostics.add(
        diag::make(Code::ProjectBadValue, at(deep->offset, deep->offset + 1),
                   fmt::format("cascade.yaml nests deeper than {} levels", kMaxNesting),
                   "a project file needs a few levels; look for runaway brackets or indentation"));
    return result;
  }

  if (auto control = find_control_character(t)) {
    result.diagnostics.add(
        diag::make(Code::ProjectBadValue, at(*control, *control + 1),
                   fmt::format("cascade.yaml contains a control character (0x{:02X})",
                               static_cast<unsigned char>(t[*control])),
                   "remove it; a YAML file holds only printable text, tabs and line breaks"));
    return result;
  }

  const std::size_t bom = t.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
  const std::string masked = mask_questions(t);
  auto yaml_error = [&](std::size_t pos, const std::string& message) {
    const std::size_t off = std::min(pos + bom, t.size());
    auto [said, hint] = explain_yaml_error(message);
    diag::Diagnostic d = diag::make(Code::ProjectYaml, at(off, off + 1), said);
    if (!hint.empty()) d.hint = hint;
    result.diagnostics.add(std::move(d));
  };
  YAML::Node root;
  DocumentScan scan;
  try {
    scan = scan_documents(masked);
    if (scan.stuck_at) {
      const std::size_t off = std::min(*scan.stuck_at + bom, t.size());
      yaml_error(*scan.stuck_at,
                 off < t.size() ? fmt::format("unexpected `{}`", t[off]) : "unexpected end of file");
      return result;
    }
    root = YAML::Load(masked);
  } catch (const YAML::Exception& e) {
    yaml_error(e.mark.pos < 0 ? t.size() : static_cast<std::size_t>(e.mark.pos), e.msg);
    return result;
  } catch (const std::exception& e) {
    yaml_error(0, e.what());
    return result;
  }

  Loader loader(file, id, bom, result.diagnostics);
  if (scan.documents > 1) {
    const std::size_t off = std::min(scan.second_at + bom, t.size());
    loader.report(diag::make(Code::ProjectBadValue, at(off, off + 1),
                             "cascade.yaml holds more than one YAML document",
                             "keep one document: remove the `---` separators after the first"));
  }
  Project p;
  p.path = path;
  p.file = id;
  p.profile = types::Type::record({});
  try {
    if (!loader.load_root(root, p)) return result;
  } catch (const std::exception& e) {
    // yaml-cpp's accessors throw on misuse; every access above is guarded, but a
    // loader bug must still come out as a diagnostic, not a crash.
    result.diagnostics.add(diag::make(Code::ProjectYaml, at(0, 0), e.what()));
    return result;
  }
  if (loader.too_complex()) return result;
  result.project = std::move(p);
  return result;
}

LoadResult load(const std::string& path, source::SourceMap& sources) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxProjectBytes) {
    LoadResult result;
    result.diagnostics.add(diag::make_unplaced(Code::FileTooLarge, path, size, kMaxProjectBytes));
    return result;
  }
  std::string text, error;
  if (!source::read_file(path, text, error)) {
    LoadResult result;
    result.diagnostics.add(diag::make_unplaced(Code::FileUnreadable, path, error));
    return result;
  }
  return load_text(path, std::move(text), sources);
}

std::optional<std::string> find_project_file(const std::string& start_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path dir = fs::absolute(start_dir.empty() ? fs::path(".") : fs::path(start_dir), ec);
  if (ec) return std::nullopt;
  if (fs::is_regular_file(dir, ec)) dir = dir.parent_path();
  dir = dir.lexically_normal();
  for (int guard = 0; guard < 4096; ++guard) {
    const fs::path candidate = dir / "cascade.yaml";
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
    if (!dir.has_parent_path() || dir.parent_path() == dir) break;
    dir = dir.parent_path();
  }
  return std::nullopt;
}

}  // namespace cascade::project
