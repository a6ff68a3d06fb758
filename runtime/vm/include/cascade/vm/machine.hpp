// The step function: one instance, one input, one instant → the instance's next state and the
// effects the host must carry out.
//
// A Program is a verified module plus what loading resolved once (field indexes into the
// profile and payload shapes, constants as Values, the step number of every send). It is
// immutable and shared by every instance of that scenario version.
//
// An Instance is flat: a fixed 64-byte header (below) plus `locals` Values and `slots` message
// numbers in a block of its program's slab. Nothing on the interpreter's stack survives a
// step (the bytecode guarantees the stack is empty at every suspension), so a waiting
// instance is just this header, its block, one timer entry and its index entries.
//
// step() reads the instance, the input, `now` and a read-only Env (the recipient's profile,
// zone and recent sends, the trigger payload). It writes the instance and appends Effects;
// it touches nothing else, so the same code serves run, test, simulate and serve, and the
// same inputs always give the same effects.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cascade/bytecode/module.hpp"
#include "cascade/vm/calendar.hpp"
#include "cascade/vm/paged.hpp"
#include "cascade/vm/record.hpp"
#include "cascade/vm/timers.hpp"
#include "cascade/vm/value.hpp"

namespace cascade::vm {

inline constexpr std::uint32_t kNone = 0xFFFFFFFF;
inline constexpr Time kNever = INT64_MAX;

// A channel as the engine resolved it from the Config.
struct ChannelInfo {
  std::string name, kind;
  int address_field = -1;  // profile leaf, or -1: no address needed
  int consent_field = -1;  // profile leaf, or -1: no consent needed
  bool has_provider = true;
  bool is_sms = false;
  std::int64_t cost_micros = 0;
};

struct Program {
  bytecode::Module module;
  std::uint16_t id = 0;          // index in the engine's program list
  std::uint16_t scenario = 0;    // the scenario's key (versions of one scenario share it)
  std::string name;              // scenario name
  std::vector<Value> constants;  // module constants as Values
  std::vector<int> profile_field;              // module field → profile leaf (-1 unknown)
  std::vector<std::vector<int>> event_field;   // module event → module field → payload leaf
  std::vector<int> event_index;                // module event → Config event index
  std::vector<std::uint8_t> channel_index;     // module channel → engine channel
  std::vector<std::uint32_t> send_pcs;         // pc of every send, ascending; step = position + 1
  std::vector<std::uint32_t> send_branch;      // per step: split branch name string, or kNoString
  std::vector<bytecode::Instr> code;           // main and functions, decoded once
  std::vector<std::uint32_t> instr_at;         // code offset → index in `code` (kNone between)
  std::vector<std::uint16_t> link_step;        // per instruction: step a link() there is made for
                                               // (at a send in main: that send's own step)

  std::uint16_t step_of(std::uint32_t send_pc) const;  // 0 when not a send
};

enum class State : std::uint8_t {
  Free,        // slot unused
  Sleeping,    // wait / wait until / a deferred send: resume at pc at the deadline
  Outcome,     // WAIT_OUTCOME: slot's message reaching `outcome` → target; failed/deadline → pc
  Event,       // WAIT_EVENT: event `wait_event` (where wait_fn) → target; deadline → pc
  GoalWindow,  // statements done (or a control member): only the goal can still come
  Ended,
};

// The fixed part of an instance: 56 bytes (locals and slots live in the program's slab; the
// current wait's deadline lives in its timer entry).
struct Instance {
  std::uint32_t recipient = kNone;
  std::uint32_t next = kNone;      // the recipient's next instance (intrusive list)
  std::uint32_t payload = kNone;   // trigger payload handle
  std::uint32_t number = 0;        // the instance's number (trace, message ownership)
  std::uint32_t pc = 0;            // resume point in main
  std::uint32_t target = 0;        // where a successful outcome / event wait continues
  std::uint32_t block = kNone;     // locals + slots in the program's slab
  std::uint16_t program = 0;
  std::uint16_t last_step = 0;     // the last step actually sent (attribution)
  std::uint16_t wait_event = 0;    // module event index of an event wait
  std::uint16_t wait_fn = 0;
  State state = State::Free;
  std::uint8_t wait_slot = 0;
  std::uint8_t wait_outcome = 0;   // MsgStatus rank wanted
  std::uint8_t flags = 0;          // kControl
  Time goal_until = kNever;        // the goal window's end (kNever: no goal)
  TimerHandle timer{};
};
static_assert(sizeof(Instance) == 56, "the per-instance budget");
inline constexpr std::uint8_t kControl = 1;

// A message as the host keeps it (indexed by message number; number 0 is unused).
struct Message {
  Time sent_at = 0;
  std::uint32_t instance = kNone;  // owning instance's index
  std::uint32_t number = 0;        // owning instance's number (stale index detection)
  std::uint16_t program = 0;
  std::uint16_t step = 0;
  std::uint8_t channel = 0;
  std::uint8_t slot = 0;
  std::uint8_t status = 0;  // MsgStatus
};
inline constexpr std::uint32_t kFailedSend = 0xFFFFFFFF;  // a slot whose send failed at once

struct SentRecord {
  Time at;
  std::uint16_t scenario;
  std::uint8_t channel;
};
struct CapRule {
  int channel = -1;  // engine channel, -1 all
  std::uint32_t count = 0;
  std::int64_t per_seconds = 0;
};

// What step() may read besides the instance.
struct Env {
  const Record* profile = nullptr;
  calendar::Zone zone = nullptr;
  std::string_view recipient;
  const Record* trigger = nullptr;    // payload (null for ticks / broadcasts)
  const Record* event = nullptr;      // the event being matched, when the input is an event
  int event_config = -1;              // its Config event index
  std::span<const SentRecord> sends;  // the recipient's recent sends, oldest first
  std::span<const ChannelInfo> channels;
  std::span<const CapRule> caps;
  const Paged<Message>* messages = nullptr;  // the host's message table
  std::uint32_t next_message = 1;     // the number the step's first send gets
};

enum class InputKind : std::uint8_t { Start, Timer, Status, Event };
struct Input {
  InputKind kind = InputKind::Start;
  std::uint8_t slot = 0;    // Status: the slot whose message changed
  std::uint8_t status = 0;  // Status: the message's status after the report (MsgStatus)
};

enum class EffectKind : std::uint8_t {
  Send,      // a message leaves: number = env.next_message + k for the k-th Send of the step
  Skip,      // a send that could not be made (reason), slot marked kFailedSend
  Defer,     // a send postponed to `until` (reason): the instance sleeps until then
  Wait,      // the instance suspends until `until` (or the outcome / event it waits for)
  Consume,   // the input event was consumed (goal, stop on, event wait): trace it
  End,       // the instance ends with `outcome`
};

// Why a send was skipped or deferred, or why an event was consumed (the trace's "reason" /
// "as"): codes, so that an effect carries no string and the host compares no text.
enum class Reason : std::uint8_t {
  None, NoAddress, NoConsent, NoProvider, Capped, QuietHours, Limit, Goal, StopOn, Wait,
};
std::string_view reason_name(Reason r);  // "no_address", …, "" for None

// What a Wait effect waits for besides its deadline (the trace's "for").
enum class WaitFor : std::uint8_t { Time, Delivered, Opened, Clicked, Event, Goal };
// "time", "delivered", "opened", "clicked", "goal"; an event wait's word is its event's name.
std::string_view wait_word(WaitFor w);

// One cache line: a step's effects are written in place into the host's vector and read
// once, so their size is the step's store traffic.
struct Effect {
  EffectKind kind = EffectKind::Send;
  std::uint8_t channel = 0;  // engine channel
  std::uint8_t slot = 0;
  std::uint8_t outcome = 0;  // End: Outcome
  std::uint16_t step = 0;
  std::uint16_t wait_event = 0;  // Wait for an event: the module event index
  WaitFor wait_for = WaitFor::Time;  // Wait
  Reason reason = Reason::None;      // Skip / Defer / Consume
  std::int32_t segments = 0;  // Send on SMS
  std::uint32_t template_index = bytecode::kNoString;  // Send: module template, or kNoString
  Time until = 0;              // Defer / Wait
  std::string_view text;       // Send: rendered text (step arena)
  std::string_view vars_json;  // Send: template arguments as a JSON object (step arena)
};
static_assert(sizeof(Effect) == 64);

// The interpreter. One per engine; it keeps the scratch stack and arena, so steps allocate
// nothing once warm. Strings stored into locals are interned so they outlive the step.
class Machine {
 public:
  // Runs one step of `inst` (of `p`, with its block `locals` / `slots`). Appends effects; on
  // return the instance's state says what it waits for (a Wait / Defer effect carries the
  // deadline the host must set a timer for) or Ended.
  void step(const Program& p, Instance& inst, Value* locals, std::uint32_t* slots, const Input& in,
            Time now, const Env& env, std::vector<Effect>& out);

  // Evaluates expression function fn (audience, trigger where, goal within) for a recipient
  // outside any instance (locals none; trigger.at = trigger_at for ticks and broadcasts).
  Value eval(const Program& p, std::uint16_t fn, Time now, const Env& env, Time trigger_at);

  // The stable hash of (recipient, scenario, what) onto 0..9999 (split and control).
  static std::uint32_t bucket(std::string_view recipient, std::string_view scenario, std::string_view what);

  // Clears the step arena (the host calls it after it has consumed a step's effects).
  void reset_arena() { arena_.clear(); }
  std::size_t interned_bytes() const { return intern_.memory_bytes(); }
  // A copy of v whose strings live as long as the machine (a local restored from a snapshot).
  Value keep(const Value& v) { return intern_.keep(v); }

 private:
  struct Ctx;
  void run(const Program& p, Instance& inst, Value* locals, std::uint32_t* slots, Time now, const Env& env,
           std::vector<Effect>& out);
  Value expr(const Program& p, std::uint32_t pc, const Ctx& c);
  bool exec(const Program& p, std::uint32_t& pc, std::uint32_t& sp, const Ctx& c);
  void finish(const Program& p, Instance& inst, Time now, std::vector<Effect>& out, std::uint8_t outcome);
  int sms_segments(std::string_view text);

  Value stack_[bytecode::kMaxStack + 8];
  Arena arena_;
  InternPool intern_;
  std::string scratch_;
  std::vector<Time> times_;  // limit checks: the recent send times that count
  // Tracked links made in this step's run (views into the step arena), which SMS billing
  // counts as short links.
  std::vector<std::string_view> links_;
};

}  // namespace cascade::vm
