// Test helpers: check a scenario source against a project given as YAML text, in memory.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cascade/compiler/check.hpp"
#include "cascade/compiler/diagnostics.hpp"
#include "cascade/compiler/project.hpp"
#include "cascade/grammar/parser.hpp"

namespace cascade::test {

// LANGUAGE.md §2.1 plus a duration field and webhook/call channels.
inline constexpr std::string_view kProject = R"(timezone: Europe/Moscow
profile:
  email: string?
  phone: string?
  push_token: string?
  first_name: string?
  age: int?
  ltv: decimal
  points: int
  vip: bool
  tags: list<string>
  last_purchase_at: time?
  median_open_delay: duration?
  consent: { email: bool, sms: bool, push: bool, viber: bool }
events:
  cart_abandoned: { cart_id: string, cart_url: string, total: decimal }
  order_placed:   { order_id: string, cart_id: string?, total: decimal }
  appointment_booked: { at: time, address: string }
  points_expiring: { date: string, points: int }
channels:
  push:  { kind: push,  address: push_token, consent: consent.push,  provider: p, cost: 0 }
  email: { kind: email, address: email,      consent: consent.email, provider: p, cost: 0.2 }
  viber: { kind: viber, address: phone,      consent: consent.viber, provider: p, cost: 1.77 }
  sms:   { kind: sms,   address: phone,      consent: consent.sms,   provider: p, cost: 2.0 }
  crm:   { kind: webhook, address: email, provider: p, cost: 0 }
providers:
  p: { type: webhook, url: "http://127.0.0.1:9100/send" }
)";

struct Checked {
  source::SourceMap sources;
  std::optional<project::Project> project;
  check::Result result;
  diag::Diagnostics diags;
  std::vector<grammar::SyntaxError> syntax;

  std::vector<std::string> codes() const {
    std::vector<std::string> out;
    for (const auto& d : diags.items()) out.emplace_back(diag::info(d.code).code);
    return out;
  }
  // The first diagnostic with this code, or null.
  const diag::Diagnostic* find(std::string_view code) const {
    for (const auto& d : diags.items())
      if (diag::info(d.code).code == code) return &d;
    return nullptr;
  }
  std::size_t count(std::string_view code) const {
    const auto c = codes();
    return static_cast<std::size_t>(std::count(c.begin(), c.end(), std::string(code)));
  }
  // The source text under a diagnostic's span.
  std::string at(const diag::Diagnostic& d) const {
    const std::string& t = sources.file(d.span.file).text();
    return t.substr(d.span.begin, d.span.end - d.span.begin);
  }
};

// Parses `text` as one file and checks it. A syntax error fails the test: these tests
// are about the checker.
inline Checked check_text(std::string_view text, std::string_view project_yaml = kProject) {
  Checked c;
  auto loaded = project::load_text("cascade.yaml", std::string(project_yaml), c.sources);
  c.project = std::move(loaded.project);
  const auto fid = c.sources.add("test.cascade", std::string(text));
  auto parsed = grammar::parse(c.sources, fid);
  c.syntax = std::move(parsed.errors);
  parsed.file.file = fid;
  c.result.files.push_back(std::move(parsed.file));
  if (c.project) check::check(*c.project, c.sources, c.result, c.diags);
  c.diags.sort();
  return c;
}

// Wraps statements in a scenario triggered by cart_abandoned.
inline std::string scenario(std::string_view body, std::string_view settings = "") {
  return "scenario s \"S\" {\n  trigger cart_abandoned\n" + std::string(settings) + "\n" + std::string(body) + "\n}\n";
}

}  // namespace cascade::test
