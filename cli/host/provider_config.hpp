// The bridge from cascade.yaml's `providers:` to the providers library: each
// project::Provider (settings kept as text by the loader, already validated there) becomes a
// plain providers::ProviderConfig. It lives in cascade_host, beside runtime_config, because
// this is where the compiler's Project and the runtime's plain config meet — the providers
// library never links the compiler. Secrets are not read here: the library reads the
// variable `secret_env` names when the provider is made.
#pragma once

#include <string>
#include <vector>

#include "cascade/compiler/project.hpp"
#include "cascade/providers/providers.hpp"

namespace cascade::host {

struct ProviderConfigError {
  std::string provider;     // its name under `providers:`
  source::SourceSpan span;  // of that name in cascade.yaml
  std::string message;
};

struct ProviderConfigs {
  std::vector<providers::ProviderConfig> providers;  // in name order
  std::vector<ProviderConfigError> errors;
};

// Maps every provider of the project. A provider with a setting that cannot be used (the
// loader checks the syntax; this checks what the library needs on top, such as an smtp
// `from`) is left out and reported.
ProviderConfigs provider_configs(const project::Project& project);

}  // namespace cascade::host
