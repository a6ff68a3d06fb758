// Input lines as JSON: one object → a profile, an event or a status report, checked against the
// engine's schemas (profile and event shapes from the Config), or a located error
// ("unknown event `x`", "/data/total: expected decimal, got string"). `cascade run` and `cascade
// test` read them from files; `cascade serve` from HTTP bodies. It never throws and reuses its
// parse buffers between lines.
//
// Only the engine's schemas are read, and they never change after construction, so a decoder
// may run on another thread than the engine's owner as long as Options::check_recipients is off
// (the daemon validates requests on its HTTP threads and leaves unknown recipients to the
// applier).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "cascade/vm/engine.hpp"
#include "cascade/vm/record.hpp"

namespace cascade::vm {

// One decoded input line.
struct Input {
  enum class Kind { Event, Status } kind = Kind::Event;
  Time at = 0;
  std::string recipient;
  // Event
  int event_index = -1;
  Record payload;
  // Status
  MsgStatus status = MsgStatus::None;
  std::string channel;
  std::string message;
  std::string reason;  // Status, failed only: why (optional)
};

// A problem with one line. `column` is 1-based, 0 when the problem is not at a known byte.
struct LineError {
  std::size_t column = 0;
  std::string message;
};

class InputDecoder {
 public:
  struct Options {
    // `at` may be left out; then the input gets `default_at` (the daemon's clock).
    bool require_at = true;
    Time default_at = 0;
    // An event's or status's recipient must have a profile (false: left to the engine).
    bool check_recipients = true;
    // A status may name only its message ("m17"), without a recipient.
    bool allow_message_only = false;
  };
  explicit InputDecoder(const Engine& engine) : InputDecoder(engine, Options{}) {}
  InputDecoder(const Engine& engine, Options options);
  void set_default_at(Time at) { options_.default_at = at; }

  // Parses one JSON value into the decoder's scratch value (valid until the next call);
  // nullptr with `error` set when the text is not exactly one JSON value.
  const boost::json::value* parse(std::string_view line, LineError& error);

  // A profile line: an object with a string "id". Fills id and record.
  std::optional<LineError> profile(std::string_view line, std::string& id, Record& record);
  // An event or status line. Checks the keys, the types, the event name and the status word,
  // and that the recipient is known; not the time order (the caller knows the previous line).
  std::optional<LineError> input(std::string_view line, Input& out);
  // The same from a JSON value already parsed (cascade test builds inputs from YAML).
  std::optional<LineError> input(const boost::json::value& json, Input& out);

 private:
  bool fast_status(std::string_view line, Input& out);

  const Engine& engine_;
  Options options_;
  // One line's JSON lives in this fixed block (bigger lines spill to the heap), so parsing a
  // typical line allocates nothing.
  std::unique_ptr<unsigned char[]> block_;
  boost::json::monotonic_resource resource_;
  boost::json::parser parser_;
  boost::json::value scratch_;
};

}  // namespace cascade::vm
