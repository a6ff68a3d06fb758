#include "run_trace.hpp"

#include <array>
#include <cstring>

namespace cascade::cli {

namespace {

constexpr std::size_t kBlock = 1u << 20;  // a full block is handed to the writer thread

// The fixed part of an encoded record; the bytes of its strings follow, in the order of
// kStrings. The address is left out: it is never in the JSON.
struct Fixed {
  vm::Time at;
  vm::Time until;
  std::int64_t cost_micros;
  std::uint32_t instance;
  std::int32_t segments;
  std::uint16_t step;
  vm::Action action;
  vm::Outcome outcome;
  bool has_text;
  std::array<std::uint32_t, 14> sizes;
};

// As in the engine's base(): a field added to TraceRecord must be copied here too.
static_assert(sizeof(vm::TraceRecord) == 312, "a new TraceRecord field must be encoded and decoded");

constexpr std::string_view vm::TraceRecord::*kStrings[14] = {
    &vm::TraceRecord::recipient, &vm::TraceRecord::scenario,  &vm::TraceRecord::channel,
    &vm::TraceRecord::message,   &vm::TraceRecord::branch,    &vm::TraceRecord::template_name,
    &vm::TraceRecord::text,      &vm::TraceRecord::vars_json, &vm::TraceRecord::reason,
    &vm::TraceRecord::wait_for,  &vm::TraceRecord::status,    &vm::TraceRecord::event,
    &vm::TraceRecord::group,     &vm::TraceRecord::trigger_name};

}  // namespace

void RunTraceWriter::encode(const vm::TraceRecord& r, std::string& block) {
  Fixed f{};
  f.at = r.at;
  f.until = r.until;
  f.cost_micros = r.cost_micros;
  f.instance = r.instance;
  f.segments = r.segments;
  f.step = r.step;
  f.action = r.action;
  f.outcome = r.outcome;
  f.has_text = r.has_text;
  std::size_t total = sizeof f;
  for (std::size_t k = 0; k < 14; ++k) {
    const std::size_t n = (r.*kStrings[k]).size();
    f.sizes[k] = static_cast<std::uint32_t>(n);
    total += n;
  }
  // One resize, then raw copies (a record is appended ~9 million times in the 1M run).
  const std::size_t old = block.size();
  block.resize(old + total);
  char* p = block.data() + old;
  std::memcpy(p, &f, sizeof f);
  p += sizeof f;
  for (std::size_t k = 0; k < 14; ++k) {
    const std::string_view s = r.*kStrings[k];
    if (!s.empty()) std::memcpy(p, s.data(), s.size());
    p += s.size();
  }
}

std::size_t RunTraceWriter::decode(const std::string& block, std::size_t pos, vm::TraceRecord& r) {
  Fixed f;
  std::memcpy(&f, block.data() + pos, sizeof f);
  pos += sizeof f;
  // Every field the JSON uses is set below, so `r` is not reset first (a 312-byte clear per
  // record); the address, never in the JSON, is left empty.
  r.address = {};
  r.at = f.at;
  r.until = f.until;
  r.cost_micros = f.cost_micros;
  r.instance = f.instance;
  r.segments = f.segments;
  r.step = f.step;
  r.action = f.action;
  r.outcome = f.outcome;
  r.has_text = f.has_text;
  for (std::size_t k = 0; k < 14; ++k) {
    r.*kStrings[k] = std::string_view(block.data() + pos, f.sizes[k]);
    pos += f.sizes[k];
  }
  return pos;
}

void RunTraceWriter::format(const std::string& block, std::string_view currency, std::string& out) {
  vm::TraceRecord r;
  for (std::size_t pos = 0; pos < block.size();) {
    pos = decode(block, pos, r);
    vm::append_json(r, currency, out);
  }
}

RunTraceWriter::~RunTraceWriter() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void RunTraceWriter::add(const vm::TraceRecord& r) {
  if (r.action == vm::Action::Start) ++starts_;
  if (r.action == vm::Action::End) ++ends_;
  encode(r, block_);
  if (block_.size() >= kBlock) hand_over();
}

void RunTraceWriter::hand_over() {
  if (!thread_.joinable()) thread_ = std::thread([this] { write_loop(); });
  std::string next;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(block_));
    if (!spares_.empty()) {
      next = std::move(spares_.back());
      spares_.pop_back();
    }
  }
  changed_.notify_all();
  next.clear();
  block_ = std::move(next);
  if (block_.capacity() < kBlock + (kBlock >> 2)) block_.reserve(kBlock + (kBlock >> 2));
}

void RunTraceWriter::write_loop() {
  std::string text;  // the JSON of one block
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return !queue_.empty() || stop_; });
    if (queue_.empty()) return;  // stopped, and everything handed over is written
    std::string block = std::move(queue_.front());
    queue_.erase(queue_.begin());
    writing_ = true;
    const bool skip = failed_;
    lock.unlock();
    bool ok = true;
    if (!skip) {
      text.clear();
      format(block, currency_, text);
      ok = std::fwrite(text.data(), 1, text.size(), out_) == text.size();
    }
    lock.lock();
    if (!ok) failed_ = true;
    writing_ = false;
    if (spares_.size() < 2) spares_.push_back(std::move(block));
    changed_.notify_all();
  }
}

bool RunTraceWriter::flush() {
  bool failed = false;
  {
    // Everything handed over is written first, in order; then the rest, from this thread.
    std::unique_lock<std::mutex> lock(mutex_);
    if (thread_.joinable()) changed_.wait(lock, [&] { return queue_.empty() && !writing_; });
    failed = failed_;
  }
  if (!block_.empty() && !failed) {
    std::string text;
    format(block_, currency_, text);
    if (std::fwrite(text.data(), 1, text.size(), out_) != text.size()) failed = true;
  }
  block_.clear();
  if (!failed && std::fflush(out_) != 0) failed = true;
  if (failed) {
    std::lock_guard<std::mutex> lock(mutex_);
    failed_ = true;
  }
  return !failed;
}

}  // namespace cascade::cli
