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

}  // namespace

namespace {
constexpr std::size_t kBlock = 64 * 1024;
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
