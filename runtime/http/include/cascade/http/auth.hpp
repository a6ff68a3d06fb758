// cascade::http auth: the bearer-token policy of `cascade serve`. Each route declares how much
// it needs the token; whether the token is asked for then depends on whether the server is
// exposed (bound to an address other than loopback):
//   Public            never (/healthz, /readyz, the open pixel, the click redirect);
//   TokenWhenExposed  only when exposed (every other call);
//   AlwaysToken       always, even on loopback (deploy, broadcast: they change what runs).
// Tokens are compared in constant time (digests of both sides compared with CRYPTO_memcmp, so
// neither the contents nor the length of the secret leak through timing).
#pragma once

#include "cascade/http/errors.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace cascade::http {

enum class Policy { Public, TokenWhenExposed, AlwaysToken };

std::string_view policy_name(Policy policy);

bool token_required(Policy policy, bool exposed);

// True when `host` (an IP literal or "localhost") is a loopback address; anything else,
// including 0.0.0.0 and names that do not parse as addresses, counts as exposed.
bool is_loopback_host(std::string_view host);

bool constant_time_equal(std::string_view a, std::string_view b);

// Checks the Authorization header of a request under a policy. nullopt: let it through.
// Otherwise a 401 (code "unauthorized" when no credentials came, "invalid_token" when they were
// wrong, "token_not_configured" when the route needs a token and the daemon has none).
std::optional<ApiError> authorize(Policy policy, bool exposed, std::string_view configured_token,
                                  std::string_view authorization_header);

// The token from CASCADE_TOKEN, else from `token_file` (whitespace trimmed); empty when neither
// is set. A token file that cannot be read, or a token shorter than 16 bytes, is an error.
struct TokenResult {
  std::string token;
  std::optional<std::string> error;
};
TokenResult load_token(const std::string& token_file = {}, const char* env_name = "CASCADE_TOKEN");

}  // namespace cascade::http
