#include "cascade/http/auth.hpp"

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace cascade::http {

std::string_view policy_name(Policy policy) {
  switch (policy) {
    case Policy::Public: return "public";
    case Policy::TokenWhenExposed: return "token_when_exposed";
    case Policy::AlwaysToken: return "always_token";
  }
  return "?";
}

bool token_required(Policy policy, bool exposed) {
  switch (policy) {
    case Policy::Public: return false;
    case Policy::TokenWhenExposed: return exposed;
    case Policy::AlwaysToken: return true;
  }
  return true;
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost") return true;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(std::string{host}, ec);
  return !ec && address.is_loopback();
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  unsigned char da[SHA256_DIGEST_LENGTH];
  unsigned char db[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(a.data()), a.size(), da);
  SHA256(reinterpret_cast<const unsigned char*>(b.data()), b.size(), db);
  return CRYPTO_memcmp(da, db, sizeof da) == 0;
}

std::optional<ApiError> authorize(Policy policy, bool exposed, std::string_view configured_token,
                                  std::string_view authorization_header) {
  if (!token_required(policy, exposed)) return std::nullopt;
  if (configured_token.empty()) {
    return make_error(401, "token_not_configured",
                      "this call needs a bearer token and the daemon has none (set CASCADE_TOKEN or a token file)");
  }
  // RFC 6750: "Bearer" is case-insensitive, one or more spaces, then the token.
  std::string_view h = authorization_header;
  constexpr std::string_view scheme = "bearer";
  bool is_bearer = h.size() > scheme.size();
  for (std::size_t i = 0; is_bearer && i < scheme.size(); ++i)
    is_bearer = std::tolower(static_cast<unsigned char>(h[i])) == scheme[i];
  if (!is_bearer || h[scheme.size()] != ' ') {
    return make_error(401, "unauthorized", "this call needs 'Authorization: Bearer <token>'");
  }
  h.remove_prefix(scheme.size());
  while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
  while (!h.empty() && (h.back() == ' ' || h.back() == '\t')) h.remove_suffix(1);
  if (!constant_time_equal(h, configured_token)) {
    return make_error(401, "invalid_token", "the bearer token is not valid");
  }
  return std::nullopt;
}

namespace {

std::string trim(std::string s) {
  std::size_t b = 0;
  while (b < s.size() && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  std::size_t e = s.size();
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

}  // namespace

TokenResult load_token(const std::string& token_file, const char* env_name) {
  TokenResult out;
  if (const char* env = env_name ? std::getenv(env_name) : nullptr; env && *env) {
    out.token = trim(env);
  } else if (!token_file.empty()) {
    std::ifstream in(token_file, std::ios::binary);
    if (!in) {
      out.error = fmt::format("{}: cannot read the token file", token_file);
      return out;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    out.token = trim(ss.str());
    if (out.token.empty()) {
      out.error = fmt::format("{}: the token file is empty", token_file);
      return out;
    }
  }
  if (!out.token.empty() && out.token.size() < 16) {
    out.error = "the bearer token must be at least 16 bytes long";
    out.token.clear();
  }
  return out;
}

}  // namespace cascade::http
