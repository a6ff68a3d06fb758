// The .cbc format: one compiled scenario, as plain data, and how it is laid out in bytes.
//
// WHAT A MODULE IS. A module holds one scenario: its code (a main body and small expression
// functions), the tables that code indexes (constants, strings, field paths, channels, events,
// templates, splits), the scenario's settings (trigger, audience, goal, stop-on, quiet hours,
// limits, reentry, control), a span table mapping code back to source, and the source files'
// names and hashes. The compiler writes modules (lowering); the VM reads, verifies and runs them.
// This library never links the compiler: the file is the whole contract between the two.
//
// THE MACHINE. An instance of a scenario has three kinds of storage:
//   * the step stack: operands of one step only. It is empty at every instruction flagged
//     `settle` (sends, waits, END, RET), so nothing on it lives across a suspension and the VM
//     keeps no interpreter stack per waiting instance. Its depth is bounded by kMaxStack.
//   * locals: `locals` registers per instance that live across suspensions (let, the split
//     choice, deadlines lowering wants to keep).
//   * slots: one per send site (`slots`), tracking that message's id and status for outcome
//     waits (WAIT_OUTCOME slot …).
// Function 0 is the main body (it ends in END); the other functions are expression functions
// (trigger where, audience, goal where/within, stop-on where, event-wait where): each takes no
// arguments, reads profile / trigger / event / locals, and returns one value with RET. The
// functions tile the code: function 0 starts at offset 0 and each next one starts where the
// previous ended. Jumps are absolute code offsets and never leave their function.
//
// ENCODING. All integers are little-endian and written byte by byte; nothing is memcpy'd, so
// the file is the same on every machine. Layout:
//
//   offset  size  field
//   0       4     magic "CBC\0"
//   4       2     format version (kFormatVersion)
//   6       2     flags (0; reserved)
//   8       8     program hash: FNV-1a 64 over (id u16, length u32, bytes) of every section
//                 except spans and sources, in directory order — it changes when behaviour can
//                 change, not when a comment moves a line
//   16      2     section count (kSectionCount)
//   18      2     reserved (0)
//   20      12×n  directory: id u16, reserved u16 (0), offset u32, length u32, ids ascending
//   …             the sections, contiguous, in directory order
//   end-8   8     checksum: FNV-1a 64 of every byte before it
//
// Each section's encoding is in docs/bytecode.md; a section must be consumed exactly. String
// indexes are u32 (kNoString = none), other table indexes u16 or u8 as the operands say.
//
// LIMITS. The reader never allocates from a count before checking that the remaining bytes
// can hold that many elements; kMaxCode and friends bound everything else.
//
// VERSION HISTORY.
//   1  the first format: 11 sections, 41 opcodes.
//   2  WAIT_STEP: a `cascade until EVENT` step also falls through when its message fails.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cascade/bytecode/opcodes.hpp"

namespace cascade::bytecode {

inline constexpr std::uint16_t kFormatVersion = 2;
inline constexpr std::uint32_t kNoString = 0xFFFFFFFF;
inline constexpr std::uint16_t kNoClock = 0xFFFF;
inline constexpr std::uint32_t kMaxStack = 256;
inline constexpr std::uint32_t kMaxCode = 16u << 20;  // bytes of code per module
inline constexpr std::uint16_t kShareTotal = 10000;   // basis points: 100%

enum class SectionId : std::uint16_t {
  Strings = 1,
  Constants,
  Code,
  Spans,
  Channels,
  Events,
  Fields,
  Templates,
  Splits,
  Scenario,
  Sources,
};
inline constexpr std::uint16_t kSectionCount = 11;

enum class ConstKind : std::uint8_t { Int, Decimal, Duration, Time, Clock, Bool, String };

// One constant. `value` holds the int, the decimal's units (value / 10^scale), the duration in
// seconds, the time in Unix seconds (UTC), the clock in minutes after midnight, the bool (0/1)
// or the string index.
struct Constant {
  ConstKind kind = ConstKind::Int;
  std::int64_t value = 0;
  std::uint8_t scale = 0;  // Decimal only, ≤ 18
  bool operator==(const Constant&) const = default;
};

enum class FunctionKind : std::uint8_t { Main, Expr };

struct Function {
  FunctionKind kind = FunctionKind::Expr;
  std::uint32_t name = kNoString;  // for listings: "main", "audience", "goal.where", …
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
  bool operator==(const Function&) const = default;
};

// The source span of the code from `offset` up to the next entry's offset.
struct Span {
  std::uint32_t offset = 0;
  std::uint32_t file = 0;                                            // index into Module::sources
  std::uint32_t line = 0, column = 0, end_line = 0, end_column = 0;  // 1-based
  bool operator==(const Span&) const = default;
};

struct SourceFile {
  std::uint32_t name = kNoString;
  std::uint64_t hash = 0;  // FNV-1a 64 of the file's bytes
  bool operator==(const SourceFile&) const = default;
};

struct Channel {
  std::uint32_t name = kNoString;  // the project's channel name ("email")
  std::uint32_t kind = kNoString;  // its stdlib kind ("email", "sms", …)
  bool operator==(const Channel&) const = default;
};

struct Event {
  std::uint32_t name = kNoString;
  std::vector<std::uint32_t> fields;  // field names, for listings and input checks
  bool operator==(const Event&) const = default;
};

struct Template {
  std::uint32_t name = kNoString;
  std::vector<std::uint32_t> args;  // argument names, in the order SEND_TEMPLATE pops them
  bool operator==(const Template&) const = default;
};

struct Branch {
  std::uint32_t name = kNoString;
  std::uint16_t share = 0;  // basis points; a split's shares sum to kShareTotal
  bool operator==(const Branch&) const = default;
};

struct Split {
  std::uint32_t name = kNoString;
  std::vector<Branch> branches;  // 1..255
  bool operator==(const Split&) const = default;
};

enum class TriggerKind : std::uint8_t { Event, Every, Manual };
enum class ReentryKind : std::uint8_t { Never, Parallel, After };

struct QuietHours {
  std::uint16_t from = 0, to = 0;      // minutes after midnight; from > to wraps midnight
  std::vector<std::uint8_t> channels;  // empty: every channel
  bool operator==(const QuietHours&) const = default;
};

struct Limit {
  std::uint32_t count = 0;
  std::int64_t per_seconds = 0;
  std::vector<std::uint8_t> channels;  // empty: every channel
  bool operator==(const Limit&) const = default;
};

struct Goal {
  std::uint16_t event = 0;
  std::uint16_t where_fn = kNoFunction;   // bool
  std::uint16_t within_fn = kNoFunction;  // duration
  bool operator==(const Goal&) const = default;
};

struct StopOn {
  std::uint16_t event = 0;
  std::uint16_t where_fn = kNoFunction;
  bool operator==(const StopOn&) const = default;
};

struct Scenario {
  std::uint32_t name = kNoString;
  std::uint32_t title = kNoString;
  TriggerKind trigger = TriggerKind::Event;
  std::uint16_t trigger_event = 0;    // TriggerKind::Event
  std::int64_t every_seconds = 0;     // TriggerKind::Every
  std::uint16_t every_at = kNoClock;  // TriggerKind::Every: minutes after midnight, or none
  std::uint16_t trigger_where_fn = kNoFunction;
  std::uint16_t audience_fn = kNoFunction;
  std::uint16_t control = 0;  // basis points held out
  bool urgent = false;
  ReentryKind reentry = ReentryKind::Never;
  std::int64_t reentry_seconds = 0;  // ReentryKind::After
  std::vector<QuietHours> quiet_hours;
  std::vector<Limit> limits;
  bool has_goal = false;
  Goal goal;
  std::vector<StopOn> stop_on;
  bool operator==(const Scenario&) const = default;
};

struct Module {
  std::vector<std::string> strings;  // UTF-8
  std::vector<Constant> constants;
  std::uint16_t locals = 0;
  std::uint16_t slots = 0;
  std::vector<Function> functions;  // functions[0] is the main body
  std::vector<std::uint8_t> code;
  std::vector<Span> spans;  // ascending offsets
  std::vector<Channel> channels;
  std::vector<Event> events;
  std::vector<std::uint32_t> fields;  // dotted profile / event field paths, as string indexes
  std::vector<Template> templates;
  std::vector<Split> splits;
  Scenario scenario;
  std::vector<SourceFile> sources;  // sources[0] is the scenario's own file
  bool operator==(const Module&) const = default;

  // The string at i, or "" when i is out of range (listings of unverified modules).
  std::string_view str(std::uint32_t i) const { return i < strings.size() ? strings[i] : std::string_view(); }
};

}  // namespace cascade::bytecode
