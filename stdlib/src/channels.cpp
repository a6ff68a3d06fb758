// The channel-kind catalogue of LANGUAGE.md §2.2, as one table.
#include "cascade/stdlib/channels.hpp"

#include <array>

namespace cascade::channels {
namespace {

// clang-format off
constexpr std::array<KindInfo, 10> kKinds{{
  // name        delivered opened clicked failed  max  by-segment  notes
  {"email",      true,  true,  true,  true,     0, false, ""},
  {"push",       true,  true,  false, true,     0, false, ""},
  {"webpush",    true,  true,  false, true,     0, false, ""},
  {"viber",      true,  true,  true,  true,  1000, false, "opened means read"},
  {"whatsapp",   true,  true,  true,  true,  1000, false, "opened means read"},
  {"telegram",   true,  true,  false, true,     0, false, ""},
  {"vk",         true,  true,  false, true,     0, false, ""},
  {"sms",        true,  false, true,  true,     0, true,
                 "no opened report; clicked only through a tracked link; 160 GSM-7 / 70 UCS-2 characters per segment, 153 / 67 when split"},
  {"webhook",    false, false, false, true,     0, false, "reports only failure"},
  {"call",       true,  false, false, true,     0, false, "delivered means answered"},
}};
// clang-format on

}  // namespace

std::span<const KindInfo> all_kinds() {
  return kKinds;
}

const KindInfo* find_kind(std::string_view name) {
  for (const KindInfo& k : kKinds) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

bool can_report(const KindInfo& kind, Report report) {
  switch (report) {
    case Report::Delivered:
      return kind.delivered;
    case Report::Opened:
      return kind.opened;
    case Report::Clicked:
      return kind.clicked;
    case Report::Failed:
      return kind.failed;
  }
  return false;
}

std::string_view to_string(Report r) {
  switch (r) {
    case Report::Delivered:
      return "delivered";
    case Report::Opened:
      return "opened";
    case Report::Clicked:
      return "clicked";
    case Report::Failed:
      return "failed";
  }
  return "failed";
}

std::optional<Report> report_from_string(std::string_view name) {
  for (Report r : {Report::Delivered, Report::Opened, Report::Clicked, Report::Failed}) {
    if (to_string(r) == name) return r;
  }
  return std::nullopt;
}

std::string kind_names() {
  std::string out;
  for (const KindInfo& k : kKinds) {
    if (!out.empty()) out += ", ";
    out += k.name;
  }
  return out;
}

}  // namespace cascade::channels
