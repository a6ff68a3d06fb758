// What the builder accumulates and the step that turns it into a Report (compute.cpp), shared
// by the builder and the renderers' helpers. Not installed: nothing outside src/ sees it.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "cascade/report/report.hpp"

namespace cascade::report {

// The outcomes of an `end`, in the order every form lists them.
inline constexpr std::array<std::string_view, 5> kOutcomes = {"completed", "converted", "exited", "expired",
                                                               "stopped"};

inline constexpr std::int32_t kUnknownBranch = -2;  // no send at this step seen yet
inline constexpr std::int32_t kNoBranch = -1;       // the step is outside any split

struct StepAcc {
  std::string channel;
  std::int32_t branch = kUnknownBranch;
  std::uint64_t sent = 0, failed = 0, delivered = 0, opened = 0, clicked = 0, bounced = 0, goal = 0;
  std::int64_t cost_micros = 0;
};

struct ChannelAcc {
  std::string name;
  std::uint64_t sends = 0, segments = 0, with_segments = 0;
  std::int64_t cost_micros = 0;
  // The channel's first send, for the SMS price per segment.
  std::uint64_t first_order = 0;
  std::int64_t first_cost = 0;
  std::uint64_t first_segments = 1;
};

struct ScenarioAcc {
  std::string name;
  std::uint64_t started_treated = 0, started_control = 0, open = 0, control_converted = 0;
  InstanceFunnel funnel;
  std::vector<StepAcc> steps;  // index step − 1
  std::vector<std::string> branch_names;
  std::vector<InstanceFunnel> branch_funnels;
  std::vector<Count> failures, deferrals, refused;
  std::array<std::uint64_t, kOutcomes.size()> ends{};
  std::vector<ChannelAcc> channels;  // a scenario uses a handful: a linear search is fastest
  std::int64_t cost_micros = 0;

  StepAcc& step(std::uint64_t number, std::string_view channel) {
    if (number > steps.size()) steps.resize(number);
    StepAcc& s = steps[number - 1];
    if (s.channel.empty()) s.channel = std::string(channel);
    return s;
  }
  std::int32_t branch(std::string_view name) {
    for (std::size_t i = 0; i < branch_names.size(); ++i) {
      if (branch_names[i] == name) return static_cast<std::int32_t>(i);
    }
    branch_names.emplace_back(name);
    branch_funnels.emplace_back();
    return static_cast<std::int32_t>(branch_names.size() - 1);
  }
  ChannelAcc& channel(std::string_view name) {
    for (ChannelAcc& c : channels) {
      if (c.name == name) return c;
    }
    channels.emplace_back();
    channels.back().name = std::string(name);
    return channels.back();
  }
};

struct Accumulated {
  std::uint64_t traces = 0, records = 0, orphan_statuses = 0, unstarted_instances = 0;
  std::vector<ScenarioAcc> scenarios;  // in order of first appearance
};

Report compute(const Accumulated& acc, const Options& options);

// 1.2345 → "1.23" style helpers shared by the text and HTML renderers.
std::string money_text(std::int64_t micros, std::string_view currency);
std::string percent_text(double fraction, int decimals = 1);  // 0.125 → "12.5 %"
std::string number_text(std::uint64_t n);                       // 1234567 → "1,234,567"
std::string significance_text(const TestResult& test, bool significant);

}  // namespace cascade::report
