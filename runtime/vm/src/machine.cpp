// The interpreter behind Machine::step: runs main from the instance's pc to its next
// suspension, and expression functions to their RET. See machine.hpp for the contract.
#include "cascade/vm/machine.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "cascade/stdlib/builtins.hpp"
#include "cascade/stdlib/sms.hpp"
#include "cascade/vm/engine.hpp"
#include "cascade/vm/ops.hpp"

namespace cascade::vm {

using bytecode::Instr;
using bytecode::Op;

std::string_view reason_name(Reason r) {
  switch (r) {
    case Reason::None: break;
    case Reason::NoAddress: return "no_address";
    case Reason::NoConsent: return "no_consent";
    case Reason::NoProvider: return "no_provider";
    case Reason::Capped: return "capped";
    case Reason::QuietHours: return "quiet_hours";
    case Reason::Limit: return "limit";
    case Reason::Goal: return "goal";
    case Reason::StopOn: return "stop_on";
    case Reason::Wait: return "wait";
  }
  return {};
}

std::string_view wait_word(WaitFor w) {
  switch (w) {
    case WaitFor::Time: return "time";
    case WaitFor::Delivered: return "delivered";
    case WaitFor::Opened: return "opened";
    case WaitFor::Clicked: return "clicked";
    case WaitFor::Event: return "event";
    case WaitFor::Goal: return "goal";
  }
  return {};
}

std::uint16_t Program::step_of(std::uint32_t send_pc) const {
  auto it = std::lower_bound(send_pcs.begin(), send_pcs.end(), send_pc);
  if (it == send_pcs.end() || *it != send_pc) return 0;
  return static_cast<std::uint16_t>(it - send_pcs.begin() + 1);
}

// Everything an instruction may read, for one step.
struct Machine::Ctx {
  const Env* env = nullptr;
  const Value* locals = nullptr;
  Time now = 0;
  Time trigger_at = 0;  // ticks and broadcasts: trigger.at
  int trigger_event = -1;  // module event index of the trigger (payload field mapping)
  int event_module = -1;   // module event index of env.event

  Ctx(const Program& p, const Env& e, const Value* l, Time n, Time t) : env(&e), locals(l), now(n), trigger_at(t) {
    if (p.module.scenario.trigger == bytecode::TriggerKind::Event) trigger_event = p.module.scenario.trigger_event;
    if (e.event)
      for (std::size_t k = 0; k < p.event_index.size(); ++k)
        if (p.event_index[k] == e.event_config) event_module = static_cast<int>(k);
  }
};

namespace {

std::uint64_t fnv1a(std::uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// wait_outcome's value for a WAIT_STEP (an event wait that also watches its step's message).
constexpr std::uint8_t kStepWait = 0xFF;

// MsgStatus ranks for "reached or better": delivered < opened < clicked.
bool reached(std::uint8_t status, std::uint8_t wanted) {
  return status != static_cast<std::uint8_t>(MsgStatus::Failed) && status >= wanted;
}

// Scratch text of one step, kept between steps so that steps allocate nothing once warm
// (thread_local: one engine runs on one thread at a time, and several engines may run at once).
thread_local std::string t_text;     // json_value: a value's rendering
thread_local std::string t_vars;     // a template's arguments as JSON
thread_local std::string t_link;     // link(): the tracked URL being built
thread_local std::string t_billed;   // sms_segments: the text with short links

void json_value(std::string& out, const Value& v) {
  switch (v.kind) {
    case Kind::Null: out += "null"; return;
    case Kind::Bool: out += v.i ? "true" : "false"; return;
    case Kind::Int:
    case Kind::Decimal: ops::render(v, out); return;
    case Kind::List: {
      out += '[';
      for (std::uint32_t k = 0; k < v.size; ++k) {
        if (k) out += ',';
        json_value(out, v.list[k]);
      }
      out += ']';
      return;
    }
    default: {
      std::string& text = t_text;
      text.clear();
      ops::render(v, text);
      append_json_string(out, text);
    }
  }
}

// Appends UTM tags to a URL, before any fragment.
std::string_view tracked_link(std::string_view url, std::string_view channel, std::string_view scenario,
                              std::uint16_t step, Arena& arena) {
  const std::size_t hash = url.find('#');
  const std::string_view base = url.substr(0, hash);
  const std::string_view fragment = hash == std::string_view::npos ? std::string_view() : url.substr(hash);
  std::string& s = t_link;
  s.clear();
  s += base;
  s += base.find('?') == std::string_view::npos ? '?' : '&';
  s += "utm_source=cascade&utm_medium=";
  s += channel;
  s += "&utm_campaign=";
  s += scenario;
  s += "&utm_content=";
  char digits[8];
  s.append(digits, std::to_chars(digits, digits + sizeof digits, step).ptr);
  s += fragment;
  return arena.copy(s);
}

// Appends an effect built in place (an Effect built on the stack and copied in is stored
// twice, and its copy reads back stores not yet retired: a store-forwarding stall per field).
template <class Fill>
void push(std::vector<Effect>& out, EffectKind kind, Fill&& fill) {
  Effect& e = out.emplace_back();
  e.kind = kind;
  fill(e);
}

}  // namespace

std::uint32_t Machine::bucket(std::string_view recipient, std::string_view scenario, std::string_view what) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  h = fnv1a(h, recipient);
  h = fnv1a(h, std::string_view("\x1f", 1));
  h = fnv1a(h, scenario);
  h = fnv1a(h, std::string_view("\x1f", 1));
  h = fnv1a(h, what);
  // FNV's low bits mix poorly for short keys: fold the high half in first.
  h ^= h >> 32;
  h *= 0x9E3779B97F4A7C15ULL;
  return static_cast<std::uint32_t>((h >> 32) % bytecode::kShareTotal);
}

// Executes expression-level instructions starting at pc until RET (expression functions) and
// returns the value. Used for functions only; main's expressions run inline in run().
Value Machine::expr(const Program& p, std::uint32_t pc, const Ctx& c) {
  std::uint32_t sp = 0;
  while (true) {
    const Instr& in = p.code[p.instr_at[pc]];
    if (in.op == Op::Ret) return sp ? stack_[sp - 1] : Value::null();
    if (!exec(p, pc, sp, c)) return Value::null();
  }
}

// Executes one non-effect instruction at pc (advancing pc). Returns false for an instruction
// that exec does not handle (effects, suspensions, END, RET, SPLIT): the caller does.
bool Machine::exec(const Program& p, std::uint32_t& pc, std::uint32_t& sp, const Ctx& c) {
  const Instr& in = p.code[p.instr_at[pc]];
  Value* st = stack_;
  const Env& env = *c.env;
  auto field_of = [&](const Record* r, int module_event, std::uint32_t field) -> Value {
    if (!r || module_event < 0) return Value::null();
    const auto& map = p.event_field[static_cast<std::size_t>(module_event)];
    return field < map.size() ? r->get(map[field]) : Value::null();
  };
  switch (in.op) {
    case Op::Const: st[sp++] = p.constants[in.operand[0]]; break;
    case Op::Null: st[sp++] = Value::null(); break;
    case Op::LoadProfile:
      st[sp++] = env.profile ? env.profile->get(p.profile_field[in.operand[0]]) : Value::null();
      break;
    case Op::LoadTrigger:
      if (p.module.scenario.trigger != bytecode::TriggerKind::Event) {
        st[sp++] = p.module.str(p.module.fields[in.operand[0]]) == "at" ? Value::time(c.trigger_at) : Value::null();
      } else {
        st[sp++] = field_of(env.trigger, c.trigger_event, in.operand[0]);
      }
      break;
    case Op::LoadEvent: st[sp++] = field_of(env.event, c.event_module, in.operand[0]); break;
    case Op::LoadLocal: st[sp++] = c.locals ? c.locals[in.operand[0]] : Value::null(); break;
    case Op::Now: st[sp++] = Value::time(c.now); break;
    case Op::Pop: --sp; break;
    case Op::Dup: st[sp] = st[sp - 1]; ++sp; break;
    case Op::Not: st[sp - 1] = st[sp - 1].is_null() ? Value::null() : Value::boolean(!st[sp - 1].truthy()); break;
    case Op::Neg: st[sp - 1] = ops::neg(st[sp - 1]); break;
    case Op::Add: --sp; st[sp - 1] = ops::add(st[sp - 1], st[sp], arena_); break;
    case Op::Sub: --sp; st[sp - 1] = ops::sub(st[sp - 1], st[sp]); break;
    case Op::Mul: --sp; st[sp - 1] = ops::mul(st[sp - 1], st[sp]); break;
    case Op::Div: --sp; st[sp - 1] = ops::div(st[sp - 1], st[sp]); break;
    case Op::Eq: --sp; st[sp - 1] = Value::boolean(ops::equal(st[sp - 1], st[sp])); break;
    case Op::Ne: --sp; st[sp - 1] = Value::boolean(!ops::equal(st[sp - 1], st[sp])); break;
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge: {
      --sp;
      const auto cmp = ops::compare(st[sp - 1], st[sp]);
      bool r = false;
      if (cmp) {
        r = in.op == Op::Lt ? *cmp < 0 : in.op == Op::Le ? *cmp <= 0 : in.op == Op::Gt ? *cmp > 0 : *cmp >= 0;
      }
      st[sp - 1] = Value::boolean(r);
      break;
    }
    case Op::In: --sp; st[sp - 1] = Value::boolean(ops::member(st[sp - 1], st[sp])); break;
    case Op::Coalesce:
      --sp;
      if (st[sp - 1].is_null()) st[sp - 1] = st[sp];
      break;
    case Op::Has: st[sp - 1] = Value::boolean(!st[sp - 1].is_null()); break;
    case Op::Concat: {
      const std::uint32_t n = in.operand[0];
      scratch_.clear();
      for (std::uint32_t k = sp - n; k < sp; ++k) ops::render(st[k], scratch_);
      sp -= n;
      st[sp++] = Value::string(arena_.copy(scratch_));
      break;
    }
    case Op::List: {
      const std::uint32_t n = in.operand[0];
      Value* v = arena_.values(n);
      std::copy(st + sp - n, st + sp, v);
      sp -= n;
      st[sp++] = Value::list_of(v, n);
      break;
    }
    case Op::Call: {
      const auto id = static_cast<builtins::Id>(in.operand[0]);
      const std::uint32_t argc = in.operand[1];
      const std::span<const Value> args(st + sp - argc, argc);
      Value r;
      if (id == builtins::Id::FormatTime) {
        if (argc == 2 && args[0].kind == Kind::Time && args[1].kind == Kind::String) {
          r = Value::string(arena_.copy(calendar::format_time(args[0].i, env.zone ? env.zone : calendar::utc(),
                                                              args[1].str())));
        }
      } else if (id == builtins::Id::Link) {
        if (argc == 1 && args[0].kind == Kind::String) {
          const std::uint16_t step = p.link_step[p.instr_at[pc]];
          std::string_view channel;
          if (step > 0) {
            const Instr& send = p.code[p.instr_at[p.send_pcs[step - 1]]];
            channel = env.channels[p.channel_index[send.operand[0]]].name;
          }
          r = Value::string(tracked_link(args[0].str(), channel, p.name, step, arena_));
          if (links_.size() < 64) links_.push_back(r.str());
        }
      } else if (id == builtins::Id::Has) {
        r = Value::boolean(argc == 1 && !args[0].is_null());
      } else if (auto v = ops::call_pure(id, args, c.now, arena_)) {
        r = *v;
      }
      sp -= argc;
      st[sp++] = r;
      break;
    }
    case Op::Jump: pc = in.operand[0]; return true;
    case Op::JumpIfFalse:
      --sp;
      pc = st[sp].truthy() ? pc + in.size : in.operand[0];
      return true;
    case Op::JumpIfTrue:
      --sp;
      pc = st[sp].truthy() ? in.operand[0] : pc + in.size;
      return true;
    default: return false;
  }
  pc += in.size;
  return true;
}

Value Machine::eval(const Program& p, std::uint16_t fn, Time now, const Env& env, Time trigger_at) {
  if (fn == bytecode::kNoFunction || fn >= p.module.functions.size()) return Value::null();
  return expr(p, p.module.functions[fn].offset, Ctx(p, env, nullptr, now, trigger_at));
}

void Machine::finish(const Program& p, Instance& inst, Time now, std::vector<Effect>& out, std::uint8_t outcome) {
  // The goal window outlives the statements (brief §8): a completed treated instance, or a
  // control member, keeps waiting for the goal until the window closes.
  const bool window_open = p.module.scenario.has_goal && inst.goal_until > now;
  if (outcome == static_cast<std::uint8_t>(Outcome::Completed) && window_open) {
    inst.state = State::GoalWindow;
    push(out, EffectKind::Wait, [&](Effect& w) { w.until = inst.goal_until; w.wait_for = WaitFor::Goal; });
    return;
  }
  inst.state = State::Ended;
  push(out, EffectKind::End, [&](Effect& e) { e.outcome = outcome; });
}

// SMS parts as the operator bills them, with every tracked link counted as the daemon's short
// redirect (LANGUAGE.md §8) — the trace shows the full URL, the bill the short one.
int Machine::sms_segments(std::string_view text) {
  if (links_.empty()) return sms::count(text).segments;
  std::string& billed = t_billed;
  billed.assign(text);
  static const std::string short_link(static_cast<std::size_t>(sms::kTrackedLinkLength), 'x');
  for (const std::string_view link : links_) {
    for (std::size_t at = billed.find(link); at != std::string::npos; at = billed.find(link, at + short_link.size()))
      billed.replace(at, link.size(), short_link);
  }
  return sms::count(billed).segments;
}

void Machine::step(const Program& p, Instance& inst, Value* locals, std::uint32_t* slots, const Input& in, Time now,
                   const Env& env, std::vector<Effect>& out) {
  const bytecode::Scenario& sc = p.module.scenario;
  switch (in.kind) {
    case InputKind::Start: {
      if (sc.has_goal) {
        const Value w = eval(p, sc.goal.within_fn, now, env, now);
        inst.goal_until = w.kind == Kind::Duration ? now + std::max<std::int64_t>(w.i, 0) : now;
      }
      if (inst.flags & kControl) {
        // A control member gets nothing, but waits out the goal window like the treated.
        if (sc.has_goal && inst.goal_until > now) {
          inst.state = State::GoalWindow;
          push(out, EffectKind::Wait, [&](Effect& e) { e.until = inst.goal_until; e.wait_for = WaitFor::Goal; });
        } else {
          inst.state = State::Ended;
          push(out, EffectKind::End, [&](Effect& e) { e.outcome = static_cast<std::uint8_t>(Outcome::Expired); });
        }
        return;
      }
      inst.pc = 0;
      break;
    }
    case InputKind::Timer:
      switch (inst.state) {
        case State::GoalWindow:
          inst.state = State::Ended;
          push(out, EffectKind::End, [&](Effect& e) {
            e.outcome = static_cast<std::uint8_t>((inst.flags & kControl) ? Outcome::Expired : Outcome::Completed);
          });
          return;
        case State::Sleeping:
        case State::Outcome:
        case State::Event: break;  // resume at pc: the wait's deadline, or a deferred send
        default: return;
      }
      break;
    case InputKind::Status:
      if (inst.state == State::Event && inst.wait_outcome == kStepWait && inst.wait_slot == in.slot) {
        // A cascade step waiting for an event moves on at once when its message fails.
        if (in.status != static_cast<std::uint8_t>(MsgStatus::Failed)) return;
        break;
      }
      if (inst.state != State::Outcome || inst.wait_slot != in.slot) return;
      if (reached(in.status, inst.wait_outcome)) {
        inst.pc = inst.target;
      } else if (in.status != static_cast<std::uint8_t>(MsgStatus::Failed)) {
        return;  // progress short of the wanted outcome: keep waiting
      }
      break;
    case InputKind::Event: {
      if (!env.event || inst.state == State::Ended || inst.state == State::Free) return;
      const std::uint64_t cfg = static_cast<std::uint64_t>(env.event_config);
      auto is = [&](std::uint16_t module_event) {
        return module_event < p.event_index.size() && static_cast<std::uint64_t>(p.event_index[module_event]) == cfg;
      };
      const Ctx ctx(p, env, locals, now, inst.payload);  // ticks keep their instant in `payload`
      auto where = [&](std::uint16_t fn) {
        if (fn == bytecode::kNoFunction) return true;
        return expr(p, p.module.functions[fn].offset, ctx).truthy();
      };
      if (sc.has_goal && is(sc.goal.event) && now <= inst.goal_until && where(sc.goal.where_fn)) {
        push(out, EffectKind::Consume, [&](Effect& e) { e.reason = Reason::Goal; });
        inst.state = State::Ended;
        push(out, EffectKind::End, [&](Effect& e) { e.outcome = static_cast<std::uint8_t>(Outcome::Converted); });
        return;
      }
      if (inst.state == State::GoalWindow) return;
      for (const bytecode::StopOn& so : sc.stop_on) {
        if (is(so.event) && where(so.where_fn)) {
          push(out, EffectKind::Consume, [&](Effect& e) { e.reason = Reason::StopOn; });
          inst.state = State::Ended;
          push(out, EffectKind::End, [&](Effect& e) { e.outcome = static_cast<std::uint8_t>(Outcome::Exited); });
          return;
        }
      }
      if (inst.state == State::Event && is(inst.wait_event) && where(inst.wait_fn)) {
        push(out, EffectKind::Consume, [&](Effect& e) { e.reason = Reason::Wait; });
        inst.pc = inst.target;
        break;
      }
      return;
    }
  }
  run(p, inst, locals, slots, now, env, out);
}

void Machine::run(const Program& p, Instance& inst, Value* locals, std::uint32_t* slots, Time now, const Env& env,
                  std::vector<Effect>& out) {
  const bytecode::Scenario& sc = p.module.scenario;
  const Ctx c(p, env, locals, now, inst.payload);
  std::uint32_t pc = inst.pc;
  std::uint32_t sp = 0;
  links_.clear();
  std::uint32_t clean_pc = pc;  // where the current statement's evaluation began (stack empty)
  std::uint32_t sent_this_step = 0;
  // Sends of this step, for caps and limits (they are not in env.sends yet).
  SentRecord fresh[16];
  std::uint32_t fresh_count = 0;
  auto sleep_until = [&](Time until) {
    inst.state = State::Sleeping;
    push(out, EffectKind::Wait, [&](Effect& w) { w.until = until; w.wait_for = WaitFor::Time; });
  };
  auto message_status = [&](std::uint32_t slot, Time* sent_at) -> std::uint8_t {
    const std::uint32_t number = slots[slot];
    if (number == 0 || number == kFailedSend) return static_cast<std::uint8_t>(MsgStatus::Failed);
    if (number >= env.next_message) {  // sent in this very step
      *sent_at = now;
      return static_cast<std::uint8_t>(MsgStatus::Sent);
    }
    if (!env.messages || number >= env.messages->size()) return static_cast<std::uint8_t>(MsgStatus::Failed);
    const Message& m = (*env.messages)[number];
    *sent_at = m.sent_at;
    return m.status;
  };

  for (int guard = 0; guard < (1 << 24); ++guard) {
    if (sp == 0) clean_pc = pc;
    const Instr& in = p.code[p.instr_at[pc]];
    switch (in.op) {
      case Op::Const:  // the commonest instruction of main, inline (exec is a call)
        stack_[sp++] = p.constants[in.operand[0]];
        pc += in.size;
        break;
      case Op::StoreLocal:
        --sp;
        locals[in.operand[0]] = intern_.keep(stack_[sp]);
        pc += in.size;
        break;
      case Op::Split: {
        const bytecode::Split& s = p.module.splits[in.operand[0]];
        const std::uint32_t b = bucket(env.recipient, p.name, p.module.str(s.name));
        std::uint32_t acc = 0;
        std::size_t chosen = s.branches.size() - 1;
        for (std::size_t k = 0; k < s.branches.size(); ++k) {
          acc += s.branches[k].share;
          if (b < acc) {
            chosen = k;
            break;
          }
        }
        pc = in.target_at(p.module.code, chosen);
        break;
      }
      case Op::Send:
      case Op::SendTemplate: {
        const std::uint8_t ch = p.channel_index[in.operand[0]];
        const ChannelInfo& info = env.channels[ch];
        const std::uint8_t slot = static_cast<std::uint8_t>(in.operand[1]);
        const std::uint16_t step = p.link_step[p.instr_at[pc]];  // a send's own step (Program)
        auto skip = [&](Reason reason) {
          slots[slot] = kFailedSend;
          push(out, EffectKind::Skip, [&](Effect& e) { e.channel = ch; e.slot = slot; e.step = step; e.reason = reason; });
        };
        const Value address = info.address_field >= 0 ? env.profile->get(info.address_field) : Value::string("-");
        if (address.is_null() || (address.kind == Kind::String && address.size == 0)) {
          skip(Reason::NoAddress);
        } else if (info.consent_field >= 0 && !env.profile->get(info.consent_field).truthy()) {
          skip(Reason::NoConsent);
        } else if (!info.has_provider) {
          skip(Reason::NoProvider);
        } else {
          // Quiet hours (the scenario's own, or the project's copied in at compile time).
          Time allowed = now;
          Reason why = Reason::None;
          for (const bytecode::QuietHours& q : sc.quiet_hours) {
            if (!q.channels.empty() &&
                std::find(q.channels.begin(), q.channels.end(), in.operand[0]) == q.channels.end())
              continue;
            const Time end = calendar::quiet_end(now, env.zone ? env.zone : calendar::utc(), q.from, q.to);
            if (end > allowed) {
              allowed = end;
              why = Reason::QuietHours;
            }
          }
          // Limits: at most count sends of this scenario (on the listed channels) per window.
          if (allowed == now) {
            for (const bytecode::Limit& l : sc.limits) {
              auto counts = [&](std::uint8_t channel) {
                if (l.channels.empty()) return true;
                for (std::uint8_t mc : l.channels)
                  if (p.channel_index[mc] == channel) return true;
                return false;
              };
              if (!counts(ch)) continue;
              std::vector<Time>& times = times_;
              times.clear();
              for (const SentRecord& r : env.sends)
                if (r.scenario == p.scenario && counts(r.channel) && r.at > now - l.per_seconds) times.push_back(r.at);
              for (std::uint32_t k = 0; k < fresh_count; ++k)
                if (fresh[k].scenario == p.scenario && counts(fresh[k].channel)) times.push_back(fresh[k].at);
              if (times.size() >= l.count && l.count > 0) {
                std::sort(times.begin(), times.end());
                const Time free_at = times[times.size() - l.count] + l.per_seconds;
                if (free_at > allowed) {
                  allowed = free_at;
                  why = Reason::Limit;
                }
              }
            }
          }
          if (allowed > now) {
            // Deferred: the statement runs again from its start when the window opens, so
            // the text is rendered when the message actually leaves.
            inst.pc = clean_pc;
            inst.state = State::Sleeping;
            push(out, EffectKind::Defer, [&](Effect& e) { e.channel = ch; e.slot = slot; e.step = step; e.reason = why; e.until = allowed; });
            return;
          }
          // Project caps: over the cap the send fails as `capped` (it is not deferred).
          bool capped = false;
          for (const CapRule& cap : env.caps) {
            if (cap.channel >= 0 && cap.channel != ch) continue;
            std::uint32_t n = 0;
            for (const SentRecord& r : env.sends)
              if ((cap.channel < 0 || r.channel == ch) && r.at > now - cap.per_seconds) ++n;
            for (std::uint32_t k = 0; k < fresh_count; ++k)
              if (cap.channel < 0 || fresh[k].channel == ch) ++n;
            if (n >= cap.count) capped = true;
          }
          if (capped) {
            skip(Reason::Capped);
          } else {
            Effect& e = out.emplace_back();
            e.kind = EffectKind::Send;
            e.channel = ch;
            e.slot = slot;
            e.step = step;
            if (in.op == Op::Send) {
              e.text = stack_[sp - 1].str();
              if (info.is_sms) e.segments = std::max(1, sms_segments(e.text));
            } else {
              const bytecode::Template& t = p.module.templates[in.operand[2]];
              e.template_index = in.operand[2];
              std::string& vars = t_vars;
              vars.assign(1, '{');
              const std::uint32_t argc = in.operand[3];
              for (std::uint32_t k = 0; k < argc && k < t.args.size(); ++k) {
                if (k) vars += ',';
                append_json_string(vars, p.module.str(t.args[k]));
                vars += ':';
                json_value(vars, stack_[sp - argc + k]);
              }
              vars += '}';
              e.vars_json = arena_.copy(vars);
              if (info.is_sms) e.segments = 1;
            }
            slots[slot] = env.next_message + sent_this_step++;
            if (fresh_count < 16) fresh[fresh_count++] = SentRecord{now, p.scenario, ch};
            inst.last_step = step;
          }
        }
        sp = 0;
        pc += in.size;
        break;
      }
      case Op::Wait:
      case Op::WaitUntil:
      case Op::WaitClock: {
        const Value v = stack_[--sp];
        Time until = now;
        if (in.op == Op::Wait) {
          if (v.kind == Kind::Duration && v.i > 0) until = now + v.i;
        } else if (in.op == Op::WaitUntil) {
          if (v.kind == Kind::Time) until = v.i;
        } else if (v.kind == Kind::Clock) {
          until = calendar::next_clock(now, env.zone ? env.zone : calendar::utc(), static_cast<int>(v.i));
        }
        pc += in.size;
        if (until > now) {
          inst.pc = pc;
          sleep_until(until);
          return;
        }
        break;
      }
      case Op::WaitOutcome: {
        const Value v = stack_[--sp];
        const std::uint8_t slot = static_cast<std::uint8_t>(in.operand[0]);
        const std::uint8_t wanted = static_cast<std::uint8_t>(in.operand[1] + static_cast<std::uint32_t>(MsgStatus::Delivered));
        Time sent_at = now;
        const std::uint8_t status = message_status(slot, &sent_at);
        const Time until = sent_at + (v.kind == Kind::Duration ? std::max<std::int64_t>(v.i, 0) : 0);
        if (reached(status, wanted)) {
          pc = in.operand[2];
          break;
        }
        pc += in.size;
        if (status == static_cast<std::uint8_t>(MsgStatus::Failed) || until <= now) break;
        inst.pc = pc;
        inst.target = in.operand[2];
        inst.wait_slot = slot;
        inst.wait_outcome = wanted;
        inst.state = State::Outcome;
        push(out, EffectKind::Wait, [&](Effect& e) { e.slot = slot; e.until = until; e.wait_for = static_cast<WaitFor>(static_cast<std::uint8_t>(WaitFor::Delivered) + std::min<std::uint32_t>(in.operand[1], 2)); });
        return;
      }
      case Op::WaitEvent:
      case Op::WaitStep: {
        // WAIT_STEP has the slot first; the event, function and target follow as in WAIT_EVENT.
        const std::size_t o = in.op == Op::WaitStep ? 1 : 0;
        const Value v = stack_[--sp];
        Time from = now;
        if (in.op == Op::WaitStep) {
          const std::uint8_t status = message_status(static_cast<std::uint8_t>(in.operand[0]), &from);
          if (status == static_cast<std::uint8_t>(MsgStatus::Failed)) {
            pc += in.size;
            break;
          }
        }
        const Time until = from + (v.kind == Kind::Duration ? std::max<std::int64_t>(v.i, 0) : 0);
        pc += in.size;
        if (until <= now) break;
        inst.pc = pc;
        inst.target = in.operand[2 + o];
        inst.wait_event = static_cast<std::uint16_t>(in.operand[0 + o]);
        inst.wait_fn = static_cast<std::uint16_t>(in.operand[1 + o]);
        inst.wait_slot = static_cast<std::uint8_t>(in.operand[0]);
        inst.wait_outcome = in.op == Op::WaitStep ? kStepWait : 0;
        inst.state = State::Event;
        push(out, EffectKind::Wait, [&](Effect& e) { e.until = until; e.wait_for = WaitFor::Event; e.wait_event = static_cast<std::uint16_t>(in.operand[o]); });
        return;
      }
      case Op::End:
        inst.pc = pc;
        finish(p, inst, now, out,
               static_cast<std::uint8_t>(in.operand[0] == 1 ? Outcome::Stopped : Outcome::Completed));
        return;
      default:
        if (exec(p, pc, sp, c)) break;
        // RET or an unknown instruction in main cannot pass the verifier; end defensively.
        inst.state = State::Ended;
        push(out, EffectKind::End, [&](Effect& e) { e.outcome = static_cast<std::uint8_t>(Outcome::Stopped); });
        return;
    }
  }
  // A loop that never suspends (the language has no loops, so only a corrupt program).
  inst.state = State::Ended;
  push(out, EffectKind::End, [&](Effect& e) { e.outcome = static_cast<std::uint8_t>(Outcome::Stopped); });
}

}  // namespace cascade::vm
