// The .cbc writer and reader (the layout is in module.hpp and docs/bytecode.md).
//
// The reader treats its input as hostile: every read is bounds-checked, every count is checked
// against the bytes left before anything is allocated for it, and the first problem becomes the
// Error with its absolute byte offset.
#include "cascade/bytecode/io.hpp"
#include "cascade/bytecode/bytes.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>

#include "cascade/bytecode/verify.hpp"

namespace cascade::bytecode {

namespace {

constexpr std::array<std::uint8_t, 4> kMagic = {'C', 'B', 'C', 0};
constexpr std::array<std::uint8_t, 4> kBundleMagic = {'C', 'B', 'B', 0};
constexpr std::size_t kHeaderSize = 20;
constexpr std::size_t kDirEntrySize = 12;
constexpr std::size_t kChecksumSize = 8;

constexpr std::string_view kSectionNames[] = {"?",         "strings",  "constants", "code",
                                              "spans",     "channels", "events",    "fields",
                                              "templates", "splits",   "scenario",  "sources"};

std::string_view section_name(std::uint16_t id) {
  return id <= kSectionCount ? kSectionNames[id] : "?";
}

// ---------------------------------------------------------------------------------------------
// Writing

using Writer = ByteWriter;

void put_channels(Writer& w, const std::vector<std::uint8_t>& chans) {
  w.u8(chans.size());
  for (auto c : chans) w.u8(c);
}

// The bytes of each section, indexed by id - 1.
std::array<std::vector<std::uint8_t>, kSectionCount> encode_sections(const Module& m) {
  std::array<Writer, kSectionCount> w;
  {
    Writer& s = w[0];  // strings
    s.u32(m.strings.size());
    for (const auto& str : m.strings) {
      s.u32(str.size());
      s.bytes.insert(s.bytes.end(), str.begin(), str.end());
    }
  }
  {
    Writer& s = w[1];  // constants
    s.u32(m.constants.size());
    for (const Constant& c : m.constants) {
      s.u8(static_cast<std::uint8_t>(c.kind));
      switch (c.kind) {
        case ConstKind::Int:
        case ConstKind::Duration:
        case ConstKind::Time:
          s.i64(c.value);
          break;
        case ConstKind::Decimal:
          s.i64(c.value);
          s.u8(c.scale);
          break;
        case ConstKind::Clock:
          s.u16(static_cast<std::uint64_t>(c.value));
          break;
        case ConstKind::Bool:
          s.u8(static_cast<std::uint64_t>(c.value));
          break;
        case ConstKind::String:
          s.u32(static_cast<std::uint64_t>(c.value));
          break;
      }
    }
  }
  {
    Writer& s = w[2];  // code
    s.u16(m.locals);
    s.u16(m.slots);
    s.u16(m.functions.size());
    for (const Function& f : m.functions) {
      s.u8(static_cast<std::uint8_t>(f.kind));
      s.u32(f.name);
      s.u32(f.offset);
      s.u32(f.length);
    }
    s.u32(m.code.size());
    s.bytes.insert(s.bytes.end(), m.code.begin(), m.code.end());
  }
  {
    Writer& s = w[3];  // spans, delta-encoded
    s.u32(m.spans.size());
    std::uint32_t offset = 0, line = 0;
    for (const Span& sp : m.spans) {
      s.uvar(static_cast<std::uint32_t>(sp.offset - offset));
      s.uvar(sp.file);
      s.svar(static_cast<std::int64_t>(sp.line) - static_cast<std::int64_t>(line));
      s.uvar(sp.column);
      s.uvar(static_cast<std::uint32_t>(sp.end_line - sp.line));
      s.uvar(sp.end_column);
      offset = sp.offset;
      line = sp.line;
    }
  }
  {
    Writer& s = w[4];  // channels
    s.u16(m.channels.size());
    for (const Channel& c : m.channels) {
      s.u32(c.name);
      s.u32(c.kind);
    }
  }
  {
    Writer& s = w[5];  // events
    s.u16(m.events.size());
    for (const Event& e : m.events) {
      s.u32(e.name);
      s.u16(e.fields.size());
      for (auto f : e.fields) s.u32(f);
    }
  }
  {
    Writer& s = w[6];  // fields
    s.u16(m.fields.size());
    for (auto f : m.fields) s.u32(f);
  }
  {
    Writer& s = w[7];  // templates
    s.u16(m.templates.size());
    for (const Template& t : m.templates) {
      s.u32(t.name);
      s.u8(t.args.size());
      for (auto a : t.args) s.u32(a);
    }
  }
  {
    Writer& s = w[8];  // splits
    s.u16(m.splits.size());
    for (const Split& sp : m.splits) {
      s.u32(sp.name);
      s.u8(sp.branches.size());
      for (const Branch& b : sp.branches) {
        s.u32(b.name);
        s.u16(b.share);
      }
    }
  }
  {
    Writer& s = w[9];  // scenario
    const Scenario& sc = m.scenario;
    s.u32(sc.name);
    s.u32(sc.title);
    s.u8(static_cast<std::uint8_t>(sc.trigger));
    s.u16(sc.trigger_event);
    s.i64(sc.every_seconds);
    s.u16(sc.every_at);
    s.u16(sc.trigger_where_fn);
    s.u16(sc.audience_fn);
    s.u16(sc.control);
    s.u8(sc.urgent ? 1 : 0);
    s.u8(static_cast<std::uint8_t>(sc.reentry));
    s.i64(sc.reentry_seconds);
    s.u8(sc.quiet_hours.size());
    for (const QuietHours& q : sc.quiet_hours) {
      s.u16(q.from);
      s.u16(q.to);
      put_channels(s, q.channels);
    }
    s.u8(sc.limits.size());
    for (const Limit& l : sc.limits) {
      s.u32(l.count);
      s.i64(l.per_seconds);
      put_channels(s, l.channels);
    }
    s.u8(sc.has_goal ? 1 : 0);
    if (sc.has_goal) {
      s.u16(sc.goal.event);
      s.u16(sc.goal.where_fn);
      s.u16(sc.goal.within_fn);
    }
    s.u8(sc.stop_on.size());
    for (const StopOn& so : sc.stop_on) {
      s.u16(so.event);
      s.u16(so.where_fn);
    }
  }
  {
    Writer& s = w[10];  // sources
    s.u16(m.sources.size());
    for (const SourceFile& f : m.sources) {
      s.u32(f.name);
      s.u64(f.hash);
    }
  }
  std::array<std::vector<std::uint8_t>, kSectionCount> out;
  for (std::size_t i = 0; i < kSectionCount; ++i) out[i] = std::move(w[i].bytes);
  return out;
}

// Spans and sources describe where code came from, not what it does: they stay out of the
// program hash so that an edit that only moves lines keeps instances' program version.
bool hashed_section(std::uint16_t id) {
  return id != static_cast<std::uint16_t>(SectionId::Spans) &&
         id != static_cast<std::uint16_t>(SectionId::Sources);
}

std::uint64_t hash_section(std::uint64_t h, std::uint16_t id, std::span<const std::uint8_t> bytes) {
  Writer w;
  w.u16(id);
  w.u32(bytes.size());
  h = fnv1a64(w.bytes, h);
  return fnv1a64(bytes, h);
}

// ---------------------------------------------------------------------------------------------
// Reading

using Reader = ByteReader;

std::vector<std::uint8_t> get_channels(Reader& r) {
  std::vector<std::uint8_t> out(r.count8(1, "channels"));
  for (auto& c : out) c = r.u8("channel");
  return out;
}

void read_section(Reader& r, SectionId id, Module& m) {
  switch (id) {
    case SectionId::Strings: {
      m.strings.resize(r.count32(4, "strings"));
      for (std::size_t i = 0; i < m.strings.size() && !r.failed(); ++i) {
        const std::size_t at = r.pos();
        const std::uint32_t n = r.u32("string length");
        auto bytes = r.take(n, "string");
        m.strings[i].assign(bytes.begin(), bytes.end());
        if (!r.failed() && !valid_utf8(m.strings[i]))
          r.fail(at, fmt::format("string {} is not valid UTF-8", i));
      }
      break;
    }
    case SectionId::Constants: {
      m.constants.resize(r.count32(2, "constants"));
      for (std::size_t i = 0; i < m.constants.size() && !r.failed(); ++i) {
        Constant& c = m.constants[i];
        c.kind = static_cast<ConstKind>(r.small(7, "constant kind"));
        switch (c.kind) {
          case ConstKind::Int:
          case ConstKind::Duration:
          case ConstKind::Time:
            c.value = r.i64("constant");
            break;
          case ConstKind::Decimal: {
            c.value = r.i64("decimal");
            const std::size_t at = r.pos();
            c.scale = r.u8("decimal scale");
            if (!r.failed() && c.scale > 18) r.fail(at, fmt::format("decimal scale {} is above 18", c.scale));
            break;
          }
          case ConstKind::Clock:
            c.value = r.u16("clock");
            break;
          case ConstKind::Bool:
            c.value = r.small(2, "bool constant");
            break;
          case ConstKind::String:
            c.value = r.u32("string constant");
            break;
        }
      }
      break;
    }
    case SectionId::Code: {
      m.locals = r.u16("locals");
      m.slots = r.u16("slots");
      m.functions.resize(r.count16(13, "functions"));
      for (Function& f : m.functions) {
        f.kind = static_cast<FunctionKind>(r.small(2, "function kind"));
        f.name = r.u32("function name");
        f.offset = r.u32("function offset");
        f.length = r.u32("function length");
      }
      const std::size_t at = r.pos();
      const std::uint32_t n = r.u32("code length");
      if (!r.failed() && n > kMaxCode)
        r.fail(at, fmt::format("code of {} bytes is above the limit {}", n, kMaxCode));
      auto bytes = r.take(n, "code");
      m.code.assign(bytes.begin(), bytes.end());
      break;
    }
    case SectionId::Spans: {
      m.spans.resize(r.count32(6, "spans"));
      std::uint64_t offset = 0;
      std::int64_t line = 0;
      for (std::size_t i = 0; i < m.spans.size() && !r.failed(); ++i) {
        Span& s = m.spans[i];
        const std::size_t at = r.pos();
        const std::uint32_t delta = r.uvar32("span offset");
        if (i > 0 && delta == 0 && !r.failed()) r.fail(at, "span offsets must ascend");
        offset += delta;
        s.file = r.uvar32("span file");
        line += r.svar("span line");
        s.column = r.uvar32("span column");
        const std::uint64_t end_line = static_cast<std::uint64_t>(line) + r.uvar32("span end line");
        s.end_column = r.uvar32("span end column");
        if (!r.failed() && (offset > 0xFFFFFFFFu || line < 0 || line > 0xFFFFFFFF || end_line > 0xFFFFFFFFu))
          r.fail(at, "span out of range");
        s.offset = static_cast<std::uint32_t>(offset);
        s.line = static_cast<std::uint32_t>(line);
        s.end_line = static_cast<std::uint32_t>(end_line);
      }
      break;
    }
    case SectionId::Channels:
      m.channels.resize(r.count16(8, "channels"));
      for (Channel& c : m.channels) {
        c.name = r.u32("channel name");
        c.kind = r.u32("channel kind");
      }
      break;
    case SectionId::Events:
      m.events.resize(r.count16(6, "events"));
      for (Event& e : m.events) {
        e.name = r.u32("event name");
        e.fields.resize(r.count16(4, "event fields"));
        for (auto& f : e.fields) f = r.u32("event field");
      }
      break;
    case SectionId::Fields:
      m.fields.resize(r.count16(4, "fields"));
      for (auto& f : m.fields) f = r.u32("field path");
      break;
    case SectionId::Templates:
      m.templates.resize(r.count16(5, "templates"));
      for (Template& t : m.templates) {
        t.name = r.u32("template name");
        t.args.resize(r.count8(4, "template args"));
        for (auto& a : t.args) a = r.u32("template arg");
      }
      break;
    case SectionId::Splits:
      m.splits.resize(r.count16(5, "splits"));
      for (Split& s : m.splits) {
        s.name = r.u32("split name");
        s.branches.resize(r.count8(6, "split branches"));
        for (Branch& b : s.branches) {
          b.name = r.u32("branch name");
          b.share = r.u16("branch share");
        }
      }
      break;
    case SectionId::Scenario: {
      Scenario& sc = m.scenario;
      sc.name = r.u32("scenario name");
      sc.title = r.u32("scenario title");
      sc.trigger = static_cast<TriggerKind>(r.small(3, "trigger kind"));
      sc.trigger_event = r.u16("trigger event");
      sc.every_seconds = r.i64("trigger period");
      sc.every_at = r.u16("trigger clock");
      sc.trigger_where_fn = r.u16("trigger where");
      sc.audience_fn = r.u16("audience");
      sc.control = r.u16("control share");
      sc.urgent = r.small(2, "urgent flag") != 0;
      sc.reentry = static_cast<ReentryKind>(r.small(3, "reentry kind"));
      sc.reentry_seconds = r.i64("reentry duration");
      sc.quiet_hours.resize(r.count8(5, "quiet hours"));
      for (QuietHours& q : sc.quiet_hours) {
        q.from = r.u16("quiet hours from");
        q.to = r.u16("quiet hours to");
        q.channels = get_channels(r);
      }
      sc.limits.resize(r.count8(13, "limits"));
      for (Limit& l : sc.limits) {
        l.count = r.u32("limit count");
        l.per_seconds = r.i64("limit period");
        l.channels = get_channels(r);
      }
      sc.has_goal = r.small(2, "goal flag") != 0;
      if (sc.has_goal) {
        sc.goal.event = r.u16("goal event");
        sc.goal.where_fn = r.u16("goal where");
        sc.goal.within_fn = r.u16("goal within");
      }
      sc.stop_on.resize(r.count8(4, "stop on"));
      for (StopOn& so : sc.stop_on) {
        so.event = r.u16("stop on event");
        so.where_fn = r.u16("stop on where");
      }
      break;
    }
    case SectionId::Sources:
      m.sources.resize(r.count16(12, "sources"));
      for (SourceFile& f : m.sources) {
        f.name = r.u32("source name");
        f.hash = r.u64("source hash");
      }
      break;
  }
}

struct ReadInfo {
  std::size_t code_bytes_at = 0;  // file offset of the first code byte (for load()'s errors)
};

Result<Module> read_module(std::span<const std::uint8_t> bytes, ReadInfo* ri, const ReadOptions& opts) {
  Reader h(bytes, 0, bytes.size());
  for (std::size_t i = 0; i < 4; ++i)
    if (h.u8("magic") != kMagic[i] || h.failed()) return Error{0, "not a .cbc file (bad magic)"};
  const std::uint16_t version = h.u16("format version");
  if (h.failed()) return h.error();
  if (version != kFormatVersion)
    return Error{4, fmt::format("unsupported format version {} (this build reads version {})", version,
                                kFormatVersion)};
  if (bytes.size() < kHeaderSize + kChecksumSize)
    return Error{bytes.size(), fmt::format("truncated: {} bytes is shorter than a header", bytes.size())};
  const std::size_t body = bytes.size() - kChecksumSize;
  if (opts.check_integrity) {
    Reader c(bytes, body, bytes.size());
    const std::uint64_t stored = c.u64("checksum");
    const std::uint64_t actual = fnv1a64(bytes.first(body));
    if (stored != actual)
      return Error{body,
                   fmt::format("bad checksum: stored {:016x}, computed {:016x} (corrupt or truncated file)",
                               stored, actual)};
  }
  const std::size_t flags_at = h.pos();
  if (h.u16("flags") != 0) return Error{flags_at, "unknown flags set"};
  const std::uint64_t stored_hash = h.u64("program hash");
  const std::size_t count_at = h.pos();
  const std::uint16_t nsections = h.u16("section count");
  h.u16("reserved");
  if (h.failed()) return h.error();
  if (nsections != kSectionCount)
    return Error{count_at,
                 fmt::format("{} sections; format version {} has exactly {}", nsections, kFormatVersion, kSectionCount)};
  const std::size_t dir_end = kHeaderSize + kDirEntrySize * kSectionCount;
  if (dir_end > body) return Error{kHeaderSize, "truncated: the section directory does not fit in the file"};

  Module m;
  std::uint64_t hash = 0xcbf29ce484222325ull;
  std::size_t expected_at = dir_end;
  for (std::uint16_t i = 0; i < kSectionCount; ++i) {
    const std::size_t entry_at = h.pos();
    const std::uint16_t id = h.u16("section id");
    const std::uint16_t reserved = h.u16("reserved");
    const std::uint32_t offset = h.u32("section offset");
    const std::uint32_t length = h.u32("section length");
    if (h.failed()) return h.error();
    if (id != i + 1)
      return Error{entry_at,
                   id == 0 || id > kSectionCount
                       ? fmt::format("unknown section id {}", id)
                       : fmt::format("section {} is missing or out of order (found {} in place {})",
                                     section_name(static_cast<std::uint16_t>(i + 1)), section_name(id), i)};
    if (reserved != 0) return Error{entry_at + 2, "reserved directory bytes are not zero"};
    const std::string_view name = section_name(id);
    if (offset > body || length > body - offset)
      return Error{entry_at + 4,
                   fmt::format("section {} at [{}, {}) is outside the file (sections end at {})", name,
                               offset, std::uint64_t{offset} + length, body)};
    if (offset < expected_at)
      return Error{entry_at + 4, fmt::format("section {} at {} overlaps what precedes it (ends at {})", name,
                                             offset, expected_at)};
    if (offset > expected_at)
      return Error{entry_at + 4,
                   fmt::format("gap of {} bytes before section {}", offset - expected_at, name)};
    Reader r(bytes, offset, offset + length);
    if (id == static_cast<std::uint16_t>(SectionId::Code) && ri) ri->code_bytes_at = offset;
    read_section(r, static_cast<SectionId>(id), m);
    if (r.failed()) return Error{r.error().offset, fmt::format("{} section: {}", name, r.error().message)};
    if (r.left() != 0)
      return Error{r.pos(), fmt::format("{} unread bytes at the end of section {}", r.left(), name)};
    if (hashed_section(id)) hash = hash_section(hash, id, bytes.subspan(offset, length));
    expected_at = std::size_t{offset} + length;
  }
  if (expected_at != body)
    return Error{expected_at,
                 fmt::format("{} bytes between the last section and the checksum", body - expected_at)};
  if (opts.check_integrity && hash != stored_hash)
    return Error{
        8, fmt::format("program hash {:016x} does not match the sections ({:016x})", stored_hash, hash)};
  if (ri) ri->code_bytes_at += 6 + 13 * m.functions.size() + 4;
  return m;
}

}  // namespace

std::uint64_t fnv1a64(std::span<const std::uint8_t> bytes, std::uint64_t h) {
  for (std::uint8_t b : bytes) {
    h ^= b;
    h *= 0x100000001b3ull;
  }
  return h;
}

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

std::uint64_t program_hash(const Module& m) {
  const auto sections = encode_sections(m);
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::uint16_t id = 1; id <= kSectionCount; ++id)
    if (hashed_section(id)) h = hash_section(h, id, sections[id - 1]);
  return h;
}

std::vector<std::uint8_t> write(const Module& m) {
  const auto sections = encode_sections(m);
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::uint16_t id = 1; id <= kSectionCount; ++id)
    if (hashed_section(id)) h = hash_section(h, id, sections[id - 1]);
  Writer w;
  w.bytes.insert(w.bytes.end(), kMagic.begin(), kMagic.end());
  w.u16(kFormatVersion);
  w.u16(0);
  w.u64(h);
  w.u16(kSectionCount);
  w.u16(0);
  std::size_t offset = kHeaderSize + kDirEntrySize * kSectionCount;
  for (std::uint16_t id = 1; id <= kSectionCount; ++id) {
    w.u16(id);
    w.u16(0);
    w.u32(offset);
    w.u32(sections[id - 1].size());
    offset += sections[id - 1].size();
  }
  for (const auto& s : sections) w.bytes.insert(w.bytes.end(), s.begin(), s.end());
  w.u64(fnv1a64(w.bytes));
  return std::move(w.bytes);
}

Result<Module> read(std::span<const std::uint8_t> bytes, const ReadOptions& opts) {
  return read_module(bytes, nullptr, opts);
}

Result<Module> load(std::span<const std::uint8_t> bytes) {
  ReadInfo ri;
  auto r = read_module(bytes, &ri, ReadOptions{});
  if (!r) return r;
  const VerifyResult v = verify(r.value());
  if (!v.ok()) {
    const VerifyError& e = v.errors.front();
    const std::size_t at = e.function >= 0 ? ri.code_bytes_at + e.pc : 0;
    return Error{at, "verifier: " + v.to_string().substr(0, v.to_string().find('\n'))};
  }
  return r;
}

bool is_bundle(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 4 && std::equal(kBundleMagic.begin(), kBundleMagic.end(), bytes.begin());
}

std::vector<std::uint8_t> write_bundle(std::span<const Module> modules) {
  std::vector<std::vector<std::uint8_t>> parts;
  for (const Module& m : modules) parts.push_back(write(m));
  Writer w;
  w.bytes.insert(w.bytes.end(), kBundleMagic.begin(), kBundleMagic.end());
  w.u16(kFormatVersion);
  w.u16(0);
  w.u32(parts.size());
  std::size_t offset = 12 + 8 * parts.size();
  for (const auto& p : parts) {
    w.u32(offset);
    w.u32(p.size());
    offset += p.size();
  }
  for (const auto& p : parts) w.bytes.insert(w.bytes.end(), p.begin(), p.end());
  return std::move(w.bytes);
}

Result<std::vector<Module>> read_bundle(std::span<const std::uint8_t> bytes, const ReadOptions& opts) {
  if (!is_bundle(bytes)) return Error{0, "not a .cbc bundle (bad magic)"};
  Reader h(bytes, 4, bytes.size());
  const std::uint16_t version = h.u16("bundle version");
  h.u16("reserved");
  if (h.failed()) return h.error();
  if (version != kFormatVersion)
    return Error{4, fmt::format("unsupported bundle version {} (this build reads version {})", version,
                                kFormatVersion)};
  const std::size_t n = h.count32(8, "modules");
  if (h.failed()) return h.error();
  std::vector<Module> out;
  out.reserve(n);
  std::size_t expected_at = 12 + 8 * n;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t entry_at = h.pos();
    const std::uint32_t offset = h.u32("module offset");
    const std::uint32_t length = h.u32("module length");
    if (h.failed()) return h.error();
    if (offset != expected_at || length > bytes.size() - std::min<std::size_t>(offset, bytes.size()))
      return Error{entry_at, fmt::format("module {} at [{}, {}) is not where the bundle's modules lie", i,
                                         offset, std::uint64_t{offset} + length)};
    auto r = read(bytes.subspan(offset, length), opts);
    if (!r) return Error{offset + r.error().offset, fmt::format("module {}: {}", i, r.error().message)};
    out.push_back(std::move(r.value()));
    expected_at = std::size_t{offset} + length;
  }
  if (expected_at != bytes.size())
    return Error{expected_at,
                 fmt::format("{} trailing bytes after the bundle's last module", bytes.size() - expected_at)};
  return out;
}

}  // namespace cascade::bytecode
