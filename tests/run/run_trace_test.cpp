// The trace sink of `cascade run` (cli/run_trace.cpp): records copied into blocks on the
// engine's thread and formatted on a writer thread must give exactly the bytes of formatting
// each record at once with vm::append_json — every field, every action, escapes, empty and
// very long strings, and runs of records that fill several blocks.
#define BOOST_TEST_MODULE run_trace
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "run_trace.hpp"

namespace vm = cascade::vm;
using cascade::cli::RunTraceWriter;

namespace {

// Owns the strings a record's views point to.
struct Sample {
  std::vector<std::string> strings;
  vm::TraceRecord record;
};

std::string some_text(std::mt19937& rng, std::size_t most) {
  static const std::string kPieces[] = {"u1", "m17", "email", "Привет, {{name}}", "\"q\"", "\\", "\n\t", "x", "",
                                        std::string(1, '\x01')};
  std::string s;
  const std::size_t n = rng() % (most + 1);
  while (s.size() < n) s += kPieces[rng() % std::size(kPieces)];
  return s;
}

Sample random_record(std::mt19937& rng) {
  Sample s;
  s.strings.resize(15);
  for (std::string& t : s.strings) t = some_text(rng, 40);
  vm::TraceRecord& r = s.record;
  r.at = 1772431200 + static_cast<vm::Time>(rng() % 100000);
  r.action = static_cast<vm::Action>(rng() % 8);
  r.recipient = s.strings[0];
  r.scenario = s.strings[1];
  r.instance = rng() % 3 ? static_cast<std::uint32_t>(rng()) : 0;
  r.channel = s.strings[2];
  r.message = s.strings[3];
  r.step = static_cast<std::uint16_t>(rng() % 4);
  r.branch = s.strings[4];
  r.template_name = s.strings[5];
  r.has_text = rng() % 2;
  r.text = s.strings[6];
  r.vars_json = rng() % 2 ? std::string_view("{\"name\":\"Анна\",\"total\":500}") : std::string_view();
  r.cost_micros = rng() % 2 ? static_cast<std::int64_t>(rng() % 5000000) : -1;
  r.segments = static_cast<int>(rng() % 3);
  r.address = s.strings[7];
  r.reason = s.strings[8];
  r.until = r.at + static_cast<vm::Time>(rng() % 86400);
  r.wait_for = s.strings[9];
  r.status = s.strings[10];
  r.event = s.strings[11];
  r.group = s.strings[12];
  r.trigger_name = s.strings[13];
  r.outcome = static_cast<vm::Outcome>(rng() % 6);
  return s;
}

std::string direct(const std::vector<Sample>& samples) {
  std::string out;
  for (const Sample& s : samples) vm::append_json(s.record, "RUB", out);
  return out;
}

std::string read_all(std::FILE* f) {
  std::rewind(f);
  std::string text;
  char buf[65536];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  return text;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_block_formats_as_each_record_formatted_at_once) {
  std::mt19937 rng(7);
  std::vector<Sample> samples;
  for (int k = 0; k < 2000; ++k) samples.push_back(random_record(rng));
  std::string block;
  for (const Sample& s : samples) RunTraceWriter::encode(s.record, block);
  std::string text;
  RunTraceWriter::format(block, "RUB", text);
  BOOST_TEST(text == direct(samples));
}

BOOST_AUTO_TEST_CASE(a_decoded_record_has_every_field_back_but_the_address) {
  std::mt19937 rng(11);
  const Sample s = random_record(rng);
  std::string block;
  RunTraceWriter::encode(s.record, block);
  vm::TraceRecord r;
  BOOST_TEST(RunTraceWriter::decode(block, 0, r) == block.size());
  BOOST_TEST(r.at == s.record.at);
  BOOST_TEST(r.until == s.record.until);
  BOOST_TEST(static_cast<int>(r.action) == static_cast<int>(s.record.action));
  BOOST_TEST(static_cast<int>(r.outcome) == static_cast<int>(s.record.outcome));
  BOOST_TEST(r.instance == s.record.instance);
  BOOST_TEST(r.step == s.record.step);
  BOOST_TEST(r.cost_micros == s.record.cost_micros);
  BOOST_TEST(r.segments == s.record.segments);
  BOOST_TEST(r.has_text == s.record.has_text);
  BOOST_TEST(r.recipient == s.record.recipient);
  BOOST_TEST(r.text == s.record.text);
  BOOST_TEST(r.vars_json == s.record.vars_json);
  BOOST_TEST(r.trigger_name == s.record.trigger_name);
  BOOST_TEST(r.address.empty());  // never in the JSON, so not copied
}

BOOST_AUTO_TEST_CASE(the_writer_thread_keeps_the_order_across_blocks) {
  std::mt19937 rng(3);
  std::vector<Sample> samples;
  // About 3 MiB of records (three full blocks and a rest), one of them bigger than a block.
  for (int k = 0; k < 12000; ++k) samples.push_back(random_record(rng));
  samples[5000].strings[6] = std::string(1500000, 'z');
  samples[5000].record.text = samples[5000].strings[6];
  samples[5000].record.has_text = true;
  samples[5000].record.action = vm::Action::Send;
  std::FILE* f = std::tmpfile();
  BOOST_TEST_REQUIRE(f != nullptr);
  std::size_t starts = 0, ends = 0;
  {
    RunTraceWriter writer(f, "RUB");
    for (const Sample& s : samples) {
      writer.add(s.record);
      starts += s.record.action == vm::Action::Start;
      ends += s.record.action == vm::Action::End;
    }
    BOOST_TEST(writer.flush());
    BOOST_TEST(writer.starts() == starts);
    BOOST_TEST(writer.ends() == ends);
  }
  BOOST_TEST(read_all(f) == direct(samples));
  std::fclose(f);
}

BOOST_AUTO_TEST_CASE(a_failed_stream_is_reported_by_flush) {
  std::FILE* f = std::fopen("/dev/full", "wb");
  if (!f) return;  // no /dev/full here: nothing to check
  std::mt19937 rng(5);
  std::vector<Sample> samples;
  for (int k = 0; k < 8000; ++k) samples.push_back(random_record(rng));
  RunTraceWriter writer(f, "RUB");
  for (const Sample& s : samples) writer.add(s.record);
  BOOST_TEST(!writer.flush());
  std::fclose(f);
}
