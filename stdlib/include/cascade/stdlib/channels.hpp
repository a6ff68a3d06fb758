// The catalogue of channel kinds: what each kind of channel can report back.
//
// An `if not opened within …` after an `sms` can never resume early, because an SMS has
// no "opened" report; the checker asks this catalogue and rejects such waits.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace cascade::channels {

enum class Report : std::uint8_t { Delivered, Opened, Clicked, Failed };

struct KindInfo {
  std::string_view name;  // "email"
  bool delivered, opened, clicked, failed;
  int max_characters;      // 0: no limit the catalogue knows of
  bool billed_by_segment;  // SMS: cost = price x segments
  std::string_view notes;
};

// Every kind, in catalogue order.
std::span<const KindInfo> all_kinds();
const KindInfo* find_kind(std::string_view name);
bool can_report(const KindInfo& kind, Report report);
std::string_view to_string(Report r);
// "delivered" -> Report::Delivered; nullopt for anything else.
std::optional<Report> report_from_string(std::string_view name);
// Every kind's name, comma-separated in catalogue order, for hints ("email, push, …").
std::string kind_names();

}  // namespace cascade::channels
