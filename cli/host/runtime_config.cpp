#include "runtime_config.hpp"

namespace cascade::host {

vm::Config runtime_config(const project::Project& project) {
  vm::Config config;
  config.profile = project.profile;
  for (const auto& [name, schema] : project.events) {  // a std::map: sorted, stable
    config.events.push_back(vm::EventConfig{name, schema.fields});
  }
  for (const project::Channel& c : project.channels) {
    vm::ChannelConfig ch;
    ch.name = c.name;
    ch.kind = c.kind ? std::string(c.kind->name) : std::string();
    ch.address_field = c.address_field;
    ch.consent_field = c.consent_field;
    ch.has_provider = !c.provider.empty();
    ch.cost_micros = c.cost_micros;
    config.channels.push_back(std::move(ch));
  }
  if (project.cap_all) {
    config.caps.push_back(
        vm::CapConfig{"", static_cast<std::uint32_t>(project.cap_all->count), project.cap_all->per_seconds});
  }
  for (const auto& [channel, cap] : project.channel_caps) {
    config.caps.push_back(vm::CapConfig{channel, static_cast<std::uint32_t>(cap.count), cap.per_seconds});
  }
  config.timezone = project.timezone;
  config.currency = project.currency;
  return config;
}

report::Options report_options(const project::Project& p) {
  report::Options out;
  out.currency = p.currency;
  const project::Channel* price_from = nullptr;
  for (const project::Channel& c : p.channels) {
    if (!c.kind->billed_by_segment) continue;
    out.sms_channels.push_back(c.name);
    // The channel called `sms` if there is one, else the first SMS channel declared.
    if (!price_from || c.name == "sms") price_from = &c;
  }
  if (price_from) out.sms_price_micros = price_from->cost_micros;
  return out;
}

}  // namespace cascade::host
