#include "cascade/vm/input_json.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace cascade::vm {

namespace json = boost::json;

namespace {


// A required string member; nullptr with `error` set when it is missing or not a string.
const json::string* string_member(const json::object& o, std::string_view key, std::optional<LineError>& error) {
  const json::value* v = o.if_contains(key);
  if (!v) {
    error = LineError{0, fmt::format("missing key `{}`", key)};
    return nullptr;
  }
  if (!v->is_string()) {
    error = LineError{0, fmt::format("/{}: expected a string, got {}", key, json_kind(*v))};
    return nullptr;
  }
  return &v->get_string();
}

// Keeps long values short in messages.
std::string shown(std::string_view s) {
  if (s.size() <= 60) return std::string(s);
  std::size_t cut = 57;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 characters
  return std::string(s.substr(0, cut)) + "…";
}

// The members of a flat status line, read by scan_flat(): each a view into the line, or absent.
struct FlatStatus {
  std::optional<std::string_view> at, recipient, status, channel, message, reason;
};

bool blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// A string without escapes, control or non-ASCII bytes, starting at p (after blanks): its
// contents, and p moved past its closing quote. Anything else is left to the full parser.
bool plain_string(const char*& p, const char* end, std::string_view& out) {
  while (p != end && blank(*p)) ++p;
  if (p == end || *p != '"') return false;
  const char* const begin = ++p;
  while (p != end) {
    const auto c = static_cast<unsigned char>(*p);
    if (c == '"') {
      out = std::string_view(begin, static_cast<std::size_t>(p - begin));
      ++p;
      return true;
    }
    if (c == '\\' || c < 0x20 || c >= 0x80) return false;
    ++p;
  }
  return false;
}

// Reads a line of the commonest shape — one object whose members are all plain strings (see
// plain_string) with the keys of a status report, each once — into `out`. False for anything
// else (other keys, numbers, nesting, escapes, UTF-8, duplicate keys, text after the object):
// those lines go through the JSON parser, which also gives the messages of bad lines. So this
// accepts a subset of what the parser accepts and reads the same members from it.
bool scan_flat(std::string_view line, FlatStatus& out) {
  const char* p = line.data();
  const char* const end = p + line.size();
  while (p != end && blank(*p)) ++p;
  if (p == end || *p != '{') return false;
  ++p;
  for (;;) {
    std::string_view key, value;
    if (!plain_string(p, end, key)) return false;
    while (p != end && blank(*p)) ++p;
    if (p == end || *p != ':') return false;
    ++p;
    if (!plain_string(p, end, value)) return false;
    std::optional<std::string_view>* slot = nullptr;
    if (key == "at") slot = &out.at;
    else if (key == "recipient") slot = &out.recipient;
    else if (key == "status") slot = &out.status;
    else if (key == "channel") slot = &out.channel;
    else if (key == "message") slot = &out.message;
    else if (key == "reason") slot = &out.reason;
    if (!slot || *slot) return false;
    *slot = value;
    while (p != end && blank(*p)) ++p;
    if (p == end) return false;
    if (*p == '}') return ++p == end;
    if (*p != ',') return false;
    ++p;
  }
}

}  // namespace

namespace {
constexpr std::size_t kBlock = 64 * 1024;
}

// A status report of the commonest shape, decoded without the JSON parser (most input lines of
// a run are statuses; building a JSON value for each was most of their cost). True when done;
// false when the line is not of that shape or has any problem — then the full path decodes it
// and words the error — so every line it takes decodes exactly as the full path would.
bool InputDecoder::fast_status(std::string_view line, Input& out) {
  FlatStatus f;
  if (!scan_flat(line, f) || !f.status || !f.at || !f.recipient || f.recipient->empty()) return false;
  if (!f.channel && !f.message) return false;
  const std::optional<Time> t = parse_time(*f.at);
  if (!t) return false;
  const std::optional<MsgStatus> s = parse_status(*f.status);
  if (!s || *s == MsgStatus::Sent || *s == MsgStatus::None) return false;
  if (options_.check_recipients && !engine_.has_recipient(*f.recipient)) return false;
  out.at = *t;
  out.kind = Input::Kind::Status;
  out.status = *s;
  out.recipient.assign(*f.recipient);
  if (f.channel)
    out.channel.assign(*f.channel);
  else
    out.channel.clear();
  if (f.message)
    out.message.assign(*f.message);
  else
    out.message.clear();
  if (f.reason && *s == MsgStatus::Failed)
    out.reason.assign(*f.reason);
  else
    out.reason.clear();
  return true;
}

InputDecoder::InputDecoder(const Engine& engine, Options options)
    : engine_(engine),
      options_(options),
      block_(new unsigned char[kBlock]),
      resource_(block_.get(), kBlock),
      scratch_(json::storage_ptr(&resource_)) {}

const json::value* InputDecoder::parse(std::string_view line, LineError& error) {
  scratch_ = nullptr;  // keeps its storage (resource_), so release() below frees nothing in use
  resource_.release();
  parser_.reset(json::storage_ptr(&resource_));
  boost::system::error_code ec;
  const std::size_t n = parser_.write_some(line.data(), line.size(), ec);
  if (!ec) {
    // Anything after the value other than blanks is an error (a second object on the line).
    std::size_t rest = n;
    while (rest < line.size() && (line[rest] == ' ' || line[rest] == '\t' || line[rest] == '\r')) ++rest;
    if (rest < line.size()) {
      error = LineError{rest + 1, "invalid JSON: extra text after the value"};
      parser_.reset();
      return nullptr;
    }
  }
  if (ec) {
    error = LineError{std::min(n, line.size()) + 1, "invalid JSON: " + ec.message()};
    parser_.reset();
    return nullptr;
  }
  scratch_ = parser_.release();  // same storage: a move, not a copy
  return &scratch_;
}

std::optional<LineError> InputDecoder::profile(std::string_view line, std::string& id, Record& record) {
  LineError error;
  if (!parse(line, error)) return error;
  if (!scratch_.is_object()) return LineError{0, fmt::format("expected a JSON object, got {}", json_kind(scratch_))};
  std::optional<LineError> problem;
  const json::string* s = string_member(scratch_.get_object(), "id", problem);
  if (!s) return problem;
  if (s->empty()) return LineError{0, "/id: empty recipient id"};
  id.assign(s->data(), s->size());
  if (auto e = decode(engine_.profile_shape(), scratch_, record)) {
    return LineError{0, e->pointer.empty() ? e->message : e->pointer + ": " + e->message};
  }
  return std::nullopt;
}

std::optional<LineError> InputDecoder::input(std::string_view line, Input& out) {
  if (fast_status(line, out)) return std::nullopt;
  LineError error;
  if (!parse(line, error)) return error;
  return input(scratch_, out);
}

std::optional<LineError> InputDecoder::input(const json::value& json, Input& out) {
  if (!json.is_object()) return LineError{0, fmt::format("expected a JSON object, got {}", json_kind(json))};
  const json::object& o = json.get_object();
  std::optional<LineError> problem;
  if (options_.require_at || o.contains("at")) {
    const json::string* at = string_member(o, "at", problem);
    if (!at) return problem;
    const std::optional<Time> t = parse_time(std::string_view(at->data(), at->size()));
    if (!t) {
      return LineError{0, fmt::format("/at: `{}` is not a time (write it like 2026-03-02T10:00:00Z)",
                                      shown(std::string_view(at->data(), at->size())))};
    }
    out.at = *t;
  } else {
    out.at = options_.default_at;
  }
  const bool message_only =
      options_.allow_message_only && !o.contains("recipient") && !o.contains("event") && o.contains("message");
  std::string_view rid;
  if (!message_only) {
    const json::string* recipient = string_member(o, "recipient", problem);
    if (!recipient) return problem;
    rid = std::string_view(recipient->data(), recipient->size());
    if (rid.empty()) return LineError{0, "/recipient: empty recipient id"};
  }

  const json::value* event = o.if_contains("event");
  const json::value* status = o.if_contains("status");
  if (event && status) return LineError{0, "a line is either an event (`event`) or a status (`status`), not both"};
  if (!event && !status) return LineError{0, "missing key `event` or `status`"};

  if (event) {
    if (!event->is_string()) return LineError{0, fmt::format("/event: expected a string, got {}", json_kind(*event))};
    const std::string_view name(event->get_string().data(), event->get_string().size());
    int index = -1;
    const Shape* shape = engine_.event_shape(name, &index);
    if (!shape) return LineError{0, fmt::format("unknown event `{}`", shown(name))};
    if (options_.check_recipients && !engine_.has_recipient(rid))
      return LineError{0, fmt::format("unknown recipient `{}`", shown(rid))};
    static const json::value kEmpty = json::object();
    const json::value* data = o.if_contains("data");
    if (!data || data->is_null()) data = &kEmpty;
    if (!data->is_object()) return LineError{0, fmt::format("/data: expected an object, got {}", json_kind(*data))};
    if (auto e = decode(*shape, *data, out.payload)) {
      return LineError{0, "/data" + e->pointer + ": " + e->message};
    }
    out.kind = Input::Kind::Event;
    out.event_index = index;
    out.recipient.assign(rid);
    return std::nullopt;
  }

  if (!status->is_string()) return LineError{0, fmt::format("/status: expected a string, got {}", json_kind(*status))};
  const std::string_view word(status->get_string().data(), status->get_string().size());
  const std::optional<MsgStatus> s = parse_status(word);
  if (!s || *s == MsgStatus::Sent || *s == MsgStatus::None) {
    return LineError{0, fmt::format("/status: unknown status `{}` (expected delivered, opened, clicked or failed)",
                                    shown(word))};
  }
  const json::value* channel = o.if_contains("channel");
  const json::value* message = o.if_contains("message");
  if (!channel && !message) return LineError{0, "missing key `channel` or `message` (which message the status is for)"};
  if (channel && !channel->is_string())
    return LineError{0, fmt::format("/channel: expected a string, got {}", json_kind(*channel))};
  if (message && !message->is_string())
    return LineError{0, fmt::format("/message: expected a string, got {}", json_kind(*message))};
  if (!message_only && options_.check_recipients && !engine_.has_recipient(rid))
    return LineError{0, fmt::format("unknown recipient `{}`", shown(rid))};
  out.kind = Input::Kind::Status;
  out.status = *s;
  out.recipient.assign(rid);
  if (channel)
    out.channel.assign(channel->get_string().data(), channel->get_string().size());
  else
    out.channel.clear();
  if (message)
    out.message.assign(message->get_string().data(), message->get_string().size());
  else
    out.message.clear();
  out.reason.clear();
  if (const json::value* reason = o.if_contains("reason")) {
    if (!reason->is_string())
      return LineError{0, fmt::format("/reason: expected a string, got {}", json_kind(*reason))};
    if (*s == MsgStatus::Failed) out.reason.assign(reason->get_string().data(), reason->get_string().size());
  }
  return std::nullopt;
}

}  // namespace cascade::vm
