// The project file, cascade.yaml, as a typed schema.
//
// Loading never throws: YAML syntax errors and schema mistakes (unknown type, unknown
// channel kind, an address field not in the profile, an unknown provider, bad quiet
// hours) come back as located diagnostics pointing into cascade.yaml, which is added to
// the SourceMap like any source file so the text renderer can show the line.
//
// Provider secrets are never read here: a provider names the environment variable that
// holds its secret (`secret_env`), and the daemon reads it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cascade/compiler/diagnostics.hpp"
#include "cascade/grammar/source.hpp"
#include "cascade/stdlib/channels.hpp"
#include "cascade/stdlib/types.hpp"

namespace cascade::project {

// Limits that keep a hostile cascade.yaml from costing unbounded memory, time or stack
// (see the loader's opening comment). Real project files stay far below all of them.
inline constexpr std::size_t kMaxProjectBytes = 2u << 20;  // 2 MiB
inline constexpr int kMaxNesting = 64;                     // YAML nesting levels
inline constexpr std::size_t kMaxNodes = 1'000'000;        // nodes visited, aliases counted each time
inline constexpr int kMaxRecordDepth = 16;                 // records inside records

struct ClockRange {
  std::int32_t from_minutes = 0;  // 22:00 -> 1320
  std::int32_t to_minutes = 0;
};

struct Cap {
  std::int64_t count = 0;
  std::int64_t per_seconds = 0;
  source::SourceSpan span;
};

struct EventSchema {
  std::string name;
  types::Type fields;  // a Record type
  source::SourceSpan span;
};

struct Channel {
  std::string name;  // "email"
  const channels::KindInfo* kind =
      nullptr;                   // never null in Project::channels (a channel without a kind is left out)
  std::string address_field;     // a profile field path, "email"
  std::string consent_field;     // a profile field path, "consent.email"; empty: no consent needed
  std::string provider;          // empty: no provider (sends fail with no_provider)
  std::string cost_text = "0";   // as written, exact decimal
  std::int64_t cost_micros = 0;  // cost in millionths of the currency unit
  source::SourceSpan span;
};

struct Provider {
  std::string name;
  std::string type;                             // webhook | smtp | file
  std::map<std::string, std::string> settings;  // url, secret_env, host, path, … as written
  source::SourceSpan span;
};

struct Project {
  std::string path;  // of cascade.yaml
  source::FileId file = 0;
  std::string timezone = "UTC";
  std::optional<ClockRange> quiet_hours;
  std::string currency = "₽";
  std::int64_t goal_window_seconds = 7 * 24 * 3600;
  std::optional<Cap> cap_all;
  std::map<std::string, Cap> channel_caps;  // per channel name
  types::Type profile;                      // Record
  std::map<std::string, EventSchema> events;
  std::vector<Channel> channels;  // declaration order (the cost lint reads costs from here)
  std::map<std::string, Provider> providers;

  const Channel* channel(std::string_view name) const;
  const EventSchema* event(std::string_view name) const;
};

struct LoadResult {
  std::optional<Project> project;  // absent when the file could not be used at all
  diag::Diagnostics diagnostics;
};

// Loads and validates cascade.yaml at path, adding its text to sources.
LoadResult load(const std::string& path, source::SourceMap& sources);

// Loads from text already in memory (tests).
LoadResult load_text(const std::string& path, std::string text, source::SourceMap& sources);

// Finds cascade.yaml in dir or its parents; nullopt when there is none.
std::optional<std::string> find_project_file(const std::string& start_dir);

// Looks up a dotted profile field path ("consent.email") in a record type.
const types::Type* lookup_path(const types::Type& record, std::string_view dotted);

}  // namespace cascade::project
