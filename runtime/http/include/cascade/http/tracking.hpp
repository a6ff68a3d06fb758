// cascade::http tracking tokens: the signed, expiring tokens of the open pixel (GET /t/o/{token})
// and the click redirect (GET /t/c/{token}) that the `link()` builtin puts into messages.
//
// Format (version 1), all of it URL-safe:   base64url(payload) "." base64url(tag)
//   payload = 0x01 (version) | kind ('o' open, 'c' click) | expiry (u64 big-endian, Unix seconds)
//             | message id length (1 byte, 1..255) | message id | target URL (clicks only)
//   tag     = the first 16 bytes (128 bits) of HMAC-SHA256(key, "cascade/track/v1\0" | payload)
// base64url has no padding and is decoded strictly (one spelling per byte string), so a token
// cannot be re-spelled into a second valid token. The tag is checked in constant time before any
// field is trusted. Target URLs are http(s) with no control characters or spaces, checked both
// when minting and when verifying — the redirect is never an open redirect: a token that does not
// verify gets 404 (410 when it verified but expired), never a Location.
#pragma once

#include "cascade/http/errors.hpp"
#include "cascade/http/router.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace cascade::http {

enum class TrackKind : char { Open = 'o', Click = 'c' };

struct TrackingToken {
  TrackKind kind = TrackKind::Open;
  std::string message_id;
  std::string url;             // clicks only
  std::int64_t expires_at = 0;  // Unix seconds; valid while now < expires_at
};

enum class TokenError { Malformed, BadSignature, Expired, WrongKind };
std::string_view token_error_name(TokenError error);

struct VerifyResult {
  std::optional<TrackingToken> token;
  std::optional<TokenError> error;
  std::string reason;  // for logs; never shown to the recipient
  bool ok() const { return token.has_value(); }
};

struct MintResult {
  std::string token;
  std::optional<std::string> error;
};

// Strict base64url without padding (RFC 4648 §5); nullopt for any other spelling.
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

bool is_safe_redirect_url(std::string_view url);

class TrackingKey {
 public:
  // The secret is used as the HMAC key as given; at least 16 bytes.
  static std::optional<TrackingKey> from_secret(std::string_view secret, std::string* error = nullptr);
  // CASCADE_TRACKING_KEY (or another variable): nullopt with `error` set when unset or too short.
  static std::optional<TrackingKey> from_env(const char* name = "CASCADE_TRACKING_KEY", std::string* error = nullptr);

  MintResult mint(const TrackingToken& token) const;
  VerifyResult verify(std::string_view token, TrackKind expected, std::int64_t now_unix) const;

 private:
  explicit TrackingKey(std::string secret) : secret_(std::move(secret)) {}
  std::string tag(std::string_view payload) const;
  std::string secret_;
};

// The handlers' answers. The pixel is a 1×1 transparent GIF with no-cache headers whatever the
// token (a broken image in a mail client helps nobody); only a valid open token is reported. The
// redirect answers 302 to the token's URL only for a valid click token, 410 for an expired one
// and 404 for anything else. `report` runs before the answer is returned; it must not throw.
using TrackSink = std::function<void(const TrackingToken&)>;
Response pixel_response(const TrackingKey& key, std::string_view token, std::int64_t now_unix,
                        const TrackSink& report, VerifyResult* outcome = nullptr);
Response redirect_response(const TrackingKey& key, std::string_view token, std::int64_t now_unix,
                           const TrackSink& report, VerifyResult* outcome = nullptr);

std::string_view pixel_gif();

// Registers GET /t/o/{token} and GET /t/c/{token} (Policy::Public) on `router`. `now` gives Unix
// seconds (the daemon's clock, virtual or real); the sinks run on a server thread.
void add_tracking_routes(Router& router, std::shared_ptr<const TrackingKey> key, std::function<std::int64_t()> now,
                         TrackSink on_open, TrackSink on_click);

}  // namespace cascade::http
