// Engine snapshots: the engine's whole state as bytes, and back (engine.hpp, docs/runtime.md).
//
// The format is the engine's state, field by field, little-endian, in the order below. Indexes
// (instances, blocks, messages, payloads, free lists) are kept exactly, not renumbered: the
// order in which free slots are reused decides future instance indexes, and equal instants
// fire timers by instance index, so a renumbered restore would drift from an uninterrupted run.
// Restoring checks every index before it is used, so hostile bytes give an error, never a
// wild read; the programs are checked by their hash.
//
// Restoring is on the daemon's start path (10 M recipients are gigabytes), so the format is cut
// into sections that decode independently: the recipients in chunks of kChunk, each with its
// byte length, then the rest (instances, slabs, messages, payloads, ticks) with its length.
// Two threads decode them at once into pre-sized tables; the cross-checks and the indexes that
// need every recipient (the id table, time zones, instance lists, timers) run after.
#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <thread>
#include <type_traits>

#include <xxhash.h>

#include "cascade/bytecode/bytes.hpp"
#include "engine_impl.hpp"

namespace cascade::vm {

namespace {

constexpr std::uint32_t kMagic = 0x504E5343;  // "CSNP"
constexpr std::uint32_t kVersion = 4;  // 4: the checksum is a tree of 1 MiB block sums
constexpr std::size_t kChunk = 1 << 16;  // recipients per independently decodable chunk
constexpr int kMaxListDepth = 8;

using bytecode::ByteReader;
using bytecode::ByteWriter;

void put_string(ByteWriter& w, std::string_view s) {
  w.u32(s.size());
  w.bytes.insert(w.bytes.end(), s.begin(), s.end());
}

void put_value(ByteWriter& w, const Value& v) {
  w.u8(static_cast<std::uint8_t>(v.kind));
  switch (v.kind) {
    case Kind::Null: break;
    case Kind::Decimal:
      w.svar(v.i);
      w.u8(v.scale);
      break;
    case Kind::String: put_string(w, v.str()); break;
    case Kind::List:
      w.u32(v.size);
      for (std::uint32_t k = 0; k < v.size; ++k) put_value(w, v.list[k]);
      break;
    default: w.svar(v.i); break;
  }
}

void put_values(ByteWriter& w, std::span<const Value> values) {
  w.u32(values.size());
  for (const Value& v : values) put_value(w, v);
}

// Values read from a snapshot point into the snapshot's bytes (strings) and into `lists`
// (list elements) until the caller copies them into their owner.
struct ValueReader {
  ByteReader& r;
  std::deque<std::vector<Value>> lists;

  Value value(int depth = 0) {
    const std::size_t at = r.pos();
    const auto kind = static_cast<Kind>(r.small(static_cast<std::uint8_t>(Kind::List) + 1, "value kind"));
    if (r.failed()) return {};
    Value v;
    v.kind = kind;
    switch (kind) {
      case Kind::Null: break;
      case Kind::Decimal:
        v.i = r.svar("decimal");
        v.scale = r.u8("decimal scale");
        if (v.scale > 18) r.fail(at, fmt::format("decimal scale {} is above 18", v.scale));
        break;
      case Kind::String: {
        const std::uint32_t n = r.u32("string length");
        const auto bytes = r.take(n, "string");
        v = Value::string(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
        break;
      }
      case Kind::List: {
        if (depth >= kMaxListDepth) {
          r.fail(at, "lists nested too deep");
          return {};
        }
        const std::size_t n = r.count32(1, "list elements");
        std::vector<Value>& elements = lists.emplace_back(n);
        for (std::size_t k = 0; k < n && !r.failed(); ++k) elements[k] = value(depth + 1);
        v = Value::list_of(elements.data(), static_cast<std::uint32_t>(n));
        break;
      }
      default: v.i = r.svar("number"); break;
    }
    return r.failed() ? Value{} : v;
  }

  // A profile or payload, stored as its image (Record::append_image).
  Record record() {
    Record out;
    std::string error;
    const std::size_t at = r.pos();
    const std::size_t used = Record::from_image(r.rest(), out, error);
    if (used == 0) {
      if (!r.failed()) r.fail(at, error);
      return out;
    }
    r.take(used, "record");
    return out;
  }
};

std::vector<std::uint32_t> get_u32s(ByteReader& r, const char* what) {
  std::vector<std::uint32_t> out(r.count32(4, what));
  for (auto& x : out) x = r.u32(what);
  return out;
}

void put_u32s(ByteWriter& w, const std::vector<std::uint32_t>& xs) {
  w.u32(xs.size());
  for (std::uint32_t x : xs) w.u32(x);
}

}  // namespace


std::uint32_t snapshot_format() { return kVersion; }

// XXH3 of each 1 MiB block of the body, then XXH3 of the blocks' sums (each little-endian) —
// as strong against damage as one XXH3 over the body, but two threads share it. At 10 M
// recipients the body is gigabytes, and one thread took seconds of the restart, mostly
// waiting for memory touched for the first time.
std::uint64_t snapshot_checksum(std::span<const std::uint8_t> body) {
  constexpr std::size_t kBlock = std::size_t{1} << 20;
  const std::size_t nblocks = (body.size() + kBlock - 1) / kBlock;
  std::vector<std::uint8_t> sums(nblocks * 8);
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t k; (k = next.fetch_add(1, std::memory_order_relaxed)) < nblocks;) {
      const std::size_t begin = k * kBlock;
      const std::uint64_t sum = XXH3_64bits(body.data() + begin, std::min(kBlock, body.size() - begin));
      for (int b = 0; b < 8; ++b) sums[k * 8 + static_cast<std::size_t>(b)] = static_cast<std::uint8_t>(sum >> (8 * b));
    }
  };
  std::thread helper;
  if (nblocks > 4) helper = std::thread(work);
  work();
  if (helper.joinable()) helper.join();
  return XXH3_64bits(sums.data(), sums.size());
}

std::optional<std::uint32_t> snapshot_format_of(std::string_view bytes) {
  const std::span<const std::uint8_t> data(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  ByteReader r(data, 0, data.size());
  const std::uint32_t magic = r.u32("magic");
  const std::uint32_t version = r.u32("version");
  if (r.failed() || magic != kMagic) return std::nullopt;
  return version;
}

namespace {

// A check whose message is a string or a function making one: most checks pass, and formatting
// a message per recipient and instance cost more than the checks themselves.
template <class Message>
bool check_in(ByteReader& r, bool ok, Message&& message) {
  if (!ok && !r.failed()) {
    if constexpr (std::is_invocable_v<Message>)
      r.fail(r.pos(), message());
    else
      r.fail(r.pos(), std::string(message));
  }
  return ok && !r.failed();
}

// A length-prefixed section: its u64 length is written first and patched when it is known.
struct Section {
  ByteWriter& w;
  std::size_t at;
  explicit Section(ByteWriter& writer) : w(writer), at(writer.bytes.size()) { w.u64(0); }
  ~Section() { w.patch(at, w.bytes.size() - at - 8, 8); }
};

}  // namespace

std::string Engine::Impl::save() const {
  std::vector<std::uint8_t> bytes;
  save_into(bytes);
  return std::string(bytes.begin(), bytes.end());
}

void Engine::save_into(std::vector<std::uint8_t>& out) const { impl_->save_into(out); }

void Engine::Impl::save_into(std::vector<std::uint8_t>& out) const {
  ByteWriter w;
  w.bytes = std::move(out);
  w.bytes.clear();
  {
    // The size, nearly exactly (record images are their block's size less 4 bytes), so the
    // buffer is allocated once.
    std::size_t size = 4096 + programs.size() * 8;
    for (std::size_t ri = 0; ri < recipients.size(); ++ri) {
      const Recipient& r = recipients[ri];
      size += 4 + r.id.size() + r.profile.image_bytes_bound() + 12 + 4 + r.sends.size() * 11 + channels.size() * 4 + 14 +
              r.more_entries.size() * 10;
    }
    size += instances.size() * 40 + free_instances.size() * 4 + messages.size() * 23 + timers.size() * 12;
    for (std::size_t i = 0; i < payloads.size(); ++i) size += payloads[i].image_bytes_bound() + 16;
    for (std::size_t k = 0; k < slabs.size(); ++k) {
      const std::size_t blocks = slabs[k].slots.blocks();
      size += blocks * (programs[k]->module.slots * 4 + (slabs[k].has_locals ? 8 + programs[k]->module.locals * 24 : 0));
    }
    size += (recipients.size() / kChunk + payloads.size() / kChunk + 8) * 16;
    w.bytes.reserve(size);
  }
  w.u32(kMagic);
  w.u32(kVersion);
  w.u16(programs.size());
  for (const auto& p : programs) w.u64(bytecode::program_hash(p->module));

  w.u8(clock_started);
  w.u8(ticking);
  w.i64(now);
  w.i64(timers.now());
  w.u32(next_number);
  w.u64(live);

  w.u32(recipients.size());
  w.u32((recipients.size() + kChunk - 1) / kChunk);
  for (std::size_t first = 0; first < recipients.size(); first += kChunk) {
    const std::size_t count = std::min(kChunk, recipients.size() - first);
    w.u32(count);
    Section chunk(w);
    for (std::size_t ri = first; ri < first + count; ++ri) {
      const Recipient& r = recipients[ri];
      put_string(w, r.id);
      r.profile.append_image(w.bytes);
      w.u32(r.head);
      w.u32(r.sends.size());
      for (const SentRecord& s : r.sends) {
        w.i64(s.at);
        w.u16(s.scenario);
        w.u8(s.channel);
      }
      for (std::size_t c = 0; c < channels.size(); ++c) w.u32(latest_messages[ri * channels.size() + c]);
      w.u16(r.first_entry.scenario);
      w.i64(r.first_entry.last_start);
      w.u32(r.more_entries.size());
      for (const Entry& e : r.more_entries) {
        w.u16(e.scenario);
        w.i64(e.last_start);
      }
    }
  }

  {
    Section section(w);
    w.u32(instances.size());
    for (std::size_t i = 0; i < instances.size(); ++i) {
      const Instance& in = instances[i];
      w.u32(in.recipient);
      w.u32(in.next);
      w.u32(in.payload);
      w.u32(in.number);
      w.u32(in.pc);
      w.u32(in.target);
      w.u32(in.block);
      w.u16(in.program);
      w.u16(in.last_step);
      w.u16(in.wait_event);
      w.u16(in.wait_fn);
      w.u8(static_cast<std::uint8_t>(in.state));
      w.u8(in.wait_slot);
      w.u8(in.wait_outcome);
      w.u8(in.flags);
      w.i64(in.goal_until);
    }
    put_u32s(w, free_instances);
  }

  {
    Section section(w);
    for (std::size_t k = 0; k < slabs.size(); ++k) {
      Slab& slab = const_cast<Slab&>(slabs[k]);  // at() is not const; nothing is written
      w.u32(slab.slots.blocks());
      put_u32s(w, slab.slots.free_blocks());
      const std::size_t width = programs[k]->module.slots;
      for (std::uint32_t b = 0; b < slab.slots.blocks(); ++b) {
        const std::uint32_t* s = slab.slots.at(b);
        for (std::size_t j = 0; j < width; ++j) w.u32(s[j]);
      }
      if (slab.has_locals) {
        const std::size_t n = programs[k]->module.locals;
        for (std::uint32_t b = 0; b < slab.slots.blocks(); ++b)
          put_values(w, std::span<const Value>(slab.locals.at(b), n));
      }
    }
  }

  {
    Section section(w);
    w.u32(messages.size());
    for (std::size_t i = 0; i < messages.size(); ++i) {
      const Message& m = messages[i];
      w.i64(m.sent_at);
      w.u32(m.instance);
      w.u32(m.number);
      w.u16(m.program);
      w.u16(m.step);
      w.u8(m.channel);
      w.u8(m.slot);
      w.u8(m.status);
    }
  }

  w.u32(payloads.size());
  w.u32((payloads.size() + kChunk - 1) / kChunk);
  for (std::size_t first = 0; first < payloads.size(); first += kChunk) {
    const std::size_t count = std::min(kChunk, payloads.size() - first);
    w.u32(count);
    Section chunk(w);
    for (std::size_t i = first; i < first + count; ++i) {
      payloads[i].append_image(w.bytes);
      w.u32(payload_refs[i]);
    }
  }

  {
    Section section(w);
    put_u32s(w, free_payloads);
    w.u32(tick_entries.size());
    for (const Tick& t : tick_entries) {
      w.u32(t.recipient);
      w.u16(t.program);
    }
  }

  std::vector<std::pair<Time, std::uint32_t>> pending;
  pending.reserve(timers.size());
  timers.for_each_pending([&](std::uint32_t id, Time when) { pending.emplace_back(when, id); });
  std::sort(pending.begin(), pending.end());  // the same state gives the same bytes
  w.u32(pending.size());
  for (const auto& [when, id] : pending) {
    w.u32(id);
    w.i64(when);
  }
  w.u32(kMagic);  // the end mark
  // The checksum: a snapshot damaged on disk is refused whole, before any of it is believed.
  w.u64(snapshot_checksum(w.bytes));
  out = std::move(w.bytes);
}

std::optional<EngineError> Engine::Impl::restore(std::string_view bytes, std::shared_ptr<const void> keep) {
  if (clock_started || !recipients.empty() || !instances.empty())
    return EngineError{"a snapshot can only be restored into a fresh engine"};
  if (bytes.size() < 16) return EngineError{fmt::format("snapshot byte 0: truncated: {} bytes", bytes.size())};
  const std::size_t body = bytes.size() - 8;
  const std::span<const std::uint8_t> data(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  using Clock = std::chrono::steady_clock;
  auto since = [](Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); };
  restore_timings = {};
  auto phase = Clock::now();
  {
    ByteReader sum(data, body, bytes.size());
    if (sum.u64("checksum") != snapshot_checksum(data.first(body)))
      return EngineError{fmt::format("snapshot byte {}: bad checksum (the file is damaged or truncated)", body)};
  }
  restore_timings.checksum_seconds = since(phase);
  phase = Clock::now();
  ByteReader r(data, 0, body);
  auto error_of = [](const ByteReader& reader) {
    return EngineError{fmt::format("snapshot byte {}: {}", reader.error().offset, reader.error().message)};
  };
  auto error = [&]() { return error_of(r); };
  auto check = [&](bool ok, auto&& message) { return check_in(r, ok, message); };

  if (r.u32("magic") != kMagic && !r.failed()) r.fail(0, "not an engine snapshot (bad magic)");
  const std::uint32_t version = r.u32("version");
  check(version == kVersion, [&] { return fmt::format("snapshot format {} is not {}", version, kVersion); });
  const std::size_t nprog = r.count16(8, "programs");
  check(nprog == programs.size(),
        [&] { return fmt::format("the snapshot has {} programs, the engine {}", nprog, programs.size()); });
  for (std::size_t k = 0; k < nprog && !r.failed(); ++k) {
    const std::uint64_t h = r.u64("program hash");
    check(h == bytecode::program_hash(programs[k]->module),
          [&] { return fmt::format("program {} (`{}`) is not the one the snapshot was made with", k, programs[k]->name); });
  }
  if (r.failed()) return error();

  clock_started = r.u8("clock") != 0;
  ticking = r.u8("ticking") != 0;
  now = r.i64("now");
  const Time wheel_now = r.i64("wheel time");
  check(wheel_now <= now, "the timer wheel is ahead of the clock");
  next_number = r.u32("next instance number");
  live = r.u64("live instances");

  // The section table: where each section (and each chunk of recipients and payloads) begins
  // and ends.
  enum class Part { Recipients, Instances, Slabs, Messages, Payloads, Rest };
  struct Job {
    Part part = Part::Rest;
    std::size_t begin = 0, end = 0;    // bytes
    std::size_t first = 0, count = 0;  // a chunk's recipients or payloads
  };
  std::vector<Job> jobs;
  auto section = [&](Part part) {
    Job job;
    job.part = part;
    const std::uint64_t length = r.u64("section length");
    job.begin = r.pos();
    if (!check(length <= r.left(), "section length runs past the end")) return;
    r.take(length, "section");
    job.end = r.pos();
    jobs.push_back(job);
  };
  auto chunks = [&](Part part, std::size_t min_size, const char* what) {
    const std::size_t n = r.count32(min_size, what);
    const std::size_t nchunks = r.u32("chunks");
    check(nchunks == (n + kChunk - 1) / kChunk, "chunks: not the count the elements need");
    std::size_t first = 0;
    for (std::size_t k = 0; k < nchunks && !r.failed(); ++k) {
      const std::size_t count = r.u32("chunk size");
      if (!check(count == std::min(kChunk, n - first), "chunk size: not the chunk's share")) break;
      section(part);
      if (r.failed()) break;
      jobs.back().first = first;
      jobs.back().count = count;
      first += count;
    }
    return n;
  };
  const std::size_t nrec = chunks(Part::Recipients, 16, "recipients");
  section(Part::Instances);
  section(Part::Slabs);
  section(Part::Messages);
  const std::size_t npay = chunks(Part::Payloads, 8, "payloads");
  section(Part::Rest);
  if (r.failed()) return error();
  // The biggest single sections first, so the chunks fill in around them.
  std::stable_sort(jobs.begin(), jobs.end(), [](const Job& x, const Job& y) {
    auto single = [](const Job& j) { return j.part == Part::Instances || j.part == Part::Messages; };
    return single(x) && !single(y);
  });
  // The pending timers follow the sections. They are read after the sections, by a second
  // thread while this one builds the id table: each checks its instance. (As one more job
  // they ran beside the chunks' decode, and both slowed each other down: the wheel's inserts
  // and the chunks' copies each wait on memory.)
  const std::size_t timers_at = r.pos();
  const std::size_t ntimers = r.count32(12, "timers");
  r.take(ntimers * 12, "timers");
  const std::size_t timers_end = r.pos();
  if (r.u32("end mark") != kMagic && !r.failed()) r.fail(r.pos() - 4, "bad end mark");
  if (!r.failed() && r.left() != 0) r.fail(r.pos(), fmt::format("{} bytes after the end", r.left()));
  if (r.failed()) return error();

  recipients.resize(nrec);
  latest_messages.assign(nrec * channels.size(), 0);
  payloads.resize(npay);
  payload_refs.resize(npay);

  const bool borrow = keep != nullptr;
  kept_snapshot = std::move(keep);  // also after a failed restore: no borrowed image dangles
  // Each decoding thread's recipients' time zones: the engine's zone_of, with the names seen
  // remembered here (calendar's cache is not for two threads; a million recipients name a few
  // dozen zones).
  struct ZoneMemo {
    const Impl& engine;
    std::vector<std::pair<std::string, calendar::Zone>> seen;

    calendar::Zone of(const LazyRecord& profile) {
      if (engine.timezone_field < 0) return engine.default_zone;
      const std::string_view name = profile.string_at(engine.timezone_field);
      for (const auto& [known, zone] : seen)
        if (known == name) return zone;
      static std::mutex calendar_cache;
      calendar::Zone zone;
      {
        std::lock_guard lock(calendar_cache);
        zone = engine.zone_of(profile);
      }
      if (seen.size() < 256) seen.emplace_back(name, zone);
      return zone;
    }
  };
  // A profile or payload: with the bytes kept, its image checked and left where it is, copied
  // out when first read (lazy_record.hpp); else copied now.
  auto take_record = [borrow](ByteReader& jr, ValueReader& values, LazyRecord& into, std::string& problem) {
    if (!borrow) {
      into = values.record();
      return;
    }
    if (jr.failed()) return;
    const std::size_t at = jr.pos();
    const std::size_t used = Record::check_image(jr.rest(), problem);
    if (used == 0) {
      jr.fail(at, problem);
      return;
    }
    into.borrow(jr.rest().data());
    jr.take(used, "record");
  };
  auto restore_recipients = [this, &take_record](ByteReader& jr, std::size_t from, std::size_t count) {
    ValueReader values{jr, {}};
    ZoneMemo zones{*this, {}};
    std::string problem;
    for (std::size_t i = from; i < from + count && !jr.failed(); ++i) {
      Recipient& rec = recipients[i];
      const std::uint32_t n = jr.u32("id length");
      const auto id = jr.take(n, "id");
      rec.id.assign(id.begin(), id.end());
      take_record(jr, values, rec.profile, problem);
      rec.zone = zones.of(rec.profile);
      rec.head = jr.u32("instance list");
      rec.sends.resize(jr.count32(11, "sends"));
      for (SentRecord& s : rec.sends) {
        s.at = jr.i64("send time");
        s.scenario = jr.u16("send scenario");
        s.channel = jr.u8("send channel");
        check_in(jr, s.channel < channels.size() && s.scenario < scenario_names.size(), "send history out of range");
      }
      for (std::size_t c = 0; c < channels.size(); ++c) latest_messages[i * channels.size() + c] = jr.u32("latest message");
      rec.first_entry.scenario = jr.u16("entry scenario");
      rec.first_entry.last_start = jr.i64("entry time");
      rec.more_entries.resize(jr.count32(10, "entries"));
      for (Entry& e : rec.more_entries) {
        e.scenario = jr.u16("entry scenario");
        e.last_start = jr.i64("entry time");
      }
    }
  };

  // Each section's decoder touches only its own tables; checks that need another section's
  // run after every section is decoded.
  auto restore_instances = [this](ByteReader& jr) {
    const std::size_t ninst = jr.count32(40, "instances");
    instances.resize(ninst);
    for (std::size_t i = 0; i < ninst && !jr.failed(); ++i) {
      Instance& in = instances[i];
      in.recipient = jr.u32("recipient");
      in.next = jr.u32("next");
      in.payload = jr.u32("payload");
      in.number = jr.u32("number");
      in.pc = jr.u32("pc");
      in.target = jr.u32("target");
      in.block = jr.u32("block");
      in.program = jr.u16("program");
      in.last_step = jr.u16("last step");
      in.wait_event = jr.u16("wait event");
      in.wait_fn = jr.u16("wait function");
      in.state = static_cast<State>(jr.small(static_cast<std::uint8_t>(State::Ended) + 1, "state"));
      in.wait_slot = jr.u8("wait slot");
      in.wait_outcome = jr.u8("wait outcome");
      in.flags = jr.u8("flags");
      in.goal_until = jr.i64("goal until");
    }
    free_instances = get_u32s(jr, "free instances");
  };
  auto restore_slabs = [this](ByteReader& jr) {
    ValueReader values{jr, {}};
    auto jcheck = [&](bool ok, auto&& message) { return check_in(jr, ok, message); };
    for (std::size_t k = 0; k < slabs.size() && !jr.failed(); ++k) {
      Slab& slab = slabs[k];
      const bytecode::Module& mod = programs[k]->module;
      const std::size_t at = jr.pos();
      const std::uint32_t blocks = jr.u32("blocks");
      // Each block is at least its slots' bytes (and a count per locals block).
      const std::size_t per_block = std::max<std::size_t>(1, std::size_t{mod.slots} * 4 + (slab.has_locals ? 4 : 0));
      if (jr.count(blocks, per_block, at, "blocks") != blocks) return;
      std::vector<std::uint32_t> free = get_u32s(jr, "free blocks");
      for (std::uint32_t b : free) jcheck(b < blocks, "free block out of range");
        slab.slots.reset_to(blocks, free);
      if (slab.has_locals) slab.locals.reset_to(blocks, std::move(free));
      for (std::uint32_t b = 0; b < blocks && !jr.failed(); ++b) {
        std::uint32_t* s = slab.slots.at(b);
        for (std::size_t j = 0; j < mod.slots; ++j) s[j] = jr.u32("slot");
      }
      if (slab.has_locals) {
        for (std::uint32_t b = 0; b < blocks && !jr.failed(); ++b) {
          const std::size_t n = jr.count32(1, "locals");
          jcheck(n == mod.locals, "locals: not the program's count");
          Value* l = slab.locals.at(b);
          for (std::size_t j = 0; j < n && !jr.failed(); ++j) l[j] = machine.keep(values.value());
          values.lists.clear();
        }
      }
    }
  };
  auto restore_messages = [this](ByteReader& jr) {
    auto jcheck = [&](bool ok, auto&& message) { return check_in(jr, ok, message); };
    const std::size_t nmsg = jr.count32(23, "messages");
    jcheck(nmsg >= 1, "no message 0");
    if (nmsg > 1) messages.resize(nmsg);
    for (std::size_t i = 0; i < nmsg && !jr.failed(); ++i) {
      Message& m = messages[i];
      m.sent_at = jr.i64("sent at");
      m.instance = jr.u32("message instance");
      m.number = jr.u32("message instance number");
      m.program = jr.u16("message program");
      m.step = jr.u16("message step");
      m.channel = jr.u8("message channel");
      m.slot = jr.u8("message slot");
      m.status = jr.small(static_cast<std::uint8_t>(MsgStatus::Failed) + 1, "message status");
    }
  };
  auto restore_payloads = [this, &take_record](ByteReader& jr, std::size_t from, std::size_t count) {
    ValueReader values{jr, {}};
    std::string problem;
    for (std::size_t i = from; i < from + count && !jr.failed(); ++i) {
      take_record(jr, values, payloads[i], problem);
      payload_refs[i] = jr.u32("payload references");
    }
  };
  auto restore_rest = [this, npay](ByteReader& jr) {
    auto jcheck = [&](bool ok, auto&& message) { return check_in(jr, ok, message); };
    free_payloads = get_u32s(jr, "free payloads");
    for (std::uint32_t f : free_payloads) jcheck(f < npay, "free payload out of range");
    const std::size_t nticks = jr.count32(6, "ticks");
    tick_entries.resize(nticks);
    for (Tick& t : tick_entries) {
      t.recipient = jr.u32("tick recipient");
      t.program = jr.u16("tick program");
      jcheck(t.recipient < recipients.size() && t.program < programs.size() &&
                programs[t.program]->module.scenario.trigger == bytecode::TriggerKind::Every,
            "tick out of range");
    }
  };

  std::uint32_t most_tick = 0;  // the highest tick a timer names + 1, checked once the ticks are in
  auto restore_timers = [&](ByteReader& jr, std::size_t count) {
    const auto began = Clock::now();
    const std::size_t ninst = instances.size();
    auto tcheck = [&](bool ok, auto&& message) { return check_in(jr, ok, message); };
    timers = TimerWheel(wheel_now);
    timers.reserve(count);  // growing by doubling zeroed and copied the node pool twice over
    // Timers are in time order, so their instances are all over the table: each one's header
    // is asked for kAhead entries before it is read (an entry is a u32 id and an i64 time).
    constexpr std::size_t kAhead = 16;
    const std::uint8_t* entries = data.data() + jr.pos();
    for (std::size_t i = 0; i < count && !jr.failed(); ++i) {
      if (i + kAhead < count) {
        const std::uint8_t* e = entries + (i + kAhead) * 12;
        const std::uint32_t ahead = std::uint32_t{e[0]} | std::uint32_t{e[1]} << 8 | std::uint32_t{e[2]} << 16 |
                                    std::uint32_t{e[3]} << 24;
        if (ahead < ninst) __builtin_prefetch(&instances[ahead], 1);
      }
      const std::uint32_t id = jr.u32("timer id");
      const Time when = jr.i64("timer time");
      if (jr.failed()) break;
      // Everything due by the wheel's time has fired; an earlier timer would replay the past
      // (a tick every day since 1970).
      if (!tcheck(when >= wheel_now, "a timer before the wheel's time")) break;
      if (id & kTickBit) {
        most_tick = std::max(most_tick, (id & ~kTickBit) + 1);
        timers.schedule(id, when);
      } else {
        if (!tcheck(id < ninst && instances[id].state != State::Free && instances[id].state != State::Ended &&
                        instances[id].timer == TimerHandle{},
                    "timer of an unknown instance"))
          break;
        instances[id].timer = timers.schedule(id, when);
      }
    }
    restore_timings.timers_seconds = since(began);
  };

  std::vector<std::optional<bytecode::Error>> failures(jobs.size());
  std::atomic<std::size_t> next_job{0};
  auto work = [&] {
    for (std::size_t k; (k = next_job.fetch_add(1)) < jobs.size();) {
      const Job& job = jobs[k];
      ByteReader jr(data, job.begin, job.end);
      try {
        switch (job.part) {
          case Part::Recipients: restore_recipients(jr, job.first, job.count); break;
          case Part::Instances: restore_instances(jr); break;
          case Part::Slabs: restore_slabs(jr); break;
          case Part::Messages: restore_messages(jr); break;
          case Part::Payloads: restore_payloads(jr, job.first, job.count); break;
          case Part::Rest: restore_rest(jr); break;
        }
      } catch (const std::exception& e) {  // out of memory: an error value, not a dead thread
        jr.fail(jr.pos(), e.what());
      }
      if (!jr.failed() && jr.left() != 0) jr.fail(jr.pos(), fmt::format("{} bytes after the section's end", jr.left()));
      if (jr.failed()) failures[k] = jr.error();
    }
  };
  {
    std::thread helper;
    if (jobs.size() > 1) helper = std::thread(work);
    work();
    if (helper.joinable()) helper.join();
  }
  restore_timings.decode_seconds = since(phase);
  phase = Clock::now();
  // The first problem in file order, as a single-threaded decoder would have met it.
  const bytecode::Error* first_failure = nullptr;
  for (const auto& f : failures)
    if (f && (!first_failure || f->offset < first_failure->offset)) first_failure = &*f;
  if (first_failure) return EngineError{fmt::format("snapshot byte {}: {}", first_failure->offset, first_failure->message)};

  const std::size_t ninst = instances.size();
  const std::size_t nmsg = messages.size();
  const std::size_t nticks = tick_entries.size();

  // Second thread: the timer wheel. This one: the id table, then the cross-checks. Each writes
  // only its own fields (timers and Instance::timer; the id table).
  ByteReader tr(data, timers_at + 4, timers_end);
  std::thread second([&] { restore_timers(tr, ntimers); });
  struct Join {
    std::thread& t;
    ~Join() {
      if (t.joinable()) t.join();  // on every return, also an early one
    }
  } join{second};

  const auto twice = recipient_index.insert_all(static_cast<std::uint32_t>(nrec),
                                                [this](std::uint32_t k) { return id_of(k); });
  if (twice) {
    std::size_t at = 0;  // the chunk that holds the second one
    for (const Job& job : jobs)
      if (job.part == Part::Recipients && job.first <= *twice && *twice < job.first + job.count) at = job.begin;
    r.fail(at, fmt::format("recipient `{}` twice", recipients[*twice].id));
  }
  for (std::size_t i = 1; i < nmsg && !r.failed(); ++i) {
    const Message& m = messages[i];
    check(m.instance < ninst && m.program < programs.size() && m.channel < channels.size() &&
              m.slot < programs[m.program]->module.slots,
          [&] { return fmt::format("message m{} out of range", i); });
  }
  // Instances against everything they point at, before any is used.
  std::vector<std::uint8_t> seen(ninst, 0);
  for (std::uint32_t f : free_instances) {
    if (!check(f < ninst && instances[f].state == State::Free && !seen[f], "free instance list is wrong")) break;
    seen[f] = 1;
  }
  std::size_t counted_live = 0;
  for (std::size_t i = 0; i < ninst && !r.failed(); ++i) {
    const Instance& in = instances[i];
    if (in.state == State::Free) continue;
    ++counted_live;
    const bool program_ok = in.program < programs.size();
    const Program* p = program_ok ? programs[in.program].get() : nullptr;
    const auto at_instruction = [&](std::uint32_t pc) { return pc < p->instr_at.size() && p->instr_at[pc] != kNone; };
    const bool event_payload = p && p->module.scenario.trigger == bytecode::TriggerKind::Event;
    // An outcome wait, or a cascade step's event wait (wait_outcome 0xFF), reads its slot.
    const bool waits_on_slot = in.state == State::Outcome || (in.state == State::Event && in.wait_outcome == 0xFF);
    const char* bad = !program_ok                                   ? "program"
                      : in.recipient >= recipients.size()            ? "recipient"
                      : in.block >= slabs[in.program].slots.blocks() ? "block"
                      : !at_instruction(in.pc)                       ? "pc"
                      : !at_instruction(in.target)                   ? "target"
                      : waits_on_slot && in.wait_slot >= p->module.slots ? "wait slot"
                      : in.wait_fn != bytecode::kNoFunction && in.wait_fn >= p->module.functions.size() ? "wait function"
                      : event_payload && in.payload != kNone && in.payload >= npay ? "payload"
                      : in.last_step > p->send_pcs.size()            ? "last step"
                      : in.next != kNone && in.next >= ninst         ? "next"
                                                                     : nullptr;
    check(!bad, [&] { return fmt::format("instance {}: {} out of range", i, bad ? bad : ""); });
  }
  check(counted_live == live, "the live count does not match the instances");
  // Every live instance is on exactly one recipient's list, and the lists end.
  for (std::uint32_t ri = 0; ri < recipients.size() && !r.failed(); ++ri) {
    for (std::uint32_t idx = recipients[ri].head; idx != kNone && !r.failed(); idx = instances[idx].next) {
      if (!check(idx < ninst && !seen[idx] && instances[idx].state != State::Free && instances[idx].recipient == ri,
                 [&] { return fmt::format("recipient `{}`'s instance list is wrong", recipients[ri].id); }))
        break;
      seen[idx] = 1;
    }
  }
  for (std::size_t i = 0; i < ninst && !r.failed(); ++i)
    check(seen[i] || instances[i].state == State::Free, [&] { return fmt::format("instance {} is on no recipient's list", i); });
  for (std::uint32_t m : latest_messages) check(m < nmsg, "latest message out of range");
  if (r.failed()) return error();

  restore_timings.index_seconds = since(phase);
  second.join();
  if (tr.failed()) return error_of(tr);
  if (most_tick > nticks) return EngineError{fmt::format("snapshot byte {}: timer of an unknown tick", timers_at)};
  return std::nullopt;
}

}  // namespace cascade::vm
